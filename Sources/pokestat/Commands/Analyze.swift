import ArgumentParser
import Foundation
import TraceAnalysis
import TraceComparison
import TraceModel
import TracePipeline
import TraceReaders
import TraceReports

extension Pokestat {
  /// `pokestat analyze`: IPIs, text_poke batches, flips and int3 hits in a trace.
  struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Count IPIs, text_poke batches, static-key flips and int3 hits in traces.",
      discussion: """
        Reads trace.dat (v6/v7), ftrace text, trace-cmd report text, perf script and kernel \
        logs; perf report --stdio gives the int3 handler's share and callers, /proc/interrupts \
        snapshots the function-call IPIs per CPU per interval. IPIs sent come from \
        ipi:ipi_send_cpu/ipi_send_cpumask/ipi_raise, or from kprobes on the send functions \
        (recognized by the function they probe, not their name) and function-tracer hits; \
        IPIs received from irq_vectors:call_function{,_single}_entry. A send is a text_poke \
        sync when its call chain (up to the first interrupt entry) passes through a text_poke \
        function of any kernel version, else when it queued do_sync_core, else when it falls \
        inside a batch seen by function_graph or a kprobe; the output says which was used. \
        Batches come from function_graph, kprobe/kretprobe pairs, or are inferred from runs \
        of syncs. Flips come from FLIP_BEGIN/FLIP_END trace_marker lines, or are inferred.

        When events were lost, every count is a lower bound and the output says so. \
        JSON keys are documented in docs/analysis-json.md; --format jsonl (flat rows for DuckDB \
        and Spark, one per input, batch or flip with --rows) in docs/fleet.md.
        """)

    @OptionGroup var input: InputOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: "CPUs to report IPI receptions for, as a CPU list (2-7 or 1,3).")
    var isolated: String?

    @Flag(help: "Also print the reference model's prediction for each batch beside what the trace shows (as `pokestat check`).")
    var predict = false

    @Option(help: "With --format jsonl: one row per input (summary), per text_poke batch (batches) or per flip (flips).")
    var rows: AnalysisJSONLines.Rows = .summary

    @Option(help: "The host name for --format jsonl rows (default: the trace's uname; traces without one give null).")
    var host: String?

    @Option(help: "The kernel release for --format jsonl rows of inputs whose trace records none (text traces).")
    var kernel: String?

    @Option(help: "Also write a self-contained HTML page (IPI heatmap, batch timeline, batch durations) to this file.", completion: .file())
    var html: String?

    @Option(help: "Inputs analyzed at the same time (default: the CPU count). Output keeps argument order; no progress line with more than one job.")
    var jobs: Int?

    func validate() throws {
      if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    func run() throws {
      let isolatedCPUs = try pokestat.isolatedCPUs(isolated)
      if rows != .summary, !outputOptions.jsonLines { throw InputFailure("--rows \(rows.rawValue) needs --format jsonl") }
      let sink = try OutputSink(path: outputOptions.output)
      var reports: [AnalysisReport] = []
      var hosts: [String?] = []
      var pages: [AnalysisHTML.Input] = []
      let files = input.allFiles
      let workers = min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, files.count)
      let (format, lenient, quiet, timeline) = (input.inputFormat, input.lenient, input.quiet || workers > 1, html != nil)
      let analyses = try orderedConcurrentMap(files, jobs: workers) { file in
        try ReadProgressLine.reading(file, quiet: quiet) { progress in
          try Pipeline.analyze(
            file, format: format, lenient: lenient, options: AnalysisOptions(isolatedCPUs: isolatedCPUs), timeline: timeline,
            progress: progress)
        }
      }
      for analyzed in analyses {
        reports.append(analyzed.report)
        hosts.append(host ?? analyzed.metadata.hostName)
        if html != nil { pages.append(AnalysisHTML.Input(report: analyzed.report, sends: analyzed.sends, host: hosts.last!)) }
      }
      let outputFormat = outputOptions.resolvedFormat
      if outputOptions.jsonLines {
        sink.write(AnalysisJSONLines.render(zip(reports, hosts).map { AnalysisJSONLines.Source(report: $0, host: $1, kernel: $0.kernel ?? kernel) }, kind: rows))
      } else if outputFormat == .json {
        sink.write(try AnalysisRenderer.json(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports)))
      } else {
        for report in reports {
          sink.write(try AnalysisRenderer.render(report, as: outputFormat))
          if predict {
            sink.write("\n")
            sink.write(try CheckRenderer.render(PredictionCheck.check(report, kernel: nil, cpus: nil), as: outputFormat))
          }
        }
      }
      sink.flush()
      if let html {
        do {
          try AnalysisHTML.render(pages).write(toFile: html, atomically: true, encoding: .utf8)
        } catch {
          throw InputFailure("cannot write \(html): \(error.localizedDescription)")
        }
      }
    }
  }
}

extension AnalysisJSONLines.Rows: ExpressibleByArgument {}

/// Encodes either one report or a list with the same encoder call.
struct AnyEncodable: Encodable {
  let value: any Encodable
  init(_ value: any Encodable) { self.value = value }
  func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
