import Foundation
import TraceModel

/// Reads `perf stat` output: default text (with or without thousands separators, `-a`, `-A`,
/// `-r N`), `-x,` CSV and `-j` JSON, detected from the content.
public enum PerfStatReader: LineFileReader {
  /// Reads a file (`-` is standard input; gzip/zstd are decompressed).
  ///
  /// - Throws: ``TraceParseError`` naming the file and line of a line that is not a counter, a
  ///   time or a header (unless `options.lenient`).
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    counters: CounterSet, skipped: SkippedLines
  ) {
    var set = CounterSet()
    var skipped = SkippedLines()
    for (number, line) in input.lines {
      let trimmed = line.trimmed(of: " \t")
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      let ok: Bool
      if trimmed.hasPrefix("{") {
        ok = parseJSON(trimmed, into: &set)
      } else if trimmed.contains(","), !trimmed.contains("  "), isPerfStatCSV(trimmed[...]) {
        ok = parseCSV(trimmed, into: &set)
      } else {
        ok = parseText(trimmed, into: &set)
      }
      if !ok {
        try skipped.skipOrThrow(
          TraceParseError(
            reason: .malformedLine(expected: "a perf stat counter, time or header line", found: line),
            location: InputLocation(file: input.path, line: number)),
          lenient: options.lenient)
      }
    }
    return (set, skipped)
  }

  /// Parses `1,159.43` or `106,716` (thousands separators dropped) or `0.0021510`.
  static func number(_ text: Substring) -> Double? {
    Double(text.filter { $0 != "," })
  }

  static func parseText(_ line: String, into set: inout CounterSet) -> Bool {
    if line.hasPrefix("Performance counter stats for ") {
      var rest = line.dropFirst("Performance counter stats for ".count)
      if let runs = rest.range(of: " runs):", options: .backwards), let open = rest.range(of: " (", options: .backwards) {
        set.runs = Int(rest[open.upperBound..<runs.lowerBound]) ?? 1
        rest = rest[..<open.lowerBound]
      } else if rest.hasSuffix(":") {
        rest = rest.dropLast()
      }
      set.target = String(rest.trimmingPrefix("'").dropLast(rest.hasSuffix("'") ? 1 : 0))
      return true
    }
    let tokens = line.split(separator: " ", omittingEmptySubsequences: true)
    guard !tokens.isEmpty else { return true }
    if line.hasSuffix("seconds time elapsed") || line.contains("seconds time elapsed  ") {
      set.elapsedSeconds = number(tokens[0])
      set.elapsedVariancePercent = variance(in: line)
      return set.elapsedSeconds != nil
    }
    if tokens.count == 3, tokens[1] == "seconds", tokens[2] == "user" || tokens[2] == "sys" {
      guard let value = number(tokens[0]) else { return false }
      if tokens[2] == "user" { set.userSeconds = value } else { set.sysSeconds = value }
      return true
    }
    var index = 0
    var cpu: Int?
    if tokens[0].hasPrefix("CPU"), let n = Int(tokens[0].dropFirst(3)) {
      cpu = n
      index = 1
    }
    guard index < tokens.count else { return false }
    var counter = CounterSet.Counter(event: "", cpu: cpu, value: nil)
    if tokens[index] == "<not", index + 1 < tokens.count {
      counter.status = tokens[index + 1] == "supported>" ? .notSupported : .notCounted
      index += 2
    } else {
      guard let value = number(tokens[index]) else { return false }
      counter.value = value
      index += 1
    }
    // The event name, with a unit before it when two words precede the `#` comment.
    let words = tokens[index...].prefix { $0 != "#" && !$0.hasPrefix("(") }
    guard let last = words.last else { return false }
    if words.count >= 2 { counter.unit = String(words[words.startIndex]) }
    counter.event = String(words.count >= 2 ? words[words.startIndex + 1] : last)
    counter.variancePercent = variance(in: line)
    set.counters.append(counter)
    return true
  }

  /// The `x` of `( +-  x% )`.
  static func variance(in line: String) -> Double? {
    guard let plusMinus = line.range(of: "( +-", options: .backwards) else { return nil }
    let rest = line[plusMinus.upperBound...].drop { $0 == " " }
    return Double(rest.prefix { $0 != "%" })
  }

  static func parseCSV(_ line: String, into set: inout CounterSet) -> Bool {
    var parts = line.split(separator: ",", omittingEmptySubsequences: false)
    var cpu: Int?
    if let first = parts.first, first.hasPrefix("CPU"), let n = Int(first.dropFirst(3)) {
      cpu = n
      parts.removeFirst()
    }
    guard parts.count >= 3 else { return false }
    var counter = CounterSet.Counter(event: String(parts[2]), cpu: cpu, value: nil, unit: String(parts[1]))
    switch parts[0] {
    case "<not supported>": counter.status = .notSupported
    case "<not counted>": counter.status = .notCounted
    default:
      guard let value = Double(parts[0]) else { return false }
      counter.value = value
    }
    // With -r N a variance column (`1.21%`) follows the event.
    if parts.count > 3, parts[3].hasSuffix("%") { counter.variancePercent = Double(parts[3].dropLast()) }
    set.counters.append(counter)
    return true
  }

  static func parseJSON(_ line: String, into set: inout CounterSet) -> Bool {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
    guard let event = object["event"] as? String, let raw = object["counter-value"] else { return false }
    var counter = CounterSet.Counter(event: event, value: nil, unit: object["unit"] as? String ?? "")
    if let cpu = object["cpu"] { counter.cpu = Int("\(cpu)") }
    let text = "\(raw)"
    switch text {
    case "<not supported>": counter.status = .notSupported
    case "<not counted>": counter.status = .notCounted
    default:
      guard let value = Double(text) else { return false }
      counter.value = value
    }
    if let variance = object["variance"] { counter.variancePercent = Double("\(variance)") }
    set.counters.append(counter)
    return true
  }
}
