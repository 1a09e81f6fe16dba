/// The constants of the trace.dat format, defined once for format detection (`TraceReaders`),
/// the container reader `TraceDatLayout` and `TraceDatWriter` (`TraceNative`), and the test
/// support (trace-cmd.dat.v7(5); `TRACECMD_OPTION_*` in trace-cmd's
/// `lib/trace-cmd/include/private/trace-cmd-private.h`).
public enum TraceDatFormat {
  /// The first 10 bytes of every trace.dat: `\x17\x08\x44` then `tracing`.
  public static let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)

  /// Option ids (v6 and v7) and section ids (v7), as 16-bit values in the file.
  public enum OptionID: UInt16 {
    case done = 0, date = 1, cpuStat = 2, buffer = 3, traceClock = 4, uname = 5, hook = 6
    case offset = 7, cpuCount = 8, version = 9, procMaps = 10, traceID = 11, timeShift = 12
    case guest = 13, tsc2nsec = 14, strings = 15, headerInfo = 16, ftraceEvents = 17
    case eventFormats = 18, kallsyms = 19, printk = 20, cmdlines = 21, bufferText = 22
  }
}
