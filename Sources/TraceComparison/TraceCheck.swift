import PatchEngine
import TraceAnalysis
import TraceModel

/// A trace checked against the reference model: each batch's ``BatchCheck`` and the
/// verdict (`pokestat check`; made by ``PredictionCheck/check(_:kernel:cpus:architecture:)``).
public struct TraceCheck: Codable, Sendable, Equatable {
  public var file: String
  public var kernel: String
  public var cpus: Int
  /// The model's prediction for one batch of the observed size (or of an unknown size: one
  /// batch of 5-byte jump patches).
  public var predictionPerBatch: PatchPrediction
  public var batches: [BatchCheck]
  public var verdict: Verdict
  /// Counts are lower bounds because events were lost.
  public var countsAreLowerBounds: Bool
  /// Why some parameters were assumed (no kernel version in the trace, entries unknown...).
  public var assumptions: [String]
  /// The architecture whose rules applied (`x86_64`, `aarch64`, ...), or what the trace
  /// says when no rules applied; "unknown" when the trace does not tell.
  public var architecture: String = "unknown"
  /// How the rules were chosen where it is not obvious (a backport decided from kallsyms),
  /// and why nothing was checked (``Verdict/noBatches``, ``Verdict/noRules``).
  public var notes: [String] = []

  enum CodingKeys: String, CodingKey {
    case file, kernel, cpus, batches, verdict, assumptions, architecture, notes
    case predictionPerBatch = "prediction_per_batch"
    case countsAreLowerBounds = "counts_are_lower_bounds"
  }
}
