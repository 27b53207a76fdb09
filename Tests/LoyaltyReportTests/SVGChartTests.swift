import Foundation
import Testing

@testable import LoyaltyReport

#if canImport(FoundationXML)
  import FoundationXML
#endif

// MARK: - Number formatting

@Suite("Number formatting")
struct NumberFormattingTests {
  @Test(
    "formatThousands groups digits in threes",
    arguments: [
      (0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (12_345, "12,345"),
      (1_234_567, "1,234,567"), (-1, "-1"), (-999, "-999"), (-1000, "-1,000"),
      (-1_234_567, "-1,234,567"), (Int.max, "9,223,372,036,854,775,807"),
      (Int.min, "-9,223,372,036,854,775,808"),
    ])
  func thousands(value: Int, expected: String) {
    #expect(formatThousands(value) == expected)
  }

  @Test(
    "formatDecimal rounds half away from zero on the printed digits",
    arguments: [
      (0.0, 2, "0.00"), (0.0, 0, "0"), (-0.0, 1, "0.0"), (999.0, 0, "999"),
      (1000.0, 0, "1,000"), (999.994, 2, "999.99"), (999.995, 2, "1,000.00"),
      (1234.5, 2, "1,234.50"), (-1234.5, 0, "-1,235"), (0.125, 2, "0.13"),
      (-0.125, 2, "-0.13"), (1.005, 2, "1.01"), (9.995, 2, "10.00"), (2.5, 0, "3"),
      (-2.5, 0, "-3"), (0.5, 0, "1"), (0.49, 0, "0"), (-0.004, 2, "0.00"), (1e-7, 3, "0.000"),
      (1.5e-5, 5, "0.00002"), (12_345_678.9, 1, "12,345,678.9"),
      (1e16, 0, "10,000,000,000,000,000"), (-3.0, -1, "-3"), (0.1 + 0.2, 2, "0.30"),
      // Binary noise past the 15th significant digit does not move the last place.
      (403 * (0.05 * 0.7), 2, "14.11"), (-150 * 0.03 * 0.85, 2, "-3.83"), (99.99499999999999, 2, "100.00"),
      (0.034999999999999996, 3, "0.035"), (14.10499999999, 2, "14.10"),
      (123_456_789_012.345_67, 2, "123,456,789,012.35"),
      // Figures that keep 15 digits or more print the digits they have.
      (1_851_851_835_330_680, 0, "1,851,851,835,330,680"), (24_074_073_859_252.29, 2, "24,074,073,859,252.29"),
      (0.1234567890123456, 16, "0.1234567890123456"), (12_345_678_901_234.5, 1, "12,345,678,901,234.5"),
    ])
  func decimal(value: Double, decimals: Int, expected: String) {
    #expect(formatDecimal(value, decimals: decimals) == expected)
  }

  @Test("formatDecimal names non-finite values")
  func decimalNonFinite() {
    #expect(formatDecimal(.nan, decimals: 2) == "NaN")
    #expect(formatDecimal(.infinity, decimals: 2) == "∞")
    #expect(formatDecimal(-.infinity, decimals: 2) == "-∞")
  }

  @Test(
    "formatPercent scales the share by 100 on its decimal digits",
    arguments: [
      (0.0, 1, "0.0%"), (0.1234, 1, "12.3%"), (0.1235, 1, "12.4%"), (0.0125, 1, "1.3%"),
      (0.632, 1, "63.2%"), (1.0, 1, "100.0%"), (0.5, 0, "50%"), (0.045, 1, "4.5%"),
      (-0.045, 1, "-4.5%"), (-0.0004, 1, "0.0%"), (123.45, 1, "12,345.0%"),
      (0.00004, 2, "0.00%"), (0.00005, 2, "0.01%"), (0.2, 0, "20%"),
    ])
  func percent(share: Double, decimals: Int, expected: String) {
    #expect(formatPercent(share, decimals: decimals) == expected)
  }

  @Test("formatPercent defaults to one decimal")
  func percentDefaultDecimals() {
    #expect(formatPercent(0.04567) == "4.6%")
  }

  @Test(
    "svgNumber writes at most two decimals without trailing zeros",
    arguments: [
      (12.5, "12.5"), (100.0, "100"), (-3.254, "-3.25"), (0.004, "0"), (1234.0, "1234"),
      (Double.nan, "0"),
    ])
  func coordinate(value: Double, expected: String) {
    #expect(svgNumber(value) == expected)
  }
}

// MARK: - Building blocks

@Suite("SVG building blocks")
struct SVGBuildingBlockTests {
  @Test("xmlEscaped replaces the five markup characters and drops control characters")
  func escaping() {
    #expect(
      xmlEscaped(#"a & b < c > d "e" 'f'"#) == "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;"
    )
    #expect(xmlEscaped("bell\u{07}tab\t") == "belltab\t")
    #expect(xmlEscaped("会员 Level 3") == "会员 Level 3")
  }

  @Test("the well-formedness check rejects broken markup")
  func parserRejectsBrokenMarkup() {
    #expect(parseSVG("<svg><text>a</svg>").wellFormed == false)
    #expect(parseSVG("<svg><text>a & b</text></svg>").wellFormed == false)
    #expect(parseSVG("<svg><text>a &amp; b</text></svg>").wellFormed)
  }

  @Test("axis ticks step by 1, 2 or 5 times a power of ten")
  func tickSteps() {
    let small = AxisTicks(covering: 0, 0.83)
    #expect(small.step == 0.2)
    #expect(small.values.map { small.label($0) } == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])

    let spend = AxisTicks(covering: 0, 12_345)
    #expect(spend.step == 5000)
    #expect(spend.values.map { spend.label($0) } == ["0", "5,000", "10,000", "15,000"])

    let mixed = AxisTicks(covering: -3, 7)
    #expect(mixed.values == [-4, -2, 0, 2, 4, 6, 8])

    let exact = AxisTicks(covering: 0, 100)
    #expect(exact.values == [0, 20, 40, 60, 80, 100])
  }

  @Test("axis ticks for counts step by whole numbers")
  func tickWholeNumbers() {
    let counts = AxisTicks(covering: 0, 3, wholeNumbers: true)
    #expect(counts.values == [0, 1, 2, 3])
    #expect(counts.decimals == 0)
    #expect(AxisTicks(covering: 0, 0, wholeNumbers: true).values == [0, 1])
  }

  @Test("an empty axis range still has length")
  func tickDegenerateRange() {
    let flat = AxisTicks(covering: 0, 0)
    #expect(flat.lower == 0)
    #expect(flat.upper == 1)
    let undefined = AxisTicks(covering: .nan, .infinity)
    #expect(undefined.lower == 0)
    #expect(undefined.upper == 1)
  }

  @Test("the blue scale runs light to dark and asks for white text on dark cells")
  func blueScale() {
    #expect(ChartColors.blue(intensity: 0).fill == "#f7fbff")
    #expect(ChartColors.blue(intensity: 1).fill == "#08306b")
    #expect(ChartColors.blue(intensity: 2).fill == "#08306b")
    #expect(!ChartColors.blue(intensity: 0).wantsWhiteText)
    #expect(ChartColors.blue(intensity: 1).wantsWhiteText)
  }

  @Test("the marked share is interpolated between samples")
  func paretoInterpolation() {
    let shares = [0.0, 0.5, 0.7, 0.85, 0.95, 1.0]  // every 20% of members
    #expect(SVGChart.interpolatedShare(shares, at: 0.2) == 0.5)
    #expect(SVGChart.interpolatedShare(shares, at: 0.1) == 0.25)
    #expect(SVGChart.interpolatedShare(shares, at: 1.5) == 1.0)
    #expect(SVGChart.interpolatedShare([0, .nan, 1], at: 0.25) == nil)
  }
}

// MARK: - Charts

@Suite("SVG charts")
struct SVGChartTests {
  static let levels: [(label: String, members: Int, share: Double)] = [
    ("Level 1", 12_345, 0.5), ("Level 2", 6_172, 0.25), ("Level 3", 3_086, 0.125),
    ("Level 4", 1_111, 0.045), ("Level 5", 0, 0),
  ]

  static func pyramidSample(title: String = "Members by level") -> String {
    SVGChart.pyramid(title: title, levels: levels)
  }

  static func heatGridSample() -> String {
    SVGChart.heatGrid(
      title: "Members by R and F score", rowLabel: "R score", columnLabel: "F score",
      rows: ["5", "4", "3"], columns: ["1", "2", "3", "4"],
      counts: [[120, 340, 560, 1_200], [80, 0, 410, 900], [300, 150, 75, 10]],
      caption: [
        ["¥120", "¥340", "¥560", "¥1,200"], ["¥80", "", "¥410", "¥900"],
        ["¥300", "¥150", "¥75", "¥10"],
      ])
  }

  static let months = (0..<24).map { offset in
    let month = offset % 12 + 1
    return String(2024 + offset / 12) + (month < 10 ? "-0" : "-") + String(month)
  }

  static func lineChartSample() -> String {
    SVGChart.lineChart(
      title: "Points per month", xLabels: months,
      series: [
        ("issued", (0..<24).map { 9_000 + Double($0) * 140 }),
        ("redeemed", (0..<24).map { 3_000 + Double($0) * 60 }),
        ("expired", (0..<24).map { $0 < 12 ? .nan : 1_000 + Double($0) * 20 }),
      ],
      yAxisTitle: "points", shadeFrom: 18)
  }

  static let paretoShares = [0.0, 0.41, 0.632, 0.75, 0.83, 0.89, 0.93, 0.96, 0.98, 0.995, 1.0]

  static func paretoSample() -> String {
    SVGChart.paretoCurve(title: "Spend concentration", cumulativeShares: paretoShares, markAt: 0.2)
  }

  static func barsSample() -> String {
    SVGChart.bars(
      title: "Members by lifecycle stage", labels: ["new", "active", "silent", "sleeping", "lost"],
      values: [1_204, 8_530, 4_120, 6_988, 15_402], valueSuffix: " members")
  }

  static let samples: [(name: String, title: String, render: @Sendable () -> String)] = [
    ("pyramid", "Members by level", { pyramidSample() }),
    ("heat-grid", "Members by R and F score", { heatGridSample() }),
    ("line-chart", "Points per month", { lineChartSample() }),
    ("pareto", "Spend concentration", { paretoSample() }),
    ("bars", "Members by lifecycle stage", { barsSample() }),
  ]

  @Test("every chart is a well-formed standalone SVG with its title", arguments: 0..<5)
  func chartIsStandaloneSVG(sample: Int) throws {
    let svg = Self.samples[sample].render()
    try expectStandaloneSVG(svg, title: Self.samples[sample].title)
  }

  @Test("every chart is the same bytes on every call", arguments: 0..<5)
  func chartIsDeterministic(sample: Int) {
    #expect(Self.samples[sample].render() == Self.samples[sample].render())
  }

  @Test("titles and labels are escaped for XML and read back unchanged")
  func titleIsEscaped() throws {
    let title = #"Spend & "growth" <by> level's"#
    let svg = SVGChart.bars(
      title: title, labels: ["a&b", "<c>"], values: [1, 2], valueSuffix: nil)
    #expect(svg.contains("<title>Spend &amp; &quot;growth&quot; &lt;by&gt; level&apos;s</title>"))
    let parsed = try expectStandaloneSVG(svg, title: title)
    #expect(parsed.texts.contains("a&b"))
    #expect(parsed.texts.contains("<c>"))
  }

  @Test("the pyramid puts level 1 at the bottom and annotates each bar")
  func pyramidLayout() throws {
    let parsed = try expectStandaloneSVG(Self.pyramidSample(), title: "Members by level")
    for level in Self.levels { #expect(parsed.texts.contains(level.label)) }
    #expect(parsed.texts.contains("12,345 (50.0%)"))
    #expect(parsed.texts.contains("1,111 (4.5%)"))
    #expect(parsed.texts.contains("0 (0.0%)"))
    let bottom = try #require(parsed.number("y", ofTextWithContent: "Level 1"))
    let top = try #require(parsed.number("y", ofTextWithContent: "Level 5"))
    #expect(bottom > top)
  }

  @Test("pyramid bar widths are proportional to members")
  func pyramidProportions() throws {
    let svg = SVGChart.pyramid(
      title: "Levels", levels: [("Level 1", 200, 2.0 / 3), ("Level 2", 100, 1.0 / 3)])
    let parsed = try expectStandaloneSVG(svg, title: "Levels")
    let base = try #require(parsed.number("width", ofShapeWithTooltip: "Level 1: 200 (66.7%)"))
    let upper = try #require(parsed.number("width", ofShapeWithTooltip: "Level 2: 100 (33.3%)"))
    #expect(abs(base / upper - 2) < 0.001)
  }

  @Test("the heat grid shades by count and switches to white text on dark cells")
  func heatGridShading() throws {
    let parsed = try expectStandaloneSVG(Self.heatGridSample(), title: "Members by R and F score")
    for label in ["R score", "F score", "5", "4", "3", "1", "2", "1,200", "¥560"] {
      #expect(parsed.texts.contains(label), "missing \(label)")
    }
    let darkest = try #require(
      parsed.element(ofShapeWithTooltip: "R score 5, F score 4: 1,200 (¥1,200)"))
    #expect(darkest.attributes["fill"] == "#08306b")
    let empty = try #require(parsed.element(ofShapeWithTooltip: "R score 4, F score 2: 0"))
    #expect(empty.attributes["fill"] == "#f7fbff")
    let darkCount = try #require(parsed.textElements.first { $0.text == "1,200" })
    #expect(darkCount.attributes["fill"] == "#ffffff")
    let lightCount = try #require(parsed.textElements.first { $0.text == "10" })
    #expect(lightCount.attributes["fill"] == "#333333")
  }

  @Test("the heat grid without captions shows counts only")
  func heatGridWithoutCaptions() throws {
    let svg = SVGChart.heatGrid(
      title: "Grid", rowLabel: "rows", columnLabel: "columns", rows: ["a"], columns: ["x", "y"],
      counts: [[3]])
    let parsed = try expectStandaloneSVG(svg, title: "Grid")
    #expect(parsed.texts.contains("3"))
    #expect(parsed.element(ofShapeWithTooltip: "rows a, columns y: 0") != nil)  // missing cell
  }

  @Test("the line chart has a legend, round ticks, thinned labels and a shaded region")
  func lineChartLayout() throws {
    let parsed = try expectStandaloneSVG(Self.lineChartSample(), title: "Points per month")
    for name in ["issued", "redeemed", "expired", "points", "projected"] {
      #expect(parsed.texts.contains(name), "missing \(name)")
    }
    #expect(parsed.texts.contains("0"))
    #expect(parsed.texts.contains("5,000"))
    #expect(parsed.texts.contains("10,000"))
    #expect(parsed.texts.contains("15,000"))
    #expect(parsed.texts.contains("2024-01"))
    let shownMonths = Self.months.filter { parsed.texts.contains($0) }
    #expect(shownMonths.count < Self.months.count)
    #expect(shownMonths.count >= 4)
    let strokes = parsed.elements.filter { $0.name == "path" }.compactMap {
      $0.attributes["stroke"]
    }
    #expect(Set(strokes).count == 3)
    #expect(parsed.elements.contains { $0.name == "rect" && $0.attributes["fill"] == "#efefef" })
  }

  @Test("the line chart without a shade index draws no shaded region")
  func lineChartWithoutShade() throws {
    let svg = SVGChart.lineChart(
      title: "Orders", xLabels: ["Jan", "Feb"], series: [("orders", [3, 4])], yAxisTitle: "orders",
      shadeFrom: nil)
    let parsed = try expectStandaloneSVG(svg, title: "Orders")
    #expect(!parsed.elements.contains { $0.attributes["fill"] == "#efefef" })
    #expect(parsed.texts.contains("Jan"))
    #expect(parsed.texts.contains("Feb"))
  }

  @Test("the pareto curve marks the top 20% with the share of spend they hold")
  func paretoMark() throws {
    let parsed = try expectStandaloneSVG(Self.paretoSample(), title: "Spend concentration")
    #expect(parsed.texts.contains("top 20% hold 63.2% of spend"))
    #expect(parsed.texts.contains("equal spend"))
    #expect(parsed.texts.contains("100%"))
  }

  @Test("the pareto label writes a fractional mark with one decimal")
  func paretoFractionalMark() throws {
    let svg = SVGChart.paretoCurve(title: "Spend", cumulativeShares: [0, 0.5, 1], markAt: 0.125)
    let parsed = try expectStandaloneSVG(svg, title: "Spend")
    #expect(parsed.texts.contains("top 12.5% hold 12.5% of spend"))
  }

  @Test("bars carry their labels and values with the suffix")
  func barLabels() throws {
    let parsed = try expectStandaloneSVG(Self.barsSample(), title: "Members by lifecycle stage")
    for stage in ["new", "active", "silent", "sleeping", "lost"] {
      #expect(parsed.texts.contains(stage))
    }
    #expect(parsed.texts.contains("15,402 members"))
    #expect(parsed.texts.contains("1,204 members"))
  }

  @Test("bars of zero get a whole-number axis")
  func zeroBarsAxis() throws {
    let svg = SVGChart.bars(title: "Zero bars", labels: ["a", "b"], values: [0, 0])
    let parsed = try expectStandaloneSVG(svg, title: "Zero bars")
    #expect(parsed.texts.contains("1"))
    #expect(!parsed.texts.contains("0.2"))
  }

  @Test("negative bars hang below the zero line")
  func negativeBars() throws {
    let svg = SVGChart.bars(title: "Net change", labels: ["up", "down"], values: [30, -20])
    let parsed = try expectStandaloneSVG(svg, title: "Net change")
    let up = try #require(parsed.element(ofShapeWithTooltip: "up: 30"))
    let down = try #require(parsed.element(ofShapeWithTooltip: "down: -20"))
    let upTop = try #require(up.number("y"))
    let upHeight = try #require(up.number("height"))
    let downTop = try #require(down.number("y"))
    #expect(abs(upTop + upHeight - downTop) < 0.02)
  }

  static let emptyCharts: [(title: String, render: @Sendable () -> String)] = [
    ("Empty pyramid", { SVGChart.pyramid(title: "Empty pyramid", levels: []) }),
    (
      "Empty grid",
      {
        SVGChart.heatGrid(
          title: "Empty grid", rowLabel: "R", columnLabel: "F", rows: [], columns: ["1"],
          counts: [])
      }
    ),
    (
      "Empty lines",
      {
        SVGChart.lineChart(
          title: "Empty lines", xLabels: [], series: [], yAxisTitle: "y", shadeFrom: 0)
      }
    ),
    (
      "Unusable lines",
      {
        SVGChart.lineChart(
          title: "Unusable lines", xLabels: ["a", "b"], series: [("s", [.nan, .infinity])],
          yAxisTitle: "y", shadeFrom: nil)
      }
    ),
    ("Empty pareto", { SVGChart.paretoCurve(title: "Empty pareto", cumulativeShares: []) }),
    (
      "One-point pareto", { SVGChart.paretoCurve(title: "One-point pareto", cumulativeShares: [1]) }
    ),
    ("Empty bars", { SVGChart.bars(title: "Empty bars", labels: [], values: []) }),
    ("Unmatched bars", { SVGChart.bars(title: "Unmatched bars", labels: ["a"], values: []) }),
  ]

  @Test("empty inputs give a valid chart saying no data", arguments: 0..<8)
  func emptyInputSaysNoData(chart: Int) throws {
    let parsed = try expectStandaloneSVG(
      Self.emptyCharts[chart].render(), title: Self.emptyCharts[chart].title)
    #expect(parsed.texts.contains("no data"))
  }

  static let zeroCharts: [(title: String, render: @Sendable () -> String)] = [
    (
      "Zero pyramid",
      { SVGChart.pyramid(title: "Zero pyramid", levels: [("Level 1", 0, 0), ("Level 2", 0, 0)]) }
    ),
    (
      "Zero grid",
      {
        SVGChart.heatGrid(
          title: "Zero grid", rowLabel: "R", columnLabel: "F", rows: ["1"], columns: ["1"],
          counts: [[0]])
      }
    ),
    (
      "Zero lines",
      {
        SVGChart.lineChart(
          title: "Zero lines", xLabels: ["a"], series: [("s", [0])], yAxisTitle: "y", shadeFrom: 0)
      }
    ),
    (
      "Flat pareto",
      { SVGChart.paretoCurve(title: "Flat pareto", cumulativeShares: [0, 0], markAt: .nan) }
    ),
    ("Zero bars", { SVGChart.bars(title: "Zero bars", labels: ["a", "b"], values: [0, 0]) }),
  ]

  @Test("all-zero inputs draw without dividing by zero", arguments: 0..<5)
  func zeroInputsStayFinite(chart: Int) throws {
    // expectStandaloneSVG checks every coordinate is a finite number.
    try expectStandaloneSVG(Self.zeroCharts[chart].render(), title: Self.zeroCharts[chart].title)
  }

  @Test(
    "writes sample charts to $TMPDIR/loyalty-chart-samples for a visual check",
    .enabled(if: ProcessInfo.processInfo.environment["LOYALTY_CHART_SAMPLES"] != nil))
  func writeSamples() throws {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
    let folder = URL(fileURLWithPath: base).appendingPathComponent("loyalty-chart-samples")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    var index = "# Chart samples\n\n"
    var charts = Self.samples.map { (name: $0.name, svg: $0.render()) }
    charts.append(
      ("no-data", SVGChart.bars(title: "Members by lifecycle stage", labels: [], values: [])))
    charts.append(
      (
        "escaped-wide",
        SVGChart.bars(
          title: "Spend & \"growth\" <by> 会员等级", labels: ["青铜 & bronze", "白银", "黄金"],
          values: [-1_200, 34_000, 560], valueSuffix: " ¥")
      ))
    for chart in charts {
      try chart.svg.write(
        to: folder.appendingPathComponent(chart.name + ".svg"), atomically: true, encoding: .utf8)
      index += "## \(chart.name)\n\n![\(chart.name)](\(chart.name).svg)\n\n"
    }
    try index.write(
      to: folder.appendingPathComponent("index.md"), atomically: true, encoding: .utf8)
    print("chart samples written to \(folder.path)")
  }
}

// MARK: - Reading the SVG back

/// One element of a parsed SVG document.
struct ParsedElement {
  var name: String
  var attributes: [String: String]
  /// Character data directly inside the element, entities resolved.
  var text: String
  /// Index of the parent element in `ParsedSVG.elements`; nil for the root.
  var parentIndex: Int?

  /// A numeric attribute.
  func number(_ attribute: String) -> Double? {
    attributes[attribute].flatMap { Double($0) }
  }
}

/// An SVG document read back with `XMLParser`, elements in document order.
struct ParsedSVG {
  var elements: [ParsedElement]

  var root: ParsedElement { elements[0] }
  var textElements: [ParsedElement] { elements.filter { $0.name == "text" } }
  /// The content of every `<text>` element.
  var texts: [String] { textElements.map(\.text) }

  /// The shape (rect, circle) whose hover `<title>` is `tooltip`.
  func element(ofShapeWithTooltip tooltip: String) -> ParsedElement? {
    guard
      let title = elements.first(where: {
        $0.name == "title" && $0.text == tooltip && $0.parentIndex != 0
      }),
      let parent = title.parentIndex
    else { return nil }
    return elements[parent]
  }

  func number(_ attribute: String, ofShapeWithTooltip tooltip: String) -> Double? {
    element(ofShapeWithTooltip: tooltip)?.number(attribute)
  }

  func number(_ attribute: String, ofTextWithContent content: String) -> Double? {
    textElements.first { $0.text == content }?.number(attribute)
  }
}

/// Collects elements, attributes and character data while `XMLParser` reads.
final class SVGProbe: NSObject, XMLParserDelegate {
  var elements: [ParsedElement] = []
  /// Errors the parser reported. On Linux `parse()` can return true for malformed
  /// input after reporting errors here, so both are checked.
  var errors: [String] = []
  private var openElements: [Int] = []

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
  ) {
    elements.append(
      ParsedElement(
        name: elementName, attributes: attributeDict, text: "", parentIndex: openElements.last))
    openElements.append(elements.count - 1)
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName qName: String?
  ) {
    openElements.removeLast()
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if let open = openElements.last { elements[open].text += string }
  }

  func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
    errors.append(String(describing: parseError))
  }
}

/// Reads `svg` with `XMLParser`; `wellFormed` is false when the parser failed or
/// reported any error.
func parseSVG(_ svg: String) -> (parsed: ParsedSVG, wellFormed: Bool, errors: [String]) {
  let parser = XMLParser(data: Data(svg.utf8))
  let probe = SVGProbe()
  parser.delegate = probe
  let succeeded = parser.parse()
  var errors = probe.errors
  if !succeeded && errors.isEmpty { errors.append(String(describing: parser.parserError)) }
  return (ParsedSVG(elements: probe.elements), succeeded && errors.isEmpty, errors)
}

/// Parses `svg` and checks what every chart promises: well-formed XML, an `<svg>`
/// root in the SVG namespace with size and viewBox, the `<title>`, a white
/// background, the visible heading, fonts of 11 px or more and finite coordinates.
@discardableResult
func expectStandaloneSVG(
  _ svg: String, title: String, sourceLocation: SourceLocation = #_sourceLocation
) throws -> ParsedSVG {
  let (parsed, wellFormed, errors) = parseSVG(svg)
  try #require(wellFormed, "not well-formed XML: \(errors)", sourceLocation: sourceLocation)
  try #require(!parsed.elements.isEmpty, sourceLocation: sourceLocation)

  #expect(
    svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "),
    sourceLocation: sourceLocation)
  #expect(svg.contains(" xmlns=\"http://www.w3.org/2000/svg\""), sourceLocation: sourceLocation)
  #expect(parsed.root.name == "svg", sourceLocation: sourceLocation)
  #expect(parsed.root.attributes["version"] == "1.1", sourceLocation: sourceLocation)
  let width = try #require(parsed.root.number("width"), sourceLocation: sourceLocation)
  let height = try #require(parsed.root.number("height"), sourceLocation: sourceLocation)
  #expect(
    parsed.root.attributes["viewBox"] == "0 0 \(svgNumber(width)) \(svgNumber(height))",
    sourceLocation: sourceLocation)

  let documentTitle = parsed.elements.first { $0.name == "title" && $0.parentIndex == 0 }
  #expect(documentTitle?.text == title, sourceLocation: sourceLocation)
  #expect(parsed.texts.contains(title), "visible heading", sourceLocation: sourceLocation)
  let background = parsed.elements.first { $0.name == "rect" }
  #expect(background?.attributes["fill"] == "#ffffff", sourceLocation: sourceLocation)
  #expect(background?.number("width") == width, sourceLocation: sourceLocation)

  let numericAttributes = [
    "x", "y", "width", "height", "x1", "y1", "x2", "y2", "cx", "cy", "r", "stroke-width",
    "fill-opacity", "font-size",
  ]
  for element in parsed.elements {
    for attribute in numericAttributes {
      guard let value = element.attributes[attribute] else { continue }
      let number = Double(value)
      #expect(
        number?.isFinite == true, "\(element.name) \(attribute)=\"\(value)\"",
        sourceLocation: sourceLocation)
      if attribute == "font-size", let number {
        #expect(number >= 11, "font-size \(value)", sourceLocation: sourceLocation)
      }
    }
    if let d = element.attributes["d"] {
      for token in d.split(whereSeparator: { " MLZ".contains($0) }) {
        #expect(Double(token)?.isFinite == true, "path d=\"\(d)\"", sourceLocation: sourceLocation)
      }
    }
  }
  return parsed
}
