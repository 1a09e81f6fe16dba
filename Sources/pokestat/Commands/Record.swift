import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import TraceAnalysis
import TraceComparison
import TraceModel
import TraceNative
import TracePipeline
import TraceReaders
import TraceReports

extension Pokestat {
  /// `pokestat record`: a live capture in a private tracefs instance, then analysis and check.
  struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Capture IPIs and text_poke activity live (private tracefs instance), then analyze and check.",
      discussion: """
        Captures in a tracefs instance of its own (pokestat-<pid>), never the top-level \
        buffer, with the best sources the kernel allows (ipi:*, irq_vectors:call_function*, \
        csd:* tracepoints; kprobes on the IPI send functions where the tracepoints are \
        missing), reading every CPU's ring buffer while the workload runs. Workloads: \
        `-- CMD ARGS` (run without a shell), `--flip kernel.bpf_stats_enabled=1,0 --times N` \
        (FLIP_BEGIN/FLIP_END markers around each write; the original value is restored), \
        or `--duration 10s`.

        At the end it prints the analysis (as `pokestat analyze`) and the model's verdict \
        (as `pokestat check`), and with -o writes a trace.dat (v7) that trace-cmd and \
        pokestat read. Every change is undone on exit, error, SIGINT and SIGTERM (exit \
        130/143); `--cleanup` undoes what a crashed run left (state in /run/pokestat).

        Kernels without ipi tracepoints get kprobes on the send functions with their \
        arguments (cpumask word, target CPU); a kprobe/kretprobe pair on the batch function \
        (with its entry count) is added wherever kprobe_events exists, and function_graph where \
        the kernel lets an instance run it. --int3 samples cycles with call chains where a \
        hardware PMU exists.

        Exit status: 0 success; 1 the check found an unexplained difference or nothing to \
        check; 2 bad options, a missing capability (not root, tracefs not mounted), or no \
        model rules for this architecture.
        """)

    @Option(help: "Flip a sysctl through these values, e.g. kernel.bpf_stats_enabled=1,0.")
    var flip: String?

    @Option(help: "With --flip: how many times to cycle through the values.")
    var times = 1

    @Option(help: "With --flip: pause after each flip (e.g. 100ms, 1s).")
    var interval = "100ms"

    @Option(help: "Capture for this long (e.g. 10s, 500ms) with no workload.")
    var duration: String?

    @Option(name: .customLong("buffer-size"), help: "Ring-buffer size per CPU in KiB.")
    var bufferSize: Int?

    @Flag(help: "Record a kernel stack with each event (the instance's options/stacktrace).")
    var stacktrace = false

    @Flag(help: "Also sample every CPU with cycles and kernel call chains (perf_event_open) to count int3 handler hits; needs a hardware PMU.")
    var int3 = false

    @Option(name: .shortAndLong, help: "Write the captured trace.dat (v7) to this file.", completion: .file())
    var output: String?

    @Option(help: "Compression of the -o trace.dat: none or zstd.")
    var compression: TraceDatWriter.Compression = .none

    @Option(help: "Report format: table, markdown, json or csv.")
    var format: ReportFormat = .table

    @Flag(help: "Print the analysis as JSON (the contract of `pokestat analyze --json`).")
    var json = false

    @Option(help: "Write the report (analysis and verdict) to this file instead of standard output; -o names the trace.", completion: .file())
    var report: String?

    @Flag(help: "Remove what crashed runs left behind (pokestat-* instances, sysctls saved in /run/pokestat) and exit.")
    var cleanup = false

    @Argument(parsing: .postTerminator, help: "A command to run during the capture (after --).")
    var command: [String] = []

    func validate() throws {
      if cleanup { return }
      let workloads = [flip != nil, duration != nil, !command.isEmpty].filter { $0 }.count
      if workloads != 1 { throw ValidationError("give one workload: --flip SYSCTL=V1,V2, --duration TIME, or -- CMD ARGS") }
      if times < 1 { throw ValidationError("--times must be at least 1") }
      if let bufferSize, bufferSize < 4 { throw ValidationError("--buffer-size must be at least 4 (KiB)") }
      if Self.seconds(interval) == nil { throw ValidationError("--interval: \"\(interval)\" is not a time like 100ms or 1s") }
      if let duration, Self.seconds(duration) == nil { throw ValidationError("--duration: \"\(duration)\" is not a time like 10s or 500ms") }
      if let flip, Self.parseFlip(flip) == nil {
        throw ValidationError("--flip: \"\(flip)\" is not SYSCTL=VALUE[,VALUE...] like kernel.bpf_stats_enabled=1,0")
      }
    }

    /// Seconds in "100ms", "1.5s", "500us", "2m" or a bare number of seconds.
    static func seconds(_ text: String) -> Double? {
      for (suffix, scale) in [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
        return Double(text.dropLast(suffix.count)).flatMap { $0 >= 0 ? $0 * scale : nil }
      }
      return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// "kernel.bpf_stats_enabled=1,0" → ("kernel.bpf_stats_enabled", ["1", "0"]).
    static func parseFlip(_ text: String) -> (name: String, values: [String])? {
      let parts = text.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains("/"), !parts[0].contains("..") else { return nil }
      let values = parts[1].split(separator: ",").map(String.init)
      guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else { return nil }
      return (String(parts[0]), values)
    }

    func run() throws {
      if cleanup {
        let lines = try LiveCapture.cleanUpAfterCrashedRuns()
        print(lines.isEmpty ? "nothing to clean up" : lines.joined(separator: "\n"))
        return
      }
      let flipPlan = flip.flatMap(Self.parseFlip)
      if let flipPlan { _ = try LiveCapture.sysctlValue(flipPlan.name) }  // exists, before anything changes
      let executable = command.isEmpty ? nil : try Self.resolve(command[0])
      _ = try TracingEnvironment.check()

      let stop = StopRequest()
      let signalSources = stop.install()
      defer { for source in signalSources { source.cancel() } }

      let capture = try LiveCapture(options: .init(bufferSizeKilobytes: bufferSize, stacktrace: stacktrace))
      defer { report(problems: capture.restore()) }
      let progress = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
      for source in capture.sources { progress.note("source \(source)") }

      var sampling: Int3Sampling?
      if int3 {
        do {
          sampling = try Int3Sampling(cpus: capture.cpus)
          progress.note("source + perf cycles with kernel call chains on \(capture.cpus.count) CPUs (--int3)")
        } catch let unavailable as Int3Sampling.Unavailable {
          progress.note(unavailable.description)
        }
      }
      try capture.start()
      sampling?.start()
      var flipsDone = 0
      let flipsTotal = (flipPlan?.values.count ?? 0) * times
      let started = Date()
      var rate = RecordRate()
      func show() {
        let counts = capture.progress
        let elapsed = Date().timeIntervalSince(started)
        let flips = flipsTotal > 0 ? "  flips \(flipsDone)/\(flipsTotal)" : ""
        progress.update(Self.liveLine(counts, elapsed: elapsed, eventsPerSecond: rate.update(counts.events, at: elapsed)) + flips)
      }
      /// Sleeps up to `seconds`, updating the progress line; false when a signal asked to stop.
      func pause(_ seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
          if stop.signal != nil { return false }
          show()
          Thread.sleep(forTimeInterval: min(0.02, max(0, end.timeIntervalSinceNow)))
        }
        return stop.signal == nil
      }

      if let flipPlan {
        let key = flipPlan.name.split(separator: ".").last.map(String.init) ?? flipPlan.name
        let gap = Self.seconds(interval) ?? 0.1
        flipping: for _ in 0..<times {
          for value in flipPlan.values {
            if stop.signal != nil { break flipping }
            try capture.mark("FLIP_BEGIN \(key)=\(value)")
            try capture.setSysctl(flipPlan.name, to: value)
            try capture.mark("FLIP_END \(key)=\(value)")
            flipsDone += 1
            if !pause(gap) { break flipping }
          }
        }
        try capture.restoreSysctls()
      } else if let duration {
        _ = pause(Self.seconds(duration) ?? 0)
      } else {
        try runCommand(executable!, stop: stop, pause: pause)
      }
      // Let the last IPIs' receptions and the readers catch up.
      if stop.signal == nil { _ = pause(0.05) }
      progress.finish()
      let seconds = Date().timeIntervalSince(started)

      if let signal = stop.signal {
        report(problems: capture.restore())
        Foundation.exit(128 + signal)
      }
      let int3Result = sampling?.finish()
      let result = try capture.finish()
      // After finish: the readers have drained every page, so the counts are the trace's.
      progress.note(Self.summaryLine(capture.progress, seconds: seconds, flips: flipsDone))
      report(problems: capture.restore())
      try writeAndAnalyze(result, int3: int3Result, progress: progress)
    }

    /// The live line: "recording 2.4s  events 1520 (610/s)  IPI sends 45  batches 6".
    static func liveLine(_ counts: LiveEventTally.Counts, elapsed: Double, eventsPerSecond: Double) -> String {
      var line = String(format: "recording %.1fs  events %d (%.0f/s)  IPI sends %d", elapsed, counts.events, eventsPerSecond, counts.ipiSends)
      if let batches = counts.batches { line += "  batches \(batches)" }
      return line
    }

    /// The line `record` prints on standard error when capturing stops (raw event counts;
    /// the analysis that follows pairs and attributes them).
    static func summaryLine(_ counts: LiveEventTally.Counts, seconds: Double, flips: Int) -> String {
      var line = String(format: "recorded %d events in %.1f s: %d IPI send events", counts.events, seconds, counts.ipiSends)
      line += counts.batches.map { ", \($0) batch starts" } ?? " (no batch probe in this kernel: batches come from the analysis)"
      if flips > 0 { line += ", \(flips) flips" }
      return line
    }

    /// Runs `command` (no shell) and waits for it, passing SIGINT/SIGTERM on to it.
    private func runCommand(_ executable: String, stop: StopRequest, pause: (Double) -> Bool) throws {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = Array(command.dropFirst())
      do { try process.run() } catch { throw InputFailure("\(executable): cannot run it: \(error.localizedDescription)") }
      while process.isRunning {
        if !pause(0.02), let signal = stop.signal {
          kill(process.processIdentifier, signal)
          process.waitUntilExit()
          return
        }
      }
      if process.terminationStatus != 0 {
        FileHandle.standardError.write(Data("pokestat: \(executable) exited with status \(process.terminationStatus)\n".utf8))
      }
    }

    /// The path of the command to run: as given when it has a slash, else found in PATH.
    private static func resolve(_ tool: String) throws -> String {
      if tool.contains("/") {
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw InputFailure("\(tool): not an executable file") }
        return tool
      }
      guard let found = which(tool) else { throw InputFailure("\(tool): command not found in PATH") }
      return found
    }

    private static func which(_ tool: String) -> String? {
      for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
      }
      return nil
    }

    /// Writes the int3 samples as perf script text beside the trace (or in a temporary file)
    /// and analyzes it as `pokestat analyze` reads perf script; returns the int3 summary line.
    private func writeInt3(_ samples: Int3Sampling.Result, kallsyms: [UInt8], tracePath: String) throws -> String {
      let path = output.map { $0 + ".int3.txt" } ?? tracePath + ".int3.txt"
      // The kallsyms the capture saved (the same the trace.dat holds), not a second read.
      let symbols = kallsyms.withUnsafeBufferPointer { SymbolTable(kallsymsBytes: $0) }
      try PerfScriptWriter.render(samples.samples, symbols: symbols).write(toFile: path, atomically: true, encoding: .utf8)
      defer { if output == nil { try? FileManager.default.removeItem(atPath: path) } }
      let analysis = try Pipeline.analyze(path, format: .perfScript).report
      var line = "int3: \(analysis.int3.samples) of \(analysis.int3.totalSamples) cycles samples in the int3 handler"
      if let top = analysis.int3.callers.first { line += " (most interrupted: \(top.name), \(top.count))" }
      if samples.lost > 0 { line += "; the kernel lost \(samples.lost) samples: counts are lower bounds" }
      if output != nil { line += "\nint3 samples written to \(path) (perf script text)" }
      return line
    }

    private func writeAndAnalyze(_ result: LiveCapture.Result, int3: Int3Sampling.Result? = nil, progress: ProgressLine) throws {
      let path = output ?? FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-record-\(getpid()).dat").path
      defer { if output == nil { try? FileManager.default.removeItem(atPath: path) } }
      try TraceDatWriter.write(result.contents, to: path, compression: compression)
      if result.lostEvents > 0 {
        progress.note("the kernel lost \(result.lostEvents) events (ring buffer overruns): counts are lower bounds; try --buffer-size")
      }
      let analysis = try Pipeline.analyze(path, format: .traceDat).report
      let check = PredictionCheck.check(analysis, kernel: nil, cpus: nil)
      let format = json ? ReportFormat.json : self.format
      // The report goes to --report or standard output, written once it is whole.
      var text: String
      if format == .json {
        text = try AnalysisRenderer.json(analysis)
        if let int3 { progress.note(try writeInt3(int3, kallsyms: result.contents.kallsyms, tracePath: path)) }
      } else {
        text = try AnalysisRenderer.render(analysis, as: format) + "\n" + (try CheckRenderer.render(check, as: format))
        if let int3 { text += "\n" + (try writeInt3(int3, kallsyms: result.contents.kallsyms, tracePath: path)) + "\n" }
        if let output { text += "\ntrace written to \(output)\n" }
      }
      let sink = try OutputSink(path: report)
      sink.write(text)
      sink.flush()
      if let report { progress.note("report written to \(report)") }
      if check.verdict.exitStatus != 0 { throw ExitCode(check.verdict.exitStatus) }
    }

    private func report(problems: [String]) {
      for problem in problems { FileHandle.standardError.write(Data("pokestat: could not undo: \(problem)\n".utf8)) }
    }
  }
}

extension TraceDatWriter.Compression: ExpressibleByArgument {}

/// The signal (SIGINT or SIGTERM) that asked the capture to stop, set from a dispatch source.
final class StopRequest: Sendable {
  private let received = Mutex<Int32?>(nil)

  var signal: Int32? { received.withLock { $0 } }

  /// Ignores SIGINT and SIGTERM's default action and watches for them with dispatch sources.
  func install() -> [any DispatchSourceSignal] {
    let queue = DispatchQueue(label: "pokestat.signals")
    return [SIGINT, SIGTERM].map { number in
      Foundation.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { [self] in received.withLock { if $0 == nil { $0 = number } } }
      source.resume()
      return source
    }
  }
}

/// Events per second over the last second or so of a capture (the live line's rate).
struct RecordRate {
  private var mark: (seconds: Double, events: Int) = (0, 0)
  private var rate = 0.0

  /// Updates with the count at `seconds` since the start; returns the current rate.
  mutating func update(_ events: Int, at seconds: Double) -> Double {
    if seconds - mark.seconds >= 1 {
      rate = Double(events - mark.events) / (seconds - mark.seconds)
      mark = (seconds, events)
    } else if mark.seconds == 0, seconds > 0 {
      rate = Double(events) / seconds
    }
    return rate
  }
}

/// A one-line progress display on standard error when it is a terminal; silent otherwise
/// (notes are always printed).
final class ProgressLine {
  private let enabled: Bool
  private var lastUpdate = Date.distantPast
  private var shown = false

  init(enabled: Bool) { self.enabled = enabled }

  func update(_ text: String) {
    guard enabled, Date().timeIntervalSince(lastUpdate) > 0.1 else { return }
    lastUpdate = Date()
    shown = true
    FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
  }

  func note(_ text: String) {
    finish()
    FileHandle.standardError.write(Data("pokestat: \(text)\n".utf8))
  }

  func finish() {
    guard shown else { return }
    shown = false
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
