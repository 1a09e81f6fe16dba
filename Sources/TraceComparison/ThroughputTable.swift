import TraceModel

/// A throughput table as benchmark write-ups print it: a header of thread counts (`1x 2x 4x`)
/// and one row of operations per second per implementation (`freelist: 13086080 22493637 ...`,
/// thousands separators allowed), as in the kretprobe freelist cover letter.
///
/// Several tables may follow each other in one file; each header starts a new one. Titles (a
/// line ending in a colon, or any line before the first header) are skipped; any other line
/// that is neither header nor row is an error.
public struct ThroughputTable: Hashable, Sendable {
  /// One implementation's row.
  public struct Row: Hashable, Sendable {
    public var implementation: String
    /// Operations per second, one per thread count of the header.
    public var operationsPerSecond: [Double]
    public var line: Int
  }

  /// Thread counts of the header, left to right.
  public var threads: [Int]
  public var rows: [Row]

  /// Parses every table in `text`; `path` names the input in errors.
  ///
  /// - Throws: ``TraceParseError`` at the line of a row whose value count differs from its
  ///   header's, a value that is not a number, or (when no header exists) the first line.
  public static func parse(text: String, path: String) throws(TraceParseError) -> [ThroughputTable] {
    var tables: [ThroughputTable] = []
    var lineNumber = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if words.isEmpty { continue }
      if let threads = header(words) {
        tables.append(ThroughputTable(threads: threads, rows: []))
        continue
      }
      let location = InputLocation(file: path, line: lineNumber)
      guard let colon = line.firstIndex(of: ":") else {
        if tables.isEmpty { continue }  // a title before the first table
        throw TraceParseError(
          reason: .malformedLine(expected: "a throughput row (`name: ops/s per thread count`)", found: String(line)),
          location: location)
      }
      let name = line[..<colon].split(separator: " ").joined(separator: " ")
      let valueWords = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
      if valueWords.isEmpty { continue }  // a title ending in a colon (`... 96 CORES (...):`)
      let values = valueWords.map { Double($0.filter { $0 != "," }) }
      guard let table = tables.indices.last else {
        if values.contains(nil) || values.isEmpty { continue }  // a title line with a colon
        throw TraceParseError(
          reason: .malformedLine(expected: "a header of thread counts (`1x 2x 4x ...`) before the rows", found: String(line)),
          location: location)
      }
      if let bad = zip(valueWords, values).first(where: { $0.1 == nil }) {
        throw TraceParseError(reason: .invalidValue(what: "operations per second", found: String(bad.0)), location: location)
      }
      guard values.count == tables[table].threads.count, !name.isEmpty else {
        throw TraceParseError(
          reason: .malformedLine(
            expected: "\(tables[table].threads.count) values after `name:`, one per thread count", found: String(line)),
          location: location)
      }
      tables[table].rows.append(Row(implementation: name, operationsPerSecond: values.map { $0! }, line: lineNumber))
    }
    guard !tables.isEmpty, tables.contains(where: { !$0.rows.isEmpty }) else {
      throw TraceParseError(
        reason: .malformedLine(expected: "a throughput table: a `1x 2x 4x ...` header and `name: values` rows", found: ""),
        location: InputLocation(file: path, line: 1))
    }
    return tables
  }

  /// The thread counts of a header line (`1x 2x 4x` or `1 2 4`), nil when it is not one.
  static func header(_ words: [Substring]) -> [Int]? {
    guard words.count >= 2 else { return nil }
    let counts = words.map { Int($0.hasSuffix("x") ? $0.dropLast() : $0) }
    guard counts.allSatisfy({ $0 != nil }), words.contains(where: { $0.hasSuffix("x") }) else { return nil }
    return counts.map { $0! }
  }
}

extension MetricSet {
  /// Throughput tables: `<implementation>.threads=<n>` in operations per second. When a file
  /// holds several tables, later tables' metrics are named `<implementation>.table<k>.threads=<n>`
  /// (k from 2) so that machines do not mix.
  public static func throughput(_ tables: [ThroughputTable]) -> MetricSet {
    var run: [(name: String, value: Double)] = []
    var implementations: [String] = []
    for (index, table) in tables.enumerated() {
      for row in table.rows {
        if !implementations.contains(row.implementation) { implementations.append(row.implementation) }
        let prefix = index == 0 ? row.implementation : "\(row.implementation).table\(index + 1)"
        for (threads, value) in zip(table.threads, row.operationsPerSecond) {
          run.append(("\(prefix).threads=\(threads)", value))
        }
      }
    }
    return MetricSet(run: run, throughputImplementations: implementations)
  }
}
