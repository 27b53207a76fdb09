extension SVGChart {
  /// A grid of counts, such as members by R score and F score: each cell is shaded
  /// by its count on a light-to-dark blue scale, shows the count and optionally a
  /// second line (e.g. the cell's average monetary value).
  ///
  /// - Parameters:
  ///   - title: Heading and `<title>` of the chart.
  ///   - rowLabel: Axis title of the rows, drawn vertically at the left (e.g. "R score").
  ///   - columnLabel: Axis title of the columns, drawn below (e.g. "F score").
  ///   - rows: Row labels, drawn top to bottom in this order.
  ///   - columns: Column labels, drawn left to right in this order.
  ///   - counts: `counts[row][column]`, e.g. members in the cell. Missing entries
  ///     count as 0 and extra entries are ignored; negative counts shade as 0.
  ///     Intensity is the count over the largest count; cells with a count above
  ///     zero are always visibly tinted, and text turns white on dark cells.
  ///   - captions: Optional second line per cell, `captions[row][column]`, shown
  ///     verbatim in smaller type; missing entries show nothing.
  /// - Returns: The SVG document; a "no data" chart when there are no rows or no
  ///   columns.
  public static func heatGrid(
    title: String, rowLabel: String, columnLabel: String, rows: [String], columns: [String],
    counts: [[Int]], caption captions: [[String]]? = nil
  ) -> String {
    guard !rows.isEmpty && !columns.isEmpty else { return noData(title: title) }
    func count(_ row: Int, _ column: Int) -> Int {
      guard row < counts.count, column < counts[row].count else { return 0 }
      return counts[row][column]
    }
    func caption(_ row: Int, _ column: Int) -> String? {
      guard let captions, row < captions.count, column < captions[row].count else { return nil }
      return captions[row][column]
    }

    let margin = SVGDocument.margin
    let countFontSize = 13.0
    let captionFontSize = 11.0
    var contentWidth = columns.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    var maximumCount = 0
    for row in rows.indices {
      for column in columns.indices {
        let value = count(row, column)
        maximumCount = max(maximumCount, value)
        contentWidth = max(
          contentWidth,
          estimatedTextWidth(formatThousands(value), fontSize: countFontSize, bold: true))
        if let text = caption(row, column) {
          contentWidth = max(contentWidth, estimatedTextWidth(text, fontSize: captionFontSize))
        }
      }
    }
    let cellWidth = max(56, contentWidth + 16)
    let cellHeight = captions == nil ? 34.0 : 46.0
    let rowLabelWidth = rows.map { estimatedTextWidth($0, fontSize: 12) }.max() ?? 0
    let gridLeft = margin + 22 + rowLabelWidth + 10
    let gridTop = 52.0
    let gridWidth = cellWidth * Double(columns.count)
    let gridHeight = cellHeight * Double(rows.count)
    let gridBottom = gridTop + gridHeight
    let legendBaseline = gridBottom + 68
    let swatchCount = 5
    let maximumText = formatThousands(maximumCount)
    let legendWidth =
      estimatedTextWidth("0", fontSize: 11) + 8 + Double(swatchCount) * 20 + 8
      + estimatedTextWidth(maximumText, fontSize: 11)
    let chartWidth = max(
      gridLeft + max(gridWidth, legendWidth) + margin,
      gridLeft + gridWidth / 2 + estimatedTextWidth(columnLabel, fontSize: 12) / 2 + margin)
    let width = SVGDocument.width(fitting: title, chartWidth: chartWidth)
    let height = legendBaseline + 20

    var document = SVGDocument(width: width, height: height, title: title)
    document.heading(title)
    let rowTitleX = margin + 12
    document.text(
      rowLabel, x: rowTitleX, y: gridTop + gridHeight / 2, anchor: .middle, bold: true,
      rotation: -90)
    for (row, label) in rows.enumerated() {
      let top = gridTop + Double(row) * cellHeight
      document.text(label, x: gridLeft - 10, y: top + cellHeight / 2 + 4, anchor: .end)
      for column in columns.indices {
        let left = gridLeft + Double(column) * cellWidth
        let value = count(row, column)
        let shade = cellShade(value, maximum: maximumCount)
        let textColour = shade.wantsWhiteText ? "#ffffff" : SVGDocument.ink
        let captionText = caption(row, column)
        var tooltip = "\(rowLabel) \(label), \(columnLabel) \(columns[column]): "
        tooltip += formatThousands(value)
        if let captionText, !captionText.isEmpty { tooltip += " (" + captionText + ")" }
        document.rect(
          x: left, y: top, width: cellWidth, height: cellHeight, fill: shade.fill,
          stroke: "#ffffff", strokeWidth: 2, tooltip: tooltip)
        let centreX = left + cellWidth / 2
        if let captionText {
          document.text(
            formatThousands(value), x: centreX, y: top + cellHeight / 2 - 2, anchor: .middle,
            size: countFontSize, bold: true, fill: textColour)
          document.text(
            captionText, x: centreX, y: top + cellHeight / 2 + 14, anchor: .middle,
            size: captionFontSize, fill: textColour)
        } else {
          document.text(
            formatThousands(value), x: centreX, y: top + cellHeight / 2 + 5, anchor: .middle,
            size: countFontSize, bold: true, fill: textColour)
        }
      }
    }
    for (column, label) in columns.enumerated() {
      let centreX = gridLeft + (Double(column) + 0.5) * cellWidth
      document.text(label, x: centreX, y: gridBottom + 18, anchor: .middle)
    }
    document.text(
      columnLabel, x: gridLeft + gridWidth / 2, y: gridBottom + 40, anchor: .middle, bold: true)

    // Legend: a few swatches from an empty cell to the largest count.
    var legendX = gridLeft
    document.text("0", x: legendX, y: legendBaseline, size: 11, fill: SVGDocument.mutedInk)
    legendX += estimatedTextWidth("0", fontSize: 11) + 8
    for swatch in 0..<swatchCount {
      let intensity = Double(swatch) / Double(swatchCount - 1)
      document.rect(
        x: legendX, y: legendBaseline - 11, width: 20, height: 14,
        fill: ChartColors.blue(intensity: intensity).fill, stroke: "#ffffff")
      legendX += 20
    }
    document.text(
      maximumText, x: legendX + 8, y: legendBaseline, size: 11, fill: SVGDocument.mutedInk)
    return document.rendered()
  }

  /// The fill of a cell holding `value` when the largest cell holds `maximum`.
  private static func cellShade(
    _ value: Int, maximum: Int
  ) -> (fill: String, wantsWhiteText: Bool) {
    guard value > 0 && maximum > 0 else { return ChartColors.blue(intensity: 0) }
    // Non-empty cells start a step above the lightest blue so they never look empty.
    return ChartColors.blue(intensity: 0.12 + 0.88 * Double(value) / Double(maximum))
  }
}
