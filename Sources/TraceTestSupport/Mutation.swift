/// One change the mutator made, for the fuzz report (and to replay a case by hand).
public struct Mutation: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, Hashable, Sendable, CaseIterable {
    // Bytes (every input)
    case bitFlip, randomBytes, byteRun, truncate, duplicateSpan, deleteSpan
    /// A size, offset, count or id field of a trace.dat (``TraceDatFieldMap``) set to a boundary value.
    case overwriteField
    // Lines (text inputs)
    case deleteLine, duplicateLine, cutLine, swapLines, replaceDigits, insertNonUTF8
  }

  public var kind: Kind
  /// Byte offset in the input as it was before this mutation.
  public var offset: Int
  public var detail: String

  public var description: String { "\(kind.rawValue) @ \(offset): \(detail)" }
}
