/// What `perf report --stdio` says about the int3 handler (`poke_int3_handler`,
/// `smp_text_poke_int3_handler`, `text_poke_int3_handler`, `do_int3`, …).
public struct PerfReportSummary: Codable, Sendable, Equatable {
  /// `# Samples: 31K of event 'cpu-clock'`'s event, when the header has it.
  public var event: String?
  /// `# Samples:` as printed (`31K`), when the header has it.
  public var samples: String?
  /// Entries read (one per command, object and symbol).
  public var entries: Int
  /// The int3 handler symbols found, and the sum of their entries' first column (%): the
  /// share of samples in the handler (Children when the report has it, else Overhead).
  public var int3Symbols: [String]
  public var int3Percent: Double
  /// The sum of their Self column (%), when the report has one.
  public var int3SelfPercent: Double?
  /// The callers listed under the first handler entry (call-graph reports), in print order,
  /// with their branch percentages when printed; empty without a call graph.
  public var callers: [Caller]
  /// Whether the report has call graphs at all.
  public var hasCallGraph: Bool
  /// The three largest entries (symbol and first column), for a report without the handler.
  public var top: [Caller]

  public struct Caller: Codable, Sendable, Equatable {
    public var symbol: String
    public var percent: Double?

    public init(symbol: String, percent: Double?) {
      self.symbol = symbol
      self.percent = percent
    }
  }

  public init(
    event: String?, samples: String?, entries: Int, int3Symbols: [String], int3Percent: Double, int3SelfPercent: Double?,
    callers: [Caller], hasCallGraph: Bool, top: [Caller]
  ) {
    self.event = event
    self.samples = samples
    self.entries = entries
    self.int3Symbols = int3Symbols
    self.int3Percent = int3Percent
    self.int3SelfPercent = int3SelfPercent
    self.callers = callers
    self.hasCallGraph = hasCallGraph
    self.top = top
  }

  enum CodingKeys: String, CodingKey {
    case event, samples, entries, callers, top
    case int3Symbols = "int3_symbols"
    case int3Percent = "int3_percent"
    case int3SelfPercent = "int3_self_percent"
    case hasCallGraph = "has_call_graph"
  }
}
