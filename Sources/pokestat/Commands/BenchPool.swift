import ArgumentParser
import Foundation
import InstancePools
import TraceReports

extension Pokestat {
  /// `pokestat bench`: user-space micro-benchmarks of kernel data structures.
  struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Measure kernel data structures in user space, as their cover letters did.",
      subcommands: [Pool.self])
  }
}

extension Pokestat.Bench {
  /// `pokestat bench pool`: kretprobe instance pools, ops/s per thread count.
  struct Pool: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Compare kretprobe instance pools: pop/push pairs per second by thread count.",
      discussion: """
        Each thread pops an object and pushes it back in a loop, as a kretprobe takes an \
        instance at every probed call and returns it when the call returns. Thread i is pinned \
        to allowed CPU i mod CPUs. Implementations: freelist (the refcounted CAS LIFO of \
        include/linux/freelist.h), array (the array-based MPMC queue of the 2021 "kretprobe \
        scalability improvement" cover letter) and objpool (lib/objpool.c's per-CPU rings). \
        The table has the cover letter's shape: one row per implementation, one column per \
        thread count, then each implementation's ratio to the first.

        Thread counts above the CPU count share CPUs and measure the scheduler as much as the \
        pool; the cover letter's curve needs as many cores as threads.
        """)

    @Option(help: "Thread counts, comma-separated, e.g. 1,2,4,8 (default: 1,2).", transform: { try CountList.parse($0, in: 1...4096) })
    var threads: [Int] = [1, 2]

    @Option(help: "Measuring seconds per implementation and thread count.")
    var seconds = 2.0

    @Option(help: "Implementations, comma-separated, in row order (default: freelist,array,objpool).", transform: PoolKind.list)
    var implementations: [PoolKind] = PoolKind.allCases

    @Option(help: "Objects per pool (default: max(10, 2 x CPUs, threads), a preemptible kernel's maxactive).")
    var objects: Int?

    @Flag(help: "Do not pin threads to CPUs.")
    var noPin = false

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
      try outputOptions.validateNoJSONLines("bench pool")
      guard seconds > 0, seconds.isFinite, seconds <= 86_400 else { throw ValidationError("--seconds must be positive (at most a day), got \(seconds)") }
      if let objects, objects < 1 || objects > 1 << 24 {
        throw ValidationError("--objects must be between 1 and 16777216, got \(objects)")
      }
    }

    func run() throws {
      let benchmark = PoolBenchmark(
        threadCounts: threads, duration: .nanoseconds(Int64(seconds * 1e9)), kinds: implementations,
        objects: objects, pinsThreads: !noPin)
      let report = benchmark.run()
      try outputOptions.write { try PoolBenchmarkRenderer.render(report, as: $0) }
    }
  }
}

extension PoolKind {
  /// `--implementations freelist,array`: the kinds named, in order, each once.
  /// - Throws: `ValidationError` for an unknown name or an empty list.
  @Sendable static func list(_ text: String) throws -> [PoolKind] {
    var kinds: [PoolKind] = []
    for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
      guard let kind = PoolKind(rawValue: name) else {
        throw ValidationError("unknown implementation '\(name)' (\(PoolKind.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      if !kinds.contains(kind) { kinds.append(kind) }
    }
    guard !kinds.isEmpty else { throw ValidationError("no implementation named") }
    return kinds
  }
}
