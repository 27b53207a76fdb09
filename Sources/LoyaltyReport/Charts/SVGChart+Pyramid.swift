extension SVGChart {
  /// The level pyramid: one horizontal bar per level, centred on a vertical axis,
  /// level 1 (the base) at the bottom and the highest level at the top.
  ///
  /// - Parameters:
  ///   - title: Heading and `<title>` of the chart.
  ///   - levels: Levels from level 1 upwards: the label drawn at the left (e.g.
  ///     "Level 3"), the number of members in the level and their share of all
  ///     members as a fraction (0.045 for 4.5%). Bar width is proportional to
  ///     `members`; negative counts draw as empty. Each bar is annotated with
  ///     "12,345 (4.5%)".
  /// - Returns: The SVG document; a "no data" chart when `levels` is empty.
  public static func pyramid(
    title: String, levels: [(label: String, members: Int, share: Double)]
  ) -> String {
    guard !levels.isEmpty else { return noData(title: title) }
    let margin = SVGDocument.margin
    let barHeight = 28.0
    let barGap = 8.0
    let annotations = levels.map { level in
      formatThousands(level.members) + " (" + formatPercent(level.share) + ")"
    }
    let labelWidth = levels.map { estimatedTextWidth($0.label, fontSize: 12) }.max() ?? 0
    let annotationWidth = annotations.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    let annotationGap = 8.0
    let minimumBarSpan = 320.0
    let chartWidth = max(
      720, 2 * margin + labelWidth + 16 + minimumBarSpan + annotationGap + annotationWidth)
    let width = SVGDocument.width(fitting: title, chartWidth: chartWidth)
    let plotTop = 52.0
    let plotHeight = Double(levels.count) * (barHeight + barGap) - barGap
    let height = plotTop + plotHeight + 28

    // The widest bar spans the plot; its annotation must still fit to its right.
    let plotLeft = margin + labelWidth + 16
    let plotRight = width - margin - annotationGap - annotationWidth
    let centre = (plotLeft + plotRight) / 2
    let maximumMembers = levels.map { max(0, $0.members) }.max() ?? 0

    var document = SVGDocument(width: width, height: height, title: title)
    document.heading(title)
    document.line(
      x1: centre, y1: plotTop - 6, x2: centre, y2: plotTop + plotHeight + 6,
      stroke: "#bbbbbb", dash: "3 3")
    for (index, level) in levels.enumerated() {
      // Index 0 is level 1, drawn in the bottom row.
      let row = levels.count - 1 - index
      let top = plotTop + Double(row) * (barHeight + barGap)
      let middle = top + barHeight / 2
      let members = max(0, level.members)
      var barWidth = 0.0
      if maximumMembers > 0 && members > 0 {
        // A level with members stays visible even when tiny next to the base.
        barWidth = max(2, (plotRight - plotLeft) * Double(members) / Double(maximumMembers))
      }
      let intensity =
        levels.count == 1 ? 0.6 : 0.35 + 0.55 * Double(index) / Double(levels.count - 1)
      document.rect(
        x: centre - barWidth / 2, y: top, width: barWidth, height: barHeight,
        fill: ChartColors.blue(intensity: intensity).fill,
        tooltip: level.label + ": " + annotations[index])
      document.text(level.label, x: plotLeft - 16, y: middle + 4, anchor: .end)
      document.text(annotations[index], x: centre + barWidth / 2 + annotationGap, y: middle + 4)
    }
    return document.rendered()
  }
}
