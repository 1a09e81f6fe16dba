/// Counts per (row CPU, column CPU), like `[Int: [Int: Int]]` with rows created on their first
/// count; the unknown CPU has a row of its own.
struct CPUMatrix {
  private var rows: [CPUCounts] = []
  private var unknownRow = CPUCounts()

  mutating func add(row: Int, column: Int) {
    guard row >= 0, row < CPUNumber.limit else { unknownRow[column, default: 0] += 1; return }
    if row >= rows.count { rows.append(contentsOf: repeatElement(CPUCounts(), count: row + 1 - rows.count)) }
    rows[row][column, default: 0] += 1
  }

  var dictionary: [Int: [Int: Int]] {
    var result: [Int: [Int: Int]] = [:]
    for (cpu, row) in rows.enumerated() where !row.isEmpty { result[cpu] = row.dictionary }
    if !unknownRow.isEmpty { result[CPUNumber.unknown] = unknownRow.dictionary }
    return result
  }
}
