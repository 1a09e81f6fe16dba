/// The output formats every report can be rendered in.
public enum ReportFormat: String, CaseIterable, Sendable {
  case table
  case markdown
  case json
  case csv
}

/// CSV cells as every report writes them (RFC 4180).
enum CSVField {
  /// `text` as one cell: quoted, with quotes doubled, when it holds a comma, a quote or a newline.
  static func quoted(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
