/// Where in an input something was found: a file plus a byte offset (binary) or a 1-based line (text).
public struct InputLocation: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The path as the user gave it (`-` for standard input).
  public var file: String
  /// Offset from the start of the file, for binary inputs.
  public var byteOffset: Int?
  /// 1-based line number, for text inputs.
  public var line: Int?

  public init(file: String, byteOffset: Int) {
    self.file = file
    self.byteOffset = byteOffset
  }

  public init(file: String, line: Int) {
    self.file = file
    self.line = line
  }

  public init(file: String) { self.file = file }

  /// Compiler style: `trace.txt:118` or `trace.dat @ byte 4096`.
  public var description: String {
    if let line { return "\(file):\(line)" }
    if let byteOffset { return "\(file) @ byte \(byteOffset)" }
    return file
  }
}
