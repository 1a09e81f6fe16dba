import Foundation
import SystemPackage
import TraceModel

/// A live capture in a private tracefs instance (`pokestat-<pid>`): sources chosen by what
/// the kernel allows, per-CPU pages streamed while it runs, and every change undone by
/// ``restore()``.
///
/// ```swift
/// let capture = try LiveCapture(options: .init(bufferSizeKilobytes: 4096, stacktrace: false))
/// defer { _ = capture.restore() }
/// try capture.start()
/// try capture.mark("FLIP_BEGIN bpf_stats_enabled=1")
/// let result = try capture.finish()
/// try TraceDatWriter.write(result.contents, to: "trace.dat")
/// ```
///
/// Nothing outside the instance is changed except sysctls set with ``setSysctl(_:to:)`` and,
/// on kernels without `ipi:*` tracepoints, kprobes in `kprobe_events`; both are named in
/// `/run/pokestat/<pid>.state` before they change, for ``cleanUpAfterCrashedRuns()``.
public final class LiveCapture {  // not Sendable: set up, run and restored by one thread
  /// Settings of the instance.
  public struct Options: Sendable {
    /// Ring-buffer size per CPU in KiB (nil: the kernel's default for new instances).
    public var bufferSizeKilobytes: Int?
    /// Record a kernel stack with each event (`options/stacktrace`).
    public var stacktrace: Bool
    public init(bufferSizeKilobytes: Int? = nil, stacktrace: Bool = false) {
      self.bufferSizeKilobytes = bufferSizeKilobytes
      self.stacktrace = stacktrace
    }
  }

  /// What ``finish()`` returns: the trace.dat contents and the events the kernel lost.
  public struct Result: Sendable {
    public var contents: TraceDatContents
    /// `overrun` + `dropped events` of each CPU's stats at the end.
    public var lostEventsPerCPU: [Int: Int]
    public var lostEvents: Int { lostEventsPerCPU.values.reduce(0, +) }
  }

  public let instanceName: String
  /// Every source probed, chosen or not, with the reason.
  public private(set) var sources: [CaptureSource] = []
  /// The CPUs the instance has buffers for.
  public let cpus: [Int]

  private let tracingDirectory: String
  private let instance: TracefsInstance
  private var state: RecordState
  private var collector: CPUPageCollector?
  /// The enabled events counted live, "system/name" → kind (ids are read at ``start()``).
  private var liveCounted: [String: LiveEventTally.Kind] = [:]
  /// Running counts while recording (events, IPI sends, batches), for a progress line.
  public private(set) var tally = LiveEventTally(kinds: [:])
  private var isRestored = false
  private let subbufferSize: Int

  /// Checks the environment, saves the state file, creates the instance and enables the sources.
  ///
  /// - Throws: ``LiveCaptureError`` (not root, tracefs missing, no IPI source, instance
  ///   exists) or ``NativeTraceError`` naming the tracefs call that failed. Whatever was
  ///   changed before the failure is undone.
  public init(options: Options) throws {
    tracingDirectory = try TracingEnvironment.check()
    let pid = TracefsFiles.processID
    instanceName = "pokestat-\(pid)"
    state = RecordState(pid: pid, instance: instanceName)
    try state.save()
    do {
      instance = try TracefsInstance(creating: instanceName)
    } catch {
      state.remove()
      if error.errno == .fileExists { throw LiveCaptureError.instanceExists(instanceName) }
      throw error
    }
    cpus = TracefsFiles.list(tracingDirectory + "/instances/\(instanceName)/per_cpu")
      .compactMap { $0.hasPrefix("cpu") ? Int($0.dropFirst(3)) : nil }.sorted()
    let subbufferText = (try? instance.read("buffer_subbuf_size_kb"))?.split(separator: "\n").first
    subbufferSize = subbufferText.flatMap { Int($0) }.map { $0 * 1024 } ?? TracefsFiles.pageSize
    do {
      try instance.setTracing(false)
      if let kilobytes = options.bufferSizeKilobytes { try instance.setBufferSize(kilobytes: kilobytes) }
      var selection = CaptureSourceSelection()
      try selection.enable(
        in: instance, tracingDirectory: tracingDirectory, stacktrace: options.stacktrace,
        kprobeGroup: "pokestat_\(pid)",
        beforeGlobalChange: { names in
          state.kprobes = names
          try state.save()
        })
      sources = selection.sources
      liveCounted = selection.liveCounted
    } catch {
      _ = restore()
      throw error
    }
  }

  /// Starts the reader threads, then recording (`tracing_on`).
  public func start() throws {
    precondition(collector == nil, "capture started twice")
    var paths: [Int: String] = [:]
    for cpu in cpus { paths[cpu] = try instance.path(of: "per_cpu/cpu\(cpu)/trace_pipe_raw") }
    var kinds: [Int: LiveEventTally.Kind] = [:]
    for (event, kind) in liveCounted {
      let idText = try? TracefsFiles.readText(tracingDirectory + "/events/\(event)/id")
      if let id = idText.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) { kinds[id] = kind }
    }
    tally = LiveEventTally(kinds: kinds)
    collector = CPUPageCollector(paths: paths, subbufferSize: subbufferSize, tally: tally)
    try instance.setTracing(true)
  }

  /// Events, IPI sends and batches read so far (see ``LiveEventTally``).
  public var progress: LiveEventTally.Counts { tally.counts }

  /// Writes a line into the instance's `trace_marker` (an `ftrace:print` event).
  public func mark(_ text: String) throws {
    try instance.write(text, to: "trace_marker")
  }

  /// The file of a sysctl named like `kernel.bpf_stats_enabled`.
  public static func sysctlPath(_ name: String) -> String {
    "/proc/sys/" + name.replacingOccurrences(of: ".", with: "/")
  }

  /// The current value of a sysctl.
  ///
  /// - Throws: ``LiveCaptureError/sysctl(name:reason:)`` when it does not exist.
  public static func sysctlValue(_ name: String) throws -> String {
    let path = sysctlPath(name)
    guard TracefsFiles.exists(path) else { throw LiveCaptureError.sysctl(name: name, reason: "does not exist (\(path))") }
    return try TracefsFiles.readText(path).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Writes a sysctl, first saving its original value in the state file (once).
  public func setSysctl(_ name: String, to value: String) throws {
    let path = Self.sysctlPath(name)
    if state.sysctls[path] == nil {
      state.sysctls[path] = try Self.sysctlValue(name)
      try state.save()
    }
    try TracefsFiles.write(value + "\n", to: path)
  }

  /// Puts every sysctl changed back to its original value.
  public func restoreSysctls() throws {
    for (path, value) in state.sysctls.sorted(by: { $0.key < $1.key }) {
      try TracefsFiles.write(value + "\n", to: path)
    }
  }

  /// Stops recording, drains every CPU's buffer, and gathers what a trace.dat needs.
  ///
  /// - Throws: ``NativeTraceError`` for a failed read of a tracefs or proc file.
  public func finish() throws -> Result {
    try instance.setTracing(false)
    let pages = try collector?.stop() ?? [:]
    collector = nil
    var stats: [Int: String] = [:]
    var lost: [Int: Int] = [:]
    for cpu in cpus {
      let text = try instance.read("per_cpu/cpu\(cpu)/stats")
      stats[cpu] = text
      lost[cpu] = text.split(separator: "\n").reduce(0) { total, line in
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0] == "overrun" || parts[0] == "dropped events" else { return total }
        return total + (Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0)
      }
    }
    let clockFile = try instance.read("trace_clock").trimmingCharacters(in: .newlines)
    let clock = clockFile.split(separator: "[").dropFirst().first?.split(separator: "]").first.map(String.init) ?? "local"
    let root = tracingDirectory
    var systems: [TraceDatContents.EventSystem] = []
    for system in TracefsFiles.list(root + "/events") where system != "ftrace" {
      let folder = root + "/events/" + system
      var formats: [[UInt8]] = []
      for event in TracefsFiles.list(folder) where TracefsFiles.exists(folder + "/" + event + "/format") {
        if let format = try? TracefsFiles.readBytes(folder + "/" + event + "/format") { formats.append(format) }
      }
      if !formats.isEmpty { systems.append(.init(name: system, formats: formats)) }
    }
    var ftrace: [[UInt8]] = []
    for event in TracefsFiles.list(root + "/events/ftrace") where TracefsFiles.exists(root + "/events/ftrace/\(event)/format") {
      ftrace.append(try TracefsFiles.readBytes(root + "/events/ftrace/\(event)/format"))
    }
    let contents = TraceDatContents(
      pageSize: TracefsFiles.pageSize,
      headerPage: try TracefsFiles.readBytes(root + "/events/header_page"),
      headerEvent: try TracefsFiles.readBytes(root + "/events/header_event"),
      ftraceFormats: ftrace, eventSystems: systems,
      kallsyms: try TracefsFiles.readBytes("/proc/kallsyms"),
      printkFormats: try TracefsFiles.readBytes(root + "/printk_formats"),
      savedCmdlines: try TracefsFiles.readBytes(root + "/saved_cmdlines"),
      uname: TracefsFiles.unameText(), traceClockFile: clockFile, clock: clock, cpuCount: cpus.count,
      cpuStats: stats, subbufferSize: subbufferSize,
      cpuPages: cpus.map { TraceDatContents.CPUPages(cpu: $0, bytes: pages[$0] ?? []) })
    return Result(contents: contents, lostEventsPerCPU: lost)
  }

  /// Undoes everything: stops recording and the readers, removes the instance and any
  /// kprobes, restores sysctls and deletes the state file. Safe to call more than once.
  ///
  /// - Returns: what could not be undone, one sentence each (empty when all went well).
  @discardableResult
  public func restore() -> [String] {
    guard !isRestored else { return [] }
    isRestored = true
    var problems: [String] = []
    try? instance.setTracing(false)
    if let collector {
      _ = try? collector.stop()
      self.collector = nil
    }
    do { try instance.destroy() } catch { problems.append("\(error)") }
    CaptureSourceSelection.removeKprobes(state.kprobes, tracingDirectory: tracingDirectory)
    do { try restoreSysctls() } catch { problems.append("\(error)") }
    if problems.isEmpty { state.remove() }
    return problems
  }

  deinit { restore() }

  /// Finds what crashed runs left behind (state files and `pokestat-<pid>` instances whose
  /// process is gone) and undoes it.
  ///
  /// - Returns: one line per thing cleaned or left (because it could not be).
  /// - Throws: ``LiveCaptureError`` when not root or tracefs is missing.
  public static func cleanUpAfterCrashedRuns() throws -> [String] {
    let root = try TracingEnvironment.check()
    var report: [String] = []
    let me = TracefsFiles.processID
    for (path, state) in RecordState.all() {
      guard let state else {
        try? FileManager.default.removeItem(atPath: path)
        report.append("removed unreadable state file \(path)")
        continue
      }
      guard state.pid != me, !TracefsFiles.isAlive(state.pid) else { continue }
      var failed = false
      if let instance = try? TracefsInstance(existing: state.instance) {
        do {
          try instance.destroy()
          report.append("removed instance \(state.instance)")
        } catch {
          failed = true
          report.append("could not remove instance \(state.instance): \(error)")
        }
      }
      if !state.kprobes.isEmpty {
        CaptureSourceSelection.removeKprobes(state.kprobes, tracingDirectory: root)
        report.append("removed kprobes \(state.kprobes.joined(separator: ", "))")
      }
      for (file, value) in state.sysctls.sorted(by: { $0.key < $1.key }) {
        do {
          try TracefsFiles.write(value + "\n", to: file)
          report.append("restored \(file) to \(value)")
        } catch {
          failed = true
          report.append("could not restore \(file) to \(value): \(error)")
        }
      }
      if !failed { state.remove() }
    }
    for name in TracefsInstance.names(matching: "^pokestat-[0-9]+$") {
      guard let pid = Int32(name.dropFirst("pokestat-".count)), pid != me, !TracefsFiles.isAlive(pid) else { continue }
      do {
        try TracefsInstance(existing: name).destroy()
        report.append("removed instance \(name)")
      } catch {
        report.append("could not remove instance \(name): \(error)")
      }
    }
    return report
  }
}
