import ArgumentParser
import Foundation
import TracePipeline
import TraceReports

extension Pokestat {
  /// `pokestat stats`: event counts and IPI targets per CPU of any event trace, format detected
  /// from the content.
  struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Count a trace's events and IPI targets per CPU (trace.dat, ftrace/report text, perf script).",
      discussion: """
        The format is detected from the content (trace.dat magic, first lines); gzip and zstd \
        text is decompressed and `-` reads standard input. IPI targets are the `cpu` of \
        ipi:ipi_send_cpu and every CPU of ipi:ipi_send_cpumask's `cpumask`. Only those two \
        events have their fields decoded, so this is the path scripts/bench.sh times.

        The default output is `key: value` lines for scripts (`awk '/^events:/'`); \
        --format markdown, json or csv (--json, --csv) and -o FILE as in the other commands.
        """)

    @Argument(
      help: "A trace.dat, ftrace / trace-cmd report text or perf script file (- for stdin).", completion: .file())
    var file: String

    @Flag(help: "Skip lines that do not parse (text inputs) and report how many were skipped.")
    var lenient = false

    @Flag(help: "Also count events per name.")
    var byName = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws { try outputOptions.validateNoJSONLines("stats") }

    func run() throws {
      let count = try Pipeline.count(file, lenient: lenient, byName: byName)
      let report = StatsReport(
        file: file, format: count.formatDescription, events: count.tally.returned,
        skippedLines: lenient || count.skippedLines > 0 ? count.skippedLines : nil,
        ipiTargetsPerCPU: count.tally.ipiTargets, eventsByName: byName ? count.eventsByName : nil)
      try outputOptions.write { try StatsRenderer.render(report, as: $0) }
    }
  }
}
