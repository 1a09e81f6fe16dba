import ArgumentParser
import TraceReports

extension ReportFormat: ExpressibleByArgument {}

/// What `--format` accepts: the report formats, and `jsonl` (flat JSON lines for DuckDB and
/// Spark, docs/fleet.md), which only `analyze` writes.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
  case table, markdown, json, csv, jsonl
}

/// `--format`, `--json` and `--csv`, shared by every command that renders a report.
struct OutputOptions: ParsableArguments {
  @Option(help: "Output format: table, markdown, json, csv, or jsonl (analyze only: one flat JSON object per line, docs/fleet.md).")
  var format: OutputFormat = .table

  @Flag(help: "Same as --format json.")
  var json = false

  @Flag(help: "Same as --format csv.")
  var csv = false

  @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.", completion: .file())
  var output: String?

  /// The report format; `jsonl` (see ``jsonLines``) resolves to `json`.
  var resolvedFormat: ReportFormat {
    json ? .json : csv ? .csv : ReportFormat(rawValue: format.rawValue) ?? .json
  }

  /// True for `--format jsonl`.
  var jsonLines: Bool { !json && !csv && format == .jsonl }

  /// Refuses `--format jsonl` in a command that has no flat rows to write.
  func rejectJSONLines(_ command: String) throws {
    if jsonLines { throw InputFailure("--format jsonl: \(command) has no JSON lines form (analyze writes them)") }
  }

  /// Refuses `--format jsonl` as a usage error, from the `validate()` of a command that has no
  /// JSON lines form.
  func validateNoJSONLines(_ command: String) throws {
    if jsonLines { throw ValidationError("--format jsonl: \(command) has no JSON lines form (analyze writes them)") }
  }

  /// Renders the report in the chosen format, then writes it to `-o` or standard output (so a
  /// failed rendering leaves no empty file behind).
  func write(_ render: (ReportFormat) throws -> String) throws {
    let text = try render(resolvedFormat)
    let sink = try OutputSink(path: output)
    sink.write(text)
    sink.flush()
  }

  func validate() throws {
    if json && csv { throw ValidationError("--json and --csv exclude each other") }
    if format == .jsonl && (json || csv) { throw ValidationError("--format jsonl excludes --json and --csv") }
  }
}
