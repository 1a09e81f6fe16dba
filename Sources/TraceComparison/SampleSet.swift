/// The samples inside one side's traces: one value per batch or per flip, with the run (input
/// file) and the stratum it came from.
///
/// A trace of 18 flips gives 18 samples of `flip.window_ns`, and as many of `batch.ipis_sent`
/// as it has batches; several traces per side are pooled with their run ids, so that batch-,
/// flip- and run-level statistics can all be taken (``GroupComparison``).
///
/// ```swift
/// var side = SampleSet.analysis(report2cpu, run: 0)
/// side = side.appending(SampleSet.analysis(report2cpuAgain, run: 1))
/// side.samples.filter { $0.metric == "batch.ipis_sent" }.count  // 36
/// ```
public struct SampleSet: Hashable, Sendable {
  /// What one sample stands for.
  public enum Unit: String, Hashable, Sendable, Codable, CaseIterable {
    case batch, flip, run
  }

  /// Like-with-like group of samples: the flip's sysctl or key and the value written, and the
  /// batch's entry count; nil parts are unknown.
  public struct Stratum: Hashable, Sendable, Codable {
    public var key: String?
    public var value: String?
    /// Entries patched by the batch (`nr_entries`); nil when unknown or not grouped by entries.
    public var entries: Int?
    /// True when the batch's entry count is unknown (as opposed to not grouped by).
    public var entriesUnknown: Bool

    enum CodingKeys: String, CodingKey {
      case key, value, entries, label
      case entriesUnknown = "entries_unknown"
    }

    public init(key: String?, value: String?, entries: Int?, entriesUnknown: Bool = false) {
      self.key = key
      self.value = value
      self.entries = entries
      self.entriesUnknown = entriesUnknown
    }

    /// `bpf_stats_enabled=0, nr_entries=164`; `flip unknown`, `entries unknown` for the parts not known.
    public var label: String {
      var parts: [String] = []
      if let key { parts.append("\(key)=\(value ?? "?")") } else { parts.append("flip unknown") }
      if let entries { parts.append("nr_entries=\(entries)") } else if entriesUnknown { parts.append("entries unknown") }
      return parts.joined(separator: ", ")
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      key = try container.decodeIfPresent(String.self, forKey: .key)
      value = try container.decodeIfPresent(String.self, forKey: .value)
      entries = try container.decodeIfPresent(Int.self, forKey: .entries)
      entriesUnknown = try container.decodeIfPresent(Bool.self, forKey: .entriesUnknown) ?? false
    }

    /// Writes every key (null when unknown) and the label.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(label, forKey: .label)
      try container.encode(key, forKey: .key)
      try container.encode(value, forKey: .value)
      try container.encode(entries, forKey: .entries)
      try container.encode(entriesUnknown, forKey: .entriesUnknown)
    }
  }

  /// One measured value.
  public struct Sample: Hashable, Sendable {
    /// `batch.duration_ns`, `flip.window_ns`, ... (docs/compare.md).
    public var metric: String
    public var unit: Unit
    public var stratum: Stratum
    /// Index of the input file on its side, from 0.
    public var run: Int
    public var value: Double

    public init(metric: String, unit: Unit, stratum: Stratum, run: Int, value: Double) {
      self.metric = metric
      self.unit = unit
      self.stratum = stratum
      self.run = run
      self.value = value
    }
  }

  /// Every sample, in input order (run by run, then batch or flip order).
  public private(set) var samples: [Sample]
  /// Runs pooled (input files that gave samples or not).
  public private(set) var runs: Int
  /// What is not known about the samples, in plain words (one line per fact and run).
  public private(set) var notes: [String]

  /// The identity of ``appending(_:)``.
  public static let empty = SampleSet(samples: [], runs: 0, notes: [])

  public init(samples: [Sample], runs: Int, notes: [String]) {
    self.samples = samples
    self.runs = runs
    self.notes = notes
  }

  /// This set followed by `other`'s samples; run ids are kept as `other` gives them.
  /// Associative, with ``empty`` as identity.
  public func appending(_ other: SampleSet) -> SampleSet {
    SampleSet(samples: samples + other.samples, runs: runs + other.runs, notes: notes + other.notes)
  }
}
