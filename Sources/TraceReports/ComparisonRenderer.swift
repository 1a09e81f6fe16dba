import Foundation
import TraceComparison

/// Renders a ``Comparison`` as a terminal table, Markdown shaped like a cover letter's
/// before/after table, JSON (docs/compare.md) or CSV.
public enum ComparisonRenderer {
  public static func render(_ comparison: Comparison, as format: ReportFormat) throws -> String {
    switch format {
    case .json: return try AnalysisRenderer.json(comparison)
    case .csv: return csv(comparison)
    case .markdown: return text(comparison, markdown: true)
    case .table: return text(comparison, markdown: false)
    }
  }

  // MARK: - Numbers

  /// A value as a cover letter prints it: integers whole, others to two decimals, small
  /// values to four significant digits.
  public static func number(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(format: "%.0f", value) }
    if abs(value) >= 1 { return String(format: "%.2f", value) }
    // Four significant digits in fixed notation (0.00004928, not 4.928e-05).
    let decimals = min(15, 3 - Int(floor(log10(abs(value)))))
    return String(format: "%.\(decimals)f", value)
  }

  /// `-63.16%` (two decimals, sign always shown), or `n/a` when before was 0.
  public static func percent(_ change: Double?) -> String {
    guard let change else { return "n/a" }
    return String(format: "%+.2f%%", change)
  }

  /// The noise column: a few words.
  static func shortNoise(_ metric: MetricComparison) -> String {
    guard let stats = metric.statistics else {
      return metric.beforeValues.count == 1 && metric.afterValues.count == 1 ? "1 run/side: spread unknown" : "spread unknown"
    }
    let p = String(format: "%.3g", stats.mannWhitney.p)
    if stats.beyondNoise { return "beyond noise (p=\(p))" }
    if stats.mannWhitney.smallestPossibleP > RunStatistics.alpha {
      return "too few runs to tell (p=\(p), min \(String(format: "%.2g", stats.mannWhitney.smallestPossibleP)))"
    }
    return "within noise (p=\(p))"
  }

  static func side(_ value: Double, _ spread: RunStatistics.Spread?) -> String {
    guard let spread else { return number(value) }
    return "\(number(value)) [\(number(spread.q1))-\(number(spread.q3))]"
  }

  static func verdictText(_ metric: MetricComparison) -> String {
    guard let verdict = metric.verdict else { return "" }
    let direction = metric.direction == .lowerIsBetter ? "lower is better" : "higher is better"
    return "\(verdict.rawValue) (\(direction))"
  }

  // MARK: - Text

  static func text(_ comparison: Comparison, markdown: Bool) -> String {
    var out = ""
    func files(_ side: Comparison.Side) -> String {
      side.files.isEmpty ? "\(side.runs) run\(side.runs == 1 ? "" : "s")" : side.files.joined(separator: ", ")
    }
    if markdown {
      out += "Before: \(files(comparison.before))  \nAfter: \(files(comparison.after))\n\n"
    } else {
      out += "before: \(files(comparison.before))\nafter:  \(files(comparison.after))\n\n"
    }
    let withSpread = comparison.metrics.contains { $0.statistics != nil }
    let header = withSpread
      ? ["metric", "before (median [IQR])", "after (median [IQR])", "change", "better/worse", "noise"]
      : ["metric", "before", "after", "change", "better/worse", "noise"]
    let rows = comparison.metrics.map { metric -> [String] in
      [metric.name, side(metric.before, metric.statistics?.before), side(metric.after, metric.statistics?.after),
       percent(metric.changePercent), verdictText(metric), shortNoise(metric)]
    }
    out += table(header, rows, markdown: markdown)
    for metric in comparison.metrics where metric.statistics != nil {
      out += "\n\(metric.name): \(metric.noise)"
    }
    if comparison.metrics.contains(where: { $0.statistics != nil }) { out += "\n" }
    if comparison.metrics.allSatisfy({ $0.statistics == nil }), !comparison.metrics.isEmpty {
      if comparison.groups.isEmpty {
        out += "\nOne run per side: no spread is known, so no change can be told apart from run-to-run noise; give --before and --after several runs each.\n"
      } else {
        out += "\nOne run per side: the run-level rows above have no spread; the per-group rows below take every batch and flip as a sample.\n"
      }
    }
    if !comparison.groups.isEmpty {
      out += markdown ? "\n### Per group: every batch and flip is a sample\n\n" : "\nPer group: every batch and flip is a sample\n\n"
      out += groupTable(comparison.groups, markdown: markdown)
      out += "\nshift: Hodges-Lehmann estimate of after - before with its distribution-free 95% interval; "
      out += "ratio: median after / median before with a percentile bootstrap 95% interval (\(Statistics.defaultResamples) resamples, seed \(Statistics.defaultSeed)); "
      out += "p: two-sided Mann-Whitney U, exact up to \(Statistics.exactLimit) samples in all, normal approximation beyond.\n"
    }
    let oneSided = comparison.groupsOnlyBefore.map { ("before", $0) } + comparison.groupsOnlyAfter.map { ("after", $0) }
    if !oneSided.isEmpty {
      out += "\nGroups on one side only:\n"
      for (side, group) in oneSided {
        out += "  only \(side): \(group.metric) \(group.group.label) (n = \(group.n) \(unitName(group.unit, group.n)))\n"
      }
    }
    if !comparison.onlyBefore.isEmpty { out += "\nOnly before: \(comparison.onlyBefore.joined(separator: ", "))\n" }
    if !comparison.onlyAfter.isEmpty { out += "\nOnly after: \(comparison.onlyAfter.joined(separator: ", "))\n" }
    for note in comparison.notes { out += "\nNote: \(note)\n" }
    return out
  }

  // MARK: - Per-group rows

  static func unitName(_ unit: SampleSet.Unit, _ n: Int) -> String {
    n == 1 ? unit.rawValue : unit == .batch ? "batches" : unit.rawValue + "s"
  }

  /// `18 [17 – 18]`, or the estimate with why no interval exists.
  static func estimateText(_ estimate: Estimate) -> String {
    guard let value = estimate.estimate else { return "n/a" }
    guard let interval = estimate.interval else { return "\(number(value)) [no CI]" }
    return "\(number(value)) [\(number(interval.low)) – \(number(interval.high))]"
  }

  static func pText(_ p: Double) -> String { String(format: "%.3g", p) }

  /// `worse, beyond noise (MW exact)`, `within noise (MW exact)`, `too few samples (min p 0.1)`.
  static func shortDecision(_ row: GroupComparison) -> String {
    let test = row.test.mannWhitney.isExact ? "MW exact" : "MW normal"
    if row.test.beyondNoise { return "\(row.verdict.map { $0.rawValue + ", " } ?? "")beyond noise (\(test))" }
    if row.test.mannWhitney.smallestPossibleP > TwoSampleTest.alpha {
      return "too few samples (min p \(pText(row.test.mannWhitney.smallestPossibleP)))"
    }
    return "within noise (\(test))"
  }

  /// One row per group: n, medians with quartiles, change, shift and ratio with intervals, p
  /// and the decision with its test.
  static func groupTable(_ groups: [GroupComparison], markdown: Bool) -> String {
    let header = ["metric", "group", "n", "before (median [IQR])", "after (median [IQR])", "change", "shift [95% CI]",
                  "ratio [95% CI]", "p", "decision"]
    let rows = groups.map { row -> [String] in
      let decision = shortDecision(row)
      return [
        row.metric, row.groupLabel, "\(row.before.samples.n) vs \(row.after.samples.n) \(unitName(row.unit, 2))",
        "\(number(row.before.median)) [\(number(row.before.q1))-\(number(row.before.q3))]",
        "\(number(row.after.median)) [\(number(row.after.q1))-\(number(row.after.q3))]",
        percent(row.changePercent), estimateText(row.test.shift), estimateText(row.test.ratioOfMedians),
        pText(row.test.mannWhitney.p), decision,
      ]
    }
    return table(header, rows, markdown: markdown, leftAligned: [0, 1, 9])
  }

  /// A table whose text columns (the first, the verdict and noise columns) are left-aligned
  /// and numbers right-aligned.
  static func table(_ header: [String], _ rows: [[String]], markdown: Bool, leftAligned: Set<Int> = [0, 4, 5]) -> String {
    if markdown {
      var out = "| " + header.joined(separator: " | ") + " |\n"
      out += "|" + header.indices.map { leftAligned.contains($0) ? ":---" : "---:" }.joined(separator: "|") + "|\n"
      for row in rows { out += "| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n" }
      return out
    }
    var widths = header.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { index, cell in
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        return leftAligned.contains(index) ? cell + pad : pad + cell
      }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
      .joined(separator: "\n") + "\n"
  }

  // MARK: - CSV

  public static func csv(_ comparison: Comparison) -> String {
    var lines = [
      "name,before,after,change_percent,direction,verdict,before_runs,after_runs,before_q1,before_q3,after_q1,after_q3,before_min,before_max,after_min,after_max,mann_whitney_u,p_value,beyond_noise,"
        + "unit,group,before_n,after_n,before_p90,after_p90,before_p99,after_p99,p_exact,shift,shift_low,shift_high,ratio,ratio_low,ratio_high,bootstrap_resamples,decided_by"
    ]
    func field(_ text: String) -> String { CSVField.quoted(text) }
    // Shortest text that reads back as the same Double; integers without a fraction.
    func value(_ number: Double?) -> String {
      guard let number else { return "" }
      return number == number.rounded() && abs(number) < 1e15 ? String(format: "%.0f", number) : "\(number)"
    }
    for metric in comparison.metrics {
      let stats = metric.statistics
      let cells: [String] = [
        field(metric.name), value(metric.before), value(metric.after),
        metric.changePercent.map { String(format: "%.4f", $0) } ?? "", metric.direction.rawValue,
        metric.verdict?.rawValue ?? "", String(metric.beforeValues.count), String(metric.afterValues.count),
        value(stats?.before.q1), value(stats?.before.q3), value(stats?.after.q1), value(stats?.after.q3),
        value(stats?.before.min), value(stats?.before.max), value(stats?.after.min), value(stats?.after.max),
        value(stats?.mannWhitney.u), value(stats?.mannWhitney.p), stats.map { String($0.beyondNoise) } ?? "",
        "run", "", String(metric.beforeValues.count), String(metric.afterValues.count), "", "", "", "",
        stats.map { String($0.mannWhitney.isExact) } ?? "",
        value(stats?.shift.estimate), value(stats?.shift.interval?.low), value(stats?.shift.interval?.high),
        value(stats?.ratioOfMedians.estimate), value(stats?.ratioOfMedians.interval?.low),
        value(stats?.ratioOfMedians.interval?.high), stats?.ratioOfMedians.interval?.resamples.map(String.init) ?? "",
        stats.map { _ in field("two-sided Mann-Whitney U") } ?? "",
      ]
      lines.append(cells.joined(separator: ","))
    }
    for row in comparison.groups {
      let test = row.test
      let cells: [String] = [
        field(row.metric), value(row.before.median), value(row.after.median),
        row.changePercent.map { String(format: "%.4f", $0) } ?? "", row.direction.rawValue, row.verdict?.rawValue ?? "",
        String(row.before.samples.runs), String(row.after.samples.runs),
        value(row.before.q1), value(row.before.q3), value(row.after.q1), value(row.after.q3),
        value(row.before.min), value(row.before.max), value(row.after.min), value(row.after.max),
        value(test.mannWhitney.u), value(test.mannWhitney.p), String(test.beyondNoise),
        row.unit.rawValue, field(row.groupLabel), String(row.before.samples.n), String(row.after.samples.n),
        value(row.before.p90), value(row.after.p90), value(row.before.p99), value(row.after.p99),
        String(test.mannWhitney.isExact),
        value(test.shift.estimate), value(test.shift.interval?.low), value(test.shift.interval?.high),
        value(test.ratioOfMedians.estimate), value(test.ratioOfMedians.interval?.low),
        value(test.ratioOfMedians.interval?.high), test.ratioOfMedians.interval?.resamples.map(String.init) ?? "",
        field(test.decidedBy),
      ]
      lines.append(cells.joined(separator: ","))
    }
    // Groups one side lacks: the unit, group and the one side's n; `decided_by` says which side.
    let oneSided = comparison.groupsOnlyBefore.map { ("before", $0) } + comparison.groupsOnlyAfter.map { ("after", $0) }
    for (side, group) in oneSided {
      var cells = [String](repeating: "", count: lines[0].split(separator: ",").count)
      cells[0] = field(group.metric)
      cells[19] = group.unit.rawValue
      cells[20] = field(group.group.label)
      cells[side == "before" ? 21 : 22] = String(group.n)
      cells[cells.count - 1] = "only \(side)"
      lines.append(cells.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }
}
