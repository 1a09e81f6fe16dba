import ArgumentParser
import Foundation
import TraceModel
import TraceNative
import TraceReaders

extension Pokestat {
  /// `pokestat dump`: the events of a trace, one a line, as `trace-cmd report` prints them.
  struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a trace.dat's events one a line, in trace-cmd report's layout.",
      discussion: """
        The output matches `trace-cmd report FILE` line for line (it is pokestat's \
        correctness oracle: the tests compare the two on every trace.dat fixture). \
        Event fields are printed by libtraceevent with its plugins; pokestat formats the \
        columns, instance prefixes, dropped-event notices and function_graph lines.

        --summary instead counts events per buffer and CPU and IPI targets per CPU \
        (ipi_send_cpu, ipi_send_cpumask), reading the CPU streams in parallel: the fast \
        path `make bench` measures.

        On damaged input the events before the damage have been printed; the error goes to         standard error and the exit status is 2.
        """)

    @Argument(help: "A trace.dat file (v6 or v7; none, zstd or zlib).", completion: .file())
    var file: String

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    @Flag(help: "Print counts (events per buffer and CPU, IPI targets per CPU) instead of the events.")
    var summary = false

    func run() throws {
      let reader = try TraceDatReader(path: file, attachesStacks: false)
      let sink = try OutputSink(path: output)
      if summary {
        try writeSummary(reader, sink)
      } else {
        try TraceDatReport.forEachLine(of: reader) { sink.write($0 + "\n") }
      }
      sink.flush()
    }

    private func writeSummary(_ reader: TraceDatReader, _ sink: OutputSink) throws {
      let selection = FieldSelection.only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])
      var perStream: [Int] = []
      var targets: [Int: Int] = [:]
      for index in 0..<reader.streamCount { _ = index }
      let result = try reader.reduceStreamsConcurrently(
        fields: selection, empty: { EventTally() },
        fold: { tally, event in tally.add(event) },
        merge: { $0.merged(with: $1) })
      targets = result.summary.ipiTargets
      perStream = []
      let meta = reader.metadata
      let total = result.summary.returned + result.skippedEvents
      sink.write("file: \(file)\nformat: \(meta.formatDescription)\nkernel: \(meta.kernelRelease ?? "unknown")\n")
      sink.write("cpus: \(meta.cpuCount.map(String.init) ?? "unknown")\nclock: \(meta.clock ?? "unknown")\n")
      sink.write("events: \(total)\n")
      sink.write("ipi targets: \(targets.values.reduce(0, +))\n")
      for cpu in targets.keys.sorted() { sink.write("  cpu \(cpu): \(targets[cpu]!)\n") }
      _ = perStream
    }
  }
}

/// Events returned and IPI targets per CPU; merges by adding.
struct EventTally: Sendable {
  var returned = 0
  var ipiTargets: [Int: Int] = [:]

  mutating func add(_ event: TraceEvent) {
    returned += 1
    guard event.system == "ipi" else { return }
    switch event[field: event.name == "ipi_send_cpu" ? "cpu" : "cpumask"] {
    case .unsigned(let cpu): ipiTargets[Int(cpu), default: 0] += 1
    case .cpuList(let cpus): for cpu in cpus { ipiTargets[cpu, default: 0] += 1 }
    default: break
    }
  }

  func merged(with other: EventTally) -> EventTally {
    EventTally(returned: returned + other.returned, ipiTargets: ipiTargets.merging(other.ipiTargets, uniquingKeysWith: +))
  }
}
