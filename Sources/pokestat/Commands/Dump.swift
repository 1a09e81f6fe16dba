import ArgumentParser
import Foundation
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

        `pokestat stats FILE` counts events and IPI targets instead (the fast path \
        `make bench` measures).

        On damaged input the events before the damage have been printed; the error goes to         standard error and the exit status is 2.
        """)

    @Argument(help: "A trace.dat file (v6 or v7; none, zstd or zlib).", completion: .file())
    var file: String

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    func run() throws {
      let reader = try TraceDatReader(path: file, attachesStacks: false, readsSymbols: false)
      for warning in reader.formatWarnings { FileHandle.standardError.write(Data("pokestat: warning: \(file): \(warning)\n".utf8)) }
      let sink = try OutputSink(path: output)
      try TraceCmdReportText.forEachRawLine(of: reader) { line in
        sink.write(bytes: line)
        sink.write(bytes: [UInt8(ascii: "\n")])
      }
      sink.flush()
    }
  }
}
