import Foundation
import ArgumentParser
import TraceModel
import TraceNative
import TraceReaders

/// Options every command that reads traces shares.
struct InputOptions: ParsableArguments {
  @Argument(help: "Inputs: trace.dat (v6/v7), ftrace or trace-cmd report text (gzip/zstd ok), '-' for standard input.",
            completion: .file())
  var files: [String] = []

  @Option(name: [.customShort("i"), .customLong("input")], help: "An input file (same as a positional FILE; repeatable).",
          completion: .file())
  var inputs: [String] = []

  @Option(help: "Read inputs as this format instead of detecting it from their content.")
  var inputFormat: InputFormat?

  @Flag(help: "Skip malformed text lines instead of stopping; the output says how many were skipped.")
  var lenient = false

  @Flag(name: .shortAndLong, help: "No progress line on standard error (it shows only on a terminal, for reads over a second).")
  var quiet = false

  var allFiles: [String] { inputs + files }

  func validate() throws {
    if allFiles.isEmpty { throw ValidationError("give at least one input file (or '-' for standard input)") }
  }
}

/// A trace opened by format detection, as one of the event sources pokestat reads.
enum OpenedTrace {
  case traceDat(TraceDatReader)
  case text(FtraceTextSource)
  case perfScript(PerfScriptSource)
  /// `dmesg` with `Took N usec`-style duration lines: batches, no events.
  case kernelLog(KernelLog, skipped: Int, path: String)
  /// `perf report --stdio` or `/proc/interrupts` snapshots: analyzed whole by
  /// `SummaryInputAnalysis` (no events).
  case summary(InputFormat, path: String)

  var metadata: TraceMetadata {
    switch self {
    case .traceDat(let reader): return reader.metadata
    case .text(let source): return source.metadata
    case .perfScript(let source): return source.metadata
    case .kernelLog(_, _, let path): return TraceMetadata(file: path, formatDescription: "kernel log")
    case .summary(let format, let path): return TraceMetadata(file: path, formatDescription: format.rawValue)
    }
  }

  /// Opens `path`, reading its format from its content unless `format` is given.
  /// `progress`, when given, is told the bytes read (trace.dat and text inputs).
  static func open(_ path: String, format: InputFormat?, lenient: Bool, progress: ReadProgressLine? = nil) throws -> OpenedTrace {
    let detected = try format ?? detectInput(path: path).format
    switch detected {
    case .traceDat:
      var reader = try TraceDatReader(path: path)
      reader.progress = progress?.progress(totalBytes: reader.dataBytes)
      return .traceDat(reader)
    case .ftraceText, .traceCmdReport:
      var source = try FtraceTextSource(path: path, options: TextReaderOptions(lenient: lenient))
      source.progress = progress?.progress(totalBytes: plainFileSize(path) ?? 0)
      return .text(source)
    case .perfScript:
      return .perfScript(try PerfScriptSource(path: path, options: TextReaderOptions(lenient: lenient)))
    case .dmesg:
      let (log, skipped) = try KernelLogReader.read(path: path, options: TextReaderOptions(lenient: lenient))
      return .kernelLog(log, skipped: skipped.count, path: path)
    case .perfReport, .procInterrupts:
      return .summary(detected, path: path)
    default:
      throw InputFailure("\(path): \(detected.rawValue) input has no events to analyze (analyze reads trace.dat, ftrace and trace-cmd report text, perf script, perf report, /proc/interrupts and kernel logs; compare reads the others)")
    }
  }

  /// The size of a regular, uncompressed file (what a text reader will read); nil for standard
  /// input, pipes and gzip/zstd files (their decompressed size is not known up front).
  static func plainFileSize(_ path: String) -> Int? {
    guard path != "-", let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    guard Compression(firstBytes: handle.readData(ofLength: 4)) == .none else { return nil }
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular
    else { return nil }
    return (attributes[.size] as? NSNumber)?.intValue
  }

  /// Feeds every event in time order; returns the events the reader left out (outside the
  /// selection), the malformed lines a lenient text reader skipped, and the highest CPU a text
  /// reader saw (-1 for trace.dat, whose header has the CPU count).
  @discardableResult
  func forEachEventInTimeOrder(fields: FieldSelection, _ body: (TraceEvent) throws -> Void) throws -> (skippedEvents: Int, skippedLines: Int, highestCPU: Int) {
    switch self {
    case .traceDat(let reader):
      return (try reader.forEachEventInTimeOrderConcurrently(fields: fields, body), 0, -1)
    case .text(let source):
      var stream = try source.stream(0, fields: fields)
      while let event = try stream.next() { try body(event) }
      return (stream.skippedEvents, stream.skippedLineCount, stream.highestCPU)
    case .perfScript(let source):
      var stream = try source.stream(0, fields: fields)
      while let event = try stream.next() { try body(event) }
      return (stream.skippedEvents, stream.skipped.count, stream.highestCPU)
    case .kernelLog(_, let skipped, _):
      return (0, skipped, -1)
    case .summary:
      return (0, 0, -1)
    }
  }
}

/// `--isolated`: a CPU list (`2-7`, `1,3`), as `analyze` and `compare` take it.
func isolatedCPUs(_ text: String?) throws -> [Int] {
  guard let text else { return [] }
  guard let cpus = CPUList.parse(Substring(text)) else { throw InputFailure("--isolated: \"\(text)\" is not a CPU list like 2-7 or 1,3") }
  return cpus
}
