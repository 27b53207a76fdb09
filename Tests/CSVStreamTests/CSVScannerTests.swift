import Testing

@testable import CSVStream

/// Scans `text` and returns each record's line, fields and raw text.
private func records(_ text: String) throws -> [(line: Int, fields: [String], raw: String, open: Bool)] {
  var out: [(Int, [String], String, Bool)] = []
  let bytes = Array(text.utf8)
  _ = try bytes.withUnsafeBytes { buffer in
    try CSVScanner.scan(buffer, path: "test.csv") { record in
      out.append(
        (record.line, (0..<record.fieldCount).map { record.string($0) }, record.rawString, record.isUnterminated))
    }
  }
  return out
}

@Suite struct CSVScannerTests {
  @Test func plainRecordsCarryTheirLineNumbers() throws {
    let r = try records("a,b\n1,2\n3,4\n")
    #expect(r.map(\.line) == [1, 2, 3])
    #expect(r[1].fields == ["1", "2"])
  }

  @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
    let r = try records("id,note\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,x\n")
    #expect(r[1].fields == ["1", "a, b"])
    #expect(r[2].fields == ["2", "say \"hi\""])
    #expect(r[3].fields == ["3", "two\nlines"])
    #expect(r[3].line == 4)
    #expect(r[4].line == 6)
    #expect(r[3].raw == "3,\"two\nlines\"")
  }

  @Test func crlfLineEndsAreNotPartOfFields() throws {
    let r = try records("a,b\r\n1,2\r\n")
    #expect(r[1].fields == ["1", "2"])
    #expect(r[1].raw == "1,2")
  }

  @Test func byteOrderMarkIsSkipped() throws {
    let r = try records("\u{FEFF}order_id,x\n1,2\n")
    #expect(r[0].fields == ["order_id", "x"])
  }

  @Test func raggedRowsKeepTheirFieldCount() throws {
    let r = try records("a,b,c\n1,2\n1,2,3,4\n")
    #expect(r[1].fields.count == 2)
    #expect(r[2].fields.count == 4)
  }

  @Test func emptyFileAndHeaderOnly() throws {
    #expect(try records("").isEmpty)
    #expect(try records("a,b\n").count == 1)
  }

  @Test func lastRecordWithoutFinalNewline() throws {
    let r = try records("a,b\n1,2")
    #expect(r.count == 2)
    #expect(r[1].fields == ["1", "2"])
  }

  @Test func blankLinesAreSkippedAndLinesStillCounted() throws {
    let r = try records("a,b\n\n1,2\n   \n3,4\n")
    #expect(r.map(\.line) == [1, 3, 5])
  }

  @Test func unterminatedQuoteIsFlagged() throws {
    let r = try records("a,b\n1,\"open\n2,3\n")
    #expect(r.count == 2)
    #expect(r[1].open)
    #expect(r[1].line == 2)
  }

  @Test func invalidUTF8NamesTheLine() throws {
    var bytes = Array("a,b\n1,2\n".utf8)
    bytes += [0xFF, 0x2C, 0x31, 0x0A]
    #expect(throws: CSVError.notUTF8(path: "x.csv", line: 3)) {
      try bytes.withUnsafeBytes { buffer in
        try CSVScanner.scan(buffer, path: "x.csv") { _ in }
      }
    }
  }

  @Test func rangeEndingInsideQuotesIsReported() throws {
    let text = Array("a,\"x\ny\"\n".utf8)
    let ended = try text.withUnsafeBytes { buffer in
      try CSVScanner.scan(buffer, range: 0..<5, path: "t") { _ in }
    }
    #expect(ended == false)
  }
}
