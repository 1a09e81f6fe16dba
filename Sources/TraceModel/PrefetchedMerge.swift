import Dispatch
import Synchronization

/// A bounded hand-off of chunks from one decoding thread to the merging thread.
public final class ChunkChannel<Element: Sendable>: Sendable {
  public enum Item: Sendable {
    case events([Element])
    case end(skipped: Int)
    case failure(any Error)
  }

  private let queue = Mutex<[Item]>([])
  private let filled = DispatchSemaphore(value: 0)
  private let free: DispatchSemaphore
  private let cancelled = Atomic<Bool>(false)

  public init(capacity: Int) {
    // Starts at 0 and is raised to `capacity`: libdispatch traps when a semaphore is freed
    // below its initial value, which happens here when the consumer stops early.
    free = DispatchSemaphore(value: 0)
    for _ in 0..<capacity { free.signal() }
  }

  /// Blocks while the channel is full; false once the consumer has gone away.
  public func send(_ item: Item) -> Bool {
    free.wait()
    if cancelled.load(ordering: .relaxed) { return false }
    queue.withLock { $0.append(item) }
    filled.signal()
    return true
  }

  /// Blocks until an item is there, then takes it.
  public func receive() -> Item {
    filled.wait()
    let item = queue.withLock { $0.removeFirst() }
    free.signal()
    return item
  }

  /// Releases a producer blocked in ``send(_:)``.
  public func cancel() {
    cancelled.store(true, ordering: .relaxed)
    free.signal()
  }
}

extension EventSource where Self: Sendable {
  /// ``forEachEventInTimeOrder(fields:_:)`` with each stream decoded on a thread of its own,
  /// a few thousand events ahead of the merge: the decoding (decompression, libtraceevent)
  /// of all CPUs runs in parallel while `body` sees one globally ordered sequence.
  ///
  /// - Returns: the events the streams skipped.
  @discardableResult
  public func forEachEventInTimeOrderConcurrently(
    fields: FieldSelection, chunkSize: Int = 4096, _ body: (TraceEvent) throws -> Void
  ) throws -> Int {
    guard streamCount > 1 else { return try forEachEventInTimeOrder(fields: fields, body) }
    return try forEachInTimeOrderConcurrently(
      fields: fields, chunkSize: chunkSize, transform: { { $0 } }, time: { $0.timestamp.nanoseconds }, body)
  }

  /// Like ``forEachEventInTimeOrderConcurrently(fields:chunkSize:_:)``, but each decoding
  /// thread first turns its events into `Element`s with a transform of its own (made by
  /// `transform` on that thread, so it may keep state such as caches): per-event work moves
  /// off the merging thread, and smaller values cross it.
  ///
  /// - Parameter time: the element's timestamp in nanoseconds, the merge key.
  /// - Returns: the events the streams skipped.
  @discardableResult
  public func forEachInTimeOrderConcurrently<Element: Sendable>(
    fields: FieldSelection, chunkSize: Int = 4096,
    transform: @escaping @Sendable () -> (TraceEvent) -> Element,
    time: (Element) -> UInt64,
    _ body: (Element) throws -> Void
  ) throws -> Int {
    try mergeInTimeOrderConcurrently(
      streamCount: streamCount, chunkSize: chunkSize,
      produce: { index, emit in
        var stream = try self.stream(index, fields: fields)
        let convert = transform()
        while let event = try stream.next() {
          guard emit(convert(event)) else { break }
        }
        return stream.skippedEvents
      },
      time: time, body)
  }
}

/// Runs `produce` for each of `streamCount` streams on a thread of its own, a few chunks ahead
/// of the merge, and calls `body` with every element in `time` order (ties: lower stream first).
///
/// `produce(index, emit)` reads stream `index`, hands each element to `emit` (which returns
/// false once the merge has stopped: return then) and returns the events the stream skipped.
///
/// - Returns: the sum of what the `produce` calls returned.
///
/// `@inlinable` so that it is specialized for the caller's `Element`: unspecialized, every
/// element is copied through value witnesses (measured: a few percent of `pokestat analyze`).
@inlinable
public func mergeInTimeOrderConcurrently<Element: Sendable>(
  streamCount count: Int, chunkSize: Int,
  produce: @escaping @Sendable (_ index: Int, _ emit: (Element) -> Bool) throws -> Int,
  time: (Element) -> UInt64,
  _ body: (Element) throws -> Void
) throws -> Int {
  let channels = (0..<count).map { _ in ChunkChannel<Element>(capacity: 4) }
  let group = DispatchGroup()
  for index in 0..<count {
    let channel = channels[index]
    DispatchQueue.global().async(group: group) {
      var chunk: [Element] = []
      chunk.reserveCapacity(chunkSize)
      var open = true
      do {
        let streamSkipped = try produce(index) { element in
          chunk.append(element)
          if chunk.count == chunkSize {
            open = channel.send(.events(chunk))
            chunk.removeAll(keepingCapacity: true)
          }
          return open
        }
        guard open else { return }
        if !chunk.isEmpty { guard channel.send(.events(chunk)) else { return } }
        _ = channel.send(.end(skipped: streamSkipped))
      } catch {
        if open { _ = channel.send(.failure(error)) }
      }
    }
  }
  defer {
    for channel in channels { channel.cancel() }
    group.wait()
  }

  var chunks: [[Element]] = Array(repeating: [], count: count)
  var positions = Array(repeating: 0, count: count)
  var finished = Array(repeating: false, count: count)
  var skipped = 0

  /// Pulls the next chunk of stream `index`; false at its end.
  func refill(_ index: Int) throws -> Bool {
    while !finished[index] {
      switch channels[index].receive() {
      case .events(let events):
        chunks[index] = events
        positions[index] = 0
        if !events.isEmpty { return true }
      case .end(let streamSkipped):
        skipped += streamSkipped
        finished[index] = true
        chunks[index] = []
      case .failure(let error):
        finished[index] = true
        throw error
      }
    }
    return false
  }

  // Heads are read in place from the chunks: no copy until `body` gets the element.
  var headTimes = Array(repeating: UInt64.max, count: count)
  var live = Array(repeating: false, count: count)
  for index in 0..<count where try refill(index) {
    live[index] = true
    headTimes[index] = time(chunks[index][0])
  }
  while true {
    var best = -1
    var bestTime = UInt64.max
    for index in 0..<count where live[index] && headTimes[index] < bestTime {
      best = index
      bestTime = headTimes[index]
    }
    if best < 0 { break }
    try body(chunks[best][positions[best]])
    positions[best] += 1
    if positions[best] == chunks[best].count {
      live[best] = try refill(best)
      if !live[best] { continue }
    }
    headTimes[best] = time(chunks[best][positions[best]])
  }
  return skipped
}
