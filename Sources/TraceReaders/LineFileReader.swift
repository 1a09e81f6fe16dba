import TraceModel

/// A reader of a whole line-oriented text file (kernel logs, `/proc/interrupts` snapshots,
/// kprobe_profile, `perf report --stdio`, `perf stat`, `bpftool prog`): it implements
/// ``parse(_:options:)`` over the numbered lines once, and reads a file or a string through it.
public protocol LineFileReader {
  /// What one file gives: the parsed value and the lines a lenient read skipped.
  associatedtype Output

  /// Parses numbered lines; errors name `input.path` and the line.
  static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> Output
}

extension LineFileReader {
  /// Reads the file at `path` (gzip and zstd decompressed, `-` standard input).
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be read, or at the first malformed
  ///   line (unless `options.lenient`).
  public static func read(path: String, options: TextReaderOptions = TextReaderOptions()) throws(TraceParseError) -> Output {
    try parse(TextLines(path: path), options: options)
  }

  /// Parses `text`; `path` names it in errors.
  public static func parse(text: String, path: String, options: TextReaderOptions = TextReaderOptions())
    throws(TraceParseError) -> Output
  {
    try parse(TextLines(text: text, path: path), options: options)
  }
}
