import ArgumentParser
import Foundation
import TraceNative
import TracePipeline

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

        The file is given as an argument or with -i, as `trace-cmd report -i FILE`; with \
        neither, ./trace.dat is read, as trace-cmd does.

        On damaged input the events before the damage have been printed; the error goes to \
        standard error and the exit status is 2.
        """)

    @Argument(help: ArgumentHelp("A trace.dat file (v6 or v7; none, zstd or zlib).", valueName: "file"), completion: .file())
    var positionalFile: String?

    @Option(name: [.customShort("i"), .customLong("input")], help: "The trace.dat file, as `trace-cmd report -i FILE`.", completion: .file())
    var input: String?

    /// The file to read: -i, else the argument, else ./trace.dat (trace-cmd's default).
    var file: String { input ?? positionalFile ?? "trace.dat" }

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    func validate() throws {
      if let input, let positionalFile, input != positionalFile {
        throw ValidationError("give the trace.dat once, as an argument or with -i (got \(positionalFile) and -i \(input))")
      }
    }

    func run() throws {
      let reader = try Pipeline.openTraceDat(file, attachesStacks: false, readsSymbols: false)
      let sink = try OutputSink(path: output)
      try TraceCmdReportText.forEachBlock(of: reader) { block in
        sink.writeBlock(block)
      }
      sink.flush()
    }
  }
}
