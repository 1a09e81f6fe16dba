import TraceModel

/// One line of a kernel log (`dmesg`, the console, or printk text pasted into a mail).
public struct KernelLogLine: Hashable, Sendable {
  /// The `[  433.286406]` stamp (seconds since boot, printk's local clock); nil for lines
  /// printed without one (`dmesg -t`, pasted text) or with `dmesg -T` wall-clock stamps.
  public var timestamp: Timestamp?
  /// The text after the stamp (after a `dmesg -T` wall-clock stamp too).
  public var message: String
  /// The 1-based line in the file.
  public var line: Int

  public init(timestamp: Timestamp?, message: String, line: Int) {
    self.timestamp = timestamp
    self.message = message
    self.line = line
  }
}

/// A duration some ad-hoc instrumentation printed, such as the text_poke cover letter's
/// `text_poke_bp_batch(nr_entries=164)` … `Took 2655300 usec`.
public struct DurationRecord: Hashable, Sendable {
  /// What was timed: the function of the opening `label(nr_entries=N)` line, or the text before
  /// `took` on a one-line record (`flush took 12 us`); "" when nothing names it.
  public var label: String
  /// The `nr_entries=N` (or `entries=N`) of the opening line, when there is one.
  public var entries: Int?
  /// The duration in nanoseconds (`Took 324 usec` is 324000).
  public var durationNanoseconds: UInt64
  /// The stamp of the opening line (or of the `Took` line without one), when the log has stamps.
  public var timestamp: Timestamp?
  /// The 1-based line of the `Took` line.
  public var line: Int

  public init(label: String, entries: Int?, durationNanoseconds: UInt64, timestamp: Timestamp?, line: Int) {
    self.label = label
    self.entries = entries
    self.durationNanoseconds = durationNanoseconds
    self.timestamp = timestamp
    self.line = line
  }
}

/// A kernel log read whole: every line, and the duration records found in it.
public struct KernelLog: Hashable, Sendable {
  public var lines: [KernelLogLine]
  public var durations: [DurationRecord]

  public init(lines: [KernelLogLine] = [], durations: [DurationRecord] = []) {
    self.lines = lines
    self.durations = durations
  }
}

/// Reads kernel log text: `[  433.286406] message` lines (`dmesg`), `[Mon Nov 23 13:50:08 2026]
/// message` (`dmesg -T`) and lines without stamps, and collects duration records.
///
/// A log line may say anything, so only a broken stamp is malformed: a line that starts with
/// `[` and a number but has no closing `]` or no `seconds.fraction` inside (a cut-off line).
public enum KernelLogReader: LineFileReader {
  /// - Throws: ``TraceParseError`` at a line with a broken `[seconds.fraction]` stamp (unless
  ///   `options.lenient`), or when the file cannot be read.
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    log: KernelLog, skipped: SkippedLines
  ) {
    var log = KernelLog()
    var skipped = SkippedLines()
    var opening: (label: String, entries: Int, timestamp: Timestamp?)?
    for (number, text) in input.lines {
      guard let (timestamp, message) = stamp(text) else {
        try skipped.skipOrThrow(
          TraceParseError(
            reason: .malformedLine(expected: "a `[seconds.fraction] message` kernel log line", found: text),
            location: InputLocation(file: input.path, line: number)),
          lenient: options.lenient)
        continue
      }
      log.lines.append(KernelLogLine(timestamp: timestamp, message: message, line: number))
      if let open = openingRecord(message) {
        opening = (open.label, open.entries, timestamp)
        continue
      }
      guard let (before, nanoseconds) = took(message) else { continue }
      if let open = opening {
        log.durations.append(
          DurationRecord(
            label: open.label, entries: open.entries, durationNanoseconds: nanoseconds,
            timestamp: open.timestamp ?? timestamp, line: number))
        opening = nil
      } else {
        var label = before.trimmed(of: " \t:,-")
        if label.isEmpty { label = "" }
        log.durations.append(
          DurationRecord(
            label: label, entries: nil, durationNanoseconds: nanoseconds, timestamp: timestamp, line: number))
      }
    }
    return (log, skipped)
  }

  /// The stamp and the message; nil for a broken `[number…` stamp.
  static func stamp(_ line: String) -> (Timestamp?, String)? {
    guard line.first == "[" else { return (nil, line) }
    let inside = line.dropFirst().drop { $0 == " " }
    guard let first = inside.first else { return (nil, line) }
    guard first.isNumber else {
      // `dmesg -T`: `[Mon Nov 23 13:50:08 2026] message`; a wall clock is no trace timestamp.
      if first.isLetter, let close = inside.firstIndex(of: "]"), inside[..<close].contains(":") {
        return (nil, String(inside[inside.index(after: close)...].drop { $0 == " " }))
      }
      return (nil, line)
    }
    guard let close = inside.firstIndex(of: "]") else { return nil }
    let number = inside[..<close]
    let parts = number.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, let seconds = UInt64(parts[0]), let fraction = UInt64(parts[1]), !parts[1].isEmpty
    else { return nil }
    var message = inside[inside.index(after: close)...]
    if message.first == " " { message = message.dropFirst() }
    return (Timestamp(seconds: seconds, fractionDigits: fraction, digitCount: parts[1].count), String(message))
  }

  /// `text_poke_bp_batch(nr_entries=164)`: a function name then `(nr_entries=N)` or
  /// `(entries=N)`, and nothing else.
  static func openingRecord(_ message: String) -> (label: String, entries: Int)? {
    let text = message.trimmed(of: " \t")
    guard text.hasSuffix(")"), let open = text.firstIndex(of: "(") else { return nil }
    let label = text[..<open]
    guard !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else {
      return nil
    }
    let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
    for key in ["nr_entries=", "entries="] where inside.hasPrefix(key) {
      if let entries = Int(inside.dropFirst(key.count)) { return (String(label), entries) }
    }
    return nil
  }

  /// `Took 324 usec` (or `took 1.5 ms`, units ns/nsec/us/usec/µs/ms/msec/s/sec): the text before
  /// `took` and the duration in nanoseconds; nil when the message has no such phrase.
  static func took(_ message: String) -> (before: Substring, nanoseconds: UInt64)? {
    let words = message.split(separator: " ", omittingEmptySubsequences: true)
    for index in words.indices where words[index] == "Took" || words[index] == "took" {
      guard index + 2 < words.count || (index + 1 < words.count && unitSplit(words[index + 1]) != nil) else {
        continue
      }
      let value: Substring
      var unit: Substring
      if let (number, attached) = unitSplit(words[index + 1]) {
        value = number
        unit = attached
      } else {
        value = words[index + 1]
        unit = words[index + 2]
      }
      while let last = unit.last, last == "." || last == "," || last == ")" { unit = unit.dropLast() }
      guard let nanoseconds = LoggedDuration.nanoseconds(value, unit: unit) else { continue }
      return (message[..<words[index].startIndex], nanoseconds)
    }
    return nil
  }

  /// `12us` as (`12`, `us`); nil when the word is not a number with a unit attached.
  private static func unitSplit(_ word: Substring) -> (Substring, Substring)? {
    guard let unitStart = word.firstIndex(where: { $0.isLetter || $0 == "µ" }), unitStart > word.startIndex else {
      return nil
    }
    return (word[..<unitStart], word[unitStart...])
  }
}
