import ArgumentParser
import Foundation
import PatchEngine
import TraceAnalysis
import TraceComparison
import TraceModel
import TracePipeline
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

        A trace with no batch is never a match (verdict no-batches, exit 1), except on arm64 \
        kernels whose jump labels send no IPI; an architecture without rules, or unknown, \
        gives verdict no-rules and exit 2 (analyze still counts).

        Exit status: 0 everything matches or is explained, 1 something is unexplained or \
        nothing was checked, 2 bad input or no rules for the trace's architecture.
        """)

    @OptionGroup var input: InputOptions
    @OptionGroup var outputOptions: OutputOptions

    @Option(help: "Kernel version whose rules apply (default: the trace's uname).")
    var kernel: String?

    @Option(help: "Online CPUs (default: the trace's CPU count).")
    var cpus: Int?

    @Option(help: "Architecture as uname -m names it, x86_64 or aarch64 (default: the trace's uname, else its events).")
    var arch: String?

    func run() throws {
      var kernelVersion: KernelVersion?
      if let kernel {
        guard let version = KernelVersion(release: kernel) else { throw InputFailure("--kernel: \"\(kernel)\" is not a version like 6.1 or 5.15.0") }
        kernelVersion = version
      }
      if let cpus, cpus < 1 { throw InputFailure("--cpus must be at least 1") }
      try outputOptions.rejectJSONLines("check")
      let sink = try OutputSink(path: outputOptions.output)
      var worst = Verdict.match
      var reports: [TraceCheck] = []
      for file in input.allFiles {
        let analysis = try ReadProgressLine.reading(file, quiet: input.quiet) { progress in
          try Pipeline.analyze(file, format: input.inputFormat, lenient: input.lenient, progress: progress).report
        }
        let report = try Pipeline.check(analysis, kernel: kernelVersion, cpus: cpus, architecture: arch)
        reports.append(report)
        worst = max(worst, report.verdict)
      }
      if outputOptions.resolvedFormat == .json {
        sink.write(try AnalysisRenderer.json(reports.count == 1 ? AnyEncodable(reports[0]) : AnyEncodable(reports)))
      } else {
        for report in reports { sink.write(try CheckRenderer.render(report, as: outputOptions.resolvedFormat)) }
      }
      sink.flush()
      // Exit status 2 always comes with one line on standard error saying why (the report above
      // says it too): here, no rules to check with.
      if worst.exitStatus == 2, let refused = reports.first(where: { $0.verdict.exitStatus == 2 }) {
        throw InputFailure("\(refused.file): check: \(refused.notes.first ?? "no rules to check with")")
      }
      if worst.exitStatus != 0 { throw ExitCode(worst.exitStatus) }
    }
  }
}
