import Foundation
import TraceModel

/// function_graph lines (`[abstime |] cpu) [proc] [marker duration us] | body`), as
/// `funcgraph_entry` and `funcgraph_exit` events with `depth`, `func` and `duration_ns`.
extension FtraceTextStream {
  /// Parses `[abstime |] cpu) [proc] [marker duration us] | body`; nil if not that layout.
  mutating func parseFunctionGraph(_ b: [UInt8], _ start: Int, _ end: Int, bufferName: String)
    -> [TraceEvent]?
  {
    var i = start
    var timestamp: UInt64 = 0
    var k = i
    guard let firstNumber = Self.parseDecimal(b, &k, end) else { return nil }
    if k < end, b[k] == Byte.dot {
      // abstime: `4.571823 |`
      var m = k + 1
      let fractionStart = m
      guard let fraction = Self.parseDecimal(b, &m, end) else { return nil }
      var n = m
      while n < end, b[n] == Byte.space { n += 1 }
      guard n < end, b[n] == Byte.bar else { return nil }
      timestamp = Timestamp(seconds: firstNumber, fractionDigits: fraction, digitCount: m - fractionStart).nanoseconds
      i = n + 1
      while i < end, b[i] == Byte.space { i += 1 }
      k = i
      guard Self.parseDecimal(b, &k, end) != nil else { return nil }
    }
    guard k < end, b[k] == Byte.closeParen else { return nil }
    var c = i
    let cpu = Int(clamping: Self.parseDecimal(b, &c, end) ?? 0)
    // Columns up to the body's '|'.
    guard let bar = Self.firstIndex(of: Byte.bar, in: b, k + 1, end) else { return nil }
    let columns = EscapedText.string(b[(k + 1)..<bar])
    var durationNs: UInt64?
    var comm = ""
    var pid: Int32 = -1
    let tokens = columns.split(separator: " ")
    for (index, token) in tokens.enumerated() {
      if token == "us", index > 0 {
        durationNs = Self.microsecondsToNanoseconds(tokens[index - 1])
      } else if let dash = token.lastIndex(of: "-"), let p = Int32(token[token.index(after: dash)...]),
        index + 1 < tokens.count, tokens[index + 1] != "us"
      {
        comm = String(token[..<dash])
        pid = p
      }
    }
    return graphBody(
      b, from: bar + 1, to: end, timestamp: timestamp, cpu: cpu, pid: pid, comm: comm, bufferName: bufferName,
      durationNs: durationNs)
  }

  /// The events of a function_graph body after its `|` column (`  func() {`, `    leaf();`, `  }`,
  /// `  /* text */`), at `timestamp` (0 when the layout has none).
  mutating func graphBody(
    _ b: [UInt8], from bodyColumn: Int, to end: Int, timestamp: UInt64, cpu: Int, pid: Int32, comm: String,
    bufferName: String, durationNs: UInt64?
  ) -> [TraceEvent] {
    // Body: depth from the indentation (2 spaces per level after the first).
    var bodyStart = bodyColumn
    var spaces = 0
    while bodyStart < end, b[bodyStart] == Byte.space {
      spaces += 1
      bodyStart += 1
    }
    var bodyEnd = end
    while bodyEnd > bodyStart, b[bodyEnd - 1] == Byte.space { bodyEnd -= 1 }
    let body = EscapedText.string(b[bodyStart..<bodyEnd])
    let depth = max(0, (spaces - 2) / 2)
    let time = Timestamp(nanoseconds: timestamp)
    let lost = lostByCPU.isEmpty ? 0 : lostByCPU.removeValue(forKey: cpu) ?? 0
    func event(_ name: String, _ fields: [EventField], at stamp: Timestamp, info: String) -> TraceEvent {
      TraceEvent(
        timestamp: stamp, cpu: cpu, pid: pid, comm: comm, system: "ftrace", name: name,
        fields: self.fields.wants(system: "ftrace", name: name) ? fields : [], buffer: bufferName,
        lostBefore: lost, info: info)
    }
    if body.hasPrefix("/*") {
      let text = body.dropFirst(2).dropLast(body.hasSuffix("*/") ? 2 : 0).trimmed(of: " ")
      return [event("print", [EventField(name: "buf", value: .string(text))], at: time, info: body)]
    }
    if body.hasPrefix("}") {
      var function = ""
      if let open = body.range(of: "/* "), let close = body.range(of: " */") {
        function = String(body[open.upperBound..<close.lowerBound])
      }
      if var stack = openFunctions[cpu], !stack.isEmpty {
        let top = stack.removeLast()
        openFunctions[cpu] = stack
        if function.isEmpty { function = top }
      }
      var fields = [
        EventField(name: "func", value: .string(function)),
        EventField(name: "depth", value: .unsigned(UInt64(depth))),
      ]
      if let durationNs { fields.append(EventField(name: "duration_ns", value: .unsigned(durationNs))) }
      return [event("funcgraph_exit", fields, at: time, info: body)]
    }
    if body.hasSuffix("() {") || body.hasSuffix("();") {
      let function = String(body.prefix { $0 != "(" })
      let entry = event(
        "funcgraph_entry",
        [
          EventField(name: "func", value: .string(function)),
          EventField(name: "depth", value: .unsigned(UInt64(depth))),
        ], at: time, info: body)
      if body.hasSuffix("{") {
        openFunctions[cpu, default: []].append(function)
        return [entry]
      }
      var exitFields = [
        EventField(name: "func", value: .string(function)),
        EventField(name: "depth", value: .unsigned(UInt64(depth))),
      ]
      if let durationNs { exitFields.append(EventField(name: "duration_ns", value: .unsigned(durationNs))) }
      var exit = event(
        "funcgraph_exit", exitFields,
        at: timestamp == 0 ? time : Timestamp(nanoseconds: timestamp &+ (durationNs ?? 0)), info: body)
      exit.lostBefore = 0
      return [entry, exit]
    }
    // `==========>` / `<==========` interrupt markers and other annotations carry no event.
    return []
  }

  static func firstIndex(of byte: UInt8, in b: [UInt8], _ start: Int, _ end: Int) -> Int? {
    var i = start
    while i < end {
      if b[i] == byte { return i }
      i += 1
    }
    return nil
  }

  /// `266.335` µs as nanoseconds (266335).
  static func microsecondsToNanoseconds(_ text: Substring) -> UInt64? {
    let parts = text.split(separator: ".", maxSplits: 1)
    // A damaged duration can be empty or past UInt64 nanoseconds: not a duration.
    guard let first = parts.first, let whole = UInt64(first) else { return nil }
    let (product, overflow) = whole.multipliedReportingOverflow(by: 1_000)
    guard !overflow else { return nil }
    var ns = product
    if parts.count == 2 {
      var fraction = String(parts[1].prefix(3))
      while fraction.count < 3 { fraction += "0" }
      guard let f = UInt64(fraction), ns <= UInt64.max - f else { return nil }
      ns += f
    }
    return ns
  }
}
