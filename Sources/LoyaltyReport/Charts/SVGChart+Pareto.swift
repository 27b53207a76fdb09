extension SVGChart {
  /// A Lorenz-style concentration curve: the share of spend held by the top x% of
  /// members, against the diagonal of equal spend, with one marked point labelled
  /// e.g. "top 20% hold 63.2% of spend".
  ///
  /// - Parameters:
  ///   - title: Heading and `<title>` of the chart.
  ///   - cumulativeShares: Share of spend (fraction 0...1) held by the top x of
  ///     members, for x evenly spaced from 0% (first value, normally 0) to 100%
  ///     (last value, normally 1). Values are drawn clamped to 0...1; non-finite
  ///     values are skipped.
  ///   - markAt: Share of members (fraction, default 0.2) whose point is marked; the
  ///     curve is interpolated linearly between its samples. Clamped to 0...1; a
  ///     non-finite value marks nothing.
  /// - Returns: The SVG document; a "no data" chart with fewer than two finite values.
  public static func paretoCurve(
    title: String, cumulativeShares: [Double], markAt: Double = 0.2
  ) -> String {
    let sampleCount = cumulativeShares.count
    guard sampleCount >= 2, cumulativeShares.filter({ $0.isFinite }).count >= 2 else {
      return noData(title: title)
    }
    let margin = SVGDocument.margin
    let plotSize = 400.0
    let plotTop = 56.0
    let plotLeft = margin + 22 + estimatedTextWidth("100%", fontSize: 12) + 10
    let plotBottom = plotTop + plotSize
    let plotRight = plotLeft + plotSize
    let width = SVGDocument.width(fitting: title, chartWidth: plotRight + 40)
    let height = plotBottom + 52

    func point(memberShare: Double, spendShare: Double) -> (x: Double, y: Double) {
      let clamped = min(1, max(0, spendShare))
      return (plotLeft + plotSize * memberShare, plotBottom - plotSize * clamped)
    }
    func memberShare(_ index: Int) -> Double { Double(index) / Double(sampleCount - 1) }

    var document = SVGDocument(width: width, height: height, title: title)
    document.heading(title)

    for step in 0...5 {
      let fraction = Double(step) / 5
      let label = formatPercent(fraction, decimals: 0)
      let x = plotLeft + plotSize * fraction
      let y = plotBottom - plotSize * fraction
      document.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, stroke: SVGDocument.gridLine)
      document.line(x1: x, y1: plotTop, x2: x, y2: plotBottom, stroke: SVGDocument.gridLine)
      document.text(label, x: plotLeft - 8, y: y + 4, anchor: .end)
      document.text(label, x: x, y: plotBottom + 18, anchor: .middle)
    }
    document.rect(
      x: plotLeft, y: plotTop, width: plotSize, height: plotSize, fill: "none",
      stroke: SVGDocument.ink)
    document.text(
      "share of spend", x: margin + 12, y: plotTop + plotSize / 2, anchor: .middle, bold: true,
      rotation: -90)
    document.text(
      "top share of members, largest spenders first", x: plotLeft + plotSize / 2,
      y: plotBottom + 40, anchor: .middle, bold: true)

    // Equal spend: every x% of members holds x% of spend.
    document.line(
      x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotTop, stroke: "#999999", dash: "5 4")
    let diagonalLabel = point(memberShare: 0.8, spendShare: 0.8)
    document.text(
      "equal spend", x: diagonalLabel.x + 8, y: diagonalLabel.y + 8, anchor: .middle, size: 11,
      fill: SVGDocument.mutedInk, rotation: -45)

    var curve: [(x: Double, y: Double)] = []
    for (index, share) in cumulativeShares.enumerated() where share.isFinite {
      curve.append(point(memberShare: memberShare(index), spendShare: share))
    }
    // Shade the gap between curve and diagonal: the concentration itself.
    let diagonalBack = [
      point(memberShare: 1, spendShare: 1), point(memberShare: 0, spendShare: 0),
    ]
    document.path(
      through: curve + diagonalBack, stroke: nil, fill: ChartColors.series(0),
      fillOpacity: 0.1, closed: true)
    document.path(through: curve, stroke: ChartColors.series(0), strokeWidth: 2.5)

    if markAt.isFinite, let markedShare = interpolatedShare(cumulativeShares, at: markAt) {
      let memberFraction = min(1, max(0, markAt))
      let marked = point(memberShare: memberFraction, spendShare: markedShare)
      document.line(
        x1: marked.x, y1: marked.y, x2: marked.x, y2: plotBottom, stroke: ChartColors.series(1),
        dash: "3 3")
      document.line(
        x1: plotLeft, y1: marked.y, x2: marked.x, y2: marked.y, stroke: ChartColors.series(1),
        dash: "3 3")
      document.circle(cx: marked.x, cy: marked.y, r: 4.5, fill: ChartColors.series(1))
      var memberText = formatPercent(memberFraction, decimals: 1)
      if memberText.hasSuffix(".0%") { memberText = String(memberText.dropLast(3)) + "%" }
      let label = "top \(memberText) hold \(formatPercent(markedShare)) of spend"
      let labelWidth = estimatedTextWidth(label, fontSize: 12, bold: true)
      // Right of the point on the left half of the plot, left of it on the right half.
      let onLeftHalf = memberFraction <= 0.5
      let labelX = onLeftHalf ? marked.x + 10 : marked.x - 10
      let labelY = onLeftHalf ? marked.y + 20 : marked.y - 12
      let boxLeft = onLeftHalf ? labelX - 3 : labelX - labelWidth - 3
      document.rect(
        x: boxLeft, y: labelY - 13, width: labelWidth + 6, height: 18, fill: "#ffffff",
        fillOpacity: 0.85)
      document.text(
        label, x: labelX, y: labelY, anchor: onLeftHalf ? .start : .end, bold: true,
        fill: SVGDocument.ink)
    }
    return document.rendered()
  }

  /// The spend share at member share `memberShare` (clamped to 0...1), linearly
  /// between the two nearest samples of `cumulativeShares`; `nil` when either of
  /// them is not finite.
  static func interpolatedShare(_ cumulativeShares: [Double], at memberShare: Double) -> Double? {
    guard cumulativeShares.count >= 2, memberShare.isFinite else { return nil }
    let position = min(1, max(0, memberShare)) * Double(cumulativeShares.count - 1)
    let lower = min(cumulativeShares.count - 2, Int(position.rounded(.down)))
    let fraction = position - Double(lower)
    let from = cumulativeShares[lower]
    let to = cumulativeShares[lower + 1]
    guard from.isFinite && to.isFinite else { return nil }
    return fraction == 0 ? from : from + (to - from) * fraction
  }
}
