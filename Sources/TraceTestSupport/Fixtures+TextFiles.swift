import Foundation

extension Fixtures {
  /// Every text fixture a text reader may be given, relative to `fixtures/`, sorted: the
  /// `*.txt` and `*.txt.gz` files anywhere under `text/`, `lab/` and `foreign/` (ftrace and
  /// report text, and the other text formats, which an ftrace reader must reject the same way
  /// whichever path reads them). `*.gz` files need ``materialize(_:)``.
  public static func textFiles() -> [String] {
    var found: [String] = []
    for folder in ["text", "lab", "foreign"] {
      let base = root.appendingPathComponent(folder)
      guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
      while let relative = walker.nextObject() as? String {
        guard relative.hasSuffix(".txt") || relative.hasSuffix(".txt.gz") else { continue }
        found.append("\(folder)/\(relative)")
      }
    }
    return found.sorted()
  }
}
