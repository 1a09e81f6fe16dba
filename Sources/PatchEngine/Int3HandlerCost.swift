import Foundation

/// The cost of one trap in the int3 patching handler while a batch of `n` sites is live:
/// `a + b * log2(n)` nanoseconds.
///
/// The handler compares the trapping address directly when the vector has one entry and
/// binary-searches it otherwise (`poke_int3_handler()`, `__inline_bsearch()` over `bp_desc.vec`,
/// arch/x86/kernel/alternative.c v5.3+), so the lookup grows with log2(n); `a` is everything
/// else (exception entry/exit, emulating the jmp/call).
///
/// The default calibration (``batchingCoverLetter``) is the measurement in the v5.3 batching
/// cover letter (seed 001, Daniel Bristot de Oliveira, 24-CPU Xeon @2.27 GHz): 45 ns for the
/// non-batched handler (n = 1) and about 180 ns with 56 entries, so
/// a = 45 ns, b = (180 − 45) / log2(56) ≈ 23.25 ns.
public struct Int3HandlerCost: Hashable, Sendable, Codable {
  /// Fixed cost per trap, ns.
  public var baseNanoseconds: Double
  /// Cost per halving of the vector, ns.
  public var perLog2EntryNanoseconds: Double

  public init(baseNanoseconds: Double, perLog2EntryNanoseconds: Double) {
    self.baseNanoseconds = baseNanoseconds
    self.perLog2EntryNanoseconds = perLog2EntryNanoseconds
  }

  /// Fits `a` and `b` through two measurements (entries, ns); the entry counts must differ.
  public init(calibratedFrom first: (entries: Int, nanoseconds: Double), _ second: (entries: Int, nanoseconds: Double)) {
    precondition(first.entries >= 1 && second.entries >= 1 && first.entries != second.entries)
    let x1 = log2(Double(first.entries)), x2 = log2(Double(second.entries))
    let b = (second.nanoseconds - first.nanoseconds) / (x2 - x1)
    self.init(baseNanoseconds: first.nanoseconds - b * x1, perLog2EntryNanoseconds: b)
  }

  /// Seed 001's measurement: 45 ns at 1 entry, 180 ns at 56 entries.
  public static let batchingCoverLetter = Int3HandlerCost(calibratedFrom: (1, 45), (56, 180))

  /// The handler's cost with `entries` sites in the live vector, ns.
  public func nanoseconds(entries: Int) -> Double {
    precondition(entries >= 1)
    return baseNanoseconds + perLog2EntryNanoseconds * log2(Double(entries))
  }
}
