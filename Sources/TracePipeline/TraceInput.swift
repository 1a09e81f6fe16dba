import Foundation
import TraceModel
import TraceNative
import TraceReaders

/// One input, opened as the reader its format calls for: the first step of every pipeline.
///
/// The format is read from the content (``detectInput(path:)``: trace.dat magic, first lines,
/// gzip/zstd) unless the caller names it. Event traces (trace.dat, ftrace and trace-cmd report
/// text, perf script) feed ``forEachEventInTimeOrder(fields:_:)``; a kernel log gives batches
/// only (its `Took N usec` records); `perf report --stdio` and `/proc/interrupts` snapshots are
/// analyzed whole by `SummaryInputAnalysis`.
public enum TraceInput {
  case traceDat(TraceDatReader)
  case text(FtraceTextSource)
  case perfScript(PerfScriptSource)
  /// `dmesg` with `Took N usec`-style duration lines: batches, no events; `skippedLines` is
  /// what a lenient read left out.
  case kernelLog(KernelLog, skippedLines: Int, path: String)
  /// `perf report --stdio` or `/proc/interrupts` snapshots: analyzed whole by
  /// `SummaryInputAnalysis` (no events).
  case summary(InputFormat, path: String)

  /// What the input says about itself (file, format, uname, CPU count, kallsyms).
  public var metadata: TraceMetadata {
    switch self {
    case .traceDat(let reader): return reader.metadata
    case .text(let source): return source.metadata
    case .perfScript(let source): return source.metadata
    case .kernelLog(_, _, let path): return TraceMetadata(file: path, formatDescription: "kernel log")
    case .summary(let format, let path): return TraceMetadata(file: path, formatDescription: format.rawValue)
    }
  }

  /// Opens `path` (`-` is standard input), reading its format from its content unless
  /// `format` is given.
  ///
  /// - Parameters:
  ///   - lenient: skip malformed text lines (counted) instead of throwing.
  ///   - progress: makes the ``ReadProgress`` that trace.dat and text readers advance, given
  ///     the bytes they will read (trace.dat: the CPU data; text: the file when its size is
  ///     known, else 0).
  /// - Throws: ``TraceParseError`` or `NativeTraceError` from the reader;
  ///   ``UnusableInput`` for a format with nothing to analyze (perf stat, bpftool).
  public static func open(
    _ path: String, format: InputFormat? = nil, lenient: Bool = false, progress: ((_ totalBytes: Int) -> ReadProgress)? = nil
  ) throws -> TraceInput {
    let detected = try format ?? detectInput(path: path).format
    switch detected {
    case .traceDat:
      var reader = try TraceDatReader(path: path)
      InputWarnings.note(reader.formatWarnings.map { "\(path): \($0)" })
      reader.progress = progress?(reader.dataBytes)
      return .traceDat(reader)
    case .ftraceText, .traceCmdReport:
      // A large plain file is read in byte ranges on every core (FtraceTextSource+FileOrder).
      var source = try FtraceTextSource(
        path: path, options: TextReaderOptions(lenient: lenient), orderedRangeBytes: textRangeBytes)
      source.progress = progress?(plainFileSize(path) ?? 0)
      return .text(source)
    case .perfScript:
      return .perfScript(try PerfScriptSource(path: path, options: TextReaderOptions(lenient: lenient)))
    case .dmesg:
      let (log, skipped) = try KernelLogReader.read(path: path, options: TextReaderOptions(lenient: lenient))
      return .kernelLog(log, skippedLines: skipped.count, path: path)
    case .perfReport, .procInterrupts:
      return .summary(detected, path: path)
    default:
      throw UnusableInput(path: path, reason: .noEventsToAnalyze(detected))
    }
  }

  /// The size of the byte ranges a large text file is read in, in bytes: big enough that the
  /// few hundred lines each range reads past its end are noise, small enough that the events
  /// of the ranges read ahead stay a few tens of megabytes.
  public static let textRangeBytes = 32 << 20

  /// The size in bytes of a regular, uncompressed file (what a text reader will read); nil for
  /// standard input, pipes and gzip/zstd files (their decompressed size is not known up front).
  public static func plainFileSize(_ path: String) -> Int? {
    guard path != "-", let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard Compression(firstBytes: handle.readData(ofLength: 4)) == .none else { return nil }
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    return (attributes[.size] as? NSNumber)?.intValue
  }

  /// What a pass over an input's events left out or learnt on the way.
  public struct FeedCounts: Hashable, Sendable {
    /// Events the reader read but left out (outside the field selection).
    public var skippedEvents: Int
    /// Malformed lines a lenient text reader skipped.
    public var skippedLines: Int
    /// The highest CPU a text reader saw; -1 for trace.dat (its header has the CPU count) and
    /// for inputs without events.
    public var highestCPU: Int

    public init(skippedEvents: Int, skippedLines: Int, highestCPU: Int) {
      self.skippedEvents = skippedEvents
      self.skippedLines = skippedLines
      self.highestCPU = highestCPU
    }

    /// The counts of a pass over a text input.
    public init(textCounts counts: TextReadCounts) {
      self.init(skippedEvents: counts.skippedEvents, skippedLines: counts.skipped.count, highestCPU: counts.highestCPU)
    }
  }

  /// Calls `body` with every event in time order: trace.dat streams are decoded on a thread
  /// each and merged by timestamp; a text input comes in file order (report text is in time
  /// order), a large file read in byte ranges on several threads. Kernel logs
  /// and summary inputs have no events.
  @discardableResult
  public func forEachEventInTimeOrder(fields: FieldSelection, _ body: (TraceEvent) throws -> Void) throws -> FeedCounts {
    switch self {
    case .traceDat(let reader):
      return FeedCounts(skippedEvents: try reader.forEachEventInTimeOrderConcurrently(fields: fields, body), skippedLines: 0, highestCPU: -1)
    case .text(let source):
      let counts = try source.forEachEventInFileOrder(fields: fields, body)
      return FeedCounts(textCounts: counts)
    case .perfScript(let source):
      var stream = try source.stream(0, fields: fields)
      while let event = try stream.next() { try body(event) }
      return FeedCounts(skippedEvents: stream.skippedEvents, skippedLines: stream.skipped.count, highestCPU: stream.highestCPU)
    case .kernelLog(_, let skippedLines, _):
      return FeedCounts(skippedEvents: 0, skippedLines: skippedLines, highestCPU: -1)
    case .summary:
      return FeedCounts(skippedEvents: 0, skippedLines: 0, highestCPU: -1)
    }
  }
}
