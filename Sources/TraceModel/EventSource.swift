/// A sequence of events in one stream's order: one CPU of a trace.dat buffer, or a whole text file.
public protocol EventStream {
  /// The next event, or nil at the end.
  ///
  /// - Throws: ``TraceParseError`` naming the file and the byte offset or line of bad input.
  mutating func next() throws -> TraceEvent?
  /// Events the stream read but did not return because a ``FieldSelection/only(_:)``
  /// selection left them out.
  var skippedEvents: Int { get }
}

extension EventStream {
  public var skippedEvents: Int { 0 }
}

/// A trace that can be read as one or more independent streams.
///
/// Binary traces have a stream per CPU and buffer, which can be read concurrently; text traces
/// have one stream already in time order. ``forEachEventInTimeOrder(fields:_:)`` merges them.
public protocol EventSource {
  associatedtype Stream: EventStream
  /// What the trace says about itself.
  var metadata: TraceMetadata { get }
  /// How many streams ``stream(_:fields:)`` accepts.
  var streamCount: Int { get }
  /// A new reader over one stream; several may be read at once from different tasks.
  func stream(_ index: Int, fields: FieldSelection) throws -> Stream
}

extension EventSource {
  /// Calls `body` with every event of every stream in timestamp order (a k-way merge;
  /// events with equal timestamps keep stream order).
  ///
  /// - Complexity: O(n log k) for n events in k streams; memory holds one event per stream.
  /// - Returns: the events the streams skipped (outside a `.only` selection).
  @discardableResult
  public func forEachEventInTimeOrder(
    fields: FieldSelection, _ body: (TraceEvent) throws -> Void
  ) throws -> Int {
    var streams: [Stream] = []
    var heads: [TraceEvent?] = []
    if streamCount == 0 { return 0 }
    for index in 0..<streamCount {
      var stream = try self.stream(index, fields: fields)
      heads.append(try stream.next())
      streams.append(stream)
    }
    if streams.count == 1 {
      while let event = heads[0] {
        try body(event)
        heads[0] = try streams[0].next()
      }
      return streams[0].skippedEvents
    }
    var heap = MinHeap()
    for (index, head) in heads.enumerated() {
      if let head { heap.push(HeapEntry(time: head.timestamp.nanoseconds, stream: index)) }
    }
    while let top = heap.pop() {
      let event = heads[top.stream]!
      try body(event)
      let following = try streams[top.stream].next()
      heads[top.stream] = following
      if let following {
        heap.push(HeapEntry(time: following.timestamp.nanoseconds, stream: top.stream))
      }
    }
    return streams.reduce(0) { $0 + $1.skippedEvents }
  }

  /// Calls `body` with every event, stream after stream (no global order; fastest).
  public func forEachEvent(fields: FieldSelection, _ body: (TraceEvent) throws -> Void) throws {
    for index in 0..<streamCount {
      var stream = try self.stream(index, fields: fields)
      while let event = try stream.next() { try body(event) }
    }
  }
}

private struct HeapEntry {
  var time: UInt64
  var stream: Int
  func precedes(_ other: HeapEntry) -> Bool {
    time != other.time ? time < other.time : stream < other.stream
  }
}

/// A binary min-heap of stream heads, ordered by time then stream index.
private struct MinHeap {
  private var items: [HeapEntry] = []

  mutating func push(_ entry: HeapEntry) {
    items.append(entry)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard items[child].precedes(items[parent]) else { break }
      items.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> HeapEntry? {
    guard !items.isEmpty else { return nil }
    let top = items[0]
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var smallest = parent
        if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
        if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
        if smallest == parent { break }
        items.swapAt(parent, smallest)
        parent = smallest
      }
    }
    return top
  }
}

/// An in-memory source of already-decoded events, for tests and for readers that parse
/// a whole small file at once.
public struct InMemoryEventSource: EventSource {
  public struct Stream: EventStream {
    var events: [TraceEvent]
    var index = 0
    public mutating func next() throws -> TraceEvent? {
      guard index < events.count else { return nil }
      defer { index += 1 }
      return events[index]
    }
  }

  public var metadata: TraceMetadata
  public var events: [TraceEvent]

  public init(metadata: TraceMetadata, events: [TraceEvent]) {
    self.metadata = metadata
    self.events = events
  }

  public var streamCount: Int { 1 }

  public func stream(_ index: Int, fields: FieldSelection) throws -> Stream {
    Stream(events: events)
  }
}
