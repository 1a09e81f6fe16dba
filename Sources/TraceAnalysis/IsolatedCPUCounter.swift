/// Counts the IPIs that reached the CPUs given with `--isolated`, by the code path that sent
/// them: the `isolated` section of ``AnalysisReport`` (nil when no CPU is isolated).
///
/// Summaries merge by adding (order does not matter).
///
/// - Complexity: memory grows per distinct sending code path.
struct IsolatedCPUCounter {
  /// The isolated CPUs.
  let cpus: Set<Int>
  /// IPIs received on them.
  private(set) var received = 0
  /// Of those, the ones a text_poke sync sent.
  private(set) var textPokeReceived = 0
  /// Per sending code path (`(sender not in trace)` for receptions no send answers), the IPIs.
  private(set) var bySource: [String: Int] = [:]

  init(cpus: [Int]) {
    self.cpus = Set(cpus)
  }

  /// Counts a reception on `cpu` when it is isolated; `source` is the sending code path, nil
  /// when the trace holds no send it answers.
  mutating func noteReception(cpu: Int, textPoke: Bool = false, source: String?) {
    guard !cpus.isEmpty, cpus.contains(cpu) else { return }
    received += 1
    if textPoke { textPokeReceived += 1 }
    bySource[source ?? "(sender not in trace)", default: 0] += 1
  }

  /// Both counts added (two CPUs' or two files' receptions, same isolated CPUs).
  func merged(with other: IsolatedCPUCounter) -> IsolatedCPUCounter {
    precondition(cpus == other.cpus, "merging counts of different isolated CPUs")
    var result = self
    result.received += other.received
    result.textPokeReceived += other.textPokeReceived
    result.bySource.merge(other.bySource, uniquingKeysWith: +)
    return result
  }

  /// The report's `isolated` section, nil when no CPU is isolated.
  var summary: IsolatedSummary? {
    cpus.isEmpty
      ? nil
      : IsolatedSummary(cpus: cpus.sorted(), received: received, textPokeReceived: textPokeReceived, bySource: IPIAnalyzer.ranked(bySource))
  }
}
