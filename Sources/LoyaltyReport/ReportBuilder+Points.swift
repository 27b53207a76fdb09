import LoyaltyCore

extension ReportBuilder {
  func metric(_ points: PointsResult, _ name: String) -> PointsMetricSummary? {
    points.summary.first { $0.name == name }
  }

  func pointsFiles() -> [(name: String, contents: String)] {
    guard let points = run.points else { return [] }
    var summary = CSVText(header: ["metric", "mean", "p5", "p50", "p95"])
    for m in points.summary {
      let decimals =
        m.name.contains("rate") || m.name.contains("share")
        ? 6 : (m.name == "cost" || m.name.hasPrefix("liability") ? digits : 0)
      summary.appendRow([m.name] + [m.mean, m.p5, m.p50, m.p95].map { plainDecimal($0, decimals) })
    }
    var monthly = CSVText(header: ["month", "projected", "issued", "redeemed", "expired", "reversed", "outstanding"])
    for m in points.monthly {
      monthly.appendRow(
        [m.month.description, m.projected ? "true" : "false"]
          + [m.issued, m.redeemed, m.expired, m.reversed, m.outstanding].map { plainDecimal($0, 1) })
    }
    var grid = CSVText(header: [
      "claim_ratio", "target_redemption_rate", "p_redeem", "achieved_redemption_rate", "cost_share_of_revenue",
      "liability_accrued_cost",
    ])
    for c in points.sensitivity {
      grid.appendRow([
        plainDecimal(c.claimRatio, 2), plainDecimal(c.targetRedemptionRate, 2), plainDecimal(c.redeemProbability, 6),
        plainDecimal(c.achievedRedemptionRate, 6), plainDecimal(c.costShareOfRevenue, 6),
        plainDecimal(c.liabilityAccruedCost, digits),
      ])
    }
    return [
      ("points_summary.csv", summary.text), ("points_monthly.csv", monthly.text), ("points_sensitivity.csv", grid.text),
    ]
  }

  func pointsCharts() -> [(name: String, contents: String)] {
    guard let points = run.points, !points.monthly.isEmpty else { return [] }
    let firstProjected = points.monthly.firstIndex { $0.projected }
    return [
      (
        "points_monthly.svg",
        SVGChart.lineChart(
          title: "Points per month (mean of \(points.runs) runs)", xLabels: points.monthly.map { $0.month.description },
          series: [
            ("issued", points.monthly.map(\.issued)), ("redeemed", points.monthly.map(\.redeemed)),
            ("expired", points.monthly.map(\.expired)), ("outstanding", points.monthly.map(\.outstanding)),
          ], yAxisTitle: "points", shadeFrom: firstProjected)
      )
    ]
  }

  func summaryLevelsAndPoints() -> String {
    var md = ""
    if let levels = run.levels, levels.rows.allSatisfy({ $0.members == 0 }) {
      // Nothing placed: whether "they" form a pyramid says nothing.
      md +=
        "- Levels: \(levels.levelCount) levels hold no member (no member has a counted order up to as-of).\n"
    } else if let levels = run.levels, let top = levels.rows.last {
      md +=
        "- Levels: \(levels.levelCount) levels \(levels.isPyramid ? "form a pyramid" : "do **not** form a pyramid"); level \(top.level) holds \(formatPercent(top.share)) of members and \(formatPercent(top.spendShare)) of spend. Top 20% of members by growth hold \(formatPercent(levels.paretoTopShare)) of window spend.\n"
    }
    if let points = run.points, let cost = metric(points, "cost_share_of_revenue"),
      let liability = metric(points, "liability_accrued_cost"), let rate = metric(points, "redemption_rate")
    {
      md +=
        "- Points: cost \(formatPercent(cost.mean, decimals: 2)) of net revenue (P5–P95 \(formatPercent(cost.p5, decimals: 2))–\(formatPercent(cost.p95, decimals: 2))); redemption rate \(formatPercent(rate.mean)); accrued-cost liability \(currency) \(formatDecimal(liability.mean, decimals: 2)) (P5–P95 \(formatDecimal(liability.p5, decimals: 2))–\(formatDecimal(liability.p95, decimals: 2))).\n"
    }
    return md
  }

  func pointsSection() -> String {
    guard let points = run.points else { return "" }
    let c = run.request.config.points
    var md = "## Points economics\n\n### Assumptions\n\n"
    md +=
      "- Earn \(c.earnRate) point(s) per \(currency) of net spend on each counted order that is claimed (claim ratio \(formatPercent(c.claimRatio))), times the level multiplier at the last review before the order (\(c.levelMultipliers.map { "\($0)" }.joined(separator: ", ")), level 1 first).\n"
    md +=
      "- Orders with a refund time earn on the gross amount; the refunded share is reversed at the refund time, from that lot first.\n"
    if let cal = points.calibration {
      md +=
        "- Redemption: at each month-end a member with at least \(c.minRedeem) points redeems \(formatPercent(c.redeemFraction)) of the balance with probability p = \(formatDecimal(cal.redeemProbability, decimals: 4)), calibrated by bisection to the target redemption rate \(formatPercent(cal.targetRedemptionRate)) (achieved \(formatPercent(cal.achievedRedemptionRate))\(cal.hit ? ", within 0.5 pp" : cal.reachable ? ", **not within 0.5 pp**" : "; **unreachable**: p = 1 gives \(formatPercent(cal.rateAtCertainRedemption))")).\n"
    } else {
      md +=
        "- Redemption: at each month-end a member with at least \(c.minRedeem) points redeems \(formatPercent(c.redeemFraction)) of the balance with probability \(formatDecimal(points.redeemProbability, decimals: 4)); oldest lots first (FIFO).\n"
    }
    md +=
      "- Expiry: `\(c.expiry.rawValue)`\(c.expiry == .rolling ? " (end of the month \(c.expiryMonths) months after earning)" : c.expiry == .annual ? " (points earned in year Y expire at the end of Y+1)" : "").\n"
    md +=
      "- Money: point value \(currency) \(c.pointValue), cost ratio \(formatPercent(c.costRatio)), points-mall premium \(formatPercent(c.mallPremium)): cost per redeemed point \(currency) \(formatDecimal(points.costPerPoint, decimals: 4)).\n"
    md +=
      c.projectionMonths > 0
      ? "- Simulation: \(points.runs) Monte Carlo runs, seed \(points.seed); projected \(c.projectionMonths) months past as-of at each member's trailing pace (to \(points.horizon)).\n\n"
      : "- Simulation: \(points.runs) Monte Carlo runs, seed \(points.seed); no projection past as-of (`projection_months = 0`).\n\n"
    md += "### Results at \(run.request.asOf)\n\n"
    var t = MarkdownTable([("Metric", .left), ("Mean", .right), ("P5", .right), ("P50", .right), ("P95", .right)])
    for m in points.summary {
      let isShare = m.name.contains("rate") || m.name.contains("share")
      let isMoney = m.name == "cost" || m.name.hasPrefix("liability")
      func show(_ x: Double) -> String {
        isShare
          ? formatPercent(x, decimals: 2) : isMoney ? formatDecimal(x, decimals: 2) : formatDecimal(x, decimals: 0)
      }
      t.add([m.name, show(m.mean), show(m.p5), show(m.p50), show(m.p95)])
    }
    md += t.text + "\n"
    md +=
      "Every run satisfies issued − reversed − redeemed − expired = outstanding. Net revenue of counted orders: \(currency) \(money(points.netRevenueMinor, digits)). Ultimate redemption rate for the liability: \(formatPercent(points.ultimateRedemptionRate)) (\(Self.phrase(points.ultimateRateSource))).\n\n"
    md +=
      "Reference points from the field: points cost 0.2% of revenue at a hot-pot chain (20 points = 1 yuan, 1 point per yuan) and 0.37% at an e-commerce platform (100 beans = 1 yuan); a redemption rate of 30–50% is called healthy, about 10% is common.\n\n"
    if c.projectionMonths > 0 && !points.projection.isEmpty {
      var p = MarkdownTable([
        ("Projected to \(points.horizon)", .left), ("Mean", .right), ("P5", .right), ("P50", .right),
        ("P95", .right),
      ])
      for m in points.projection {
        // Points are whole; the projected cost is money, to the cent as the cost at as-of is.
        let decimals = m.name == "projected_cost" ? 2 : 0
        p.add([
          m.name, formatDecimal(m.mean, decimals: decimals), formatDecimal(m.p5, decimals: decimals),
          formatDecimal(m.p50, decimals: decimals), formatDecimal(m.p95, decimals: decimals),
        ])
      }
      md += p.text + "\n"
    }
    md += "![Points per month](points_monthly.svg)\n\n"
    md += "### Redemption development by issue month\n\n"
    var d = MarkdownTable([
      ("Issue month", .left), ("Issued", .right), ("Redeemed", .right), ("Expired", .right), ("Open", .right),
      ("Closed share redeemed", .right), ("Run off", .left),
    ])
    for row in points.development {
      d.add([
        row.issueMonth.description, formatDecimal(row.issued, decimals: 0), formatDecimal(row.redeemed, decimals: 0),
        formatDecimal(row.expired, decimals: 0), formatDecimal(row.open, decimals: 0),
        row.closedShareRedeemed.map { formatPercent($0) } ?? "–", row.runOff ? "yes" : "",
      ])
    }
    md += d.text + "\n"
    md +=
      "A month has run off when its lots, which expire together, are past their expiry at as-of: everything it issued has been redeemed, expired or reversed. When months have run off, the liability's ultimate redemption rate is redeemed / (redeemed + expired) over them; a month still open has closed only the lots that were redeemed early, so its closed share overstates what will be redeemed.\n\n"
    md +=
      "### Deferred revenue (IFRS 15 / CAS 14)\n\nRevenue allocated to points by relative stand-alone selling price (expected redemption rate \(formatPercent(points.ifrsExpectedRedemptionRate))), recognised as points are redeemed in proportion to expected redemptions.\n\n"
    var r = MarkdownTable([
      ("Month", .left), ("Opening", .right), ("Allocated", .right), ("Recognised", .right), ("Closing", .right),
    ])
    for row in points.deferredRevenue {
      r.add([
        row.month.description, money(row.openingMinor, digits), money(row.allocatedMinor, digits),
        money(row.recognisedMinor, digits), money(row.closingMinor, digits),
      ])
    }
    md += r.text + "\n"
    md +=
      "### Sensitivity\n\nCost as % of revenue and accrued-cost liability (\(currency)) by claim ratio (rows) and target redemption rate (columns), p_redeem calibrated per cell on a sample of \(formatThousands(points.sensitivitySampleMembers)) members. Also in `points_sensitivity.csv`.\n\n"
    let rates = c.sensitivityRedemptionRates
    var s = MarkdownTable(
      [("Claim ratio", .left)] + rates.map { ("\(formatPercent($0, decimals: 0)) redeemed", .right) })
    for claim in c.sensitivityClaimRatios {
      var row = [formatPercent(claim, decimals: 0)]
      for rate in rates {
        if let cell = points.sensitivity.first(where: { $0.claimRatio == claim && $0.targetRedemptionRate == rate }) {
          row.append(
            "\(formatPercent(cell.costShareOfRevenue, decimals: 2)) / \(formatDecimal(cell.liabilityAccruedCost, decimals: 0))\(cell.hit ? "" : "*")"
          )
        } else {
          row.append("–")
        }
      }
      s.add(row)
    }
    md += s.text + "\n(* the calibration missed its target by more than 0.5 pp.)\n\n"
    md += "### Alerts\n\n"
    let a = points.alerts
    md +=
      "- Members earning more than \(formatThousands(a.dailyCap)) points on one day: \(formatThousands(a.membersOverDailyCap)).\n"
    for alert in a.topOverDailyCap {
      md += "  - `\(alert.memberID)`: \(formatThousands(Int(alert.points))) points on \(alert.day)\n"
    }
    md +=
      "- Share of outstanding points held by the top 1% of members: \(formatPercent(a.topOnePercentShare)); by the top 20%: \(formatPercent(a.topTwentyPercentShare)).\n\n"
    return md
  }

  /// Where the ultimate rate came from, in the report's words.
  static func phrase(_ source: UltimateRateSource) -> String {
    switch source {
    case .runOffIssueMonths: "from the issue months that have run off: every lot past its expiry at as-of"
    case .closedLots: "from the lots closed at as-of, in a run with no points in issue months that have run off"
    case .observedRedemptionRate: "the observed redemption rate, in a run where no lot had closed"
    case .expectedRedemptionRate: "the configured expected_redemption_rate, in a run that issued nothing"
    }
  }
}
