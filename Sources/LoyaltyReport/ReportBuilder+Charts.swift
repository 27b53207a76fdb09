import LoyaltyCore

extension ReportBuilder {
  /// The SVG charts beside `report.md`.
  func charts() -> [(name: String, contents: String)] {
    var files: [(String, String)] = []
    if let rfm = run.rfm {
      let scores = (1...rfm.bins).map(String.init)
      let rows = Array(scores.reversed())
      let counts = (1...rfm.bins).reversed().map { r in rfm.gridMembers[r - 1] }
      let captions = (1...rfm.bins).reversed().map { r in
        (0..<rfm.bins).map { f -> String in
          let n = rfm.gridMembers[r - 1][f]
          return n == 0 ? "" : "avg " + money(rfm.gridMonetary[r - 1][f] / Int64(n), digits)
        }
      }
      files.append(
        (
          "rf_grid.svg",
          SVGChart.heatGrid(
            title: "Members by recency (R) and frequency (F) score", rowLabel: "R score", columnLabel: "F score",
            rows: rows, columns: scores, counts: counts, caption: captions)
        ))
      files.append(
        (
          "lifecycle.svg",
          SVGChart.bars(
            title: "Members by lifecycle stage", labels: LifecycleStage.allCases.map(\.name),
            values: rfm.lifecycleCounts)
        ))
    }
    if let levels = run.levels {
      files.append(
        (
          "levels_pyramid.svg",
          SVGChart.pyramid(
            title: "Members per level at \(run.request.asOf)",
            levels: levels.rows.map { (label: "Level \($0.level)", members: $0.members, share: $0.share) })
        ))
      files.append(
        (
          "pareto.svg",
          SVGChart.paretoCurve(title: "Share of window spend by top members", cumulativeShares: paretoCurve(levels))
        ))
    }
    files += pointsCharts()
    return files
  }
}
