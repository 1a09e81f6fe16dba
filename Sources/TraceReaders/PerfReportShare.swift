import TraceModel

/// One entry of `perf report --stdio`: a percentage line and the call graph printed under it.
public struct PerfReportEntry: Hashable, Sendable {
  /// One line of the call graph under an entry (`|--24.26%--cls_bpf_classify`, `exc_int3`).
  public struct CallGraphLine: Hashable, Sendable {
    /// The function (or address) the line names.
    public var symbol: String
    /// The branch percentage of a `--N%--` line; nil for lines that continue a chain.
    public var percent: Double?
    public init(symbol: String, percent: Double? = nil) {
      self.symbol = symbol
      self.percent = percent
    }
  }

  /// The first percentage column: `Children` when the report has children columns, otherwise
  /// `Overhead` (self), in percent of all samples.
  public var percent: Double
  /// The `Self` column of a report with children (`perf report --children`); nil otherwise.
  public var selfPercent: Double?
  /// The command column, when printed.
  public var command: String?
  /// The shared-object column (`[kernel.kallsyms]`, `libc.so.6`), when printed.
  public var sharedObject: String?
  /// Whether the symbol is a kernel one (`[k]`); nil when the report prints no `[k]`/`[.]` marker.
  public var isKernel: Bool?
  /// The symbol as printed.
  public var symbol: String
  /// The call-graph lines under the entry, in print order. In a report without children
  /// (the seed's, perf's `caller` graph) the first names the symbol itself and the rest are its
  /// callers, innermost first; with `--children` the order is perf's `-g` order.
  public var callGraph: [CallGraphLine]
  /// The 1-based line of the entry.
  public var line: Int

  public init(
    percent: Double, selfPercent: Double? = nil, command: String? = nil, sharedObject: String? = nil,
    isKernel: Bool? = nil, symbol: String, callGraph: [CallGraphLine] = [], line: Int
  ) {
    self.percent = percent
    self.selfPercent = selfPercent
    self.command = command
    self.sharedObject = sharedObject
    self.isKernel = isKernel
    self.symbol = symbol
    self.callGraph = callGraph
    self.line = line
  }

  /// The call-graph lines without a leading line naming the entry's own symbol: its callers in
  /// a report without children (`exc_int3`, `asm_exc_int3`, ... under `poke_int3_handler`).
  public var callers: [CallGraphLine] {
    callGraph.first?.symbol == symbol ? Array(callGraph.dropFirst()) : callGraph
  }
}

/// The share of one symbol in a `perf report --stdio` text (e.g. the seed's 51.30%
/// `poke_int3_handler`), over every entry naming it (one per command and shared object).
public struct PerfReportShare: Hashable, Sendable {
  /// The symbol asked for.
  public var symbol: String
  /// The entries naming the symbol, in report order (highest first).
  public var entries: [PerfReportEntry]

  public init(symbol: String, entries: [PerfReportEntry]) {
    self.symbol = symbol
    self.entries = entries
  }

  /// The sum of the entries' first column (`Overhead`, or `Children`), in percent. Entries of
  /// different commands count disjoint samples, so they add.
  public var percent: Double { entries.reduce(0) { $0 + $1.percent } }

  /// The sum of the entries' `Self` column, when the report has one.
  public var selfPercent: Double? {
    let values = entries.compactMap(\.selfPercent)
    return values.isEmpty ? nil : values.reduce(0, +)
  }

  /// The callers listed under the first (largest) entry.
  public var callers: [PerfReportEntry.CallGraphLine] { entries.first?.callers ?? [] }

  /// Reads a `perf report --stdio` file and returns the share of `symbol`, or nil when no
  /// entry names it.
  ///
  /// - Throws: ``TraceParseError`` at a line before the first entry that is neither a `#`
  ///   comment nor blank (unless `options.lenient`), or when the file cannot be read.
  public static func read(path: String, symbol: String, options: TextReaderOptions = TextReaderOptions())
    throws(TraceParseError) -> PerfReportShare?
  {
    let entries = try PerfReportReader.read(path: path, options: options).entries.filter { $0.symbol == symbol }
    return entries.isEmpty ? nil : PerfReportShare(symbol: symbol, entries: entries)
  }
}

/// Reads the entries of `perf report --stdio` text (with or without `--children`, with or without
/// call graphs, and mail-flattened like the seed's, whose indentation was lost).
public enum PerfReportReader: LineFileReader {
  /// The sample count as printed (`31K`) and the event of the header's `# Samples: 31K of
  /// event 'cpu-clock'` line (nil when the report has none).
  public static func header(path: String) throws(TraceParseError) -> (event: String?, samples: String?) {
    var reader = try LineReader(path: path)
    let head = String(decoding: try reader.peek().prefix(16 << 10), as: UTF8.self)
    for line in head.split(separator: "\n").prefix(100) where line.hasPrefix("# Samples: ") {
      let words = line.dropFirst(11).split(separator: " ")
      let event = line.split(separator: "'", omittingEmptySubsequences: false).dropFirst().first.map(String.init)
      return (event, words.first.map(String.init))
    }
    return (nil, nil)
  }

  /// - Throws: ``TraceParseError`` at a line before the first entry that is neither a `#`
  ///   comment nor blank (unless `options.lenient`).
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    entries: [PerfReportEntry], skipped: SkippedLines
  ) {
    var entries: [PerfReportEntry] = []
    var skipped = SkippedLines()
    var inGraph = false
    for (number, line) in input.lines {
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.isEmpty {
        inGraph = false
        continue
      }
      if trimmed.first == "#" { continue }
      if let entry = entry(trimmed, line: number) {
        entries.append(entry)
        inGraph = true
        continue
      }
      if inGraph {
        if let graphLine = callGraphLine(trimmed) { entries[entries.count - 1].callGraph.append(graphLine) }
        continue
      }
      try skipped.skipOrThrow(
        TraceParseError(
          reason: .malformedLine(
            expected: "a perf report entry (N.NN% [N.NN%] command object [k] symbol) or a # comment",
            found: line),
          location: InputLocation(file: input.path, line: number)),
        lenient: options.lenient)
    }
    return (entries, skipped)
  }

  /// `12.34%`'s number.
  static func percentage(_ token: Substring) -> Double? {
    guard token.last == "%" else { return nil }
    return Double(token.dropLast())
  }

  /// `51.30% server_bin [kernel.kallsyms] [k] poke_int3_handler`, with an optional second
  /// (Self) percentage; nil when the line does not start with a percentage and a space.
  static func entry(_ line: Substring, line number: Int) -> PerfReportEntry? {
    guard let first = line.first, first.isNumber else { return nil }
    var tokens = line.split(separator: " ", omittingEmptySubsequences: true)[...]
    guard let percent = tokens.first.flatMap(percentage) else { return nil }
    tokens = tokens.dropFirst()
    var selfPercent: Double?
    if let second = tokens.first.flatMap(percentage) {
      selfPercent = second
      tokens = tokens.dropFirst()
    }
    guard !tokens.isEmpty else { return nil }
    var entry = PerfReportEntry(percent: percent, selfPercent: selfPercent, symbol: "", line: number)
    if let marker = tokens.firstIndex(where: { $0.count == 3 && $0.first == "[" && $0.last == "]" }) {
      let kind = tokens[marker]
      entry.isKernel = kind == "[k]"
      // The symbol is the rest of the line after the marker (C++ names have spaces).
      let afterMarker = line[tokens[marker].endIndex...].drop { $0 == " " }
      entry.symbol = String(afterMarker.trimmingTrailingSpaces)
      let columns = tokens[tokens.startIndex..<marker]
      if let object = columns.last {
        entry.sharedObject = String(object)
        let command = columns.dropLast()
        if !command.isEmpty { entry.command = command.joined(separator: " ") }
      }
    } else {
      entry.symbol = String(tokens.last!)
      if tokens.count >= 2 { entry.command = String(tokens.first!) }
    }
    return entry
  }

  /// `|--24.26%--cls_bpf_classify`, `---pv_native_safe_halt`, `| | tcf_classify` or `default_idle`;
  /// nil for graph lines that hold only `|` and spaces.
  static func callGraphLine(_ line: Substring) -> PerfReportEntry.CallGraphLine? {
    var rest = line.drop { $0 == " " || $0 == "|" || $0 == "\t" }
    var percent: Double?
    if rest.hasPrefix("--") {
      rest = rest.drop { $0 == "-" }
      if let end = rest.range(of: "%--"), let value = Double(rest[..<end.lowerBound]) {
        percent = value
        rest = rest[end.upperBound...]
      }
    }
    let symbol = rest.trimmingTrailingSpaces
    guard !symbol.isEmpty else { return nil }
    return PerfReportEntry.CallGraphLine(symbol: String(symbol), percent: percent)
  }
}

extension Substring {
  fileprivate var trimmingTrailingSpaces: Substring {
    var s = self
    while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
    return s
  }
}
