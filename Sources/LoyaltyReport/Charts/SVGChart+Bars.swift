extension SVGChart {
  /// Vertical bars with their values written on top, e.g. members per lifecycle
  /// stage.
  ///
  /// - Parameters:
  ///   - title: Heading and `<title>` of the chart.
  ///   - labels: One category label per bar, left to right.
  ///   - values: The bar values, `values[i]` for `labels[i]`; extra values or labels
  ///     beyond the shorter of the two are ignored. Negative values hang below a
  ///     zero line.
  ///   - valueSuffix: Text appended verbatim to each value label (e.g. `" members"`).
  /// - Returns: The SVG document; a "no data" chart when there is no bar to draw.
  public static func bars(
    title: String, labels: [String], values: [Int], valueSuffix: String? = nil
  ) -> String {
    let barCount = min(labels.count, values.count)
    guard barCount > 0 else { return noData(title: title) }
    let labels = Array(labels.prefix(barCount))
    let values = Array(values.prefix(barCount))
    let valueLabels = values.map { formatThousands($0) + (valueSuffix ?? "") }

    let margin = SVGDocument.margin
    let ticks = AxisTicks(
      covering: Double(min(0, values.min() ?? 0)), Double(max(0, values.max() ?? 0)),
      wholeNumbers: true)
    let tickLabels = ticks.values.map { ticks.label($0) }
    let tickLabelWidth = tickLabels.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    let widestText =
      zip(labels, valueLabels).map { label, valueLabel in
        max(estimatedTextWidth(label, fontSize: 12), estimatedTextWidth(valueLabel, fontSize: 12))
      }.max() ?? 0
    let slotWidth = max(64, widestText + 16)
    let barWidth = max(24, min(slotWidth - 16, 72))
    let plotLeft = margin + tickLabelWidth + 10
    let plotTop = 72.0
    let plotHeight = 260.0
    let plotBottom = plotTop + plotHeight
    let plotRight = plotLeft + slotWidth * Double(barCount)
    let width = SVGDocument.width(fitting: title, chartWidth: max(480, plotRight + margin))
    // Value labels under negative bars need the room where category labels sit.
    let categoryBaseline = plotBottom + (values.contains { $0 < 0 } ? 36 : 20)
    let height = categoryBaseline + 24

    func yPosition(_ value: Double) -> Double {
      plotBottom - plotHeight * (value - ticks.lower) / (ticks.upper - ticks.lower)
    }

    var document = SVGDocument(width: width, height: height, title: title)
    document.heading(title)
    for (value, label) in zip(ticks.values, tickLabels) {
      let y = yPosition(value)
      document.line(x1: plotLeft, y1: y, x2: plotRight, y2: y, stroke: SVGDocument.gridLine)
      document.text(label, x: plotLeft - 8, y: y + 4, anchor: .end)
    }
    let zeroY = yPosition(0)
    for index in 0..<barCount {
      let centreX = plotLeft + (Double(index) + 0.5) * slotWidth
      let valueY = yPosition(Double(values[index]))
      document.rect(
        x: centreX - barWidth / 2, y: min(valueY, zeroY), width: barWidth,
        height: abs(zeroY - valueY), fill: ChartColors.bar,
        tooltip: labels[index] + ": " + valueLabels[index])
      let valueLabelY = values[index] < 0 ? valueY + 16 : valueY - 6
      document.text(valueLabels[index], x: centreX, y: valueLabelY, anchor: .middle)
      document.text(labels[index], x: centreX, y: categoryBaseline, anchor: .middle)
    }
    document.line(x1: plotLeft, y1: zeroY, x2: plotRight, y2: zeroY, stroke: SVGDocument.ink)
    return document.rendered()
  }
}
