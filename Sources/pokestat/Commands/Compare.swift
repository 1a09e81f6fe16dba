import ArgumentParser
import Foundation
import TraceAnalysis
import TraceComparison
import TracePipeline
import TraceReports

extension Pokestat {
  /// `pokestat compare`: before/after tables of any measured input, with run-to-run statistics.
  struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare measurements before and after a patch: a cover letter's table, with statistics.",
      discussion: """
        Each side is one input or several repeated runs (--before a b c --after d e f); each \
        file is one run. Inputs of any kind pokestat reads: traces (trace.dat, ftrace or \
        trace-cmd report text: the analysis by its JSON paths, e.g. text_poke.ipis_sent, \
        flips.ipis_sent_mean, text_poke.batch_duration_ns.median), perf stat output (every \
        counter by its perf name, elapsed/user/sys in seconds), bpftool prog show \
        (<name>.ns_per_run, .run_cnt, .run_time_ns), /proc/interrupts series (<row>.total, \
        <row>.delta, <row>.cpuN.delta), kernel logs with `Took N usec` text_poke records, and \
        throughput tables (a `1x 2x 4x` header and `name: ops/s ...` rows: \
        <name>.threads=<n>).

        --metric NAME=EXPR adds a derived metric: + - * / and parentheses over numbers, \
        metric names, and {any name} in braces, e.g. \
        --metric 'itlb_miss_per_s={iTLB-load-misses}/elapsed'. \
        With several runs per side the table gives medians, interquartile ranges and a \
        two-sided Mann-Whitney U test (exact for up to 40 runs). See docs/compare.md.
        """)

    @Argument(help: "BEFORE and AFTER inputs (one run each); or use --before/--after.", completion: .file())
    var files: [String] = []

    @Option(parsing: .upToNextOption, help: "Inputs measured before the change (one file per run).", completion: .file())
    var before: [String] = []

    @Option(parsing: .upToNextOption, help: "Inputs measured after the change (one file per run).", completion: .file())
    var after: [String] = []

    @Option(name: .customLong("metric"), help: "A derived metric NAME=EXPR (repeatable), e.g. 'walk_per_kinst=ITLB_WALK/(INST_RETIRED/1000)'.")
    var metrics: [String] = []

    @Option(help: "Also write a self-contained HTML page with the table and plots to this file.", completion: .file())
    var html: String?

    @Flag(help: "Skip malformed text lines instead of stopping.")
    var lenient = false

    @Option(help: "CPUs whose IPI receptions each flip counts (flip.isolated_ipis_received), as a CPU list (2-7 or 1,3).")
    var isolated: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      if before.isEmpty && after.isEmpty {
        guard files.count == 2 else {
          throw ValidationError("give BEFORE and AFTER, or --before FILE... --after FILE...")
        }
      } else {
        guard !before.isEmpty, !after.isEmpty else { throw ValidationError("give both --before and --after") }
        guard files.isEmpty else { throw ValidationError("give inputs either as BEFORE AFTER or with --before/--after, not both") }
      }
    }

    func run() throws {
      let beforeFiles = before.isEmpty ? [files[0]] : before
      let afterFiles = after.isEmpty ? [files[1]] : after
      var derived: [DerivedMetric] = []
      for argument in metrics {
        do {
          derived.append(try DerivedMetric(parsing: argument))
        } catch {
          throw InputFailure("--metric '\(argument)': \(error)")
        }
      }
      try outputOptions.rejectJSONLines("compare")
      let options = AnalysisOptions(isolatedCPUs: try isolatedCPUs(isolated))
      let sink = try OutputSink(path: outputOptions.output)
      let beforeSide = try Pipeline.loadForComparison(beforeFiles, lenient: lenient, options: options)
      let afterSide = try Pipeline.loadForComparison(afterFiles, lenient: lenient, options: options)
      var beforeSet = beforeSide.metrics, afterSet = afterSide.metrics
      for metric in derived {
        do {
          beforeSet = beforeSet.adding(metric.name, values: try metric.values(in: beforeSet))
          afterSet = afterSet.adding(metric.name, values: try metric.values(in: afterSet))
        } catch {
          throw InputFailure("--metric '\(metric.source)': \(error)")
        }
      }
      // Derived metrics first: they are what the user asked for.
      let derivedNames = derived.map(\.name)
      let comparison = Comparison(
        before: beforeSet.movingToFront(derivedNames), after: afterSet.movingToFront(derivedNames), beforeFiles: beforeFiles, afterFiles: afterFiles,
        beforeSamples: beforeSide.samples, afterSamples: afterSide.samples)
      sink.write(try ComparisonRenderer.render(comparison, as: outputOptions.resolvedFormat))
      sink.flush()
      if let html {
        let page = ComparisonHTML.render(comparison, traces: ComparisonHTML.Traces(before: beforeSide.traces, after: afterSide.traces))
        do {
          try page.write(toFile: html, atomically: true, encoding: .utf8)
        } catch {
          throw InputFailure("cannot write \(html): \(error.localizedDescription)")
        }
      }
    }
  }
}
