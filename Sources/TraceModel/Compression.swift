/// How an input file is compressed, read from its first bytes: text readers decompress it as
/// a stream (`gzip -dc`, `zstd -dc`), the trace.dat reader to a temporary copy.
public enum Compression: String, Hashable, Sendable, CaseIterable {
  case none
  /// RFC 1952 gzip, magic `1f 8b`.
  case gzip
  /// Zstandard frame, magic `28 b5 2f fd`.
  case zstd

  /// The compression these first bytes announce.
  public init(firstBytes: some Collection<UInt8>) {
    let head = Array(firstBytes.prefix(4))
    if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b {
      self = .gzip
    } else if head.count == 4, head == [0x28, 0xb5, 0x2f, 0xfd] {
      self = .zstd
    } else {
      self = .none
    }
  }
}
