/// Checks an event format's text before libtraceevent parses it, so that a malformed format
/// costs one event type, never the process.
///
/// libtraceevent 1.7 (`tep_parse_event`) dereferences a null field when a print fmt argument
/// names a field the format lacks inside a helper such as `__print_flags(REC->no_such_field,
/// ...)`; `trace-cmd report` 3.1.6 dies with SIGSEGV on such a file. The kernel never writes
/// such a format, but a damaged or hand-edited file can hold one.
///
/// The check: every `REC->name` and every field named by a `__get_str(name)`-style helper in
/// the print fmt's arguments must be a field of the format (common or event field). A format
/// that fails keeps its fields but loses its print fmt line: libtraceevent then parses the
/// field layout, flags the event as failed, and prints its events as `[FAILED TO PARSE]`
/// with the raw field values, while pokestat's own field decoding still works.
enum EventFormatCheck {
  /// Helpers whose argument is a bare field name (include/trace/stages/stage3_trace_output.h).
  private static let fieldHelpers = [
    "__get_str", "__get_dynamic_array", "__get_dynamic_array_len", "__get_bitmask",
    "__get_cpumask", "__get_sockaddr", "__get_rel_str", "__get_rel_dynamic_array",
    "__get_rel_dynamic_array_len", "__get_rel_bitmask", "__get_rel_cpumask", "__get_rel_sockaddr",
  ]

  /// The result of checking one format.
  struct Outcome {
    /// The text to hand to libtraceevent: the original, or without its print fmt line.
    var format: [UInt8]
    /// Field names the print fmt uses but the format does not declare; empty when it passed.
    var missingFields: [String]
  }

  /// Checks `format`; see the type's documentation for the rule.
  ///
  /// - Complexity: O(n) in the format's length.
  static func check(_ format: [UInt8]) -> Outcome {
    let lines = format.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var fields: Set<String> = []
    var printLine: Int?
    for (index, line) in lines.enumerated() {
      let text = String(decoding: line, as: UTF8.self)
      let trimmed = text.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("field:") {
        // `field:TYPE NAME[N];	offset:...`: the name is the last word before the first ';'
        // once bracketed parts are gone (`__u8 buf[32 + 2]`, `__data_loc char[] name`).
        var declaration = ""
        var depth = 0
        for character in trimmed.dropFirst(6).prefix(while: { $0 != ";" }) {
          if character == "[" { depth += 1 } else if character == "]" { depth = max(0, depth - 1) } else if depth == 0 {
            declaration.append(character)
          }
        }
        if let last = declaration.split(whereSeparator: { $0 == " " || $0 == "\t" }).last {
          fields.insert(String(last))
        }
      } else if trimmed.hasPrefix("print fmt:") {
        printLine = index
      }
    }
    guard let printLine else { return Outcome(format: format, missingFields: []) }
    let arguments = Self.arguments(ofPrintLine: Array(lines[printLine]))
    var missing: [String] = []
    for name in Self.referencedFields(arguments) where !fields.contains(name) && !missing.contains(name) {
      missing.append(name)
    }
    guard !missing.isEmpty else { return Outcome(format: format, missingFields: []) }
    var kept = lines
    kept.remove(at: printLine)
    return Outcome(format: Array(kept.joined(separator: [UInt8(ascii: "\n")])), missingFields: missing)
  }

  /// The print fmt line after its quoted format string (the argument list).
  private static func arguments(ofPrintLine line: [UInt8]) -> [UInt8] {
    guard var index = line.firstIndex(of: UInt8(ascii: "\"")) else { return [] }
    index += 1
    while index < line.count {
      if line[index] == UInt8(ascii: "\\") {
        index += 2
        continue
      }
      if line[index] == UInt8(ascii: "\"") { return Array(line[(index + 1)...]) }
      index += 1
    }
    return []
  }

  /// Field names used in print fmt arguments: after `REC->` and inside the field helpers.
  /// Quoted strings (flag names, separators) are skipped.
  private static func referencedFields(_ text: [UInt8]) -> [String] {
    var names: [String] = []
    var index = 0
    func isIdentifier(_ byte: UInt8) -> Bool {
      (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }
    func identifier(at start: Int) -> (String, Int) {
      var end = start
      while end < text.count, isIdentifier(text[end]) { end += 1 }
      return (String(decoding: text[start..<end], as: UTF8.self), end)
    }
    let rec = Array("REC->".utf8)
    while index < text.count {
      let byte = text[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        while index < text.count, text[index] != UInt8(ascii: "\"") {
          index += text[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        index += 1
        continue
      }
      if byte == UInt8(ascii: "R"), index + rec.count <= text.count, Array(text[index..<index + rec.count]) == rec {
        let (name, end) = identifier(at: index + rec.count)
        if !name.isEmpty { names.append(name) }
        index = end
        continue
      }
      if isIdentifier(byte) {
        let (word, end) = identifier(at: index)
        index = end
        guard fieldHelpers.contains(word) else { continue }
        var open = end
        while open < text.count, text[open] == UInt8(ascii: " ") { open += 1 }
        guard open < text.count, text[open] == UInt8(ascii: "(") else { continue }
        var start = open + 1
        while start < text.count, text[start] == UInt8(ascii: " ") { start += 1 }
        let (name, nameEnd) = identifier(at: start)
        if !name.isEmpty { names.append(name) }
        index = nameEnd
        continue
      }
      index += 1
    }
    return names
  }
}
