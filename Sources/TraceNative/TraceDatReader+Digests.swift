import TraceModel

extension TraceDatReader {
  /// The events of one stream with the kinds `plan` names as compact ``EventDigest``s.
  ///
  /// Other selected events, and digested ones that a `kernel_stack` record attaches to (when
  /// ``attachesStacks``), come back as ``TraceEvent``s, the same values ``stream(_:fields:)``
  /// returns.
  public func digestStream(_ index: Int, fields: FieldSelection, plan: DigestPlan) throws -> DigestStream {
    let place = streamPlaces[index]
    let decoder = try CPUStreamDecoder(
      layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: fields,
      forPrinting: false, symbols: metadata.symbols)
    decoder.digestPlan = plan
    decoder.progress = progress
    decoder.readAheadThreads = readAheadThreads(stream: index)
    decoder.keepsLastDigest = attachesStacks
    return DigestStream(decoder: decoder, attachesStacks: attachesStacks)
  }

  /// ``forEachInTimeOrderConcurrently(fields:chunkSize:transform:time:_:)`` over
  /// ``digestStream(_:fields:plan:)``s: each stream is read and transformed on a thread of
  /// its own, and `body` sees the elements in timestamp order.
  ///
  /// - Returns: the events the streams skipped.
  @inlinable  // specialized for the caller's `Element`, as mergeInTimeOrderConcurrently
  @discardableResult
  public func forEachDigestedInTimeOrderConcurrently<Element: Sendable>(
    fields: FieldSelection, plan: DigestPlan, chunkSize: Int = 16384,
    transform: @escaping @Sendable () -> (DigestedEvent) -> Element,
    time: (Element) -> UInt64,
    _ body: (Element) throws -> Void
  ) throws -> Int {
    try mergeInTimeOrderConcurrently(
      streamCount: streamCount, chunkSize: chunkSize,
      produce: { index, emit in
        var stream = try self.digestStream(index, fields: fields, plan: plan)
        let convert = transform()
        while let item = try stream.next() {
          guard emit(convert(item)) else { break }
        }
        return stream.skippedEvents
      },
      time: time, body)
  }

  /// The events of one CPU of one buffer with digests (see ``digestStream(_:fields:plan:)``).
  public struct DigestStream {
    let decoder: CPUStreamDecoder
    let attachesStacks: Bool
    var pending: DigestedEvent?
    var foldedStacks = 0

    init(decoder: CPUStreamDecoder, attachesStacks: Bool) {
      self.decoder = decoder
      self.attachesStacks = attachesStacks
    }

    /// Records read but not returned, as ``TraceDatReader/Stream/skippedEvents``.
    public var skippedEvents: Int { decoder.skippedEvents + foldedStacks }

    public mutating func next() throws -> DigestedEvent? {
      guard let item = try pending ?? decoder.nextDigested() else { return nil }
      pending = nil
      guard attachesStacks else { return item }
      if case .event(let event) = item, event.name == "kernel_stack", event.system == "ftrace" { return item }
      guard let following = try decoder.nextDigested() else { return item }
      if case .event(let stack) = following, stack.name == "kernel_stack", stack.system == "ftrace", stack.pid == item.pid {
        // A digest has no room for a stack: the event comes back in full (its bytes are still
        // the decoder's latest digest, since the stack record was not one).
        var event: TraceEvent
        switch item {
        case .event(let full): event = full
        case .digest: event = decoder.eventForLastDigest()
        }
        event.stack = stack.stack
        foldedStacks += 1
        return .event(event)
      }
      pending = following
      return item
    }
  }
}
