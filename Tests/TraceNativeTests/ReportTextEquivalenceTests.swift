import Foundation
import Testing
import TraceModel
import TraceNative
import TraceReaders
import TraceTestSupport

/// The same trace read as trace.dat (``TraceDatReader``) and as `trace-cmd report` text
/// (``FtraceTextSource``) must give the same events.
///
/// Compared per event, in each (buffer, CPU) stream's order: timestamp to the microsecond (the
/// report prints µs), CPU, pid, comm, system, name, buffer, lost-event notices, kernel stacks
/// (symbols and addresses), and every field both readers have. Where they must differ, and why
/// (also in docs/formats.md, "trace.dat versus report text"):
/// - function_graph: the report prints a leaf call as one line (`func();` with its duration), so
///   the text reader makes the exit from the entry: its timestamp is entry + duration, not the
///   ring buffer's exit time, and the order against other buffers' events can differ (the
///   report merges a leaf only within its own buffer). Exit timestamps of leaf calls are not
///   compared, and streams are compared per (buffer, CPU), not in the global order.
/// - field formatting: the report prints addresses as symbols (`callsite=on_each_cpu_cond_mask+0x20`,
///   function_graph `func`) where trace.dat holds the address; they are compared through the
///   trace's kallsyms. Fields the report does not print (function_graph `calltime`, `rettime`,
///   `overrun`; kprobe `__probe_ip` as a number) are compared where both have them only.
/// - kernel stacks: kallsyms can hold two names for one address (`ftrace_ops_list_func` and
///   `arch_ftrace_ops_list_func`); a frame with the same address under an alias is the same frame.
/// - kretprobes: trace-cmd prints the format's `(%lx <- %lx)` of `__probe_func, __probe_ret_ip`
///   as bare hex, which the text reader reads as numbers in that order.
/// - comm: the report prints the comm it saved for the pid (`<...>` when it has none), as the
///   trace.dat reader does, so comm is compared as is.
@Suite("trace.dat and trace-cmd report text give the same event stream")
struct ReportTextEquivalenceTests {
  static let fixtures = Fixtures.files(in: "tracedat", suffix: ".v7zstd.dat")

  @Test(
    "every trace.dat fixture and its trace-cmd report text agree event by event",
    .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
    arguments: fixtures)
  func sameEvents(_ fixture: String) throws {
    #expect(Self.fixtures.count >= 5)
    let dat = try TraceDatReader(path: Fixtures.url(fixture).path)
    var binary: [TraceEvent] = []
    try dat.forEachEventInTimeOrder(fields: .all) { binary.append($0) }

    let report = try Fixtures.run(
      Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["report", Fixtures.url(fixture).path])
    let reportPath = NSTemporaryDirectory() + "pokestat-equivalence-\(UUID().uuidString).txt"
    try Data(report.utf8).write(to: URL(fileURLWithPath: reportPath))
    defer { try? FileManager.default.removeItem(atPath: reportPath) }
    let (text, skipped) = try FtraceTextSource(path: reportPath).readAll()
    #expect(skipped.count == 0)
    #expect(text.count == binary.count, "events: report text \(text.count), trace.dat \(binary.count)")

    // The report text is in global time order too (to the µs).
    #expect(
      zip(text, text.dropFirst()).allSatisfy {
        $0.timestamp.nanoseconds / 1000 <= $1.timestamp.nanoseconds / 1000 || $1.name == "funcgraph_exit"
          || $0.name == "funcgraph_exit"
      })

    let binaryStreams = Dictionary(grouping: binary) { StreamKey(buffer: $0.buffer, cpu: $0.cpu) }
    let textStreams = Dictionary(grouping: text) { StreamKey(buffer: $0.buffer, cpu: $0.cpu) }
    #expect(Set(binaryStreams.keys) == Set(textStreams.keys))
    var differences: [String] = []
    var compared = 0
    for (key, fromDat) in binaryStreams.sorted(by: { $0.key < $1.key }) {
      let fromText = textStreams[key] ?? []
      if fromText.count != fromDat.count {
        differences.append("\(key): \(fromText.count) events in the report text, \(fromDat.count) in trace.dat")
      }
      for (index, (a, b)) in zip(fromDat, fromText).enumerated() {
        compared += 1
        for difference in Self.differences(dat: a, text: b, symbols: dat.metadata.symbols) {
          differences.append("\(key) event \(index) (\(a.name) @ \(a.timestamp)): \(difference)")
        }
      }
    }
    #expect(compared == binary.count)
    #expect(
      differences.isEmpty, "\(differences.count) differences, first: \(differences.prefix(12).joined(separator: "\n"))")
  }

  static let everyTraceDat = Fixtures.files(in: "tracedat", suffix: ".dat") + Fixtures.files(in: "tracedat", suffix: ".dat.gz")

  /// One rule for kernel stacks (docs/formats.md, "Kernel stacks"): a stack is an event of its
  /// own, folded into the event before it. trace.dat counts its `kernel_stack` records, the
  /// report text its stack blocks, and both equal the report's own lines (awk-style count of
  /// event lines, `kernel_stack:` lines included).
  @Test(
    "trace.dat and its report text count the same events, kernel stacks included",
    .enabled(if: Fixtures.canRun(with: "trace-cmd"), "trace-cmd is not installed (apt-get install trace-cmd)"),
    arguments: everyTraceDat)
  func sameEventCountWithStacks(_ fixture: String) throws {
    #expect(Self.everyTraceDat.count >= 10)
    let file = try Fixtures.materialize(fixture)
    let dat = try TraceDatReader(path: file.path)
    var datReturned = 0
    let datFolded = try dat.forEachEventInTimeOrder(fields: .all) { _ in datReturned += 1 }
    // Debian's trace-cmd cannot read zlib: the report of a zlib re-encoding is its zstd original's.
    let reported = fixture.hasSuffix(".v7zlib.dat") ? Fixtures.url(fixture.replacingOccurrences(of: ".v7zlib.dat", with: ".v7zstd.dat")) : file
    let report = try Fixtures.run(Fixtures.which("trace-cmd") ?? "/usr/bin/trace-cmd", ["report", reported.path])
    let reportPath = NSTemporaryDirectory() + "pokestat-stackrule-\(UUID().uuidString).txt"
    try Data(report.utf8).write(to: URL(fileURLWithPath: reportPath))
    defer { try? FileManager.default.removeItem(atPath: reportPath) }
    let text = try FtraceTextSource(path: reportPath)
    var textReturned = 0
    let textFolded = try text.forEachEventInTimeOrder(fields: .all) { _ in textReturned += 1 }
    // The report's event lines: `comm-pid [cpu] seconds: name:` (with an instance prefix).
    let lines = report.split(separator: "\n").filter { line in
      guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]"),
        Int(line[line.index(after: open)..<close]) != nil else { return false }
      return line[close...].contains(": ")
    }
    let stackLines = lines.filter { $0.contains(" kernel_stack: ") || $0.contains(" <stack trace>") }.count
    // A function_graph leaf (`funcgraph_entry: … |  func();`) is two records, entry and exit.
    let leaves = lines.filter { $0.contains(" funcgraph_entry: ") && $0.hasSuffix(");") }.count
    #expect(datReturned + datFolded == lines.count + leaves, "trace.dat")
    #expect(textReturned + textFolded == lines.count + leaves, "report text")
    #expect(textFolded == stackLines)
    #expect(datReturned == textReturned)
  }

  struct StreamKey: Hashable, Comparable, CustomStringConvertible {
    var buffer: String
    var cpu: Int
    static func < (a: StreamKey, b: StreamKey) -> Bool { (a.buffer, a.cpu) < (b.buffer, b.cpu) }
    var description: String { "\(buffer.isEmpty ? "top" : buffer)/cpu\(cpu)" }
  }

  /// What differs between the trace.dat event and the report text event, apart from the
  /// documented differences.
  static func differences(dat: TraceEvent, text: TraceEvent, symbols: SymbolTable) -> [String] {
    var found: [String] = []
    let isLeafExit = text.name == "funcgraph_exit" && text.info?.hasSuffix(";") == true
    // trace-cmd report rounds nanoseconds to the nearest microsecond.
    if (dat.timestamp.nanoseconds + 500) / 1000 != text.timestamp.nanoseconds / 1000, !isLeafExit {
      found.append("timestamp \(dat.timestamp) vs \(text.timestamp)")
    }
    if dat.cpu != text.cpu { found.append("cpu \(dat.cpu) vs \(text.cpu)") }
    if dat.pid != text.pid { found.append("pid \(dat.pid) vs \(text.pid)") }
    if dat.comm != text.comm { found.append("comm \(dat.comm) vs \(text.comm)") }
    if dat.system != text.system { found.append("system \(dat.system) vs \(text.system)") }
    if dat.name != text.name { found.append("name \(dat.name) vs \(text.name)") }
    if dat.lostBefore != text.lostBefore { found.append("lostBefore \(dat.lostBefore) vs \(text.lostBefore)") }
    // kallsyms can name one address twice (`ftrace_ops_list_func`, `arch_ftrace_ops_list_func`);
    // trace-cmd and pokestat may print different aliases: the same address is the same frame.
    func sameFrame(_ a: KernelStack.Frame, _ b: KernelStack.Frame) -> Bool {
      guard a.symbol != b.symbol else { return true }
      guard let x = a.symbol, let y = b.symbol, a.address == b.address, a.address != 0 else { return false }
      return symbols.address(of: x) != nil && symbols.address(of: x) == symbols.address(of: y)
    }
    let datFrames = dat.stack?.frames ?? []
    let textFrames = text.stack?.frames ?? []
    if (dat.stack == nil) != (text.stack == nil) || datFrames.count != textFrames.count
      || !zip(datFrames, textFrames).allSatisfy(sameFrame)
    {
      let first = zip(datFrames, textFrames).first { !sameFrame($0, $1) }
      found.append(
        "stack symbols \(dat.stack?.frames.count ?? -1) vs \(text.stack?.frames.count ?? -1) frames"
          + (first.map {
            " (\($0.symbol ?? "nil")@\(String($0.address, radix: 16)) vs \($1.symbol ?? "nil")@\(String($1.address, radix: 16)))"
          } ?? ""))
    } else if dat.stack?.frames.map(\.address) != text.stack?.frames.map(\.address) {
      found.append("stack addresses")
    }
    let textFields = Dictionary(text.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    for field in dat.fields {
      guard let other = textFields[field.name] else { continue }
      if !sameValue(field.value, other, symbols: symbols) {
        found.append("field \(field.name): \(field.value) vs \(other)")
      }
    }
    if case .unsigned(let duration)? = textFields["duration_ns"], let call = dat[field: "calltime"]?.unsignedValue,
      let ret = dat[field: "rettime"]?.unsignedValue, ret &- call != duration
    {
      found.append("function_graph duration \(ret &- call) ns vs \(duration) ns")
    }
    return found
  }

  /// Equal values, or an address and the `symbol+0xoffset` (or `symbol`) the report printed for it.
  static func sameValue(_ dat: FieldValue, _ text: FieldValue, symbols: SymbolTable) -> Bool {
    if dat == text { return true }
    if let a = dat.unsignedValue, let b = text.unsignedValue, case .string = text {
      return a == b
    }
    if let a = dat.unsignedValue, let b = text.unsignedValue, a == b { return true }
    if let address = dat.unsignedValue, case .string(let printed) = text {
      guard let (name, offset) = symbols.symbolize(address) else { return false }
      let parts = printed.split(separator: "+", maxSplits: 1)
      guard parts.first.map(String.init) == name else { return false }
      if parts.count == 2 {
        let offsetText = parts[1].split(separator: "/").first ?? ""
        return UInt64(offsetText.dropFirst(2), radix: 16) == offset
      }
      return true
    }
    return false
  }
}
