import Foundation
import TraceModel

/// Batch durations printed by an instrumented kernel, as in the int3 false-sharing cover
/// letter: a `text_poke_bp_batch(nr_entries=164)` line, its call chain, then `Took 2655300 usec`.
public struct TextPokeLog: Hashable, Sendable {
  /// One batch.
  public struct Record: Hashable, Sendable {
    /// The function that printed the record (`text_poke_bp_batch`).
    public var function: String
    public var entries: Int
    /// The sysctl the last `echo V >/proc/sys/.../KEY` line before the record wrote (the seed's
    /// logs start with `echo 0 >/proc/sys/kernel/bpf_stats_enabled`), and its value; nil when
    /// the log has no such line.
    public var key: String?
    public var value: String?
    /// The `Took N usec` duration, in nanoseconds (rounded to a whole nanosecond).
    public var durationNanoseconds: Double
    /// 1-based line of the `Took` line.
    public var line: Int
  }

  public var records: [Record]

  /// Finds every record in kernel-log text; other lines are ignored (a log holds everything).
  ///
  /// - Throws: ``TraceParseError`` at a `Took` line whose number is no duration (not a number,
  ///   negative, or past `UInt64` nanoseconds: ``LoggedDuration``), or at line 1
  ///   when no record is complete.
  public static func parse(text: String, path: String) throws(TraceParseError) -> TextPokeLog {
    var records: [Record] = []
    var open: (function: String, entries: Int)?
    var flip: (key: String, value: String)?
    var lineNumber = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      var line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if line.first == "[", let close = line.firstIndex(of: "]") { line = line[line.index(after: close)...] }
      line = line.drop { $0 == " " }
      if let written = sysctlWrite(line) {
        flip = written
      } else if let range = line.range(of: "(nr_entries="), line.hasSuffix(")"),
        let entries = Int(line[range.upperBound..<line.index(before: line.endIndex)])
      {
        open = (String(line[..<range.lowerBound]), entries)
      } else if line.hasPrefix("Took "), line.hasSuffix(" usec"), let current = open {
        let number = line.dropFirst(5).dropLast(5)
        // The same number parser as `analyze`'s kernel-log reader (LoggedDuration).
        guard let nanoseconds = LoggedDuration.nanoseconds(number, unit: "usec") else {
          throw TraceParseError(
            reason: .invalidValue(what: "a duration in usec", found: String(number)),
            location: InputLocation(file: path, line: lineNumber))
        }
        records.append(Record(function: current.function, entries: current.entries, key: flip?.key, value: flip?.value,
                              durationNanoseconds: Double(nanoseconds), line: lineNumber))
        open = nil
      }
    }
    guard !records.isEmpty else {
      throw TraceParseError(
        reason: .malformedLine(expected: "`FUNC(nr_entries=N)` ... `Took N usec` records", found: ""),
        location: InputLocation(file: path, line: 1))
    }
    return TextPokeLog(records: records)
  }

  /// `KEY` and `V` of a shell line `echo V >/proc/sys/a/b/KEY` (with or without `$ `/`# `
  /// prompts and a space after `>`), or nil.
  static func sysctlWrite(_ line: Substring) -> (key: String, value: String)? {
    var rest = line
    if rest.hasPrefix("$ ") || rest.hasPrefix("# ") { rest = rest.dropFirst(2) }
    guard rest.hasPrefix("echo ") else { return nil }
    rest = rest.dropFirst(5)
    guard let redirect = rest.firstIndex(of: ">") else { return nil }
    let value = rest[..<redirect].trimmingCharacters(in: .whitespaces)
    let path = rest[rest.index(after: redirect)...].trimmingCharacters(in: .whitespaces)
    guard !value.isEmpty, path.hasPrefix("/proc/sys/"), let key = path.split(separator: "/").last else { return nil }
    return (String(key), value)
  }
}

extension MetricSet {
  /// A kernel log's text_poke records: `text_poke.batches`, `text_poke.batch_duration_ns.median`
  /// and `text_poke.nr_entries=<n>.duration_ns` (median when several batches had n entries).
  public static func textPokeLog(_ log: TextPokeLog) -> MetricSet {
    var run: [(name: String, value: Double)] = [("text_poke.batches", Double(log.records.count))]
    run.append(("text_poke.batch_duration_ns.median", Statistics.median(log.records.map(\.durationNanoseconds))))
    var byEntries: [Int: [Double]] = [:]
    var order: [Int] = []
    for record in log.records {
      if byEntries[record.entries] == nil { order.append(record.entries) }
      byEntries[record.entries, default: []].append(record.durationNanoseconds)
    }
    for entries in order {
      run.append(("text_poke.nr_entries=\(entries).duration_ns", Statistics.median(byEntries[entries]!)))
    }
    return MetricSet(run: run)
  }
}
