import Dispatch
import Synchronization
import TraceModel

/// A bounded hand-off of event chunks from one decoding thread to the merging thread.
private final class ChunkChannel: Sendable {
  enum Item: Sendable {
    case events([TraceEvent])
    case end(skipped: Int)
    case failure(any Error)
  }

  private let queue = Mutex<[Item]>([])
  private let filled = DispatchSemaphore(value: 0)
  private let free: DispatchSemaphore
  private let cancelled = Atomic<Bool>(false)

  init(capacity: Int) {
    // Starts at 0 and is raised to `capacity`: libdispatch traps when a semaphore is freed
    // below its initial value, which happens here when the consumer stops early.
    free = DispatchSemaphore(value: 0)
    for _ in 0..<capacity { free.signal() }
  }

  /// Blocks while the channel is full; false once the consumer has gone away.
  func send(_ item: Item) -> Bool {
    free.wait()
    if cancelled.load(ordering: .relaxed) { return false }
    queue.withLock { $0.append(item) }
    filled.signal()
    return true
  }

  func receive() -> Item {
    filled.wait()
    let item = queue.withLock { $0.removeFirst() }
    free.signal()
    return item
  }

  /// Releases a producer blocked in ``send(_:)``.
  func cancel() {
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
    let count = streamCount
    guard count > 1 else { return try forEachEventInTimeOrder(fields: fields, body) }
    let channels = (0..<count).map { _ in ChunkChannel(capacity: 4) }
    let group = DispatchGroup()
    for index in 0..<count {
      let channel = channels[index]
      DispatchQueue.global().async(group: group) {
        do {
          var stream = try self.stream(index, fields: fields)
          var chunk: [TraceEvent] = []
          chunk.reserveCapacity(chunkSize)
          while let event = try stream.next() {
            chunk.append(event)
            if chunk.count == chunkSize {
              guard channel.send(.events(chunk)) else { return }
              chunk.removeAll(keepingCapacity: true)
            }
          }
          if !chunk.isEmpty { guard channel.send(.events(chunk)) else { return } }
          _ = channel.send(.end(skipped: stream.skippedEvents))
        } catch {
          _ = channel.send(.failure(error))
        }
      }
    }
    defer {
      for channel in channels { channel.cancel() }
      group.wait()
    }

    var chunks: [[TraceEvent]] = Array(repeating: [], count: count)
    var positions = Array(repeating: 0, count: count)
    var finished = Array(repeating: false, count: count)
    var skipped = 0

    /// The next event of stream `index`, pulling a new chunk when the current one is used up.
    func next(_ index: Int) throws -> TraceEvent? {
      while !finished[index] {
        if positions[index] < chunks[index].count {
          defer { positions[index] += 1 }
          return chunks[index][positions[index]]
        }
        switch channels[index].receive() {
        case .events(let events):
          chunks[index] = events
          positions[index] = 0
        case .end(let streamSkipped):
          skipped += streamSkipped
          finished[index] = true
        case .failure(let error):
          finished[index] = true
          throw error
        }
      }
      return nil
    }

    var heads: [TraceEvent?] = []
    for index in 0..<count { heads.append(try next(index)) }
    while true {
      var best = -1
      var bestTime = UInt64.max
      for index in 0..<count {
        if let head = heads[index], head.timestamp.nanoseconds < bestTime {
          best = index
          bestTime = head.timestamp.nanoseconds
        }
      }
      if best < 0 { break }
      try body(heads[best]!)
      heads[best] = try next(best)
    }
    return skipped
  }
}
