import Dispatch
import Synchronization

/// Maps `inputs` through `transform` on up to `jobs` threads at once and returns the results
/// in input order (`pokestat analyze --jobs N`: one trace per job, output order stable).
///
/// Workers take the next unstarted input as they finish one, so at most `jobs` transforms run
/// at the same time. When transforms fail, the error of the earliest failing input is thrown
/// (the one a one-at-a-time loop would have stopped at); inputs after it may have been read.
///
/// - Parameter jobs: threads to use; values below 1 count as 1.
public func orderedConcurrentMap<Input: Sendable, Output: Sendable>(
  _ inputs: [Input], jobs: Int, _ transform: @Sendable (Input) throws -> Output
) throws -> [Output] {
  let workers = max(1, min(jobs, inputs.count))
  if workers <= 1 { return try inputs.map(transform) }
  let next = Atomic<Int>(0)
  let results = Mutex<[Int: Result<Output, any Error>]>([:])
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    while true {
      let index = next.add(1, ordering: .relaxed).oldValue
      guard index < inputs.count else { return }
      let result = Result { try transform(inputs[index]) }
      results.withLock { $0[index] = result }
    }
  }
  let finished = results.withLock { $0 }
  return try inputs.indices.map { index in try finished[index]!.get() }
}
