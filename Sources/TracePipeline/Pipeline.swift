/// The pipeline from an input file to what pokestat prints: open (``TraceInput``), analyze,
/// check against the reference model, load for comparison, count, export.
///
/// The command line and the tests call these functions; they join the readers
/// (`TraceReaders`, `TraceNative`), the analysis (`TraceAnalysis`), the reference model
/// (`PatchEngine`) and the comparison (`TraceComparison`), and never print.
///
/// ```swift
/// let analyzed = try Pipeline.analyze("trace.dat")
/// let check = try Pipeline.check(analyzed.report)
/// print(check.verdict)
/// ```
public enum Pipeline {}
