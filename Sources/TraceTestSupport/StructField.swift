/// One size, offset, count or id field of a trace.dat, for the mutator to overwrite.
public struct StructField: Hashable, Sendable, CustomStringConvertible {
  /// Byte offset in the file.
  public var offset: Int
  /// Width in bytes (1, 2, 4 or 8).
  public var width: Int
  /// What the field is (`option size`, `page commit`, `event length`, …).
  public var name: String

  public init(offset: Int, width: Int, name: String) {
    self.offset = offset
    self.width = width
    self.name = name
  }

  public var description: String { "\(name) @ \(offset) (\(width) bytes)" }
}
