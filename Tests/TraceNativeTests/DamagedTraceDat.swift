import Foundation
import TraceTestSupport

@testable import TraceNative

/// A trace.dat fixture copied to a temporary file with some bytes changed, for tests of errors
/// in a file's middle; the copy is removed when `body` returns.
enum DamagedTraceDat {
  /// Calls `damage` with the fixture's bytes and its layout (CPU data offsets, file size),
  /// writes the result, and calls `body` with its path.
  static func with<Result>(
    _ fixture: String, damage: (inout [UInt8], TraceDatLayout) -> Void, _ body: (String) throws -> Result
  ) throws -> Result {
    let path = try Fixtures.materialize(fixture).path
    let layout = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false).layout
    var bytes = try FileBytes(path: path).read(at: 0, count: layout.fileSize)
    damage(&bytes, layout)
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-damaged-\(getpid())-\(UUID().uuidString).dat")
    try Data(bytes).write(to: copy)
    defer { try? FileManager.default.removeItem(at: copy) }
    return try body(copy.path)
  }
}
