import LoyaltyCore
import Testing

@testable import LoyaltyReport

/// SPEC 8: text cells that a spreadsheet would read as a formula get a leading `'`;
/// RFC 4180 quoting when a cell holds a comma, a quote or a line break.
@Test(arguments: [
  ("plain", "plain"),
  ("", ""),
  ("Zoë 张", "Zoë 张"),
  ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
  ("+86 138", "'+86 138"),
  ("-5", "'-5"),
  ("@home", "'@home"),
  ("\tx", "'\tx"),
  ("\rx", "\"'\rx\""),
  ("a,b", "\"a,b\""),
  ("say \"hi\"", "\"say \"\"hi\"\"\""),
  ("line\nbreak", "\"line\nbreak\""),
  ("=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""),
  ("a=b", "a=b"),
  // A quote that starts a grapheme cluster (here with a combining acute) is doubled
  // too: quoting works on bytes, not on characters.
  ("a\"\u{301}b", "\"a\"\"\u{301}b\""),
])
func textCellsAreGuardedAndQuoted(value: String, expected: String) {
  #expect(CSVText.cell(value) == expected)
  // The member-sized files write their cells through ByteCSV directly.
  var csv = ByteCSV(reserve: 64)
  csv.text(value)
  #expect(String(decoding: csv.bytes(), as: UTF8.self) == expected)
}

/// Pre-rendered dates are the dates `ByteCSV.date` writes, and days outside the table
/// fall back to formatting.
@Test func dateCellsMatchFormattedDates() {
  let first = Day(year: 1999, month: 12, day: 30)!.number
  let dates = DateCells(first: first, last: first + 800)
  for offset in [-3, 0, 1, 2, 61, 400, 800, 801, 5000] {
    let day = Day(number: first + Int32(offset))
    var copied = ByteCSV(reserve: 16)
    copied.date(day, from: dates)
    var formatted = ByteCSV(reserve: 16)
    formatted.date(day)
    #expect(copied.bytes() == formatted.bytes())
    #expect(String(decoding: formatted.bytes(), as: UTF8.self) == day.description)
  }
  #expect(DateCells(first: 0, last: 200_000).count == 0)
}

/// A buffer grown through many doublings to past 64 MiB comes out whole.
@Test func largeBuffersFinishWhole() {
  let rows = 8_000_000  // rows like "1234567,", about 71 MB in all
  var csv = ByteCSV(reserve: 1 << 20)
  for k in 0..<rows {
    csv.integer(Int64(k))
    csv.comma()
    csv.newline()
  }
  let expectedCount = csv.count
  #expect(expectedCount > 1 << 26)
  let text = csv.finish()
  #expect(text.utf8.count == expectedCount)
  #expect(!text.utf8.contains(0))
  let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false)
  #expect(lines.count == rows + 1)
  for k in [0, 1, 6_000_000, 6_990_001, rows - 1] {
    #expect(String(decoding: lines[k], as: UTF8.self) == "\(k),")
  }
}

/// A streaming writer with a tiny buffer hands over the same bytes, in order, as an
/// in-memory one, including cells longer than its whole buffer.
@Test func streamingWriterMatchesTheInMemoryText() {
  final class Collected { var bytes: [UInt8] = [] }
  let collected = Collected()
  let header = ["id", "note"]
  let long = String(repeating: "long, \"quoted\" text ", count: 20)
  var streamed = ByteCSV(header: header, bufferSize: 64) { part in
    collected.bytes += part
    return true
  }
  var memory = ByteCSV(header: header, reserve: 16)
  for k in 0..<500 {
    for csv in [0, 1] {
      func row(_ w: inout ByteCSV) {
        w.integer(Int64(k * 7919 - 100_000))
        w.comma()
        w.text(k % 50 == 0 ? long : "=cell \(k)")
        w.newline()
      }
      if csv == 0 { row(&streamed) } else { row(&memory) }
    }
  }
  let flushed = streamed.flush()
  #expect(flushed)
  #expect(collected.bytes == memory.bytes())

  var refused = ByteCSV(header: header, bufferSize: 64) { _ in false }
  refused.text(long)
  let accepted = refused.flush()
  #expect(!accepted)
}
