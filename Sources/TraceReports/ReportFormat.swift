/// The output formats every report can be rendered in.
public enum ReportFormat: String, CaseIterable, Sendable {
  case table
  case markdown
  case json
  case csv
}
