import Foundation
import TraceAnalysis

/// The Chrome trace-event format (the JSON chrome://tracing and Perfetto's UI open) for one
/// analyzed trace: text_poke batches and static-key flips as complete events (`ph: "X"`) and
/// IPIs as instant events (`ph: "i"`) on the track of the CPU they reached.
///
/// Tracks: process 1 `CPUs` has one thread per CPU (tid = CPU number); process 2 `flips` has
/// one track for the flips. Times are microseconds on the trace clock (`ts`, `dur`).
public struct ChromeTrace: Encodable, Sendable {
  /// One trace event.
  public struct Event: Encodable, Sendable, Equatable {
    public var name: String
    public var cat: String
    /// `X` complete, `i` instant, `M` metadata.
    public var ph: String
    /// Start, in microseconds.
    public var ts: Double
    /// Duration of an `X` event, in microseconds.
    public var dur: Double?
    public var pid: Int
    public var tid: Int
    /// Scope of an instant event: `t` (its thread's track).
    public var s: String?
    public var args: [String: String]

    public init(name: String, cat: String, ph: String, ts: Double, dur: Double? = nil, pid: Int, tid: Int,
                s: String? = nil, args: [String: String] = [:]) {
      self.name = name
      self.cat = cat
      self.ph = ph
      self.ts = ts
      self.dur = dur
      self.pid = pid
      self.tid = tid
      self.s = s
      self.args = args
    }

    enum CodingKeys: String, CodingKey { case name, cat, ph, ts, dur, pid, tid, s, args }

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(name, forKey: .name)
      try container.encode(cat, forKey: .cat)
      try container.encode(ph, forKey: .ph)
      try container.encode(ts, forKey: .ts)
      try container.encodeIfPresent(dur, forKey: .dur)
      try container.encode(pid, forKey: .pid)
      try container.encode(tid, forKey: .tid)
      try container.encodeIfPresent(s, forKey: .s)
      if !args.isEmpty { try container.encode(args, forKey: .args) }
    }
  }

  /// An IPI seen in the trace: a reception on its CPU, or a send with a known target.
  public struct IPIMark: Sendable, Equatable {
    public enum Kind: String, Sendable { case received, sent }
    /// When, in nanoseconds on the trace clock.
    public var timeNanoseconds: UInt64
    /// The CPU the IPI reached (the receiving CPU for receptions).
    public var targetCPU: Int
    /// The sending CPU, for sends.
    public var senderCPU: Int?
    public var kind: Kind
    /// The event that showed it (`irq_vectors:call_function_single_entry`, `ipi:ipi_send_cpu`).
    public var event: String

    public init(timeNanoseconds: UInt64, targetCPU: Int, senderCPU: Int? = nil, kind: Kind, event: String) {
      self.timeNanoseconds = timeNanoseconds
      self.targetCPU = targetCPU
      self.senderCPU = senderCPU
      self.kind = kind
      self.event = event
    }
  }

  public var traceEvents: [Event]
  public var displayTimeUnit = "ns"
  public var otherData: [String: String]

  static let cpuProcess = 1
  static let flipProcess = 2

  /// Builds the document from an analysis and the IPIs read beside it.
  public init(report: AnalysisReport, ipis: [IPIMark]) {
    func us(_ ns: UInt64) -> Double { Double(ns) / 1000 }
    var events: [Event] = [
      Event(name: "process_name", cat: "__metadata", ph: "M", ts: 0, pid: Self.cpuProcess, tid: 0, args: ["name": "CPUs"]),
      Event(name: "process_name", cat: "__metadata", ph: "M", ts: 0, pid: Self.flipProcess, tid: 0, args: ["name": "static-key flips"]),
    ]
    let cpus = max(report.cpus, (ipis.map(\.targetCPU) + report.textPoke.batches.map(\.cpu)).map { $0 + 1 }.max() ?? 0)
    for cpu in 0..<cpus {
      events.append(Event(name: "thread_name", cat: "__metadata", ph: "M", ts: 0, pid: Self.cpuProcess, tid: cpu, args: ["name": "cpu\(cpu)"]))
      events.append(Event(name: "thread_sort_index", cat: "__metadata", ph: "M", ts: 0, pid: Self.cpuProcess, tid: cpu, args: ["sort_index": String(cpu)]))
    }
    events.append(Event(name: "thread_name", cat: "__metadata", ph: "M", ts: 0, pid: Self.flipProcess, tid: 0, args: ["name": "flips"]))
    for (index, batch) in report.textPoke.batches.enumerated() {
      var args = [
        "batch": String(index + 1), "ipis_sent": String(batch.ipisSent), "ipis_received": String(batch.ipisReceived),
        "syncs": String(batch.syncs), "duration_source": batch.durationSource, "comm": batch.comm, "pid": String(batch.pid),
      ]
      if let entries = batch.entries { args["entries"] = String(entries) }
      let name = "text_poke batch" + (batch.entries.map { " (\($0) entries)" } ?? "")
      if let duration = batch.durationNs {
        events.append(Event(name: name, cat: "text_poke", ph: "X", ts: us(batch.startNs), dur: us(duration),
                            pid: Self.cpuProcess, tid: batch.cpu, args: args))
      } else {
        events.append(Event(name: name, cat: "text_poke", ph: "i", ts: us(batch.startNs), pid: Self.cpuProcess,
                            tid: batch.cpu, s: "t", args: args))
      }
    }
    for (index, flip) in report.flips.enumerated() {
      let name = flip.key.map { $0 + (flip.value.map { "=\($0)" } ?? "") } ?? "flip \(index + 1)"
      events.append(Event(
        name: name, cat: "flip", ph: "X", ts: us(flip.startNs), dur: us(flip.endNs - flip.startNs), pid: Self.flipProcess,
        tid: 0,
        args: ["flip": String(index + 1), "batches": String(flip.batches), "ipis_sent": String(flip.ipisSent),
               "ipis_received": String(flip.ipisReceived), "boundary": flip.boundary]))
    }
    for ipi in ipis {
      var args = ["event": ipi.event]
      if let sender = ipi.senderCPU { args["from_cpu"] = String(sender) }
      events.append(Event(name: ipi.kind == .received ? "IPI received" : "IPI sent to this CPU", cat: "ipi", ph: "i",
                          ts: us(ipi.timeNanoseconds), pid: Self.cpuProcess, tid: ipi.targetCPU, s: "t", args: args))
    }
    traceEvents = events
    otherData = ["source": report.file, "format": report.format, "kernel": report.kernel ?? "unknown", "generator": "pokestat export --chrome"]
  }

  /// The document as JSON (compact, keys sorted).
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }
}
