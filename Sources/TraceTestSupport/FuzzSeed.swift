import Foundation

/// One input the fuzzer mutates: a fixture (or a small copy of one) with its structure.
public struct FuzzSeed: Sendable {
  /// The fixture's path relative to `fixtures/`; `… (first N lines)` for a cut text fixture.
  public var name: String
  public var bytes: [UInt8]
  public var isText: Bool
  /// The trace.dat's size, offset and count fields (``TraceDatFieldMap``); empty for text.
  public var fields: [StructField]

  public init(name: String, bytes: [UInt8]) {
    self.name = name
    self.bytes = bytes
    let magic: [UInt8] = [0x17, 0x08, 0x44]
    isText = !bytes.starts(with: magic)
    fields = isText ? [] : TraceDatFieldMap.fields(of: bytes)
  }

  /// The file name extension a mutated copy gets (readers detect formats from content, but a
  /// saved failing input is easier to open with the right one).
  public var fileExtension: String { isText ? "txt" : "dat" }

  /// A ``Mutator`` for this seed.
  public var mutator: Mutator { Mutator(fields: fields, isText: isText) }
}
