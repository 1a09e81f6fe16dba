import TraceModel
import TraceNative
import TraceReaders

extension Pipeline {
  /// Opens a trace.dat for `dump`: a missing or unreadable file is refused with the one-line
  /// error every command gives; another format, by ``TraceDatReader`` at byte 0 (its magic).
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be read or is not a trace.dat;
  ///   `NativeTraceError` or ``TraceParseError`` from ``TraceDatReader``. Format warnings are
  ///   noted in ``InputWarnings``.
  public static func openTraceDat(_ path: String, attachesStacks: Bool = true, readsSymbols: Bool = true) throws -> TraceDatReader {
    try requireReadable(path: path)
    let reader = try TraceDatReader(path: path, attachesStacks: attachesStacks, readsSymbols: readsSymbols)
    InputWarnings.note(reader.formatWarnings.map { "\(path): \($0)" })
    return reader
  }
}
