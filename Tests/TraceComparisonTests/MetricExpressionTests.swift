import Testing
import TraceComparison

@Suite struct MetricExpressionTests {
  @Test("precedence, parentheses, unary minus, braces and dotted names")
  func evaluation() throws {
    let values: [String: Double] = ["a": 6, "b": 3, "iTLB-load-misses": 10, "text_poke.ipis_sent": 4, "elapsed": 2]
    func eval(_ text: String) throws -> Double? { try MetricExpression(parsing: text).evaluate { values[$0] } }
    #expect(try eval("a + b * 2") == 12)
    #expect(try eval("(a + b) * 2") == 18)
    #expect(try eval("a - b - 1") == 2)
    #expect(try eval("a / b / 2") == 1)
    #expect(try eval("-a + 1") == -5)
    #expect(try eval("{iTLB-load-misses}/elapsed") == 5)
    #expect(try eval("text_poke.ipis_sent * 1e3") == 4000)
    #expect(try eval("a / (b - 3)") == nil)  // division by zero
    #expect(try eval("missing + 1") == nil)
  }

  @Test("NAME=EXPR and bare expressions")
  func derived() throws {
    let named = try DerivedMetric(parsing: "walk_per_kinst=ITLB_WALK/(INST_RETIRED/1000)")
    #expect(named.name == "walk_per_kinst")
    #expect(named.expression.names.map(\.name) == ["ITLB_WALK", "INST_RETIRED"])
    #expect(named.expression.names.map(\.column) == [16, 27])
    let bare = try DerivedMetric(parsing: "ITLB_WALK/L1I_TLB")
    #expect(bare.name == "ITLB_WALK/L1I_TLB")
    let set = MetricSet(run: [("ITLB_WALK", 10), ("INST_RETIRED", 5000)])
      .appendingRun(MetricSet(run: [("ITLB_WALK", 20), ("INST_RETIRED", 8000)]))
    #expect(try named.values(in: set) == [2, 2.5])
  }

  @Test("errors name the column in the whole argument", arguments: [
    ("x=({ITLB_WALK}*/2", 16, "a number, a name, '{' or '('"),
    ("x=(a+b", 7, "')'"),
    ("x=a+", 5, "a number, a name, '{' or '('"),
    ("x=a b", 5, "an operator or the end of the expression"),
    ("x={abc", 7, "'}' closing the name at column 3"),
    ("a+%", 3, "a number, a name, '{' or '('"),
  ])
  func errors(argument: String, column: Int, expected: String) throws {
    let error = try #require(throws: MetricExpressionError.self) { try DerivedMetric(parsing: argument) }
    #expect(error.column == column)
    #expect(error.expected == expected)
    #expect(error.description.hasPrefix("column \(column): expected "))
  }

  @Test("an unknown metric is an error at its column")
  func unknownName() throws {
    let metric = try DerivedMetric(parsing: "r={iTLB-load-misses}/elapsd")
    let error = try #require(throws: MetricExpressionError.self) {
      try metric.values(in: MetricSet(run: [("iTLB-load-misses", 1), ("elapsed", 2)]))
    }
    #expect(error.column == 22)
    #expect(error.found == "'elapsd'")
  }
}
