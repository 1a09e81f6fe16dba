import Dispatch
import Foundation
import Synchronization
import TraceModel

/// What a pass over every event of an ``FtraceTextSource`` counted besides the events.
public struct TextReadCounts: Hashable, Sendable {
  /// Events read but not returned (outside the selection, and stack blocks).
  public var skippedEvents: Int
  /// Lines skipped in lenient mode: their count, and the first one in file order.
  public var skipped: SkippedLines
  /// The highest CPU number of the events read (-1: none).
  public var highestCPU: Int

  public init(skippedEvents: Int = 0, skipped: SkippedLines = SkippedLines(), highestCPU: Int = -1)
  {
    self.skippedEvents = skippedEvents
    self.skipped = skipped
    self.highestCPU = highestCPU
  }
}

/// One byte range read from its first line as if the file started there, on a worker thread.
struct TextRangeRead<Element: Sendable>: Sendable {
  /// The range's events, transformed, in file order, in chunks of at most
  /// ``FtraceTextSource/chunkSize`` (no array of a whole range to grow and copy).
  var chunks: [[Element]] = []
  var counts = TextReadCounts()
  /// The edge into the next range; nil for the last range (or when reading failed first).
  var edge: TextRangeEdge?
  /// Lines of the next range, from its first, that the stream read before it had returned
  /// every event of its own range (the lines over which the next range's fresh start may
  /// differ from one stream's state).
  var linesPastEdge = 0
  /// The first line at which this range's stream released an event because its window was
  /// full (see ``FtraceTextStream/firstOverflowLine``).
  var firstOverflowLine: Int?
  /// The error that ended the range before its edge (the first bad line in it, in strict mode).
  var failure: (any Error)?
}

extension FtraceTextSource {
  /// Lines past an edge, beyond ``TextRangeRead/linesPastEdge``, within which a window
  /// overflow of the next range's fresh stream counts against the edge.
  static let overflowMargin = 2 * (FtraceTextStream.windowLimit + 2)
  /// Events per chunk of a range read by a worker.
  static let chunkSize = 2048

  /// Calls `body` with every event of the file, in file order, as one stream would return them,
  /// reading the byte ranges (if any) on several threads.
  ///
  /// - Throws: ``TraceParseError``: the one stream's first error.
  @discardableResult
  public func forEachEventInFileOrder(fields: FieldSelection, _ body: (TraceEvent) throws -> Void)
    throws
    -> TextReadCounts
  {
    try forEachInFileOrderConcurrently(fields: fields, transform: { { $0 } }, body)
  }

  /// Calls `body` with every event of the file in file order, turned into an `Element` by a
  /// transform made per thread by `transform`: exactly the events (stacks, lost counts, text) and
  /// counts one stream over the whole file gives, and its first error.
  ///
  /// A file read as one stream (``streamCount`` 1) is read on this thread. Otherwise up to
  /// `workers` threads each read a whole byte range at a time, a few ranges ahead of `body`,
  /// starting fresh at the range's first line and reading on past its end until the window has
  /// returned every event of the range. Such a fresh start is what one stream would do there
  /// unless state reaches across the edge, which the reader checks at every edge
  /// (``TextRangeEdge``): the previous range's stream must end it clean (no lost-events notice,
  /// instance label or open function_graph function pending), and the next range's fresh
  /// window must not overflow while the previous one still held events of its own (one stream
  /// would hold both in one window, which then fills and releases at other times). An edge
  /// that fails is read on this thread by one stream from the previous range's start, on
  /// through the ranges that follow until an edge checks out.
  ///
  /// - Complexity: memory is the events of about `2 * workers` ranges (``init(path:options:orderedRangeBytes:)``
  ///   chooses their size).
  /// - Throws: ``TraceParseError`` from the reader: the error one stream would throw first.
  public func forEachInFileOrderConcurrently<Element: Sendable>(
    fields: FieldSelection, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    transform: @escaping @Sendable () -> (TraceEvent) -> Element,
    _ body: (Element) throws -> Void
  ) throws -> TextReadCounts {
    try readInFileOrder(fields: fields, workers: workers, transform: transform, body).counts
  }

  /// ``forEachInFileOrderConcurrently(fields:workers:transform:_:)``, also telling how many
  /// edges failed their check (tests make sure both ways are taken).
  func readInFileOrder<Element: Sendable>(
    fields: FieldSelection, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    transform: @escaping @Sendable () -> (TraceEvent) -> Element,
    _ body: (Element) throws -> Void
  ) throws -> (counts: TextReadCounts, failedEdges: Int) {
    let count = ranges.count
    guard count > 1 else {
      var stream = try stream(0, fields: fields)
      let convert = transform()
      while let event = try stream.next() { try body(convert(event)) }
      let counts = TextReadCounts(
        skippedEvents: stream.skippedEvents, skipped: stream.skipped, highestCPU: stream.highestCPU)
      return (counts, 0)
    }
    let workerCount = max(1, min(workers, count))
    // Semaphores start at 0 and are raised: libdispatch traps when one is freed below its
    // initial value.
    let slots = DispatchSemaphore(value: 0)
    for _ in 0..<(2 * workerCount) { slots.signal() }
    let ready = (0..<count).map { _ in DispatchSemaphore(value: 0) }
    let results = Mutex<[Int: TextRangeRead<Element>]>([:])
    let nextIndex = Atomic<Int>(0)
    let cancelled = Atomic<Bool>(false)
    let group = DispatchGroup()
    for _ in 0..<workerCount {
      DispatchQueue.global().async(group: group) {
        let convert = transform()
        while true {
          slots.wait()
          if cancelled.load(ordering: .relaxed) { return }
          let index = nextIndex.add(1, ordering: .relaxed).oldValue
          guard index < count else {
            slots.signal()
            return
          }
          let read = self.readRange(index, fields: fields, convert: convert)
          results.withLock { $0[index] = read }
          ready[index].signal()
        }
      }
    }
    defer {
      cancelled.store(true, ordering: .relaxed)
      for _ in 0..<workerCount { slots.signal() }
      group.wait()
    }
    /// Range `index` as its worker read it; frees its slot for a range further on.
    func take(_ index: Int) -> TextRangeRead<Element> {
      ready[index].wait()
      defer { slots.signal() }
      return results.withLock { $0.removeValue(forKey: index)! }
    }

    var total = TextReadCounts()
    var index = 0
    var current = take(0)
    // The current range's stream reads as one stream does from this line of it on (1-based;
    // before it, it may still differ over the previous range's events).
    var exactAfter = 0
    var failedEdges = 0
    while true {
      if let failure = current.failure { throw failure }
      for chunk in current.chunks {
        for element in chunk { try body(element) }
      }
      total.add(current.counts)
      guard index + 1 < count else { return (total, failedEdges) }
      let next = take(index + 1)
      if let edge = current.edge,
        Self.holds(edge, linesPast: current.linesPastEdge, exactAfter: exactAfter, next: next)
      {
        exactAfter = current.linesPastEdge + Self.overflowMargin
        current = next
        index += 1
        continue
      }
      // The edge fails: one stream from this range's start, on through the ranges that follow.
      let (resumed, counts) = try readOnFrom(
        index, exactAfter: exactAfter, fields: fields, transform: transform, take: take, body)
      total.add(counts)
      guard let (resumeAt, read, linesPast) = resumed else { return (total, failedEdges + 1) }
      failedEdges += resumeAt - index - 1
      current = read
      index = resumeAt
      exactAfter = linesPast + Self.overflowMargin
    }
  }

  /// Whether the fresh start of `next` gives what one stream reading on across `edge` gives.
  ///
  /// - Parameters:
  ///   - linesPast: the lines past the edge the stream read before its range's events were out;
  ///   - exactAfter: the stream's lines (from its start) over which it may still differ from
  ///     one stream: its edge must come later for its state there to be one stream's.
  static func holds<Element>(
    _ edge: TextRangeEdge, linesPast: Int, exactAfter: Int, next: TextRangeRead<Element>
  )
    -> Bool
  {
    guard edge.isClean, edge.line > exactAfter else { return false }
    guard let overflow = next.firstOverflowLine else { return true }
    return overflow > linesPast + overflowMargin
  }

  /// Reads range `first` and those after it as one stream on this thread, calling `body` with
  /// the events from range `first + 1` on (range `first`'s were given already), until an edge
  /// holds for the fresh start of the next worker-read range.
  ///
  /// - Parameter exactAfter: as for range `first`'s worker (see ``holds(_:linesPast:exactAfter:next:)``).
  /// - Returns: that range (its index, read, and the lines past its edge this stream read),
  ///   nil when the stream read to the end of the file; and the counts of the ranges read here
  ///   after range `first`.
  private func readOnFrom<Element: Sendable>(
    _ first: Int, exactAfter: Int, fields: FieldSelection,
    transform: @Sendable () -> (TraceEvent) -> Element,
    take: (Int) -> TextRangeRead<Element>, _ body: (Element) throws -> Void
  ) throws -> (resumed: (Int, TextRangeRead<Element>, linesPast: Int)?, counts: TextReadCounts) {
    let last = ranges.count - 1
    let origin = ranges[first].lowerBound
    var stream = try rangeStream(
      first, fields: fields, rangeEnds: ranges[first..<last].map { $0.upperBound - origin })
    let convert = transform()
    var returned = 0
    var pending: (event: TraceEvent, range: Int)?
    /// The next event and the range it belongs to: an edge is noted before any event after it
    /// goes in, so the edges known when an event comes out place it.
    func pull() throws -> (event: TraceEvent, range: Int)? {
      if let held = pending {
        pending = nil
        return held
      }
      guard let event = try stream.next() else { return nil }
      returned += 1
      var range = first
      for edge in stream.edges where edge.eventsBefore < returned { range += 1 }
      return (event, range)
    }
    /// The counts from the edge after range `first` to `edge` (nil: the end of the file).
    func counts(to edge: TextRangeEdge?) -> TextReadCounts {
      let base = stream.edges[0]
      var counts = TextReadCounts(
        skippedEvents: (edge?.skippedEventsBefore ?? stream.skippedEvents)
          - base.skippedEventsBefore,
        skipped: edge?.skippedBefore ?? stream.skipped, highestCPU: stream.highestCPU)
      // The first skipped line stays the earliest: `add` keeps one from range `first`.
      counts.skipped.count -= base.skippedBefore.count
      return counts
    }
    // Range `first` again, to rebuild the state at its end.
    while let held = try pull() {
      if held.range > first {
        pending = held
        break
      }
    }
    var range = first + 1
    while true {
      while let held = try pull() {
        if held.range > range {
          pending = held
          break
        }
        try body(convert(held.event))
      }
      if range == last { return (nil, counts(to: nil)) }
      let edge = stream.edges[range - first]
      let next = take(range + 1)
      let linesPast = stream.lineNumber - edge.line + 1
      if Self.holds(edge, linesPast: linesPast, exactAfter: exactAfter, next: next) {
        return ((range + 1, next, linesPast), counts(to: edge))
      }
      range += 1
    }
  }

  /// A stream over the file from the start of range `index` to the end of the file, noting an
  /// edge at each of `rangeEnds` (byte offsets from the range's start).
  private func rangeStream(_ index: Int, fields: FieldSelection, rangeEnds: [Int])
    throws(TraceParseError)
    -> FtraceTextStream
  {
    let reader = LineReader(
      channel: try ByteChannel.open(
        path, byteRange: ranges[index].lowerBound..<ranges[ranges.count - 1].upperBound),
      lineBase: lineBases[index])
    var stream = FtraceTextStream(reader: reader, fields: fields, options: options)
    stream.rangeEnds = rangeEnds
    return stream
  }

  /// Reads range `index` from its first line as if the file started there (a worker's part of
  /// ``forEachInFileOrderConcurrently(fields:workers:transform:_:)``), on past its end until
  /// every event of the range has come out of the window.
  func readRange<Element: Sendable>(
    _ index: Int, fields: FieldSelection, convert: (TraceEvent) -> Element
  )
    -> TextRangeRead<Element>
  {
    var read = TextRangeRead<Element>()
    let isLast = index == ranges.count - 1
    var stream: FtraceTextStream
    do {
      stream = try rangeStream(
        index, fields: fields, rangeEnds: isLast ? [] : [ranges[index].count])
    } catch {
      read.failure = error
      return read
    }
    var returned = 0
    var failedPastEdge = false
    var chunk: [Element] = []
    chunk.reserveCapacity(Self.chunkSize)
    do {
      while true {
        if let edge = stream.edges.first, returned >= edge.eventsBefore { break }
        guard let event = try stream.next() else { break }
        returned += 1
        if let edge = stream.edges.first, returned > edge.eventsBefore { break }
        chunk.append(convert(event))
        if chunk.count == Self.chunkSize {
          read.chunks.append(chunk)
          chunk = []
          chunk.reserveCapacity(Self.chunkSize)
        }
      }
    } catch {
      // An error past the edge is the next range's: it only makes this edge fail.
      if stream.edges.isEmpty { read.failure = error } else { failedPastEdge = true }
    }
    if !chunk.isEmpty { read.chunks.append(chunk) }
    // Progress counts each range once, when it is read (the lines read past its end are the
    // next range's).
    progress?.advance(ranges[index].count)
    read.firstOverflowLine = stream.firstOverflowLine
    read.counts.highestCPU = stream.highestCPU
    if var edge = stream.edges.first {
      if failedPastEdge { edge.isClean = false }
      read.edge = edge
      read.linesPastEdge = stream.lineNumber - edge.line + 1
      read.counts.skippedEvents = edge.skippedEventsBefore
      read.counts.skipped = edge.skippedBefore
    } else {
      read.counts.skippedEvents = stream.skippedEvents
      read.counts.skipped = stream.skipped
    }
    return read
  }
}

extension TextReadCounts {
  /// Adds the counts of a later part of the file.
  mutating func add(_ later: TextReadCounts) {
    skippedEvents += later.skippedEvents
    skipped.add(later.skipped)
    highestCPU = max(highestCPU, later.highestCPU)
  }
}
