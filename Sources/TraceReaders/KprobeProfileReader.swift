import TraceModel

/// One read of tracefs `kprobe_profile`: hits and misses of every kprobe and kretprobe event.
///
/// The kernel prints one line per probe event, `"  %-44s %15lu %15lu\n"`: the event name, its
/// hit count and its missed count (`probes_profile_seq_show` in kernel/trace/trace_kprobe.c).
/// For a kprobe, hits are handler runs and misses are hits skipped because another kprobe was
/// running on that CPU. For a kretprobe, hits are returns handled and misses are calls that
/// found no free instance (more than `maxactive` calls in flight) plus skipped kprobe hits:
/// since Linux 5.17 (and the stable kernels the fix went to) the column is
/// `rp.kp.nmissed + rp.nmissed`; older kernels printed only `rp.kp.nmissed`, so a kretprobe's
/// instance shortage read as 0 there.
public struct KprobeProfile: Hashable, Sendable, Codable {
  /// One probe's line.
  public struct Entry: Hashable, Sendable, Codable {
    /// The event name (`pokefx_open_ret`), without its group.
    public var name: String
    public var hits: UInt64
    public var misses: UInt64
    /// The 1-based line in the file.
    public var line: Int

    public init(name: String, hits: UInt64, misses: UInt64, line: Int) {
      self.name = name
      self.hits = hits
      self.misses = misses
      self.line = line
    }

    /// `misses / (hits + misses)`: the share of probed calls the probe did not handle; nil
    /// when the probe never fired.
    public var missRatio: Double? {
      let total = Double(hits) + Double(misses)
      return total > 0 ? Double(misses) / total : nil
    }
  }

  /// Probes in file order (the order they were defined in `kprobe_events`).
  public var entries: [Entry]

  public init(entries: [Entry]) { self.entries = entries }

  /// The entry of the probe event named `name`.
  public subscript(probe name: String) -> Entry? { entries.first { $0.name == name } }

  public var totalHits: UInt64 { entries.reduce(0) { $0 + $1.hits } }
  public var totalMisses: UInt64 { entries.reduce(0) { $0 + $1.misses } }
}

/// One line of tracefs `kprobe_events`: how a probe was defined, notably a kretprobe's `maxactive`.
///
/// The kernel prints `p:GROUP/EVENT SYMBOL[+OFFS] [ARGS]` or `rN:GROUP/EVENT SYMBOL [ARGS]`,
/// where `N` is the kretprobe's `maxactive` (printed only when it is set; the kernel's default
/// is `max(10, 2 * CPUs)` with CONFIG_PREEMPTION, else the CPU count).
public struct KprobeDefinition: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case kprobe = "p"
    case kretprobe = "r"
  }

  public var kind: Kind
  public var group: String
  public var event: String
  /// A kretprobe's instance count when the line states it.
  public var maxActive: Int?
  /// The probed place and any fetch arguments, as written.
  public var target: String

  public init(kind: Kind, group: String, event: String, maxActive: Int?, target: String) {
    self.kind = kind
    self.group = group
    self.event = event
    self.maxActive = maxActive
    self.target = target
  }
}

/// Reads tracefs `kprobe_profile` and `kprobe_events`, live or from saved copies.
public enum KprobeProfileReader: LineFileReader {
  /// Where a live system keeps the profile: tracefs, then the old debugfs mount.
  public static let livePaths = ["/sys/kernel/tracing/kprobe_profile", "/sys/kernel/debug/tracing/kprobe_profile"]

  /// Reads a profile from `path` (a saved copy, `-` for standard input, or a live
  /// `kprobe_profile`).
  ///
  /// - Throws: ``TraceParseError`` when the file cannot be read, or at the first line that is
  ///   not `NAME HITS MISSES` (unless `options.lenient`, which counts it in `skipped`).
  public static func parse(_ input: TextLines, options: TextReaderOptions) throws(TraceParseError) -> (
    profile: KprobeProfile, skipped: SkippedLines
  ) {
    var entries: [KprobeProfile.Entry] = []
    var skipped = SkippedLines()
    for (number, line) in input.lines {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if fields.isEmpty { continue }
      guard fields.count == 3, let hits = UInt64(fields[1]), let misses = UInt64(fields[2]) else {
        try skipped.skipOrThrow(
          TraceParseError(
            reason: .malformedLine(expected: "a kprobe_profile line (`NAME HITS MISSES`)", found: line),
            location: InputLocation(file: input.path, line: number)),
          lenient: options.lenient)
        continue
      }
      entries.append(KprobeProfile.Entry(name: String(fields[0]), hits: hits, misses: misses, line: number))
    }
    return (KprobeProfile(entries: entries), skipped)
  }

  /// Reads probe definitions from a `kprobe_events` file (live or saved).
  ///
  /// - Throws: ``TraceParseError`` at the first line that is not a `p:` or `r[N]:` definition.
  public static func readDefinitions(path: String) throws(TraceParseError) -> [KprobeDefinition] {
    try parseDefinitions(TextLines(path: path))
  }

  /// Parses the text of a `kprobe_events` file; `path` names it in errors.
  public static func parseDefinitions(text: String, path: String) throws(TraceParseError) -> [KprobeDefinition] {
    try parseDefinitions(TextLines(text: text, path: path))
  }

  static func parseDefinitions(_ input: TextLines) throws(TraceParseError) -> [KprobeDefinition] {
    var definitions: [KprobeDefinition] = []
    for (number, line) in input.lines {
      let text = line.trimmed(of: " \t")
      if text.isEmpty || text.hasPrefix("#") { continue }
      guard let definition = definition(text) else {
        throw TraceParseError(
          reason: .malformedLine(expected: "a kprobe_events line (`p:GROUP/EVENT PLACE` or `rN:GROUP/EVENT PLACE`)",
                                 found: line),
          location: InputLocation(file: input.path, line: number))
      }
      definitions.append(definition)
    }
    return definitions
  }

  private static func definition(_ text: String) -> KprobeDefinition? {
    guard let space = text.firstIndex(of: " "), let colon = text[..<space].firstIndex(of: ":") else { return nil }
    let head = text[..<colon]
    guard let kind = head.first.flatMap({ KprobeDefinition.Kind(rawValue: String($0)) }) else { return nil }
    let count = head.dropFirst()
    var maxActive: Int?
    if !count.isEmpty {
      guard kind == .kretprobe, let value = Int(count), value > 0 else { return nil }
      maxActive = value
    }
    let name = text[text.index(after: colon)..<space].split(separator: "/", omittingEmptySubsequences: false)
    guard name.count == 2, !name[0].isEmpty, !name[1].isEmpty else { return nil }
    let target = text[space...].trimmed(of: " ")
    guard !target.isEmpty else { return nil }
    return KprobeDefinition(
      kind: kind, group: String(name[0]), event: String(name[1]), maxActive: maxActive, target: target)
  }
}
