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

  /// A lone CR ends a record: each record is fed on its own, with its own offset and
  /// raw bytes (a reject quoted the whole line), and a file of such line ends is read
  /// in one pass (each record read the whole line again: 8,000 records took 28 s).
  /// Line numbers count line feeds only.
  @Test(.timeLimit(.minutes(1))) func loneCRsEndRecordsEachWithItsOwnBytes() throws {
    let rows = (0..<30_000).map { "o\($0),web, u\($0),2026-01-01 10:00,1.00" }
    let text = "id,channel,ref,time,amount\r" + rows.joined(separator: "\r") + "\r\nlast,1\r\n"
    let r = try records(text)
    #expect(r.count == rows.count + 2)
    #expect(r.dropFirst().prefix(rows.count).map(\.raw) == rows)
    #expect(r[1].fields == ["o0", "web", " u0", "2026-01-01 10:00", "1.00"])
    #expect(r.prefix(rows.count + 1).allSatisfy { $0.line == 1 } && r.last?.line == 2)
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { buffer in
      var starts: [Int] = []
      _ = try? CSVScanner.scan(buffer, path: "t.csv") { starts.append($0.offset) }
      for k in [0, 1, 2, 15_000, rows.count, rows.count + 1] {
        let raw = CSVScanner.record(buffer, at: starts[k], path: "t.csv") { $0.rawString }
        #expect(raw == r[k].raw)
        #expect(CSVScanner.withRawRecord(buffer, at: starts[k], path: "t.csv") { Array($0) } == Array(r[k].raw.utf8))
      }
    }
  }

  @Test func crlfLineEndsAreNotPartOfFields() throws {
    let r = try records("a,b\r\n1,2\r\n")
    #expect(r[1].fields == ["1", "2"])
    #expect(r[1].raw == "1,2")
  }

  /// libcsv on its own drops spaces and tabs around unquoted fields; the scanner keeps
  /// them (in quoted and multi-line records, and on both sides of a lone CR too). Where
  /// the untrimmed reading would count other fields (a space after a closing quote
  /// reopens the field for it, a space before a quote leaves the field unquoted), the
  /// record is read as libcsv reads it.
  @Test func fieldsKeepTheirSpacesAndTabs() throws {
    let r = try records(
      "a, b ,c\n\t1,2\t,\" q \", x\n \"a,b\",c\n\"two\nlines\", y\n\"q\" ,z\n2026-03-01 07:59,5\n"
        + "\"o2\" ,web,\"paid\"\na, b\r c,d\n\"2026-03-01 07:59\",\"5\"\n")
    #expect(
      r.map(\.fields) == [
        ["a", " b ", "c"], ["\t1", "2\t", " q ", " x"], ["a,b", "c"], ["two\nlines", " y"], ["q", "z"],
        ["2026-03-01 07:59", "5"], ["o2", "web", "paid"], ["a", " b"], [" c", "d"], ["2026-03-01 07:59", "5"],
      ])
    #expect(r.map(\.line) == [1, 2, 3, 4, 6, 7, 8, 9, 9, 10])
    #expect(r[1].raw == "\t1,2\t,\" q \", x")
  }

  /// Where a space or tab may have been dropped: at either end, or next to a comma, a
  /// quote or a line break; not inside a field.
  @Test func aRecordIsReadAgainOnlyWhereASpaceMayHaveBeenDropped() {
    func check(_ text: String) -> Bool {
      Array(text.utf8).withUnsafeBytes { CSVScanner.mayBeTrimmed($0) }
    }
    #expect(!check("\"2026-03-01 07:59\",\"5\",x y"))
    #expect(check(" a") && check("a ") && check("a, b") && check("a ,b") && check("\"q\" ,z") && check("\" q\""))
    #expect(check("a\r b") && check("a\t,b"))
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

  @Test func bytesThatAreNotUTF8FarAheadAreFoundWithTheirLine() throws {
    // Several check steps of good lines, then a bad byte.
    let line = "12345,abcdefghij,2026-01-01\n"
    let lines = 3 * CSVScanner.checkStep / line.utf8.count
    var bytes = Array(String(repeating: line, count: lines).utf8)
    bytes += Array("x,".utf8) + [0xE2, 0x28, 0xA1, 0x0A]
    var seen = 0
    #expect(throws: CSVError.notUTF8(path: "x.csv", line: lines + 1)) {
      try bytes.withUnsafeBytes { buffer in
        try CSVScanner.scan(buffer, path: "x.csv") { _ in seen += 1 }
      }
    }
    #expect(seen < lines)
  }

  @Test func bytesThatAreNotUTF8WinOverAnUnclosedQuoteBeforeThem() throws {
    // A quote opened on line 2 runs past the record limit; bad bytes come after it.
    var bytes = Array("a,b\n\"open,".utf8)
    bytes += Array(String(repeating: "z\n", count: CSVScanner.recordLimit / 2 + 10).utf8)
    bytes += [0xFF, 0x0A]
    let badLine = 2 + CSVScanner.recordLimit / 2 + 10
    #expect(throws: CSVError.notUTF8(path: "x.csv", line: badLine)) {
      try bytes.withUnsafeBytes { buffer in
        try CSVScanner.scan(buffer, path: "x.csv") { _ in }
      }
    }
    // Without them, the unclosed quote is the error.
    bytes.removeLast(2)
    #expect(throws: CSVError.recordTooLong(path: "x.csv", line: 2, limit: CSVScanner.recordLimit)) {
      try bytes.withUnsafeBytes { buffer in
        try CSVScanner.scan(buffer, path: "x.csv") { _ in }
      }
    }
  }

  @Test func aScanCountsTheLineFeedsOfItsRange() throws {
    let text = Array("a,b\n\"x\ny\",2\n\n3,4".utf8)
    let whole = try text.withUnsafeBytes { try CSVScanner.scan($0, path: "t") { _ in } }
    #expect(whole == CSVScanner.ScanEnd(endedBetweenRecords: true, lineFeeds: 4))
    let head = try text.withUnsafeBytes { try CSVScanner.scan($0, range: 0..<6, path: "t") { _ in } }
    #expect(head == CSVScanner.ScanEnd(endedBetweenRecords: false, lineFeeds: 1))
  }

  @Test func rangeEndingInsideQuotesIsReported() throws {
    let text = Array("a,\"x\ny\"\n".utf8)
    let ended = try text.withUnsafeBytes { buffer in
      try CSVScanner.scan(buffer, range: 0..<5, path: "t") { _ in }
    }
    #expect(ended.endedBetweenRecords == false)
  }

  @Test func pagesAreReleasedOnlyBehindTheRecordBeingRead() throws {
    // About 3 release steps of long records, some with quoted line breaks, and an
    // unterminated quote at the end so that the last record is still open.
    var text = "id,payload\n"
    var n = 0
    while text.utf8.count < 3 * CSVScanner.releaseStep {
      let payload = String(repeating: "x", count: 900 + n % 50)
      text += n % 7 == 0 ? "\(n),\"\(payload)\n\(payload)\"\n" : "\(n),\(payload)\n"
      n += 1
    }
    text += "last,\"open"
    let bytes = Array(text.utf8)
    func scan(release: ((Range<Int>) -> Void)?) throws -> [String] {
      var out: [String] = []
      _ = try bytes.withUnsafeBytes { buffer in
        try CSVScanner.scan(buffer, path: "big.csv", release: release) { record in
          out.append("\(record.line) \(record.offset) \(record.fieldCount) \(record.rawString.count)")
        }
      }
      return out
    }
    // One log of releases and record starts, in the order they happen.
    enum Event { case released(Range<Int>), record(Int) }
    var events: [Event] = []
    let plain = try scan(release: nil)
    let ended = try bytes.withUnsafeBytes { buffer in
      try CSVScanner.scan(buffer, path: "big.csv", release: { events.append(.released($0)) }) { record in
        events.append(.record(record.offset))
      }
    }
    #expect(ended.endedBetweenRecords == false)
    #expect(try scan(release: { _ in }) == plain)
    #expect(plain.count == n + 2)
    // The parse releases only what lies before the next record to begin, in order.
    var releases = 0
    var releasedUpTo = 0
    for (k, event) in zip(events.indices, events) {
      guard case .released(let range) = event else { continue }
      releases += 1
      #expect(range.lowerBound == releasedUpTo)
      releasedUpTo = range.upperBound
      let nextRecord = events[(k + 1)...].lazy.compactMap { e -> Int? in
        if case .record(let offset) = e { return offset } else { return nil }
      }.first
      #expect(range.upperBound <= nextRecord ?? bytes.count)
    }
    #expect(releases >= 2)
  }

  @Test func releasePartsCoverTheRangeInOrder() {
    let step = CSVScanner.releaseStep
    let range = 5..<(5 + 2 * step + 7)
    let parts = CSVScanner.releaseParts(range)
    #expect(parts == [5..<(5 + step), (5 + step)..<(5 + 2 * step), (5 + 2 * step)..<range.upperBound])
    #expect(CSVScanner.releaseParts(3..<3).isEmpty)
  }

  @Test func recordAtAnOffsetIsReadAloneAndNoFurther() {
    // The second record spans two lines; after the third, the rest of the file is
    // broken (an unclosed quote), which only a parse past the asked-for record meets.
    let text = "a,b\n\"x\ny\",2\nlast,3\n\"never closed," + String(repeating: "z", count: 5000)
    let bytes = Array(text.utf8)
    bytes.withUnsafeBytes { buffer in
      var calls = 0
      let second = CSVScanner.record(buffer, at: 4, path: "t.csv") { record -> [String] in
        calls += 1
        return [record.rawString, record.string(0), record.string(1), String(record.line)]
      }
      #expect(second == ["\"x\ny\",2", "x\ny", "2", "1"])
      #expect(calls == 1)
      let third = CSVScanner.record(buffer, at: 12, path: "t.csv") { $0.rawString }
      #expect(third == "last,3")
      #expect(CSVScanner.record(buffer, at: bytes.count, path: "t.csv") { $0.rawString } == nil)
    }
  }
}

/// A record's raw bytes found without libcsv (a line with no quote) are the bytes
/// `record(at:)` gives, at every record start: plain lines, CRLF, a lone CR inside a
/// line, quoted line breaks, blank lines before a record and the last line unended.
@Test func rawRecordsAreTheRecordsRawBytes() {
  let text = "a,b\r\nplain,1\r\n\"x\ny\",2\nq,\"c,d\"\none\rtwo,3\n\n  \nafter,blank\nlast,4"
  let bytes = Array(text.utf8)
  bytes.withUnsafeBytes { buffer in
    var starts: [Int] = []
    _ = try? CSVScanner.scan(buffer, path: "t.csv") { starts.append($0.offset) }
    #expect(starts.count == 8)
    for start in starts + [bytes.count - 3, bytes.count] {
      let fast = CSVScanner.withRawRecord(buffer, at: start, path: "t.csv") { Array($0) }
      let parsed = CSVScanner.record(buffer, at: start, path: "t.csv") { Array($0.raw) }
      #expect(fast == parsed, "at \(start)")
    }
  }
}

/// One reader reads every record back as a new parser does, in any order, and after a
/// read cut at the record limit inside a quoted field, an unclosed quote at the end or
/// nothing found: each read starts from a parser in its first state.
@Test func aReaderReadsEveryRecordAsANewParserDoes() {
  let long = String(repeating: "y", count: CSVScanner.recordLimit + 10)
  let plain =
    "a,b\r\nplain,1\r\n\"x\ny\",2\nq,\"c,d\"\none\rtwo,3\n\n  \n x , y \n\"q\" ,z\nlong,\"\(long)\"\nafter,long\n"
  // Past the record limit over many lines: the read stops inside the quotes.
  let tooLong = "multi,\"" + String(repeating: String(repeating: "y", count: 999) + "\n", count: 1100) + "\"\n"
  let text = plain + tooLong + "\"open,4"
  let bytes = Array(text.utf8)
  bytes.withUnsafeBytes { buffer in
    var starts: [Int] = []
    _ = try? CSVScanner.scan(buffer, path: "t.csv") { starts.append($0.offset) }
    #expect(starts.count == 10)
    let cut = plain.utf8.count
    let asked = starts + [cut, bytes.count - 7, cut, bytes.count - 2, bytes.count, -1] + starts.reversed()
    let reader = CSVScanner.RecordReader()
    func fields(_ record: CSVRecord) -> [String] {
      [record.rawString, String(record.line), String(record.isUnterminated)]
        + (0..<record.fieldCount).map { record.string($0) }
    }
    #expect(CSVScanner.record(buffer, at: cut, path: "t.csv") { $0.isUnterminated } == true)
    for start in asked {
      let reused = reader.record(buffer, at: start, path: "t.csv", fields)
      let fresh = CSVScanner.record(buffer, at: start, path: "t.csv", fields)
      #expect(reused == fresh, "at \(start)")
      var called = 0
      let found = reader.withRecord(buffer, at: start, path: "t.csv") { _ in called += 1 }
      #expect(found == (fresh != nil) && called == (found ? 1 : 0), "at \(start)")
    }
  }
}

/// A line longer than the record limit is cut where `record(at:)` cuts it.
@Test func aRawRecordStopsAtTheRecordLimit() {
  let bytes = Array(("a,b\nx," + String(repeating: "y", count: CSVScanner.recordLimit + 10) + "\nz,1\n").utf8)
  bytes.withUnsafeBytes { buffer in
    let fast = CSVScanner.withRawRecord(buffer, at: 4, path: "t.csv") { $0.count }
    let parsed = CSVScanner.record(buffer, at: 4, path: "t.csv") { $0.raw.count }
    #expect(fast == parsed)
    #expect(fast == CSVScanner.recordLimit)
  }
}

/// The short-field copy moves exactly `count` bytes, for every length class and
/// misaligned source and target, and writes nothing past the end.
@Test func fieldCopyMovesExactlyTheBytes() {
  let source = (0..<80).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
  for count in 0...70 {
    for shift in 0..<3 {
      var target = [UInt8](repeating: 0xEE, count: 80)
      source.withUnsafeBytes { from in
        target.withUnsafeMutableBytes { to in
          FieldBytes.copy(from.baseAddress! + shift, to: to.baseAddress! + 1, count: count)
        }
      }
      #expect(Array(target[1..<(1 + count)]) == Array(source[shift..<(shift + count)]), "count \(count)")
      #expect(target[0] == 0xEE && target[(1 + count)...].allSatisfy { $0 == 0xEE }, "count \(count)")
    }
  }
}

/// Fields of every length around the whole-word copy's 32 bytes, plain and quoted, come
/// out exact, and a short field after a long one shows none of the long one's bytes.
@Test func fieldsOfEveryLengthAroundTheWordCopyAreExact() throws {
  let lengths = Array(0...40) + Array((0...40).reversed())
  let fields = lengths.enumerated().map { k, n in
    String((0..<n).map { Character(UnicodeScalar(UInt8(97 + (k + $0) % 26))) })
  }
  let quoted = fields.map {
    "\"" + $0.split(separator: "c", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
  }
  let text = fields.joined(separator: ",") + "\n" + quoted.joined(separator: ",") + "\nx,,y\n"
  let r = try records(text)
  #expect(r.count == 3)
  #expect(r[0].fields == fields)
  #expect(
    r[1].fields == fields.map { $0.split(separator: "c", omittingEmptySubsequences: false).joined(separator: "\"") })
  #expect(r[2].fields == ["x", "", "y"])
}
