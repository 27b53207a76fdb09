import LoyaltyCore

extension ReportBuilder {
  func levelFiles() -> [(name: String, contents: String)] {
    guard let levels = run.levels else { return [] }
    var table = CSVText(header: [
      "level", "threshold", "members", "share", "spend", "spend_share", "mean_growth", "median_growth",
    ])
    for row in levels.rows {
      table.appendRow([
        String(row.level), plainMoney(row.thresholdMinor, digits), String(row.members), plainShare(row.share),
        plainMoney(row.spendMinor, digits), plainShare(row.spendShare),
        row.meanGrowthMinor.map { plainMoney($0, digits) } ?? "",
        row.medianGrowthMinor.map { plainMoney($0, digits) } ?? "",
      ])
    }
    var migration = CSVText(header: ["from_level", "to_level", "members"])
    for (i, row) in levels.migration.enumerated() {
      for (j, n) in row.enumerated() { migration.appendRow([String(i + 1), String(j + 1), String(n)]) }
    }
    return [("levels.csv", table.text), ("migration.csv", migration.text)]
  }

  /// Share of window spend held by the top x% of members by growth value, x = 0...100.
  func paretoCurve(_ levels: LevelsResult) -> [Double] {
    let n = levels.growthMinor.count
    guard n > 0 else { return [] }
    // Members by growth, then window spend, both descending. Members that tie on both
    // add the same spend, so the cumulative sums need no further tie-break and the
    // pairs can be sorted as plain values.
    var ranked = (0..<n).map { GrowthAndSpend(growth: levels.growthMinor[$0], spend: levels.windowSpendMinor[$0]) }
    ranked.sort(by: >)
    let total = levels.windowSpendMinor.reduce(0, +)
    var cumulative = [Int64](repeating: 0, count: n + 1)
    for (i, member) in ranked.enumerated() { cumulative[i + 1] = cumulative[i] + member.spend }
    return (0...100).map { x in
      let k = (n * x + 99) / 100
      return total > 0 ? Double(cumulative[k]) / Double(total) : 0
    }
  }

  func levelsSection() -> String {
    guard let levels = run.levels else { return "" }
    let config = run.request.config.levels
    var md = "## Levels\n\n"
    let k = levels.levelCount
    let members = levels.rows.reduce(0) { $0 + $1.members }
    md +=
      levels.mode == .fitted
      ? "Thresholds fitted for \(k) levels to target shares \(levels.targetShares.map { formatPercent($0) }.joined(separator: ", ")) (level 1 first), candidates multiples of \(config.step) \(currency), by exact dynamic programming. Objective Σ (p − q)² / q = \(formatDecimal(levels.objective, decimals: 6)).\n\n"
      : "What-if: the given thresholds evaluated for \(k) levels. Objective against the target shares Σ (p − q)² / q = \(formatDecimal(levels.objective, decimals: 6)).\n\n"
    md +=
      "Growth value g = net spend in the \(config.windowDays) days to \(run.request.asOf)\(config.bonusPerOrder > 0 ? " + \(config.bonusPerOrder) per counted order" : ""); level k holds t(k−1) ≤ g < t(k), so a member exactly on a threshold goes up. \(formatThousands(members)) members with a counted order up to as-of are placed (g = 0 sits in level 1).\n\n"
    if !levels.isPyramid {
      md += "**The result is not a pyramid**: some level holds more members than the level below it.\n\n"
    }
    var t = MarkdownTable([
      ("Level", .left), ("Threshold", .right), ("Target", .right), ("Members", .right), ("Share", .right),
      ("Spend", .right), ("Spend share", .right), ("Mean g", .right), ("Median g", .right),
    ])
    let scale = Double(Money.pow10(digits))
    for row in levels.rows {
      t.add([
        String(row.level), money(row.thresholdMinor, digits), formatPercent(levels.targetShares[row.level - 1]),
        formatThousands(row.members), formatPercent(row.share), money(row.spendMinor, digits),
        formatPercent(row.spendShare), row.meanGrowthMinor.map { money($0, digits) } ?? "–",
        row.medianGrowthMinor.map { money($0, digits) } ?? "–",
      ])
    }
    md += t.text + "\n![Level pyramid](levels_pyramid.svg)\n\n"
    if let top = levels.rows.last {
      md +=
        "Verdict: level \(top.level) holds \(formatPercent(top.share)) of members and \(formatPercent(top.spendShare)) of spend; level 1 holds \(formatPercent(levels.rows[0].share)) of members. The top 20% of members by growth value (\(formatThousands(levels.paretoTopMembers))) hold \(formatPercent(levels.paretoTopShare)) of window spend (the 80/20 rule expects about 80%). ![Pareto curve](pareto.svg)\n\n"
    }
    md +=
      "### Reviews and relegation\n\nLevels at each month-end review from that date's trailing \(config.windowDays)-day window, policy `\(config.policy.rawValue)`\(config.policy == .oneStep ? " (at most one level down per review)" : " (recomputed each review)"). Every member at as-of is placed at every review: one who had not bought yet sits in level 1 there.\n\n"
    var mv = MarkdownTable([
      ("Review", .left), ("Up", .right), ("Down 1", .right), ("Down 2+", .right), ("Unchanged", .right),
    ])
    for m in levels.movements {
      mv.add([
        m.date.description, formatThousands(m.up), formatThousands(m.downOne), formatThousands(m.downTwoOrMore),
        formatThousands(m.unchanged),
      ])
    }
    md += mv.text + "\n"
    if levels.reviewDates.count >= 2 {
      let dates = levels.reviewDates
      md +=
        "Migration from the review of \(dates[dates.count - 2]) (rows) to \(dates[dates.count - 1]) (columns), also in `migration.csv`:\n\n"
      var mx = MarkdownTable([("From \\ to", .left)] + (1...k).map { ("L\($0)", .right) })
      for (i, row) in levels.migration.enumerated() { mx.add(["L\(i + 1)"] + row.map { formatThousands($0) }) }
      md += mx.text + "\n"
    }
    md +=
      "### Upgrade difficulty\n\nAmong members one level below (with g > 0): the median money still needed to reach the level, and the median months to close it at the member's own pace (g per \(config.windowDays) days).\n\n"
    var d = MarkdownTable([
      ("To level", .left), ("Members below", .right), ("Median gap", .right), ("Median months", .right),
    ])
    for row in levels.difficulty {
      d.add([
        String(row.level), formatThousands(row.members),
        row.medianGapMinor.map { formatDecimal($0 / scale, decimals: 2) } ?? "–",
        row.medianMonths.map { formatDecimal($0, decimals: 1) } ?? "–",
      ])
    }
    md += d.text + "\n"
    return md
  }
}

/// A member's growth value and window spend, ordered by growth, then spend.
private struct GrowthAndSpend: Comparable {
  var growth: Int64
  var spend: Int64

  static func < (a: Self, b: Self) -> Bool { a.growth != b.growth ? a.growth < b.growth : a.spend < b.spend }
}
