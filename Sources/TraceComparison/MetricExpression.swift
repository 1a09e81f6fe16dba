/// Why a `--metric` expression could not be parsed or evaluated, and at which column.
public struct MetricExpressionError: Error, Hashable, Sendable, CustomStringConvertible {
  /// 1-based column in the text the user wrote (the whole `NAME=EXPR` argument).
  public var column: Int
  /// What the parser wanted there (`an operand`, `)`), or what went wrong.
  public var expected: String
  /// What it found (`end of expression`, `'*'`).
  public var found: String

  public init(column: Int, expected: String, found: String) {
    self.column = column
    self.expected = expected
    self.found = found
  }

  /// `column 7: expected an operand, found '*'`.
  public var description: String { "column \(column): expected \(expected), found \(found)" }
}

/// An arithmetic expression over metric names: `+ - * /`, parentheses, numbers, identifiers
/// (`ITLB_WALK`, `elapsed`, `text_poke.ipis_sent`) and any name in braces (`{iTLB-load-misses}`).
///
/// ```swift
/// let e = try MetricExpression(parsing: "ITLB_WALK/(INST_RETIRED/1000)")
/// e.evaluate { ["ITLB_WALK": 2, "INST_RETIRED": 4000][$0] }  // 0.5
/// ```
/// Grammar (usual precedence, left associative): `sum = product (('+'|'-') product)*`,
/// `product = unary (('*'|'/') unary)*`, `unary = '-' unary | primary`,
/// `primary = number | name | '{' any text but '}' '}' | '(' sum ')'`.
public indirect enum MetricExpression: Hashable, Sendable {
  case number(Double)
  /// A metric, with the 1-based column where its name starts.
  case name(String, column: Int)
  case negate(MetricExpression)
  case binary(Operator, MetricExpression, MetricExpression)

  public enum Operator: Character, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
  }

  /// Parses `text`; columns in errors are counted from `columnOffset + 1`.
  ///
  /// - Throws: ``MetricExpressionError`` at the first character that does not fit the grammar.
  public init(parsing text: String, columnOffset: Int = 0) throws(MetricExpressionError) {
    var parser = Parser(characters: Array(text), columnOffset: columnOffset)
    self = try parser.parseSum()
    parser.skipSpaces()
    if parser.index < parser.characters.count {
      throw parser.error(expected: "an operator or the end of the expression")
    }
  }

  /// Every metric name the expression reads, with its column, in order.
  public var names: [(name: String, column: Int)] {
    switch self {
    case .number: return []
    case .name(let name, let column): return [(name, column)]
    case .negate(let inner): return inner.names
    case .binary(_, let lhs, let rhs): return lhs.names + rhs.names
    }
  }

  /// The value with every name looked up in `lookup`; nil when a name is missing or a
  /// division by zero occurs.
  public func evaluate(_ lookup: (String) -> Double?) -> Double? {
    switch self {
    case .number(let value): return value
    case .name(let name, _): return lookup(name)
    case .negate(let inner): return inner.evaluate(lookup).map { -$0 }
    case .binary(let op, let lhs, let rhs):
      guard let a = lhs.evaluate(lookup), let b = rhs.evaluate(lookup) else { return nil }
      switch op {
      case .add: return a + b
      case .subtract: return a - b
      case .multiply: return a * b
      case .divide: return b == 0 ? nil : a / b
      }
    }
  }

  struct Parser {
    let characters: [Character]
    let columnOffset: Int
    var index = 0

    init(characters: [Character], columnOffset: Int) {
      self.characters = characters
      self.columnOffset = columnOffset
    }

    mutating func skipSpaces() { while index < characters.count, characters[index] == " " { index += 1 } }

    func error(expected: String) -> MetricExpressionError {
      let found = index < characters.count ? "'\(characters[index])'" : "the end of the expression"
      return MetricExpressionError(column: columnOffset + index + 1, expected: expected, found: found)
    }

    mutating func parseSum() throws(MetricExpressionError) -> MetricExpression {
      var result = try parseProduct()
      while true {
        skipSpaces()
        guard index < characters.count, let op = Operator(rawValue: characters[index]), op == .add || op == .subtract else {
          return result
        }
        index += 1
        result = .binary(op, result, try parseProduct())
      }
    }

    mutating func parseProduct() throws(MetricExpressionError) -> MetricExpression {
      var result = try parseUnary()
      while true {
        skipSpaces()
        guard index < characters.count, let op = Operator(rawValue: characters[index]), op == .multiply || op == .divide
        else { return result }
        index += 1
        result = .binary(op, result, try parseUnary())
      }
    }

    mutating func parseUnary() throws(MetricExpressionError) -> MetricExpression {
      skipSpaces()
      if index < characters.count, characters[index] == "-" {
        index += 1
        return .negate(try parseUnary())
      }
      return try parsePrimary()
    }

    static func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    static func isNameCharacter(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) || c == "." }

    mutating func parsePrimary() throws(MetricExpressionError) -> MetricExpression {
      skipSpaces()
      guard index < characters.count else { throw error(expected: "a number, a name, '{' or '('") }
      let start = index
      let c = characters[index]
      if c == "(" {
        index += 1
        let inner = try parseSum()
        skipSpaces()
        guard index < characters.count, characters[index] == ")" else { throw error(expected: "')'") }
        index += 1
        return inner
      }
      if c == "{" {
        index += 1
        while index < characters.count, characters[index] != "}" { index += 1 }
        guard index < characters.count else { throw error(expected: "'}' closing the name at column \(columnOffset + start + 1)") }
        let name = String(characters[(start + 1)..<index])
        guard !name.isEmpty else { throw error(expected: "a name inside the braces") }
        index += 1
        return .name(name, column: columnOffset + start + 1)
      }
      if c.isASCII && (c.isNumber || c == ".") {
        while index < characters.count, characters[index].isASCII,
          characters[index].isNumber || characters[index] == "." || characters[index] == "e"
            || ((characters[index] == "-" || characters[index] == "+") && characters[index - 1] == "e")
        {
          index += 1
        }
        guard let value = Double(String(characters[start..<index])) else {
          let text = String(characters[start..<index])
          index = start
          throw MetricExpressionError(column: columnOffset + start + 1, expected: "a number", found: "'\(text)'")
        }
        return .number(value)
      }
      if Self.isNameStart(c) {
        while index < characters.count, Self.isNameCharacter(characters[index]) { index += 1 }
        return .name(String(characters[start..<index]), column: columnOffset + start + 1)
      }
      throw error(expected: "a number, a name, '{' or '('")
    }
  }
}

/// A user-defined metric: `NAME=EXPR`, or a bare `EXPR` named by its own text.
public struct DerivedMetric: Hashable, Sendable {
  public var name: String
  public var expression: MetricExpression
  /// The argument as the user wrote it.
  public var source: String

  /// Parses a `--metric` argument.
  ///
  /// - Throws: ``MetricExpressionError`` with the column counted in the whole argument.
  public init(parsing argument: String) throws(MetricExpressionError) {
    source = argument
    if let equals = argument.firstIndex(of: "="),
      case let head = argument[..<equals].trimmingCharacters(" "), !head.isEmpty,
      head.allSatisfy({ MetricExpression.Parser.isNameCharacter($0) || $0 == "-" })
    {
      name = String(head)
      expression = try MetricExpression(
        parsing: String(argument[argument.index(after: equals)...]),
        columnOffset: argument.distance(from: argument.startIndex, to: equals) + 1)
    } else {
      name = argument.trimmingCharacters(" ")
      expression = try MetricExpression(parsing: argument)
    }
  }

  /// The metric's value in every run of `set`, where every name it reads was measured.
  ///
  /// - Throws: ``MetricExpressionError`` at the column of a name `set` does not have.
  public func values(in set: MetricSet) throws(MetricExpressionError) -> [Double] {
    for (name, column) in expression.names where set[name] == nil {
      let known = set.names.prefix(8).joined(separator: ", ")
      throw MetricExpressionError(
        column: column, expected: "a metric of the inputs (\(known)\(set.names.count > 8 ? ", ..." : ""))",
        found: "'\(name)'")
    }
    return (0..<set.runs).compactMap { run in
      expression.evaluate { name in
        guard let values = set[name], run < values.count else { return nil }
        return values[run]
      }
    }
  }
}

extension StringProtocol {
  func trimmingCharacters(_ character: Character) -> String {
    let characters = Array(self)
    guard let start = characters.firstIndex(where: { $0 != character }),
      let end = characters.lastIndex(where: { $0 != character })
    else { return "" }
    return String(characters[start...end])
  }
}
