/// Dependency-free SVG chart writers for the report.
///
/// Each chart is a pure function from figures to the text of a standalone SVG 1.1
/// file: `xmlns`, `width`, `height` and `viewBox` set, a `<title>`, a white
/// background, the system sans-serif font at 11 px or more, and every label escaped
/// for XML. The same input always gives the same bytes: numbers are formatted by
/// ``formatDecimal(_:decimals:)`` and friends, never by the locale, and elements are
/// written in input order. Inputs with nothing to draw give a small chart that says
/// "no data" instead of failing.
///
/// The files display on their own in a browser and inside Markdown through an image
/// link, as `report.md` uses them.
public enum SVGChart {
  /// A chart with only its heading and the words "no data", for empty inputs.
  static func noData(title: String) -> String {
    let width = SVGDocument.width(fitting: title, chartWidth: 480)
    var document = SVGDocument(width: width, height: 140, title: title)
    document.heading(title)
    document.text(
      "no data", x: width / 2, y: 90, anchor: .middle, size: 14, fill: SVGDocument.mutedInk)
    return document.rendered()
  }
}
