import Testing
import TraceAnalysis
import TraceModel

/// A batch kprobe's entry count comes from the file: a value no batch vector holds (a kprobe
/// printing `nr=-1`, a damaged field) is "entries unknown", never a count the model would expand
/// into billions of predicted sites (`check` allocates one site per entry).
@Suite struct DamagedBatchCountTests {
  static func batch(_ nr: FieldValue) -> AnalysisReport {
    let event = TraceEvent(
      timestamp: Timestamp(nanoseconds: 1_000), cpu: 0, pid: 1, comm: "sh", system: "kprobes", name: "tpb",
      fields: [EventField(name: "__probe_func", value: .string("text_poke_bp_batch")), EventField(name: "nr_entries", value: nr)])
    var analyzer = IPIAnalyzer(metadata: TraceMetadata(file: "test", formatDescription: "events"))
    analyzer.consume(event)
    return analyzer.finish()
  }

  @Test("nr_entries of -1, 0 or past any batch vector: the batch is kept, its entries unknown",
        arguments: [FieldValue.signed(-1), .unsigned(UInt64.max), .unsigned(0), .unsigned(1 << 40)])
  func implausibleCount(_ nr: FieldValue) {
    let report = Self.batch(nr)
    #expect(report.textPoke.batches.count == 1)
    #expect(report.textPoke.batches.first?.entries == nil)
  }

  @Test("a real count is kept (64 entries, as in the bookworm 6.1 record fixture)")
  func realCount() {
    #expect(Self.batch(.unsigned(64)).textPoke.batches.first?.entries == 64)
  }
}
