import TraceModel

/// The kinds of input pokestat reads, told apart by content (never by file name).
public enum InputFormat: String, Hashable, Sendable, CaseIterable {
  /// trace-cmd's binary trace.dat (read by `TraceNative`).
  case traceDat
  /// The tracefs `trace` / `trace_pipe` text (any tracer, including function_graph).
  case ftraceText
  /// `trace-cmd report` text.
  case traceCmdReport
  /// `perf script` text.
  case perfScript
  /// `perf report --stdio` text.
  case perfReport
  /// `perf stat` default text.
  case perfStatText
  /// `perf stat -x,` CSV.
  case perfStatCSV
  /// `perf stat -j` JSON lines.
  case perfStatJSON
  /// `bpftool prog show` text.
  case bpftoolText
  /// `bpftool prog show --json`.
  case bpftoolJSON
  /// `/proc/interrupts` snapshots.
  case procInterrupts
  /// Kernel log text (`dmesg`, or printk lines without timestamps).
  case dmesg
}

/// The trace.dat magic: `0x17 0x08 0x44` then `tracing`.
let traceDatMagic = TraceDatFormat.magic

/// The format of an input from its first bytes (a few kilobytes are enough), or nil when it is
/// none pokestat reads. Compressed bytes give nil: see ``detectInput(path:)``.
///
/// Text rules, on the first lines that are not blank: `cpus=`/`version =` → report; `# tracer:`
/// → tracefs; `Performance counter stats` → perf stat; `{"counter-value"` → perf stat JSON; a
/// `value,unit,event,...` line → perf stat CSV; `[{"id":` → bpftool JSON; `12: type  name`/`tag` →
/// bpftool; a `CPU0 CPU1 ...` header → /proc/interrupts; `[  12.345678] ` → dmesg; `# Overhead` /
/// `# Samples:` / `12.34%  comm` → perf report; a `\t<hex> sym (dso)` callchain line or a
/// `sys:event:` name → perf script; other `comm-pid [cpu] s.frac: name:` lines → tracefs text.
public func detectFormat(firstBytes: some Collection<UInt8>) -> InputFormat? {
  let head = Array(firstBytes.prefix(64 << 10))
  if head.starts(with: traceDatMagic) { return .traceDat }
  if Compression(firstBytes: head) != .none { return nil }
  if head.contains(0) { return nil }
  let text = String(decoding: head, as: UTF8.self)
  var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
    $0.hasSuffix("\r") ? $0.dropLast() : $0
  }
  // The last line of a prefix may be cut off; keep it only if it is the only one.
  if lines.count > 1, head.last != UInt8(ascii: "\n") { lines.removeLast() }
  lines = lines.filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
  guard let first = lines.first else { return nil }
  let firstTrimmed = first.drop { $0 == " " || $0 == "\t" }
  if first.hasPrefix("cpus=") || first.hasPrefix("version =") { return .traceCmdReport }
  if first.hasPrefix("# tracer:") { return .ftraceText }
  if firstTrimmed.hasPrefix("{\"counter-value\"") || firstTrimmed.hasPrefix("{\"interval\"") { return .perfStatJSON }
  if firstTrimmed.hasPrefix("[{\"id\":") || firstTrimmed.hasPrefix("{\"id\":") { return .bpftoolJSON }
  if isInterruptsHeader(first) { return .procInterrupts }
  for line in lines.prefix(200) {
    let trimmed = line.drop { $0 == " " || $0 == "\t" }
    if trimmed.hasPrefix("Performance counter stats") { return .perfStatText }
    if line.hasPrefix("# Overhead") || line.hasPrefix("# Samples:") || line.hasPrefix("# To display the perf.data") {
      return .perfReport
    }
  }
  if isPerfStatCSV(first) { return .perfStatCSV }
  if isBpftoolHeader(first) { return .bpftoolText }
  if isDmesgLine(first) { return .dmesg }
  if isPerfReportPercentLine(first) { return .perfReport }
  for line in lines.prefix(200) {
    if line.hasPrefix("\t") || line.hasPrefix(" "), isPerfCallchainLine(line) { return .perfScript }
  }
  // `perf script -G -F event,ip,sym,dso`: `cpu-clock:  7f39e03b93e0 sym (dso)`.
  if let space = first.firstIndex(of: " "), first[..<space].hasSuffix(":"),
    isPerfCallchainLine(Substring("\t" + first[space...]))
  {
    return .perfScript
  }
  for line in lines.prefix(200) where !line.hasPrefix("#") {
    if let kind = eventLineKind(line) { return kind }
  }
  // perf script without `[cpu]` (no `-a`, no callchain to recognize): `comm pid s.frac: [period] event:`,
  // `-F comm,tid,time,event`, `-F time,event,ip,sym`.
  for line in lines.prefix(200) where !line.hasPrefix("#") {
    if isPerfSampleLineWithoutCPU(line) { return .perfScript }
  }
  for line in lines.prefix(200) {
    if line.hasPrefix("Took "), line.hasSuffix(" usec") { return .dmesg }
    if line.contains("(nr_entries=") { return .dmesg }
  }
  return nil
}

/// Opens `path` (`-` is standard input), decompresses it when it is gzip or zstd, and detects
/// its format from the first block.
///
/// - Throws: ``TraceParseError`` with ``TraceParseError/Reason/emptyInput`` for an empty input,
///   ``TraceParseError/Reason/unrecognizedFormat(detail:)`` when no rule matches, or a read error.
public func detectInput(path: String) throws(TraceParseError) -> (format: InputFormat, compression: Compression) {
  var compression = Compression.none
  if path != "-" {
    var magic = LineReader(channel: try ByteChannel.openUncompressed(path))
    compression = Compression(firstBytes: try magic.peek().prefix(4))
  }
  var reader = try LineReader(path: path)
  let head = try reader.peek()
  guard !head.isEmpty else {
    throw TraceParseError(reason: .emptyInput, location: InputLocation(file: path))
  }
  guard let format = detectFormat(firstBytes: head) else {
    let preview = String(decoding: head.prefix(60), as: UTF8.self)
    throw TraceParseError(
      reason: .unrecognizedFormat(
        detail: head.contains(0) ? "binary data that is not trace.dat" : "first bytes \"\(preview)\""),
      location: InputLocation(file: path, line: 1))
  }
  return (format, compression)
}

// MARK: - Line shapes

func isInterruptsHeader(_ line: Substring) -> Bool {
  let words = line.split(separator: " ", omittingEmptySubsequences: true)
  guard !words.isEmpty else { return false }
  return words.enumerated().allSatisfy { $0.element == "CPU\($0.offset)" }
}

func isPerfStatCSV(_ line: Substring) -> Bool {
  let parts = line.split(separator: ",", omittingEmptySubsequences: false)
  guard parts.count >= 4 else { return false }
  // value,unit,event,... or CPUn,value,unit,event,... (-A)
  let offset = parts[0].hasPrefix("CPU") ? 1 : 0
  guard parts.count >= offset + 4 else { return false }
  let value = parts[offset]
  let isValue = Double(value) != nil || value == "<not supported>" || value == "<not counted>"
  return isValue && !parts[offset + 2].isEmpty && Double(parts[offset + 2]) == nil
}

func isBpftoolHeader(_ line: Substring) -> Bool {
  guard let colon = line.firstIndex(of: ":"), Int(line[..<colon]) != nil else { return false }
  let rest = line[line.index(after: colon)...]
  return rest.contains(" tag ") || rest.contains(" name ")
}

func isDmesgLine(_ line: Substring) -> Bool {
  guard line.first == "[", let close = line.firstIndex(of: "]") else { return false }
  let inside = line[line.index(after: line.startIndex)..<close].drop { $0 == " " }
  return Double(inside) != nil
}

func isPerfReportPercentLine(_ line: Substring) -> Bool {
  let trimmed = line.drop { $0 == " " }
  guard let percent = trimmed.firstIndex(of: "%") else { return false }
  return Double(trimmed[..<percent]) != nil && trimmed[trimmed.index(after: percent)...].first == " "
}

/// A perf script callchain frame: indented, a hex address, a symbol, and a `(dso)` (`[` or `/`
/// inside: `([kernel.kallsyms])`, `(/usr/lib/…)`, `([unknown])`); tab-indented frames of
/// `-F ip,sym` may have no dso.
func isPerfCallchainLine(_ line: Substring) -> Bool {
  let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
  guard words.count >= 2, let last = words.last, UInt64(words[0], radix: 16) != nil else { return false }
  if last.hasPrefix("(") && last.hasSuffix(")") {
    return line.contains(" ([") || line.contains(" (/")
  }
  return line.hasPrefix("\t")
}

/// Whether a `comm... [cpu] s.frac: name:` line is perf script (`comm pid [cpu]`, `sys:name:`
/// or `N cpu-clock:`) or ftrace text (`comm-pid [cpu]`).
func eventLineKind(_ line: Substring) -> InputFormat? {
  guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]"),
    Int(line[line.index(after: open)..<close]) != nil
  else { return nil }
  let after = line[line.index(after: close)...]
  guard let colon = after.range(of: ": ") else { return nil }
  let beforeColon = after[..<colon.lowerBound].split(separator: " ").last ?? ""
  guard beforeColon.contains("."), Double(beforeColon) != nil else { return nil }
  let rest = after[colon.upperBound...].drop { $0 == " " }
  let name = rest.prefix { $0 != " " }
  let task = line[..<open].split(separator: " ")
  if name.dropLast().contains(":") { return .perfScript }
  if let number = task.last, task.count >= 2,
    Int(number) != nil || number.split(separator: "/").count == 2 && number.split(separator: "/").allSatisfy({ Int($0) != nil })
  {
    return .perfScript
  }
  if UInt64(name) != nil { return .perfScript }
  return .ftraceText
}

/// A perf script sample header without a `[cpu]` column: a `seconds.fraction:` token that
/// opens the line or follows a pid (`pid`, `pid/tid`) or a comm, then an optional period, then an
/// `event:` token. tracefs and trace-cmd report lines always print `[cpu]`, so such a line is
/// never ftrace text.
func isPerfSampleLineWithoutCPU(_ line: Substring) -> Bool {
  let words = line.split(separator: " ", omittingEmptySubsequences: true)
  guard let time = words.prefix(8).firstIndex(where: isSecondsToken) else { return false }
  // Before the time: nothing, a pid, or a comm (`sleep`, `kworker/0:1`) followed by a pid.
  if time > words.startIndex, let before = words[..<time].last, before.hasPrefix("[") { return false }
  var next = words.index(after: time)
  if next < words.endIndex, UInt64(words[next]) != nil { next = words.index(after: next) }
  guard next < words.endIndex else { return false }
  let event = words[next]
  return event.count > 1 && event.hasSuffix(":") && !event.dropLast().contains(where: { $0 == "=" || $0 == "[" })
}

/// `1074.456594:` or `1486.566128604:` (`--ns`).
private func isSecondsToken(_ word: Substring) -> Bool {
  guard word.hasSuffix(":") else { return false }
  let number = word.dropLast()
  guard let dot = number.firstIndex(of: "."), dot != number.startIndex else { return false }
  let fraction = number[number.index(after: dot)...]
  return !fraction.isEmpty && number[..<dot].allSatisfy(\.isASCIIDigit) && fraction.allSatisfy(\.isASCIIDigit)
}

private extension Character {
  var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Checks that `path` can be opened for reading (`-`, standard input, always can), with the
/// error every reader gives for a missing or unreadable file.
///
/// - Throws: ``TraceParseError`` `.readFailed` naming the file and `open`'s errno text.
public func requireReadable(path: String) throws(TraceParseError) {
  guard path != "-" else { return }
  _ = try ByteChannel.openUncompressed(path)
}

extension ByteChannel {
  /// Opens a file without decompressing it, to look at its magic.
  static func openUncompressed(_ path: String) throws(TraceParseError) -> ByteChannel {
    try open(path, decompress: false)
  }
}
