import LoyaltyCore

extension ReportBuilder {
  func rfmSection(_ rfm: RFMResult) -> String {
    let config = run.request.config.rfm
    var md = "## RFM and segments\n\n"
    md +=
      "Scored: \(formatThousands(rfm.scoredCount)) members with a counted order in the \(config.windowDays) days to \(run.request.asOf). Scores run 1 to \(rfm.bins), higher is better, by the `\(rfm.method.rawValue)` method"
    switch rfm.method {
    case .rank:
      md +=
        " (score = 1 + floor(\(rfm.bins) × members strictly worse / members scored); tied values share a score).\n\n"
    case .quantile: md += " (the R package rfm's rule: cut points at type-7 quantiles + 1).\n\n"
    case .fixed: md += " (breakpoints from the configuration).\n\n"
    }
    md +=
      "### Score breakpoints\n\nEach score's members and the lowest and highest value that received it (recency in days, monetary in \(currency)).\n\n"
    for bp in rfm.breakpoints {
      var t = MarkdownTable([
        ("Score", .left), ("Members", .right), ("Share", .right), ("From", .right), ("To", .right),
      ])
      for s in stride(from: rfm.bins, through: 1, by: -1) {
        let k = s - 1
        func show(_ v: Int64?) -> String {
          guard let v else { return "–" }
          return bp.dimension == .monetary ? money(v, digits) : formatThousands(Int(v))
        }
        t.add([
          String(s), formatThousands(bp.members[k]), percentOf(bp.members[k], rfm.scoredCount), show(bp.lowest[k]),
          show(bp.highest[k]),
        ])
      }
      md += "**\(bp.dimension.name.capitalized)**"
      if !bp.cuts.isEmpty {
        let cuts = bp.cuts.map {
          bp.dimension == .monetary && rfm.method == .fixed
            ? money(Int64($0), digits)
            : (bp.dimension == .monetary
              ? formatDecimal($0 / Double(Money.pow10(digits)), decimals: 2) : formatDecimal($0, decimals: 2))
        }
        md += " (cut points: \(cuts.joined(separator: ", ")))"
      }
      md += "\n\n" + t.text
      if !bp.emptyScores.isEmpty {
        md +=
          "\nScore \(bp.emptyScores.map(String.init).joined(separator: ", ")) \(bp.emptyScores.count == 1 ? "is" : "are") empty: tied values share a score, so \(bp.dimension.name) uses \(rfm.bins - bp.emptyScores.count) of \(rfm.bins) scores.\n"
      }
      md += "\n"
    }
    md +=
      "### R × F grid\n\nMembers (and average monetary in \(currency)) per recency and frequency score. ![R × F grid](rf_grid.svg)\n\n"
    var grid = MarkdownTable([("R \\ F", .left)] + (1...rfm.bins).map { ("F=\($0)", .right) })
    for r in stride(from: rfm.bins, through: 1, by: -1) {
      var row = ["R=\(r)"]
      for f in 1...rfm.bins {
        let n = rfm.gridMembers[r - 1][f - 1]
        row.append(n == 0 ? "–" : "\(formatThousands(n)) (\(money(rfm.gridMonetary[r - 1][f - 1] / Int64(n), digits)))")
      }
      grid.add(row)
    }
    md += grid.text + "\n"
    md +=
      "### Value classes (8-class RFM model)\n\nA dimension is high when the member's score is above its mean (R \(formatDecimal(rfm.meanScores[0], decimals: 2)), F \(formatDecimal(rfm.meanScores[1], decimals: 2)), M \(formatDecimal(rfm.meanScores[2], decimals: 2))).\n\n"
    md += groupTable(rfm.classes, rfm) + "\n"
    md +=
      "### Named segments\n\nFirst matching rule of the configured table wins; no match is `others`. Also in `segments.csv`.\n\n"
    md += groupTable(rfm.segments, rfm) + "\n"
    return md
  }

  func groupTable(_ groups: [GroupSummary], _ rfm: RFMResult) -> String {
    var t = MarkdownTable([
      ("Group", .left), ("Members", .right), ("Share", .right), ("Orders", .right), ("Revenue", .right),
      ("Avg order value", .right),
    ])
    for g in groups {
      let aov = g.orders > 0 ? money((g.revenue + Int64(g.orders) / 2) / Int64(g.orders), digits) : "–"
      t.add([
        g.name, formatThousands(g.members), percentOf(g.members, rfm.scoredCount), formatThousands(g.orders),
        money(g.revenue, digits), aov,
      ])
    }
    return t.text
  }

  func lifecycleSection(_ rfm: RFMResult) -> String {
    let lc = run.request.config.lifecycle
    var md = "## Lifecycle and milestones\n\n"
    md +=
      "All \(formatThousands(rfm.lifecycle.count)) members with a counted order: `new` (first order within \(lc.newDays) days), `active` (last order within \(lc.activeDays) days), `silent` (\(lc.activeDays + 1)–\(lc.silentDays)), `sleeping` (\(lc.silentDays + 1)–\(lc.sleepingDays)), `lost` (over \(lc.sleepingDays)). ![Lifecycle](lifecycle.svg)\n\n"
    var t = MarkdownTable([("Stage", .left), ("Members", .right), ("Share", .right)])
    for stage in LifecycleStage.allCases {
      t.add([
        stage.name, formatThousands(rfm.lifecycleCounts[stage.rawValue]),
        percentOf(rfm.lifecycleCounts[stage.rawValue], rfm.lifecycle.count),
      ])
    }
    md += t.text + "\n"
    md +=
      "### Purchase milestones\n\nMembers whose first counted order is at least \(lc.milestoneDays) days before as-of, by first-order month: the share that placed a 2nd and a 4th counted order within \(lc.milestoneDays) days of the first.\n\n"
    var c = MarkdownTable([
      ("First order month", .left), ("Members", .right), ("2nd order", .right), ("4th order", .right),
    ])
    var total = MilestoneCohort(month: Month(index: 0))
    for cohort in rfm.milestones {
      c.add([
        cohort.month.description, formatThousands(cohort.members), percentOf(cohort.reachedSecond, cohort.members),
        percentOf(cohort.reachedFourth, cohort.members),
      ])
      total.members += cohort.members
      total.reachedSecond += cohort.reachedSecond
      total.reachedFourth += cohort.reachedFourth
    }
    c.add([
      "All", formatThousands(total.members), percentOf(total.reachedSecond, total.members),
      percentOf(total.reachedFourth, total.members),
    ])
    md += c.text + "\n"
    return md
  }
}
