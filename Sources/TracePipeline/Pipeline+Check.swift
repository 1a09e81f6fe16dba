import TraceAnalysis
import TraceComparison
import TraceModel

extension Pipeline {
  /// Checks every text_poke batch of an analysis against the reference model for the trace's
  /// kernel and CPU count (or the ones given), explaining each difference
  /// (``PredictionCheck/check(_:kernel:cpus:architecture:)``).
  ///
  /// - Parameters:
  ///   - kernel: the version whose rules apply; nil: the trace's uname.
  ///   - cpus: online CPUs; nil: the trace's CPU count.
  ///   - architecture: as `uname -m` names it; nil: the trace's uname, else its events.
  /// - Throws: ``CheckInputError`` for an input that cannot be checked: a summary input (no
  ///   batches), or batches without any CPU count (``PredictionCheck/cpuCountProblem(_:cpus:)``).
  public static func check(
    _ analysis: AnalysisReport, kernel: KernelVersion? = nil, cpus: Int? = nil, architecture: String? = nil
  ) throws(CheckInputError) -> TraceCheck {
    if let problem = PredictionCheck.cpuCountProblem(analysis, cpus: cpus) { throw problem }
    return PredictionCheck.check(analysis, kernel: kernel, cpus: cpus, architecture: architecture)
  }
}
