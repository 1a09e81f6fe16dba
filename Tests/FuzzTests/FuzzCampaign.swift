import Foundation
import TraceComparison
import TraceModel
import TraceNative
import TracePipeline
import TraceTestSupport

/// A seeded run of the mutation fuzzer: `cases` mutated copies of the seeds, each given to
/// `dump`, `analyze --json`, `stats` and `check`, in this process or as subprocesses.
///
/// A case passes when every command ends with success or a typed error (``TraceParseError``,
/// ``NativeTraceError``, a refused format) whose message is one line; as a subprocess, when
/// it exits 0, 1 or 2 within the time and memory caps, with exactly one line on standard error
/// for 2. Anything else (a signal, a hang, a silent or multi-line exit 2, another exit status,
/// an error of another type) is a failure; its input is saved with the seed and case number.
struct FuzzCampaign {
  enum Mode: String { case inProcess = "in-process", subprocess }

  var seed: UInt64
  var cases: Int
  /// First case number (cases `firstCase ..< firstCase + cases` run), to replay or split a run.
  var firstCase = 0
  var mode: Mode
  var seeds: [FuzzSeed]
  /// Where failing inputs are written (`seed-S-case-N.EXT` and `failures.txt`); nil: nowhere.
  var saveFolder: URL?
  /// Where every case's input is written (to replay one case: `POKESTAT_FUZZ_FIRST=N
  /// POKESTAT_FUZZ_CASES=1 POKESTAT_FUZZ_KEEP=folder`); nil: nowhere.
  var keepFolder: URL?
  var timeoutSeconds = 10.0

  /// One failing command of one case.
  struct Failure: CustomStringConvertible {
    enum Kind: String { case signal, hang, messageless, multiLine = "multi-line message", untypedError = "untyped error", badStatus = "exit status" }
    var caseNumber: Int
    var seedName: String
    var mutations: [Mutation]
    var command: String
    var kind: Kind
    var detail: String
    var savedAs: String?

    var description: String {
      "case \(caseNumber) [\(seedName)] \(command): \(kind.rawValue): \(detail)\n    mutations: "
        + mutations.map(\.description).joined(separator: "; ") + (savedAs.map { "\n    saved: \($0)" } ?? "")
    }
  }

  struct Summary: CustomStringConvertible {
    var seed: UInt64
    var mode: Mode
    var cases = 0
    var runs = 0
    var succeeded = 0
    var rejected = 0
    var failures: [Failure] = []
    var seconds = 0.0
    var slowest = (seconds: 0.0, what: "")

    func count(_ kind: Failure.Kind) -> Int { failures.filter { $0.kind == kind }.count }

    var description: String {
      var text = """
        fuzz seed \(seed), \(mode.rawValue): \(cases) cases, \(runs) command runs in \(String(format: "%.1f", seconds)) s \
        (\(succeeded) succeeded, \(rejected) typed errors); signals \(count(.signal)), hangs \(count(.hang)), \
        messageless exits \(count(.messageless)), multi-line messages \(count(.multiLine)), \
        untyped errors \(count(.untypedError)), other exit statuses \(count(.badStatus))
        """
      if mode == .subprocess { text += String(format: "; slowest run %.2f s (%@)", slowest.seconds, slowest.what) }
      for failure in failures.prefix(50) { text += "\n  \(failure)" }
      return text
    }
  }

  /// Runs the campaign. Stops early after `maxFailures` failures.
  func run(maxFailures: Int = 25) throws -> Summary {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-fuzz-\(getpid())-\(seed)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    if let saveFolder { try FileManager.default.createDirectory(at: saveFolder, withIntermediateDirectories: true) }
    if mode == .inProcess {
      // A trap ends this process before anything is reported: the trapping case's input is the
      // only file left in the scratch folder.
      print("fuzz: seed \(seed), cases \(firstCase)..<\(firstCase + cases); a trap leaves its input in \(scratch.path)")
    }
    var summary = Summary(seed: seed, mode: mode)
    let start = Date()
    let mutators = seeds.map(\.mutator)
    for caseNumber in firstCase..<firstCase + cases {
      var rng = SplitMix64(seed: seed, case: caseNumber)
      let seedIndex = rng.below(seeds.count)
      let (bytes, mutations) = mutators[seedIndex].mutate(seeds[seedIndex].bytes, rng: &rng)
      let input = scratch.appendingPathComponent("case-\(caseNumber).\(seeds[seedIndex].fileExtension)")
      try Data(bytes).write(to: input)
      if let keepFolder {
        try FileManager.default.createDirectory(at: keepFolder, withIntermediateDirectories: true)
        try Data(bytes).write(to: keepFolder.appendingPathComponent("seed-\(seed)-case-\(caseNumber).\(seeds[seedIndex].fileExtension)"))
      }
      defer { try? FileManager.default.removeItem(at: input) }
      summary.cases += 1
      for command in InProcessPipeline.commands {
        summary.runs += 1
        let problem: (Failure.Kind, String)?
        switch mode {
        case .inProcess: problem = runInProcess(command, input.path, &summary)
        case .subprocess: problem = try runSubprocess(command, input.path, scratch: scratch, &summary)
        }
        guard let (kind, detail) = problem else { continue }
        var failure = Failure(caseNumber: caseNumber, seedName: seeds[seedIndex].name, mutations: mutations,
                              command: command, kind: kind, detail: detail)
        if let saveFolder {
          let saved = saveFolder.appendingPathComponent("seed-\(seed)-case-\(caseNumber).\(seeds[seedIndex].fileExtension)")
          try Data(bytes).write(to: saved)
          failure.savedAs = saved.path
          let log = saveFolder.appendingPathComponent("failures.txt")
          if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
          let handle = try FileHandle(forWritingTo: log)
          handle.seekToEndOfFile()
          handle.write(Data("\(failure)\n".utf8))
          try handle.close()
        }
        summary.failures.append(failure)
        break  // one failure per case is enough to report it
      }
      if summary.failures.count >= maxFailures { break }
    }
    summary.seconds = Date().timeIntervalSince(start)
    return summary
  }

  private func runInProcess(_ command: String, _ path: String, _ summary: inout Summary) -> (Failure.Kind, String)? {
    do {
      try InProcessPipeline.run(command, path: path)
      summary.succeeded += 1
      return nil
    } catch {
      let message: String
      switch error {
      case let error as TraceParseError: message = error.description
      case let error as NativeTraceError: message = error.description
      case let error as InProcessPipeline.Refused: message = error.description
      case let error as UnusableInput: message = error.description
      case let error as CheckInputError: message = error.description
      default: return (.untypedError, "\(type(of: error)): \(error)")
      }
      if message.isEmpty || message.contains("\n") { return (.multiLine, message) }
      summary.rejected += 1
      return nil
    }
  }

  private func runSubprocess(_ command: String, _ path: String, scratch: URL, _ summary: inout Summary) throws -> (Failure.Kind, String)? {
    let arguments = command == "analyze" ? ["analyze", "--json", path] : [command, path]
    var result = try SubprocessRun.run(arguments, timeoutSeconds: timeoutSeconds, scratch: scratch)
    if result.ending == .timedOut {
      // The machine is shared: give a slow run one more, longer chance before calling it a hang.
      result = try SubprocessRun.run(arguments, timeoutSeconds: timeoutSeconds * 4, scratch: scratch)
    }
    if result.seconds > summary.slowest.seconds { summary.slowest = (result.seconds, command) }
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    switch result.ending {
    case .timedOut: return (.hang, "killed after \(Int(timeoutSeconds * 4)) s")
    case .signal(let signal): return (.signal, "signal \(signal); stderr: \(result.stderr.prefix(300))")
    case .exited(0), .exited(1):
      summary.succeeded += 1
      return nil
    case .exited(2):
      if lines.isEmpty { return (.messageless, "exit 2 with nothing on standard error") }
      if lines.count > 1 { return (.multiLine, String(result.stderr.prefix(500))) }
      summary.rejected += 1
      return nil
    case .exited(let status): return (.badStatus, "exit \(status); stderr: \(result.stderr.prefix(300))")
    }
  }
}

extension FuzzCampaign {
  /// The campaign's settings from the environment (`make fuzz` sets them): `POKESTAT_FUZZ_SEED`
  /// (default `defaultSeed`), `POKESTAT_FUZZ_CASES`, `POKESTAT_FUZZ_FIRST`, `POKESTAT_FUZZ_KEEP`, `POKESTAT_FUZZ_MODE`
  /// (`in-process` or `subprocess`), `POKESTAT_FUZZ_OUT` (folder for failing inputs),
  /// `POKESTAT_FUZZ_FULL=1` (whole fixtures instead of the small seeds), `POKESTAT_FUZZ_TIMEOUT`.
  static func fromEnvironment(defaultSeed: UInt64, defaultCases: Int, defaultMode: Mode) throws -> FuzzCampaign {
    let environment = ProcessInfo.processInfo.environment
    func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    let full = value("POKESTAT_FUZZ_FULL") == "1"
    var campaign = FuzzCampaign(
      seed: value("POKESTAT_FUZZ_SEED").flatMap { UInt64($0) } ?? defaultSeed,
      cases: value("POKESTAT_FUZZ_CASES").flatMap { Int($0) } ?? defaultCases,
      mode: value("POKESTAT_FUZZ_MODE").flatMap { Mode(rawValue: $0) } ?? defaultMode,
      seeds: try FuzzCorpus.seeds(small: !full),
      saveFolder: value("POKESTAT_FUZZ_OUT").map { URL(fileURLWithPath: $0) })
    campaign.keepFolder = value("POKESTAT_FUZZ_KEEP").map { URL(fileURLWithPath: $0) }
    campaign.firstCase = value("POKESTAT_FUZZ_FIRST").flatMap { Int($0) } ?? 0
    if let timeout = value("POKESTAT_FUZZ_TIMEOUT").flatMap({ Double($0) }) { campaign.timeoutSeconds = timeout }
    return campaign
  }
}
