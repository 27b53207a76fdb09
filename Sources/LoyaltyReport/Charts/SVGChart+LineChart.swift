extension SVGChart {
  /// Lines over a shared sequence of x labels (e.g. months), one per series, with a
  /// legend, round y-axis ticks with thousands separators and an optional shaded
  /// region (e.g. projected months).
  ///
  /// - Parameters:
  ///   - title: Heading and `<title>` of the chart.
  ///   - xLabels: One label per point, left to right, evenly spaced. When they do
  ///     not all fit, only every n-th label is drawn (the first always is).
  ///   - series: Named lines in distinct colours; `values[i]` belongs to
  ///     `xLabels[i]`. Values past the last label are ignored, missing or non-finite
  ///     values leave a gap in the line.
  ///   - yAxisTitle: Title of the y axis, with its unit (e.g. "points, thousands").
  ///   - shadeFrom: Index of the first x label of the shaded region, which runs to
  ///     the right edge; `nil`, or an index past the last label, shades nothing, a
  ///     negative index shades everything.
  ///   - shadeLabel: Note written at the top of the shaded region.
  /// - Returns: The SVG document; a "no data" chart when there are no x labels or
  ///   no finite value to draw. The y axis always includes zero.
  public static func lineChart(
    title: String, xLabels: [String], series: [(name: String, values: [Double])],
    yAxisTitle: String, shadeFrom: Int? = nil, shadeLabel: String = "projected"
  ) -> String {
    let pointCount = xLabels.count
    let finiteValues = series.flatMap { $0.values.prefix(pointCount) }.filter { $0.isFinite }
    guard pointCount > 0, let lowest = finiteValues.min(), let highest = finiteValues.max()
    else { return noData(title: title) }

    let margin = SVGDocument.margin
    let ticks = AxisTicks(covering: min(0, lowest), max(0, highest))
    let tickLabels = ticks.values.map { ticks.label($0) }
    let tickLabelWidth = tickLabels.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    let xLabelWidth = xLabels.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    let lastLabelWidth = estimatedTextWidth(xLabels[pointCount - 1], fontSize: 12)
    let width = SVGDocument.width(fitting: title, chartWidth: 800)

    // Legend entries flow left to right under the heading and wrap at the margin.
    let legendLineHeight = 18.0
    let legendTop = 50.0
    var legendPositions: [(x: Double, row: Int)] = []
    var legendX = margin
    var legendRow = 0
    for entry in series {
      let entryWidth = 24 + estimatedTextWidth(entry.name, fontSize: 12) + 18
      if legendX > margin && legendX + entryWidth > width - margin {
        legendX = margin
        legendRow += 1
      }
      legendPositions.append((legendX, legendRow))
      legendX += entryWidth
    }
    let legendRows = series.isEmpty ? 0 : legendRow + 1

    let plotTop = legendTop + Double(legendRows) * legendLineHeight + 14
    let plotHeight = 300.0
    let plotBottom = plotTop + plotHeight
    let plotLeft = margin + 22 + tickLabelWidth + 10
    let plotRight = width - margin - max(8, lastLabelWidth / 2)
    let height = plotBottom + 40

    func xPosition(_ index: Int) -> Double {
      pointCount == 1
        ? (plotLeft + plotRight) / 2
        : plotLeft + (plotRight - plotLeft) * Double(index) / Double(pointCount - 1)
    }
    func yPosition(_ value: Double) -> Double {
      plotBottom - plotHeight * (value - ticks.lower) / (ticks.upper - ticks.lower)
    }

    var document = SVGDocument(width: width, height: height, title: title)
    document.heading(title)

    if let shadeFrom, shadeFrom < pointCount {
      let first = max(0, shadeFrom)
      let left = first == 0 ? plotLeft : xPosition(first)
      document.rect(
        x: left, y: plotTop, width: plotRight - left, height: plotHeight, fill: "#efefef")
      document.line(
        x1: left, y1: plotTop, x2: left, y2: plotBottom, stroke: "#999999", dash: "4 3")
      document.text(
        shadeLabel, x: left + 6, y: plotTop + 15, size: 11, fill: SVGDocument.mutedInk)
    }

    for (value, label) in zip(ticks.values, tickLabels) {
      let y = yPosition(value)
      document.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, stroke: SVGDocument.gridLine)
      document.text(label, x: plotLeft - 8, y: y + 4, anchor: .end)
    }
    document.text(
      yAxisTitle, x: margin + 12, y: (plotTop + plotBottom) / 2, anchor: .middle, bold: true,
      rotation: -90)
    document.line(
      x1: plotLeft, y1: plotBottom, x2: plotRight, y2: plotBottom, stroke: SVGDocument.ink)
    if ticks.lower < 0 {
      let zeroY = yPosition(0)
      document.line(x1: plotLeft, y1: zeroY, x2: plotRight, y2: zeroY, stroke: "#999999")
    }

    // Thin the x labels so neighbours keep a gap of at least 10 px.
    let spacing = pointCount > 1 ? (plotRight - plotLeft) / Double(pointCount - 1) : plotRight
    let labelStride = max(1, Int(((xLabelWidth + 10) / spacing).rounded(.up)))
    for (index, label) in xLabels.enumerated() where index % labelStride == 0 {
      let x = xPosition(index)
      document.line(x1: x, y1: plotBottom, x2: x, y2: plotBottom + 5, stroke: SVGDocument.ink)
      document.text(label, x: x, y: plotBottom + 19, anchor: .middle)
    }

    let drawsMarkers = pointCount <= 36
    for (seriesIndex, entry) in series.enumerated() {
      let colour = ChartColors.series(seriesIndex)
      let values = Array(entry.values.prefix(pointCount))
      func isDrawn(_ index: Int) -> Bool {
        index >= 0 && index < values.count && values[index].isFinite
      }
      // Runs of consecutive finite values, each drawn as one line.
      var run: [(x: Double, y: Double)] = []
      for index in 0...values.count {
        if index < values.count && values[index].isFinite {
          run.append((xPosition(index), yPosition(values[index])))
        } else {
          if run.count > 1 { document.path(through: run, stroke: colour, strokeWidth: 2) }
          run = []
        }
      }
      for (index, value) in values.enumerated() where value.isFinite {
        let isolated = !isDrawn(index - 1) && !isDrawn(index + 1)
        if drawsMarkers || isolated {
          document.circle(
            cx: xPosition(index), cy: yPosition(value), r: 3, fill: colour,
            tooltip: entry.name + ", " + xLabels[index] + ": " + ticks.label(value))
        }
      }
    }

    for (entry, position) in zip(series.enumerated(), legendPositions) {
      let y = legendTop + Double(position.row) * legendLineHeight
      let colour = ChartColors.series(entry.offset)
      document.line(
        x1: position.x, y1: y - 4, x2: position.x + 18, y2: y - 4, stroke: colour, strokeWidth: 3)
      document.text(entry.element.name, x: position.x + 24, y: y)
    }
    return document.rendered()
  }
}
