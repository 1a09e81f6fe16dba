import Testing
import TracePipeline
import TraceTestSupport

/// What an analysis keeps once it is done: `analyze --jobs` holds every input's result until
/// all are written in argument order, so a result must not hold what grows with the input.
@Suite struct AnalyzedTraceTests {
  @Test("a finished analysis keeps no kernel symbol table (megabytes a trace), but its uname and host")
  func noSymbolTable() throws {
    let path = Fixtures.url("tracedat/local618-flips-stack.v7zstd.dat").path
    let analyzed = try Pipeline.analyze(path)
    #expect(analyzed.metadata.symbols.isEmpty)
    #expect(analyzed.metadata.uname != nil)
    #expect(analyzed.report.kallsymsPatchFunctions?.isEmpty == false, "the analysis itself used the symbols")
  }
}
