/// Checks an event format's text before libtraceevent parses it, so that a malformed format
/// costs one event type, never the process.
///
/// libtraceevent 1.7 (`tep_parse_event`) dereferences a null field when a print fmt argument
/// names a field the format lacks inside a helper such as `__print_flags(REC->no_such_field,
/// ...)`; `trace-cmd report` 3.1.6 dies with SIGSEGV on such a file. The kernel never writes
/// such a format, but a damaged or hand-edited file can hold one.
///
/// The check: every `REC->name` and every field named by a `__get_str(name)`-style helper in
/// the print fmt's arguments must be a field of the format (common or event field); every `%`
/// conversion of the format string must be a printf one (`%p` with any extension letters);
/// the arguments must have balanced brackets and no control bytes, and divide (`/`, `%`)
/// only by nonzero literals or `sizeof`. A format that fails keeps its fields but loses its print fmt line: libtraceevent then parses the
/// field layout, flags the event as failed, and prints its events as `[FAILED TO PARSE]`
/// with the raw field values, while pokestat's own field decoding still works. A format that
/// declares no `common_type`/`common_pid` field is withheld whole: its events are of an
/// unknown type, and libtraceevent keeps reading the others' types.
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
    /// Field names the print fmt uses but the format does not declare.
    var missingFields: [String] = []
    /// Why the print fmt was removed (nil: the format passed unchanged).
    var problem: String?
    /// Whether the whole format is withheld from libtraceevent (its events are of an unknown type).
    var isDropped = false
  }

  /// Checks `format`; see the type's documentation for the rule.
  ///
  /// - Complexity: O(n) in the format's length.
  static func check(_ format: [UInt8]) -> Outcome {
    let lines = format.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var fields: Set<String> = []
    var printLine: Int?
    var hasFormatLabel = false
    var malformedField: String?
    // Bytes, not `String`s: every trace.dat has about 2,000 formats, checked before its first
    // event is read (as Strings this was most of a mid-size trace's instructions).
    for (index, line) in lines.enumerated() {
      let trimmed = line.drop { $0 == Self.space || $0 == Self.tab }
      if trimmed.elementsEqual("format:".utf8) {
        hasFormatLabel = true
      } else if trimmed.starts(with: "field:".utf8) {
        if !Self.isWellFormedField(trimmed) {
          malformedField = malformedField ?? String(decoding: trimmed.prefix(80), as: UTF8.self)
        }
        if let name = Self.fieldName(trimmed) { fields.insert(name) }
      } else if trimmed.starts(with: "print fmt:".utf8) {
        printLine = index
      }
    }
    // libtraceevent reads every record's type through the lowest-id event's common fields
    // (`tep_data_type`), so a format without them must not reach it at all.
    guard hasFormatLabel else { return Outcome(format: [], problem: "has no \"format:\" line", isDropped: true) }
    if let malformedField {
      return Outcome(format: [], problem: "has a malformed field line (\(malformedField))", isDropped: true)
    }
    guard fields.contains("common_type"), fields.contains("common_pid") else {
      return Outcome(format: [], problem: "declares no common_type and common_pid fields", isDropped: true)
    }
    guard let printLine else { return Outcome(format: format) }
    var outcome = Outcome(format: format)
    // The print fmt runs to the end of the format: its strings may hold newlines.
    let line = Array(lines[printLine...].joined(separator: [UInt8(ascii: "\n")]))
    let body = Array(line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }.dropFirst(10))
    if let (strings, arguments) = Self.split(printFormat: body) {
      // libtraceevent's event_read_print takes arguments only after a `,` behind the format
      // strings; anything else (arm64's `"instr="%s" addr=0x%llx"`, whose inner quotes the
      // kernel does not escape) makes it refuse the print fmt before evaluating anything, so
      // the format is safe to hand over as it is, and trace-cmd prints what libtraceevent does.
      if let first = arguments.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\n") }),
        first != UInt8(ascii: ",")
      {
        return outcome
      }
      // `REC->ent` is the record's `struct trace_entry ent` header (include/trace/trace_events.h),
      // whose members are the common fields: the 7.x vmscan events print `REC->ent.pid`.
      for name in Self.referencedFields(arguments)
      where name != "ent" && !fields.contains(name) && !outcome.missingFields.contains(name) {
        outcome.missingFields.append(name)
      }
      if !outcome.missingFields.isEmpty {
        outcome.problem = "names fields the format lacks (\(outcome.missingFields.joined(separator: ", ")))"
      } else if let bad = Self.badConversion(strings) {
        outcome.problem = "has a conversion libtraceevent may not parse (\(bad))"
      } else if let bad = Self.badArguments(arguments) {
        outcome.problem = bad
      }
    } else {
      outcome.problem = "has an unterminated string"
    }
    guard outcome.problem != nil else { return outcome }
    outcome.format = Array(lines[..<printLine].joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
    return outcome
  }

  private static let space = UInt8(ascii: " ")
  private static let tab = UInt8(ascii: "\t")
  private static let offsetLabel = Array("offset:".utf8)
  private static let sizeLabel = Array("size:".utf8)
  private static let signedLabel = Array("signed:".utf8)

  /// The name a `field:TYPE NAME[N];	offset:...` line declares: the last word before the first
  /// `;` once bracketed parts are gone (`__u8 buf[32 + 2]`, `__data_loc char[] name`).
  private static func fieldName(_ line: ArraySlice<UInt8>) -> String? {
    let declaration = line.dropFirst(6).prefix { $0 != UInt8(ascii: ";") }
    guard declaration.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }) else {
      // No brackets (most fields): the last word as it stands.
      var end = declaration.endIndex
      while end > declaration.startIndex, declaration[end - 1] == space || declaration[end - 1] == tab { end -= 1 }
      var start = end
      while start > declaration.startIndex, declaration[start - 1] != space, declaration[start - 1] != tab { start -= 1 }
      return start < end ? String(decoding: declaration[start..<end], as: UTF8.self) : nil
    }
    var outside: [UInt8] = []
    var depth = 0
    for byte in declaration {
      if byte == UInt8(ascii: "[") {
        depth += 1
      } else if byte == UInt8(ascii: "]") {
        depth = max(0, depth - 1)
      } else if depth == 0 {
        outside.append(byte)
      }
    }
    guard let last = outside.split(whereSeparator: { $0 == space || $0 == tab }).last else { return nil }
    return String(decoding: last, as: UTF8.self)
  }

  /// Whether a field line reads `field:DECLARATION; offset:N; size:N;` (then optionally
  /// `signed:N;`), as every kernel writes it.
  private static func isWellFormedField(_ line: ArraySlice<UInt8>) -> Bool {
    var segment = 0
    var start = line.startIndex
    while true {
      let end = line[start...].firstIndex(of: UInt8(ascii: ";")) ?? line.endIndex
      let part = line[start..<end].drop { $0 == space || $0 == tab }
      let isLast = end == line.endIndex
      switch segment {
      case 0: guard part.count > 6 else { return false }
      case 1: guard isInteger(part, after: offsetLabel) else { return false }
      case 2: guard isInteger(part, after: sizeLabel) else { return false }
      case 3: guard (isLast && part.isEmpty) || isInteger(part, after: signedLabel) else { return false }
      default: return isLast && part.isEmpty && segment == 4
      }
      if isLast { return segment == 3 }
      segment += 1
      start = end + 1
    }
  }

  /// Whether `part` is `label` then what `Int(_:)` reads: an optional sign and decimal digits
  /// that fit in an `Int`.
  private static func isInteger(_ part: ArraySlice<UInt8>, after label: [UInt8]) -> Bool {
    guard part.starts(with: label) else { return false }
    var digits = part.dropFirst(label.count)
    let negative = digits.first == UInt8(ascii: "-")
    if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
    guard !digits.isEmpty else { return false }
    var value = 0
    for byte in digits {
      guard byte >= 48, byte <= 57 else { return false }
      let (scaled, overflowScale) = value.multipliedReportingOverflow(by: 10)
      let (next, overflowAdd) = negative ? scaled.subtractingReportingOverflow(Int(byte - 48)) : scaled.addingReportingOverflow(Int(byte - 48))
      guard !overflowScale, !overflowAdd else { return false }
      value = next
    }
    return true
  }

  /// Splits `"..." "...", args` (the print fmt after its label) into the format strings' bytes
  /// (concatenated, escapes kept) and the argument list; nil when a string is not terminated.
  private static func split(printFormat line: [UInt8]) -> ([UInt8], [UInt8])? {
    var index = 0
    var strings: [UInt8] = []
    while true {
      while index < line.count, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t") { index += 1 }
      guard index < line.count, line[index] == UInt8(ascii: "\"") else { break }
      index += 1
      var closed = false
      while index < line.count {
        if line[index] == UInt8(ascii: "\\") {
          strings.append(contentsOf: line[index..<min(index + 2, line.count)])
          index += 2
          continue
        }
        if line[index] == UInt8(ascii: "\"") {
          closed = true
          index += 1
          break
        }
        strings.append(line[index])
        index += 1
      }
      guard closed else { return nil }
    }
    return (strings, index < line.count ? Array(line[index...]) : [])
  }

  /// The first `%` conversion of the format strings that is not
  /// `%[flags][width][.precision][length]conversion` (conversion one of `diouxXcspneEfgGaA`;
  /// `%p` may carry any extension letters after it), or nil.
  private static let conversionFlags = Set("-+ #0".utf8)
  private static let conversionLengths = Set("hlLzZjtq".utf8)
  private static let conversionLetters = Set("diouxXcspneEfgGaA".utf8)

  private static func badConversion(_ text: [UInt8]) -> String? {
    let flags = conversionFlags
    let lengths = conversionLengths
    let conversions = conversionLetters
    func skipNumber(_ index: inout Int) {
      if index < text.count, text[index] == UInt8(ascii: "*") {
        index += 1
        return
      }
      while index < text.count, text[index] >= 48, text[index] <= 57 { index += 1 }
    }
    var index = 0
    while index < text.count {
      guard text[index] == UInt8(ascii: "%") else {
        index += 1
        continue
      }
      let start = index
      index += 1
      if index < text.count, text[index] == UInt8(ascii: "%") {
        index += 1
        continue
      }
      while index < text.count, flags.contains(text[index]) { index += 1 }
      skipNumber(&index)
      if index < text.count, text[index] == UInt8(ascii: ".") {
        index += 1
        skipNumber(&index)
      }
      while index < text.count, lengths.contains(text[index]) { index += 1 }
      guard index < text.count, conversions.contains(text[index]) else {
        return String(decoding: text[start..<min(index + 1, text.count)], as: UTF8.self)
      }
      index += 1
    }
    return nil
  }

  /// Why the argument list is unsafe to hand over, or nil: strings must end, brackets balance,
  /// no control bytes appear, and `/` or `%` never divide by a field, a name or a zero literal
  /// (libtraceevent evaluates divisions without checking the divisor: SIGFPE). Constant
  /// divisors such as `sizeof(x)` or `1000` pass.
  private static func badArguments(_ text: [UInt8]) -> String? {
    let opening: [UInt8: UInt8] = [UInt8(ascii: ")"): UInt8(ascii: "("), UInt8(ascii: "]"): UInt8(ascii: "["), UInt8(ascii: "}"): UInt8(ascii: "{")]
    var stack: [UInt8] = []
    var index = 0
    while index < text.count {
      let byte = text[index]
      if byte == UInt8(ascii: "\"") {
        index += 1
        while index < text.count, text[index] != UInt8(ascii: "\"") { index += text[index] == UInt8(ascii: "\\") ? 2 : 1 }
        guard index < text.count else { return "has an unterminated string" }
        index += 1
        continue
      }
      guard byte >= 0x20 && byte < 0x7f || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") else {
        return "holds a control byte (0x\(String(byte, radix: 16)))"
      }
      switch byte {
      case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
        stack.append(byte)
      case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
        guard stack.popLast() == opening[byte] else { return "has unbalanced brackets" }
      case UInt8(ascii: "/"), UInt8(ascii: "%"):
        var next = index + 1
        while next < text.count, text[next] == UInt8(ascii: " ") || text[next] == UInt8(ascii: "(") { next += 1 }
        var end = next
        while end < text.count, Self.isWordByte(text[end]) { end += 1 }
        let word = String(decoding: text[next..<end], as: UTF8.self)
        if word == "sizeof" { break }
        let digits = word.lowercased().filter { $0 != "u" && $0 != "l" }
        let value = digits.hasPrefix("0x") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value, value != 0 else { return "divides by something that is not a nonzero constant" }
      default: break
      }
      index += 1
    }
    return stack.isEmpty ? nil : "has unbalanced brackets"
  }

  /// Bytes of a C identifier or integer literal.
  private static func isWordByte(_ byte: UInt8) -> Bool {
    (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || byte == 95
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
    let helperPrefix = Array("__get_".utf8)
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
      if byte == UInt8(ascii: "R"), text[index...].starts(with: rec) {
        let (name, end) = identifier(at: index + rec.count)
        if !name.isEmpty { names.append(name) }
        index = end
        continue
      }
      if isIdentifier(byte) {
        var end = index
        while end < text.count, isIdentifier(text[end]) { end += 1 }
        // Every helper's name starts with `__get_`: other words need no String.
        let isHelper = text[index..<end].starts(with: helperPrefix)
          && fieldHelpers.contains(String(decoding: text[index..<end], as: UTF8.self))
        index = end
        guard isHelper else { continue }
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
