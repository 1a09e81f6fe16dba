import ArgumentParser
import TraceReports

extension ReportFormat: ExpressibleByArgument {}

/// `--format`, `--json` and `--csv`, shared by every command that renders a report.
struct OutputOptions: ParsableArguments {
  @Option(help: "Output format: table, markdown, json or csv.")
  var format: ReportFormat = .table

  @Flag(help: "Same as --format json.")
  var json = false

  @Flag(help: "Same as --format csv.")
  var csv = false

  @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.", completion: .file())
  var output: String?

  var resolvedFormat: ReportFormat { json ? .json : csv ? .csv : format }

  func validate() throws {
    if json && csv { throw ValidationError("--json and --csv exclude each other") }
  }
}
