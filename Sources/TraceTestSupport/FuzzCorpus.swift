import Foundation

/// The fuzzer's seeds: every fixture under `fixtures/tracedat`, `text`, `lab`, `bad` (with
/// `bad/fuzz`) and `fuzz/seeds`, `*.gz` decompressed.
public enum FuzzCorpus {
  /// Folders (relative to `fixtures/`) whose files are seeds.
  public static let folders = ["tracedat", "fuzz/seeds", "text", "text/kprobe_profile", "lab", "bad", "bad/fuzz"]

  /// The seeds. `small` keeps each case cheap enough for thousands a minute in a debug build:
  /// the trace.dat fixtures are replaced by their small copies in `fuzz/seeds` (same traces,
  /// first pages, few formats: scripts/fixtures/make-fuzz-seeds.sh), and text longer than
  /// `textLines` lines is cut to its first `textLines` lines (the headers and format-deciding
  /// first events stay). With `small` false every fixture is used whole.
  public static func seeds(small: Bool, textLines: Int = 300) throws -> [FuzzSeed] {
    var seeds: [FuzzSeed] = []
    for folder in folders where !(small && folder == "tracedat") {
      let dir = Fixtures.root.appendingPathComponent(folder)
      let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
      for name in names where name != "README.md" && !name.hasSuffix(".tsv") {
        let relative = "\(folder)/\(name)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory),
          !isDirectory.boolValue
        else { continue }
        let url = try Fixtures.materialize(relative)
        var bytes = [UInt8](try Data(contentsOf: url))
        var label = relative
        if small, !bytes.starts(with: [0x17, 0x08, 0x44]) {
          var newlines = 0
          if let cut = bytes.firstIndex(where: { byte in
            if byte == 0x0a { newlines += 1 }
            return newlines == textLines
          }), cut + 1 < bytes.count {
            bytes = Array(bytes[...cut])
            label += " (first \(textLines) lines)"
          }
        }
        seeds.append(FuzzSeed(name: label, bytes: bytes))
      }
    }
    return seeds
  }
}
