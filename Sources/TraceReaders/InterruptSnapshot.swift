import TraceModel

/// One `cat /proc/interrupts`: the count of every interrupt row on every CPU.
public struct InterruptSnapshot: Hashable, Sendable {
  /// One row: a numbered IRQ (`24`) or a named x86 vector (`CAL`, `TLB`, `RES`, `LOC`, ...).
  public struct Row: Hashable, Sendable {
    /// The name before the colon.
    public var name: String
    /// Counts per CPU, CPU 0 first; rows such as `ERR`/`MIS` print one total instead.
    public var counts: [UInt64]
    /// The text after the counts (`Function call interrupts`, `IO-APIC 5-edge ACPI:Ged`).
    public var description: String

    public init(name: String, counts: [UInt64], description: String) {
      self.name = name
      self.counts = counts
      self.description = description
    }
  }

  /// CPUs in the header (`CPU0 CPU1 ...`).
  public var cpuCount: Int
  /// Rows in file order.
  public var rows: [Row]
  /// The 1-based line of the header in its file.
  public var line: Int

  public init(cpuCount: Int, rows: [Row], line: Int) {
    self.cpuCount = cpuCount
    self.rows = rows
    self.line = line
  }

  /// The row named `name` (`CAL`, `24`).
  public subscript(row name: String) -> Row? { rows.first { $0.name == name } }

  /// Per-CPU increases of every row from `earlier` to `self`, by row name (counters that went
  /// down, as after a CPU hot-unplug, give negative values).
  public func deltas(since earlier: InterruptSnapshot) -> [String: [Int64]] {
    var result: [String: [Int64]] = [:]
    for row in rows {
      guard let before = earlier[row: row.name] else { continue }
      let count = min(row.counts.count, before.counts.count)
      result[row.name] = (0..<count).map { Int64(bitPattern: row.counts[$0] &- before.counts[$0]) }
    }
    return result
  }
}

/// Reads one or many `/proc/interrupts` snapshots from a file (`while :; do cat
/// /proc/interrupts; sleep 1; done > f`); each `CPU0 ...` header starts a snapshot.
public enum InterruptsReader: LineFileReader {
  /// - Throws: ``TraceParseError`` at a row that is not `name: counts description` or comes
  ///   before any header (unless `options.lenient`).
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    snapshots: [InterruptSnapshot], skipped: SkippedLines
  ) {
    var snapshots: [InterruptSnapshot] = []
    var skipped = SkippedLines()
    for (number, line) in input.lines {
      if line.trimmed(of: " \t").isEmpty { continue }
      if isInterruptsHeader(line[...]) {
        let cpus = line.split(separator: " ", omittingEmptySubsequences: true).count
        snapshots.append(InterruptSnapshot(cpuCount: cpus, rows: [], line: number))
        continue
      }
      guard let cpuCount = snapshots.last?.cpuCount, let row = row(line, cpuCount: cpuCount) else {
        try skipped.skipOrThrow(
          TraceParseError(
            reason: .malformedLine(
              expected: snapshots.isEmpty ? "a `CPU0 CPU1 ...` header" : "an interrupt row (`NAME: counts description`)",
              found: line),
            location: InputLocation(file: input.path, line: number)),
          lenient: options.lenient)
        continue
      }
      snapshots[snapshots.count - 1].rows.append(row)
    }
    return (snapshots, skipped)
  }

  static func row(_ line: String, cpuCount: Int) -> InterruptSnapshot.Row? {
    guard let colon = line.firstIndex(of: ":") else { return nil }
    let name = line[..<colon].trimmed(of: " ")
    guard !name.isEmpty, !name.contains(" ") else { return nil }
    var rest = line[line.index(after: colon)...]
    var counts: [UInt64] = []
    // Every leading count, also past the header's CPUs: some arm kernels print IPI rows for
    // CPUs the header (online CPUs) leaves out.
    while counts.count < max(cpuCount, 4096) {
      let afterSpaces = rest.drop { $0 == " " }
      let token = afterSpaces.prefix { $0 != " " }
      guard !token.isEmpty, let value = UInt64(token) else { break }
      counts.append(value)
      rest = afterSpaces[token.endIndex...]
    }
    // A row without counts is only an arm `FIQ:  fiq_glue`-style row: an upper-case name.
    guard !counts.isEmpty || name.allSatisfy({ $0.isUppercase || $0.isNumber }) else { return nil }
    return InterruptSnapshot.Row(name: name, counts: counts, description: rest.trimmed(of: " "))
  }
}
