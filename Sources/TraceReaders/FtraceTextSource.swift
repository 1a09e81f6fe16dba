import Foundation
import Synchronization
import TraceModel

/// A trace in ftrace text: the tracefs `trace`/`trace_pipe` files or `trace-cmd report` output,
/// read as one stream in file order, line by line.
///
/// Layouts read (any mix, detected per line):
/// - tracefs default, with or without irq-info flags (`d..2.`) and record-tgid (`(  1234)`);
/// - tracefs latency-format (`bash-8778  0...1. 26362us!: ...`, timestamps relative, in µs);
/// - `trace-cmd report`, with or without `-l`, `-t` (ns), `--ts-diff` (`(+114)`), with the
///   `instance: ` prefix of extracted instances (``TraceEvent/buffer``);
/// - function tracer lines (`smp_call_function_single <-on_each_cpu_cond_mask`);
/// - function_graph lines, with or without funcgraph-abstime and funcgraph-proc, and in
///   `trace-cmd report`'s `funcgraph_entry: [marker] N us |  body` layout: `f() {` is a
///   `funcgraph_entry`, `}` a `funcgraph_exit` with `duration_ns`, a leaf `f();` both (the exit
///   at entry + duration), `/* text */` a `print`; without abstime the timestamp is 0;
/// - `<stack trace>` / `kernel_stack` blocks (`=> f (addr)`, ` => f+0x1/0x20`), attached as
///   ``TraceEvent/stack`` to the event before them (user stack blocks are skipped);
/// - `CPU:N [LOST M EVENTS]` and `CPU:N [M EVENTS DROPPED]`, which set
///   ``TraceEvent/lostBefore`` of that CPU's next event (`[LOST EVENTS]`: -1);
/// - trace_marker lines (`tracing_mark_write: text`, or `print: tracing_mark_write: text`),
///   as event `ftrace:print` with field `buf`.
///
/// A line that is not an event but directly follows an event that printed nothing after its
/// name is taken as that event's text (mail and terminals wrap long lines that way).
///
/// Stack blocks belong to the latest event of their CPU, which in merged text need not be the
/// line just above (`<idle>-0 [000]` lines can sit between a CPU 1 event and its stack), so
/// events are held in a small window (``FtraceTextStream/windowLimit`` events) until a later
/// event of the same CPU shows they are complete; they still come out in file order.
///
/// Opened with ``init(path:options:parallelStreams:)``, a large regular file (at least two
/// ``defaultMinimumRangeBytes`` ranges, not standard input, not compressed) is read as up to
/// that many streams, each over a byte range that starts at a safe event line
/// (``FtraceTextRanges`` states the rule); the streams' events follow one another in file order,
/// and error locations keep their line in the whole file. ``init(path:options:)`` always gives
/// one stream, for callers that read only ``stream(_:fields:)`` 0.
///
/// - Complexity: memory is one 1 MiB block plus the window per stream, whatever the file size.
public struct FtraceTextSource: EventSource, Sendable {
  public var metadata: TraceMetadata
  public let path: String
  public let options: TextReaderOptions
  private let handoff: ReaderHandoff
  /// The byte ranges of the streams; empty when the file is read as one stream.
  let ranges: [Range<Int>]
  /// Per range, the lines before it (counted when an error location needs them).
  let lineBases: [LineBase?]
  /// Whether ``ranges`` were planned for a reader that checks each edge
  /// (``init(path:options:orderedRangeBytes:)``).
  let hasCheckedEdges: Bool

  /// The smallest byte range worth a stream of its own.
  static let defaultMinimumRangeBytes = 64 << 20

  /// Opens `path` (`-` is standard input; gzip and zstd files are decompressed) and reads the
  /// header lines for ``metadata``.
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be opened or read.
  public init(path: String, options: TextReaderOptions = TextReaderOptions()) throws(TraceParseError) {
    try self.init(path: path, options: options, minimumRangeBytes: Self.defaultMinimumRangeBytes, maximumStreams: 1)
  }

  /// Opens `path` like ``init(path:options:)``, and splits a large regular file into up to
  /// `parallelStreams` byte ranges of at least ``defaultMinimumRangeBytes`` (pass the active
  /// CPU count), one stream each. Callers must read every stream (``streamCount``), e.g. with
  /// ``EventSource/forEachEventInTimeOrder(fields:_:)`` or
  /// ``reduceTextStreamsConcurrently(fields:reducer:)``.
  public init(path: String, options: TextReaderOptions = TextReaderOptions(), parallelStreams: Int)
    throws(TraceParseError)
  {
    try self.init(
      path: path, options: options, minimumRangeBytes: Self.defaultMinimumRangeBytes, maximumStreams: parallelStreams)
  }

  /// Opens `path` like ``init(path:options:)``, and splits a large regular file into byte
  /// ranges of about `orderedRangeBytes` each (at least two), for
  /// ``forEachInFileOrderConcurrently(fields:workers:transform:_:)``, which reads them on
  /// several threads and checks every edge between two ranges. Read it only that way (or with
  /// ``forEachEventInFileOrder(fields:_:)``): its ranges may start where
  /// ``stream(_:fields:)`` alone would not read them as the whole file does.
  public init(path: String, options: TextReaderOptions = TextReaderOptions(), orderedRangeBytes: Int)
    throws(TraceParseError)
  {
    try self.init(
      path: path, options: options, minimumRangeBytes: orderedRangeBytes, maximumStreams: .max, checkedEdges: true)
  }

  /// Opens `path`, splitting it into at most `maximumStreams` ranges of at least
  /// `minimumRangeBytes` (tests force small ranges); with `checkedEdges`, as
  /// ``init(path:options:orderedRangeBytes:)`` does.
  init(path: String, options: TextReaderOptions, minimumRangeBytes: Int, maximumStreams: Int, checkedEdges: Bool = false)
    throws(TraceParseError)
  {
    var reader = try LineReader(path: path)
    let head = try reader.peek()
    self.path = path
    self.options = options
    self.metadata = Self.sniffMetadata(head.prefix(64 << 10), path: path)
    self.hasCheckedEdges = checkedEdges
    self.ranges = FtraceTextRanges.plan(
      path: path, head: head, minimumRangeBytes: minimumRangeBytes, maximumRanges: maximumStreams,
      checkedEdges: checkedEdges)
    self.lineBases = ranges.map { $0.lowerBound == 0 ? nil : LineBase(path: path, offset: $0.lowerBound) }
    self.handoff = ReaderHandoff(reader: ranges.isEmpty ? reader : nil)
  }

  public var streamCount: Int { max(1, ranges.count) }

  /// Told the bytes read by every stream opened after it is set (the file's size in all,
  /// decompressed bytes for gzip/zstd input).
  public var progress: ReadProgress?

  /// One stream of the file: the whole file, or one byte range of it (see ``FtraceTextRanges``).
  /// For a whole file the first call uses the already-open input, later calls reopen the file
  /// (not possible for standard input).
  public func stream(_ index: Int, fields: FieldSelection) throws(TraceParseError) -> FtraceTextStream {
    precondition(index >= 0 && index < streamCount, "stream \(index) of \(streamCount)")
    guard !ranges.isEmpty else {
      var reader = try handoff.reader(reopening: path)
      reader.progress = progress
      return FtraceTextStream(reader: reader, fields: fields, options: options)
    }
    var reader = LineReader(
      channel: try ByteChannel.open(path, byteRange: ranges[index]), lineBase: lineBases[index])
    reader.progress = progress
    return FtraceTextStream(reader: reader, fields: fields, options: options)
  }

  /// Reads every event into memory, stream after stream (file order), with the count of lines
  /// skipped in lenient mode.
  ///
  /// For tests and small files; large traces should use ``stream(_:fields:)``.
  public func readAll(fields: FieldSelection = .all) throws(TraceParseError) -> (
    events: [TraceEvent], skipped: SkippedLines
  ) {
    var events: [TraceEvent] = []
    var skipped = SkippedLines()
    for index in 0..<streamCount {
      var stream = try stream(index, fields: fields)
      while let event = try stream.next() { events.append(event) }
      skipped.add(stream.skipped)
    }
    return (events, skipped)
  }

  static func sniffMetadata(_ head: ArraySlice<UInt8>, path: String) -> TraceMetadata {
    var metadata = TraceMetadata(file: path, formatDescription: "ftrace text")
    let text = String(decoding: head, as: UTF8.self)
    for line in text.split(separator: "\n").prefix(64) {
      if line.hasPrefix("cpus=") {
        metadata.formatDescription = "trace-cmd report"
        metadata.cpuCount = Int(line.dropFirst(5).trimmingSuffix(while: { $0 == "\r" }))
      } else if line.hasPrefix("# tracer: ") {
        metadata.formatDescription = "ftrace text (tracer \(line.dropFirst(10).trimmingSuffix(while: { $0 == "\r" })))"
      } else if line.hasPrefix("#"), let p = line.range(of: "#P:") {
        metadata.cpuCount = Int(line[p.upperBound...].prefix { $0.isNumber })
      }
    }
    return metadata
  }
}

/// Holds the reader opened by ``FtraceTextSource/init(path:options:)`` until the first stream
/// takes it (a class so the non-mutating `stream` can hand it over once).
///
/// `@unchecked Sendable`: the reader is only touched under ``lock`` and, once taken, belongs
/// to the one stream that took it.
final class ReaderHandoff: @unchecked Sendable {
  private var reader: LineReader?
  private let lock = Mutex(())
  init(reader: LineReader?) { self.reader = reader }
  func take() -> LineReader? {
    lock.withLock { _ in
      defer { reader = nil }
      return reader
    }
  }

  /// The already-open reader the first time; a reopened file after that (standard input
  /// cannot be read twice).
  func reader(reopening path: String) throws(TraceParseError) -> LineReader {
    if let reader = take() { return reader }
    guard path != "-" else {
      throw TraceParseError(
        reason: .readFailed(detail: "standard input can be read only once"), location: InputLocation(file: path))
    }
    return try LineReader(path: path)
  }
}

extension Substring {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
    var s = self
    while let last = s.last, predicate(last) { s = s.dropLast() }
    return s
  }
}
