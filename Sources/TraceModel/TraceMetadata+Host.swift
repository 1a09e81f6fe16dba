extension TraceMetadata {
  /// The traced machine's host name: the second word of ``uname`` (trace-cmd writes the
  /// UNAME option as `sysname nodename release machine`, e.g. `Linux vm 6.18.44 x86_64`).
  /// Nil when the trace has no uname or the kernel had no host name set (`(none)`).
  public var hostName: String? {
    guard let uname else { return nil }
    let words = uname.split(separator: " ")
    guard words.count >= 3, words[1] != "(none)", !words[1].isEmpty else { return nil }
    return String(words[1])
  }
}
