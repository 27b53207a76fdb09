// A minimal SVG 1.1 writer: the chart functions place shapes and text on it and
// take the finished markup as a string. Elements are written in the order they
// are added, every number through `svgNumber`, every text through `xmlEscaped`,
// so the output is the same bytes for the same input.

/// Where a text element's x coordinate sits relative to the text.
enum TextAnchor: String {
  case start
  case middle
  case end
}

/// A standalone SVG 1.1 document under construction: white background, a
/// `<title>`, the system sans-serif font and elements in insertion order.
struct SVGDocument {
  /// The font stack: the platform's UI font, then common sans-serif fonts. No web
  /// fonts, since an SVG shown through `<img>` cannot load them.
  static let fontFamily =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
  /// Default text size in pixels.
  static let bodyFontSize = 12.0
  /// Text size of the visible heading in pixels.
  static let headingFontSize = 16.0
  /// Outer margin in pixels.
  static let margin = 24.0
  /// Baseline of the visible heading.
  static let headingBaseline = 30.0
  /// Ink colour for text and axes.
  static let ink = "#333333"
  /// Colour of secondary text (notes, "no data").
  static let mutedInk = "#666666"
  /// Colour of grid lines.
  static let gridLine = "#e3e3e3"

  /// Canvas width in pixels (whole pixels).
  let width: Double
  /// Canvas height in pixels (whole pixels).
  let height: Double
  private var markup: String

  /// Starts a document of at least the given size (rounded up to whole pixels)
  /// with its `<title>` and a white background.
  init(width: Double, height: Double, title: String) {
    self.width = max(1, width.rounded(.up))
    self.height = max(1, height.rounded(.up))
    let w = svgNumber(self.width)
    let h = svgNumber(self.height)
    markup = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    markup += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""
    markup += " width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\""
    markup += " font-family=\"\(SVGDocument.fontFamily)\""
    markup += " font-size=\"\(svgNumber(SVGDocument.bodyFontSize))\">\n"
    markup += "<title>\(xmlEscaped(title))</title>\n"
    markup += "<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
  }

  /// The canvas width a chart needs so that its heading fits, given the width the
  /// chart itself needs.
  static func width(fitting title: String, chartWidth: Double) -> Double {
    max(chartWidth, estimatedTextWidth(title, fontSize: headingFontSize, bold: true) + 2 * margin)
  }

  /// The visible heading at the top left.
  mutating func heading(_ title: String) {
    text(
      title, x: SVGDocument.margin, y: SVGDocument.headingBaseline,
      size: SVGDocument.headingFontSize, bold: true)
  }

  /// A rectangle; `tooltip` becomes a `<title>` child that browsers show on hover.
  mutating func rect(
    x: Double, y: Double, width: Double, height: Double, fill: String,
    stroke: String? = nil, strokeWidth: Double = 1, fillOpacity: Double? = nil,
    tooltip: String? = nil
  ) {
    var element = "<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\""
    element += " width=\"\(svgNumber(max(0, width)))\" height=\"\(svgNumber(max(0, height)))\""
    element += " fill=\"\(fill)\""
    if let fillOpacity { element += " fill-opacity=\"\(svgNumber(fillOpacity))\"" }
    if let stroke {
      element += " stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(strokeWidth))\""
    }
    append(element, tooltip: tooltip)
  }

  /// A straight line; `dash` is an SVG dash pattern such as `"4 3"`.
  mutating func line(
    x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
    strokeWidth: Double = 1, dash: String? = nil
  ) {
    var element = "<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\""
    element += " x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\""
    element += " stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(strokeWidth))\""
    if let dash { element += " stroke-dasharray=\"\(dash)\"" }
    append(element, tooltip: nil)
  }

  /// An open or closed path from `points`; `closed` fills it, otherwise it is a
  /// stroked line. Fewer than one point draws nothing.
  mutating func path(
    through points: [(x: Double, y: Double)], stroke: String?, strokeWidth: Double = 2,
    fill: String? = nil, fillOpacity: Double? = nil, closed: Bool = false, dash: String? = nil
  ) {
    guard let first = points.first else { return }
    var d = "M\(svgNumber(first.x)) \(svgNumber(first.y))"
    for point in points.dropFirst() {
      d += " L\(svgNumber(point.x)) \(svgNumber(point.y))"
    }
    if closed { d += " Z" }
    var element = "<path d=\"\(d)\" fill=\"\(fill ?? "none")\""
    if let fillOpacity { element += " fill-opacity=\"\(svgNumber(fillOpacity))\"" }
    if let stroke {
      element += " stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(strokeWidth))\""
      element += " stroke-linejoin=\"round\" stroke-linecap=\"round\""
    }
    if let dash { element += " stroke-dasharray=\"\(dash)\"" }
    append(element, tooltip: nil)
  }

  /// A filled circle, e.g. a data point marker.
  mutating func circle(
    cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
    tooltip: String? = nil
  ) {
    var element = "<circle cx=\"\(svgNumber(cx))\" cy=\"\(svgNumber(cy))\" r=\"\(svgNumber(r))\""
    element += " fill=\"\(fill)\""
    if let stroke { element += " stroke=\"\(stroke)\" stroke-width=\"1.5\"" }
    append(element, tooltip: tooltip)
  }

  /// A text element with its baseline at `y`; `rotation` (degrees) turns it about
  /// its anchor point, e.g. -90 for a vertical axis title.
  mutating func text(
    _ content: String, x: Double, y: Double, anchor: TextAnchor = .start,
    size: Double = SVGDocument.bodyFontSize, bold: Bool = false,
    fill: String = SVGDocument.ink, rotation: Double? = nil
  ) {
    var element = "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\""
    if anchor != .start { element += " text-anchor=\"\(anchor.rawValue)\"" }
    if size != SVGDocument.bodyFontSize { element += " font-size=\"\(svgNumber(size))\"" }
    if bold { element += " font-weight=\"bold\"" }
    element += " fill=\"\(fill)\""
    if let rotation {
      element += " transform=\"rotate(\(svgNumber(rotation)) \(svgNumber(x)) \(svgNumber(y)))\""
    }
    markup += element + ">\(xmlEscaped(content))</text>\n"
  }

  /// The finished document.
  func rendered() -> String {
    markup + "</svg>\n"
  }

  private mutating func append(_ openElement: String, tooltip: String?) {
    if let tooltip {
      markup += openElement + "><title>\(xmlEscaped(tooltip))</title></"
      markup += elementName(of: openElement) + ">\n"
    } else {
      markup += openElement + "/>\n"
    }
  }

  private func elementName(of openElement: String) -> Substring {
    openElement.dropFirst().prefix { $0 != " " }
  }
}

/// Text made safe for XML character data and attribute values: the five markup
/// characters become entities, and characters XML 1.0 forbids (C0 controls other
/// than tab, line feed and carriage return; U+FFFE, U+FFFF) are dropped.
func xmlEscaped(_ text: String) -> String {
  var escaped = ""
  escaped.reserveCapacity(text.utf8.count)
  for scalar in text.unicodeScalars {
    switch scalar {
    case "&": escaped += "&amp;"
    case "<": escaped += "&lt;"
    case ">": escaped += "&gt;"
    case "\"": escaped += "&quot;"
    case "'": escaped += "&apos;"
    case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
    default:
      if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
      escaped.unicodeScalars.append(scalar)
    }
  }
  return escaped
}

/// A generous estimate of rendered text width in pixels, used only for layout
/// (margins, column widths). Latin text counts 0.6 em per character (0.65 bold),
/// wide scripts (CJK, Hangul, full-width forms) 1 em.
func estimatedTextWidth(_ text: String, fontSize: Double, bold: Bool = false) -> Double {
  var ems = 0.0
  for scalar in text.unicodeScalars {
    let value = scalar.value
    let isWide =
      (0x2E80..<0xD7B0).contains(value) || (0xF900..<0xFB00).contains(value)
      || (0xFF00..<0xFF61).contains(value)
    if isWide {
      ems += 1
    } else {
      ems += bold ? 0.65 : 0.6
    }
  }
  return ems * fontSize
}
