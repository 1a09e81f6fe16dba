import ArgumentParser
import Foundation
import TracePipeline

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
        events have their fields decoded, so this is the path scripts/bench-text.sh times.
        """)

    @Argument(
      help: "A trace.dat, ftrace / trace-cmd report text or perf script file (- for stdin).", completion: .file())
    var file: String

    @Flag(help: "Skip lines that do not parse (text inputs) and report how many were skipped.")
    var lenient = false

    @Flag(help: "Also count events per name.")
    var byName = false

    func run() throws {
      let count = try Pipeline.count(file, lenient: lenient, byName: byName)
      let tally = count.tally
      var out = "file: \(file)\nformat: \(count.formatDescription)\nevents: \(tally.returned)\n"
      if lenient || count.skippedLines > 0 { out += "skipped lines: \(count.skippedLines)\n" }
      out += "ipi targets: \(tally.ipiTargets.values.reduce(0, +))\n"
      for cpu in tally.ipiTargets.keys.sorted() { out += "  cpu \(cpu): \(tally.ipiTargets[cpu]!)\n" }
      if byName {
        out += "events by name:\n"
        for (name, n) in count.eventsByName.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) { out += "  \(name): \(n)\n" }
      }
      FileHandle.standardOutput.write(Data(out.utf8))
    }
  }
}
