/// A kernel call chain, innermost frame first.
public struct KernelStack: Hashable, Sendable {
  /// One return address in the chain, with its symbol when it could be resolved.
  public struct Frame: Hashable, Sendable {
    /// The return address; 0 when the source printed only a name.
    public var address: UInt64
    /// The function the address belongs to.
    public var symbol: String?
    /// Bytes from the start of ``symbol``.
    public var offset: UInt64
    public init(address: UInt64, symbol: String?, offset: UInt64 = 0) {
      self.address = address
      self.symbol = symbol
      self.offset = offset
    }
  }

  /// Innermost (most recent call) first.
  public var frames: [Frame]

  public init(frames: [Frame]) { self.frames = frames }

  /// The frames from the top of the stack down to (not including) the first interrupt or
  /// exception entry, where the interrupted context begins.
  ///
  /// A send made by a timer interrupt that landed inside `text_poke_bp_batch` has the batch
  /// function below the interrupt entry: it belongs to the interrupt, not to the batch.
  public var framesBeforeInterruptEntry: ArraySlice<Frame> {
    let end = frames.firstIndex { frame in
      guard let symbol = frame.symbol else { return false }
      return KernelSymbols.isInterruptEntry(symbol)
    } ?? frames.endIndex
    return frames[..<end]
  }
}
