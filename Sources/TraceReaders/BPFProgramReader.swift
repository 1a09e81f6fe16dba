import Foundation
import TraceModel

/// One BPF program as `bpftool prog show` lists it.
public struct BPFProgram: Hashable, Sendable {
  public var id: Int
  /// The program type (`tracepoint`, `sched_cls`, ...).
  public var type: String
  /// The (kernel-truncated, 15 bytes) name; nil when unnamed.
  public var name: String?
  /// The program tag, hex.
  public var tag: String?
  /// Total run time while `kernel.bpf_stats_enabled` was 1, in nanoseconds.
  public var runTimeNanoseconds: UInt64?
  /// Runs counted while `kernel.bpf_stats_enabled` was 1.
  public var runCount: UInt64?
  /// Size of the verified (xlated) program, in bytes.
  public var xlatedBytes: Int?
  /// Size of the JITed code, in bytes.
  public var jitedBytes: Int?
  /// When it was loaded, as bpftool printed it (`2026-11-23T13:50:08+0000`, or Unix seconds
  /// from `--json`).
  public var loadedAt: String?

  public init(
    id: Int, type: String, name: String? = nil, tag: String? = nil, runTimeNanoseconds: UInt64? = nil,
    runCount: UInt64? = nil, xlatedBytes: Int? = nil, jitedBytes: Int? = nil, loadedAt: String? = nil
  ) {
    self.id = id
    self.type = type
    self.name = name
    self.tag = tag
    self.runTimeNanoseconds = runTimeNanoseconds
    self.runCount = runCount
    self.xlatedBytes = xlatedBytes
    self.jitedBytes = jitedBytes
    self.loadedAt = loadedAt
  }

  /// Average cost of one run in nanoseconds (`run_time_ns / run_cnt`); nil without runs.
  public var nanosecondsPerRun: Double? {
    guard let runTimeNanoseconds, let runCount, runCount > 0 else { return nil }
    return Double(runTimeNanoseconds) / Double(runCount)
  }
}

/// Reads `bpftool prog show` text (records may wrap across lines, as mail does) and
/// `bpftool prog show --json`.
public enum BPFProgramReader: LineFileReader {
  /// - Throws: ``TraceParseError`` at the line of text that is not part of a program record
  ///   (unless `options.lenient`), or for JSON that does not parse.
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    programs: [BPFProgram], skipped: SkippedLines
  ) {
    let firstText = input.lines.first { !$0.text.trimmed(of: " \t").isEmpty }
    if let first = firstText, first.text.trimmed(of: " \t").hasPrefix("[") || first.text.trimmed(of: " \t").hasPrefix("{") {
      return (try parseJSON(input.lines.map(\.text).joined(separator: "\n"), input: input, line: first.number), SkippedLines())
    }
    var programs: [BPFProgram] = []
    var skipped = SkippedLines()
    var words: [Substring] = []
    func flush() {
      if !words.isEmpty, let program = program(from: words) { programs.append(program) }
      words = []
    }
    for (number, line) in input.lines {
      if line.trimmed(of: " \t").isEmpty { continue }
      if isBpftoolHeader(line[...]) {
        flush()
        words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      } else if !words.isEmpty {
        words += line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      } else {
        try skipped.skipOrThrow(
          TraceParseError(
            reason: .malformedLine(expected: "a bpftool program line (`12: type  name n  tag t`)", found: line),
            location: InputLocation(file: input.path, line: number)),
          lenient: options.lenient)
      }
    }
    flush()
    return (programs, skipped)
  }

  /// A program from its record's words: `12:` `type` then `key value` pairs and flags (`gpl`).
  static func program(from words: [Substring]) -> BPFProgram? {
    guard words.count >= 2, let id = Int(words[0].dropLast()) else { return nil }
    var program = BPFProgram(id: id, type: String(words[1]))
    var index = 2
    while index < words.count {
      let key = words[index]
      let value = index + 1 < words.count ? words[index + 1] : nil
      func bytes(_ text: Substring?) -> Int? { text.flatMap { Int($0.hasSuffix("B") ? $0.dropLast() : $0) } }
      switch key {
      case "name": program.name = value.map(String.init)
      case "tag": program.tag = value.map(String.init)
      case "run_time_ns": program.runTimeNanoseconds = value.flatMap { UInt64($0) }
      case "run_cnt": program.runCount = value.flatMap { UInt64($0) }
      case "loaded_at": program.loadedAt = value.map(String.init)
      case "xlated": program.xlatedBytes = bytes(value)
      case "jited": program.jitedBytes = bytes(value)
      case "uid", "memlock", "map_ids", "btf_id", "pids", "recursion_misses", "verified_insns": break
      default:
        index += 1  // a flag such as `gpl`
        continue
      }
      index += 2
    }
    return program
  }

  static func parseJSON(_ text: String, input: TextLines, line: Int) throws(TraceParseError) -> [BPFProgram] {
    let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8))
    let objects: [[String: Any]]
    if let array = parsed as? [[String: Any]] {
      objects = array
    } else if let object = parsed as? [String: Any] {
      objects = [object]
    } else {
      throw TraceParseError(
        reason: .malformedLine(expected: "bpftool --json output (an array of programs)", found: String(text.prefix(80))),
        location: InputLocation(file: input.path, line: line))
    }
    return objects.compactMap { object in
      guard let id = object["id"] as? Int else { return nil }
      func uint(_ key: String) -> UInt64? { (object[key] as? NSNumber).map { $0.uint64Value } }
      return BPFProgram(
        id: id, type: object["type"] as? String ?? "", name: object["name"] as? String, tag: object["tag"] as? String,
        runTimeNanoseconds: uint("run_time_ns"), runCount: uint("run_cnt"),
        xlatedBytes: object["bytes_xlated"] as? Int, jitedBytes: object["bytes_jited"] as? Int,
        loadedAt: object["loaded_at"].map { "\($0)" })
    }
  }
}
