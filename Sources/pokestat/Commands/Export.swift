import ArgumentParser
import Foundation
import TracePipeline
import TraceReaders
import TraceReports

extension Pokestat {
  /// `pokestat export [--format chrome] [-o FILE] TRACE`: a trace's batches, IPIs and flips for
  /// Perfetto.
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Export a trace's text_poke batches, IPIs and flips as Chrome trace-event JSON.",
      discussion: """
        The JSON opens in Perfetto's UI (ui.perfetto.dev, Open trace file) and in \
        chrome://tracing. One track per CPU holds that CPU's text_poke batches (complete \
        events with their duration) and the IPIs that reached it (instant events: receptions, \
        and sends that name their target); a `flips` track holds the static-key flips. Times \
        are microseconds on the trace clock.

        The JSON goes to standard output, or to the file given with -o (`--chrome FILE` is \
        the older spelling of `--format chrome -o FILE`).
        """)

    /// What `export --format` writes.
    enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
      /// The Trace Event Format of chrome://tracing and Perfetto.
      case chrome
    }

    @Option(help: "Output format: chrome (Chrome trace-event JSON, the only one).")
    var format: ExportFormat = .chrome

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.", completion: .file())
    var output: String?

    @Option(help: ArgumentHelp("Same as --format chrome -o FILE.", visibility: .hidden), completion: .file())
    var chrome: String?

    @Argument(help: "The trace: trace.dat (v6/v7), ftrace or trace-cmd report text.", completion: .file())
    var trace: String

    @Option(help: "Read the input as this format instead of detecting it.")
    var inputFormat: InputFormat?

    @Flag(help: "Skip malformed text lines instead of stopping.")
    var lenient = false

    func validate() throws {
      if let chrome, let output, chrome != output {
        throw ValidationError("--chrome \(chrome) and -o \(output) name two outputs: give one")
      }
    }

    func run() throws {
      let json = try Pipeline.chromeTrace(trace, format: inputFormat, lenient: lenient).json()
      let sink = try OutputSink(path: output ?? chrome)
      sink.write(json)
      sink.flush()
    }
  }
}
