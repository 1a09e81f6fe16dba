import Foundation
import TraceModel
import TraceNative
import TraceReaders

/// What ``Pipeline/count(_:lenient:byName:)`` found in one event trace (`pokestat stats`).
public struct EventCount: Sendable {
  /// The reader's description of the format (`trace.dat v7 (zstd)`, `ftrace text`).
  public var formatDescription: String
  /// Events returned and IPI targets per CPU.
  public var tally: EventTally
  /// Events per `system:name`, when counted by name; else empty.
  public var eventsByName: [String: Int]
  /// Malformed lines a lenient text reader skipped.
  public var skippedLines: Int

  public init(formatDescription: String, tally: EventTally, eventsByName: [String: Int] = [:], skippedLines: Int = 0) {
    self.formatDescription = formatDescription
    self.tally = tally
    self.eventsByName = eventsByName
    self.skippedLines = skippedLines
  }
}

extension Pipeline {
  /// The fields `count` decodes: only the IPI sends' targets.
  static let countSelection = FieldSelection.only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])

  /// Counts an event trace's events and IPI targets per CPU (``EventTally``), the format read
  /// from the content.
  ///
  /// Without `byName` this is the fast path: only the two IPI send events have their fields
  /// decoded, and parts of trace.dat CPU streams (``TraceDatReader/reducePartsConcurrently(fields:reducer:)``,
  /// or byte ranges of a large text file, one per core) are counted in parallel and merged
  /// (``IPITargetCounter``). With `byName` every event is
  /// decoded, in one pass.
  ///
  /// - Throws: ``TraceParseError`` or `NativeTraceError` from the readers; ``UnusableInput``
  ///   for inputs without events.
  public static func count(_ path: String, lenient: Bool = false, byName: Bool = false) throws -> EventCount {
    let (format, _) = try detectInput(path: path)
    let options = TextReaderOptions(lenient: lenient)
    var result = EventCount(formatDescription: "", tally: EventTally())
    func count(_ event: TraceEvent) {
      result.tally.add(event)
      if byName { result.eventsByName["\(event.system):\(event.name)", default: 0] += 1 }
    }
    switch format {
    case .traceDat:
      // Counts need no kallsyms: no symbol table, no inferred architecture.
      let reader = try TraceDatReader(path: path, attachesStacks: false, readsSymbols: false)
      InputWarnings.note(reader.formatWarnings.map { "\(path): \($0)" })
      result.formatDescription = reader.metadata.formatDescription
      if byName {
        try reader.forEachEvent(fields: .all) { count($0) }
      } else {
        let reduction = try reader.reducePartsConcurrently(fields: countSelection, reducer: IPITargetCounter())
        result.tally = reduction.summary
        result.tally.returned += reduction.skippedEvents
      }
    case .ftraceText, .traceCmdReport:
      let source = try FtraceTextSource(
        path: path, options: options, parallelStreams: ProcessInfo.processInfo.activeProcessorCount)
      result.formatDescription = source.metadata.formatDescription
      if byName {
        for index in 0..<source.streamCount {
          var stream = try source.stream(index, fields: .all)
          while let event = try stream.next() { count(event) }
          result.skippedLines += stream.skipped.count
          // Stack blocks are events of their own, folded into the event before them
          // (docs/formats.md, "Kernel stacks"): counted as trace.dat counts its records.
          result.tally.returned += stream.skippedEvents
          if stream.skippedEvents > 0 { result.eventsByName["ftrace:kernel_stack", default: 0] += stream.skippedEvents }
        }
      } else {
        // Large files are read as one byte range per CPU, in parallel (FtraceTextRanges).
        let reduction = try source.reduceTextStreamsConcurrently(fields: countSelection, reducer: IPITargetCounter())
        result.tally = reduction.summary
        result.tally.returned += reduction.skippedEvents
        result.skippedLines = reduction.skippedLines.count
      }
    case .perfScript:
      let source = try PerfScriptSource(path: path, options: options)
      result.formatDescription = source.metadata.formatDescription
      var stream = try source.stream(0, fields: byName ? .all : countSelection)
      while let event = try stream.next() { count(event) }
      result.skippedLines = stream.skipped.count
    default:
      throw UnusableInput(path: path, reason: .noEventsToCount(format))
    }
    return result
  }
}
