import ArgumentParser
import Foundation
import PatchEngine
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceReports

extension Pokestat {
  /// `pokestat check`: every text_poke batch of a trace against the reference model.
  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a trace's text_poke batches against the reference model, explaining each difference.",
      discussion: """
        For each batch: the syncs the protocol must make and the IPIs each other CPU must \
        receive, predicted for the trace's kernel (its uname, or --kernel) and CPU count (or \
        --cpus), against what the trace shows. Differences the kernel legitimately makes \
        (a CPU left out of the mask because its call-single queue was already pending, an \
        idle CPU woken without an IPI, IPIs from unrelated paths during the flip, lost \
        events) are named; anything else is unexplained.

        Exit status: 0 everything matches or is explained, 1 something is unexplained, 2 bad input.
        """)

    @OptionGroup var input: InputOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: "Kernel version whose rules apply (default: the trace's uname).")
    var kernel: String?

    @Option(help: "Online CPUs (default: the trace's CPU count).")
    var cpus: Int?

    func run() throws {
      var kernelVersion: KernelVersion?
      if let kernel {
        guard let version = KernelVersion(release: kernel) else { throw InputFailure("--kernel: \"\(kernel)\" is not a version like 6.1 or 5.15.0") }
        kernelVersion = version
      }
      if let cpus, cpus < 1 { throw InputFailure("--cpus must be at least 1") }
      let sink = try OutputSink(path: outputOptions.output)
      var worst = Verdict.match
      var reports: [CheckReport] = []
      for file in input.allFiles {
        let analysis = try Analyze.analyze(file, format: input.inputFormat, lenient: input.lenient, options: AnalysisOptions())
        // The model needs the online CPU count; a trace with no CPU count and no events has none.
        if cpus == nil, analysis.cpus < 1 {
          throw InputFailure("\(file): the trace does not say how many CPUs were online (no CPU count, no events on a CPU); give --cpus")
        }
        let report = PredictionCheck.check(analysis, kernel: kernelVersion, cpus: cpus)
        reports.append(report)
        worst = max(worst, report.verdict)
      }
      if outputOptions.resolvedFormat == .json {
        sink.write(try AnalysisRenderer.json(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports)))
      } else {
        for report in reports { sink.write(try CheckRenderer.render(report, as: outputOptions.resolvedFormat)) }
      }
      sink.flush()
      if worst == .unexplained { throw ExitCode(1) }
    }
  }
}
