/// Builds CSV text: RFC 4180 quoting, LF line ends, and text cells guarded against
/// spreadsheet formulas (SPEC 8: a cell starting with `=`, `+`, `-`, `@`, tab or CR
/// gets a leading `'`). Numbers are written as they are, so `-1.50` stays a number.
public struct CSVText {
  public private(set) var text = ""

  public init(header: [String]) {
    appendRow(header.map(CSVText.cell))
  }

  /// A text cell: guarded and quoted as needed, by the rule `ByteCSV.text` writes
  /// the member-sized files with.
  public static func cell(_ value: String) -> String {
    String(decoding: ByteCSV.rendered(value), as: UTF8.self)
  }

  /// A numeric or date cell written by the pipeline itself (never guarded).
  public static func number(_ value: String) -> String { value }

  /// Appends a row of cells already made with `cell` or `number`.
  public mutating func appendRow(_ cells: [String]) {
    text += cells.joined(separator: ",")
    text += "\n"
  }
}

/// A Markdown table with aligned columns.
public struct MarkdownTable {
  public enum Alignment { case left, right }
  var header: [String]
  var alignment: [Alignment]
  var rows: [[String]] = []

  public init(_ columns: [(String, Alignment)]) {
    header = columns.map(\.0)
    alignment = columns.map(\.1)
  }

  public mutating func add(_ row: [String]) { rows.append(row.map { $0.replacing("|", with: "\\|") }) }

  public var text: String {
    var widths = header.map { $0.count }
    for row in rows {
      for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count, 3) }
    }
    func line(_ cells: [String]) -> String {
      "| "
        + cells.enumerated().map { i, c in
          let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
          return alignment[i] == .right ? pad + c : c + pad
        }.joined(separator: " | ") + " |\n"
    }
    var out = line(header)
    out += "|"
    for (i, w) in widths.enumerated() {
      out +=
        alignment[i] == .right
        ? " " + String(repeating: "-", count: max(w - 1, 2)) + ": |"
        : " " + String(repeating: "-", count: max(w, 3)) + " |"
    }
    out += "\n"
    for row in rows { out += line(row) }
    return out
  }
}
