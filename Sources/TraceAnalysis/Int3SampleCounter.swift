import TraceModel

/// Counts perf samples and the ones that landed in the int3 handler, with the function each
/// interrupted: the `int3` section of ``AnalysisReport``.
///
/// A sample is in the handler when a frame of its call chain is one of
/// ``KernelSymbols/int3HandlerNames``; the interrupted function is the first frame below the
/// int3 exception entry. Summaries merge by adding (order does not matter).
///
/// - Complexity: memory grows per distinct interrupted function and sample event name.
struct Int3SampleCounter {
  /// Samples seen (any perf sample event).
  private(set) var samples = 0
  /// Samples whose call chain passes through the int3 handler.
  private(set) var int3Samples = 0
  /// Per interrupted function, the samples in the handler (`[unknown]` without a symbol).
  private(set) var callers: [String: Int] = [:]
  /// The sample events' names (`cycles`, `cpu-clock`).
  private(set) var sampleEvents: Set<String> = []

  /// Counts one perf sample event.
  mutating func add(_ event: TraceEvent) {
    samples += 1
    sampleEvents.insert(event.name)
    guard let frames = event.stack?.frames else { return }
    guard let handler = frames.firstIndex(where: { $0.symbol.map(KernelSymbols.int3HandlerNames.contains) ?? false }) else { return }
    int3Samples += 1
    // The interrupted function: the first frame below the int3 exception entry.
    let below = frames[(handler + 1)...].first { frame in
      guard let symbol = frame.symbol else { return false }
      return !(symbol == "exc_int3" || symbol == "asm_exc_int3" || symbol.hasPrefix("do_int3") || symbol == "poke_int3_handler")
    }
    callers[below?.symbol ?? "[unknown]", default: 0] += 1
  }

  /// Both counts added (samples of two CPUs or two files).
  func merged(with other: Int3SampleCounter) -> Int3SampleCounter {
    var result = self
    result.samples += other.samples
    result.int3Samples += other.int3Samples
    result.callers.merge(other.callers, uniquingKeysWith: +)
    result.sampleEvents.formUnion(other.sampleEvents)
    return result
  }

  /// The report's `int3` section; its note says when the samples came from a timer interrupt
  /// (`cpu-clock`, `task-clock`), which cannot land in the handler.
  var summary: Int3Summary {
    Int3Summary(
      samples: int3Samples, totalSamples: samples, callers: IPIAnalyzer.ranked(callers), sampleEvents: sampleEvents.sorted(),
      note: !sampleEvents.isEmpty && sampleEvents.isSubset(of: ["cpu-clock", "task-clock"])
        ? "cpu-clock/task-clock samples come from a timer interrupt and cannot land in the int3 handler (it runs with interrupts off); record -e cycles (NMI) to see it"
        : nil)
  }
}
