import TraceModel
import TraceNative
import TraceReaders

extension Pipeline {
  /// Opens a trace.dat for `dump`, its format read from the content first, so a missing,
  /// unreadable or text file is refused with the same one-line error every command gives.
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be read; ``UnusableInput``
  ///   `.notTraceDat` for another format; `NativeTraceError` or ``TraceParseError`` from
  ///   ``TraceDatReader``. Format warnings are noted in ``InputWarnings``.
  public static func openTraceDat(_ path: String, attachesStacks: Bool = true, readsSymbols: Bool = true) throws -> TraceDatReader {
    let format = try detectInput(path: path).format
    guard format == .traceDat else { throw UnusableInput(path: path, reason: .notTraceDat(format)) }
    let reader = try TraceDatReader(path: path, attachesStacks: attachesStacks, readsSymbols: readsSymbols)
    InputWarnings.note(reader.formatWarnings.map { "\(path): \($0)" })
    return reader
  }
}
