import ArgumentParser
import Foundation
import TraceModel
import TraceNative

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
        """)

    @Argument(help: "A trace.dat file (v6 or v7; none, zstd or zlib).", completion: .file())
    var file: String

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    @Flag(help: "Print a summary (format, CPUs, buffers, events per CPU) instead of the events.")
    var summary = false

    func run() throws {
      let reader = try TraceDatReader(path: file)
      let sink = try OutputSink(path: output)
      if summary {
        var counts: [String: Int] = [:]
        var total = 0
        try reader.forEachEvent(fields: .none) { event in
          counts["\(event.buffer.isEmpty ? "top" : event.buffer) cpu\(event.cpu)", default: 0] += 1
          total += 1
        }
        let meta = reader.metadata
        sink.write("file: \(file)\nformat: \(meta.formatDescription)\nkernel: \(meta.kernelRelease ?? "unknown")\n")
        sink.write("cpus: \(meta.cpuCount.map(String.init) ?? "unknown")\nclock: \(meta.clock ?? "unknown")\nevents: \(total)\n")
        for key in counts.keys.sorted() { sink.write("  \(key): \(counts[key]!)\n") }
      } else {
        try TraceDatReport.forEachLine(of: reader) { sink.write($0 + "\n") }
      }
      sink.flush()
    }
  }
}
