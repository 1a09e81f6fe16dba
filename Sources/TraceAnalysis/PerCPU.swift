/// A value per CPU number, stored in an array that grows to the highest CPU seen; the unknown
/// CPU (any number outside `0..<CPUNumber.limit`) has one value of its own.
struct PerCPU<Value> {
  private var values: [Value] = []
  private var unknown: Value
  private let initial: Value
  init(_ initial: Value) {
    self.initial = initial
    unknown = initial
  }
  /// The known CPUs that have a value.
  var indices: Range<Int> { values.indices }
  /// Runs `body` on one CPU's value in place (no copy of a value that holds storage).
  mutating func update<Result>(_ cpu: Int, _ body: (inout Value) -> Result) -> Result {
    guard cpu >= 0, cpu < CPUNumber.limit else { return body(&unknown) }
    if cpu >= values.count { values.append(contentsOf: repeatElement(initial, count: cpu + 1 - values.count)) }
    return body(&values[cpu])
  }
  subscript(cpu: Int) -> Value {
    get {
      guard cpu >= 0, cpu < CPUNumber.limit else { return unknown }
      return cpu < values.count ? values[cpu] : initial
    }
    set {
      guard cpu >= 0, cpu < CPUNumber.limit else { unknown = newValue; return }
      if cpu >= values.count { values.append(contentsOf: repeatElement(initial, count: cpu + 1 - values.count)) }
      values[cpu] = newValue
    }
  }
}
