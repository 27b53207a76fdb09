import CSVStream
import TestScratch
import Testing

@testable import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

private let header =
  "order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time,phone_hash,email_hash\n"
private let asOf = Day("2026-10-31")!

private func ingest(_ body: String, limit: Double = 1) throws(LoyaltyError) -> IngestResult {
  var config = InputConfig()
  config.maxRejectShare = limit
  return try OrderIngest.run(
    paths: [temporaryFile(header + body)], config: config, linkKeys: ["phone_hash", "email_hash"], asOf: asOf)
}

/// Reads `path` on each of `threads` (chunked from any size) and expects every read
/// to stop with an input error (exit 2) whose text holds `message`.
private func expectFileError(_ path: String, threads: [Int], containing message: String) {
  for n in threads {
    do {
      _ = try OrderIngest.run(
        paths: [path], config: InputConfig(), linkKeys: [], asOf: asOf, threads: n, chunkThreshold: 1)
      Issue.record("expected an input error on \(n) threads")
    } catch {
      #expect(error.exitCode == 2)
      #expect(error.description.contains(message), "\(error.description)")
    }
  }
}

@Suite struct OrderIngestTests {
  /// Records after a header ended by a lone CR are read, not skipped with the header's
  /// line (a file of lone CR line ends read 0 records and exited 0), on any number of
  /// threads; each reject quotes its own record.
  @Test func recordsOnTheHeadersLineAreRead() throws {
    let head = "order_id,channel,customer_ref,order_time,amount"
    for text in [
      head + "\ro1,web,u1,2026-01-01,10\ro2,web,u2,2026-01-01,x\r",
      head + "\ro2,web,u2,2026-01-01,x\no1,web,u1,2026-01-01,10\n",
    ] {
      let path = temporaryFile(text)
      var config = InputConfig()
      config.maxRejectShare = 1
      for threads in [1, 2] {
        let result = try OrderIngest.run(
          paths: [path], config: config, linkKeys: [], asOf: asOf, threads: threads, chunkThreshold: 1)
        #expect(result.files.map(\.read) == [2] && result.files.map(\.accepted) == [1])
        #expect(result.rejects.map(\.record) == ["o2,web,u2,2026-01-01,x"])
        #expect(result.rejects.map(\.line) == [1])
      }
    }
  }

  @Test func everyMalformedKindGetsItsCodeAndLine() throws {
    let body = """
      o1,web,u1,2026-01-01,10.00,,,,,
      o2,web,u1,2026-01-01,10.00,,,
      o3,web,,2026-01-01,10.00,,,,,
      o4,web,u1,2026-13-01,10.00,,,,,
      o5,web,u1,2026-01-01,10.005,,,,,
      o6,web,u1,2026-01-01,-3,,,,,
      o7,web,u1,2026-01-01,10,shipped,,,,
      o8,web,u1,2026-01-01,10,partially_refunded,10,,,
      o1,web,u9,2026-01-02,12.00,,,,,
      o9,web,u1,2026-11-01,10,,,,,
      o10,web,u1,2026-01-01,10,paid,2,,,
      o11,web,u1,2026-01-05,10,refunded,,2026-01-01,,
      o12,web,u1,2026-01-05,10,refunded,,not-a-date,,
      o13,app,u1,2026-01-01,10.00,PAID,,,,
      o1,app,u1,2026-01-01,10.00,,,,,

      """
    let r = try ingest(body)
    let codes = r.rejects.map { "\($0.line):\($0.code.rawValue)" }
    #expect(
      codes == [
        "3:column_count", "4:missing_field", "5:bad_date", "6:bad_amount", "7:negative_amount", "8:bad_status",
        "9:bad_refund", "10:duplicate_order", "11:future_order", "12:bad_refund", "13:bad_refund", "14:bad_date",
      ])
    #expect(r.files[0].read == 15)
    #expect(r.files[0].accepted == 3)
    #expect(r.files[0].read == r.files[0].accepted + r.files[0].rejected)
    #expect(r.rejects[0].record == "o2,web,u1,2026-01-01,10.00,,,")
  }

  /// Fields are never trimmed: a space or tab around a date, amount or status makes it
  /// malformed, and a ref or order id with a space is another ref or order.
  @Test func fieldsWithSpacesAreTakenAsTheyStand() throws {
    let r = try ingest(
      """
      o1,web,u1, 2026-10-30,3,,,,,
      o2,web,u1,2026-10-30, 3,,,,,
      o3,web,u1,2026-10-30,3, paid,,,,
      o4,web,u1,2026-10-30,3,refunded\t,,,,
      o5,web,u1,2026-10-30,3,,,,,
      o5 ,web,u1,2026-10-30,4,,,,,
      o6,web, u1,2026-10-30,5,,,,,

      """)
    #expect(
      r.rejects.map { "\($0.line):\($0.code.rawValue)" } == [
        "2:bad_date", "3:bad_amount", "4:bad_status", "5:bad_status",
      ])
    #expect(r.orders.amount == [300, 400, 500])
    #expect((0..<Int32(r.orders.refs.count)).map { r.orders.refParts($0).customerRef } == ["u1", " u1"])
  }

  @Test func duplicateOrderKeepsFirst() throws {
    let r = try ingest("a,web,u1,2026-01-01,1,,,,,\na,web,u2,2026-01-02,2,,,,,\na,app,u2,2026-01-02,3,,,,,\n")
    #expect(r.orders.amount == [100, 300])
    #expect(r.rejects.map(\.line) == [3])
  }

  @Test func duplicatesAcrossFilesKeepTheFirstFile() throws {
    let a = temporaryFile(header + "x,web,u1,2026-01-01,1,,,,,\n")
    let b = temporaryFile(header + "x,web,u1,2026-01-01,2,,,,,\ny,web,u1,2026-01-01,3,,,,,\n")
    var config = InputConfig()
    config.maxRejectShare = 1
    let r = try OrderIngest.run(paths: [a, b], config: config, linkKeys: [], asOf: asOf)
    #expect(r.orders.amount == [100, 300])
    #expect(r.rejects.first?.file == b)
  }

  @Test func quotedRecordsSpanningLinesAreAccepted() throws {
    let r = try ingest("\"o,1\",web,\"u\n1\",2026-01-01,5,,,,,\no2,web,u2,2026-01-01,5,,,,,\nbad\n")
    #expect(r.orders.count == 2)
    #expect(r.rejects.map(\.line) == [5])
  }

  @Test func rejectShareOverTheLimitStopsWithExit3() throws {
    do {
      _ = try ingest("o1,web,u1,2026-01-01,1,,,,,\no2,web,u1,nope,1,,,,,\n", limit: 0.05)
      Issue.record("expected a data-quality stop")
    } catch {
      #expect(error.exitCode == 3)
    }
  }

  /// An export whose every record is malformed stops as soon as the stop is certain
  /// (the chunk's rejects alone are more than the limit of the most records the files
  /// hold), not after holding every reject; the sentence says how sure it is. With a
  /// later file of good orders the stop is not certain and the run reads on; a limit
  /// of 1 never stops.
  @Test(arguments: [1, 3]) func aStopThatIsCertainComesBeforeTheEnd(threads: Int) throws {
    let head = "order_id,channel,customer_ref,order_time,amount\n"
    var bad = head
    for k in 0..<2000 { bad += "o\(k),web,u\(k),2026-01-01,1.00,extra\n" }
    let badPath = temporaryFile(bad)
    var config = InputConfig()
    config.maxRejectShare = 0.05
    do {
      _ = try OrderIngest.run(
        paths: [badPath], config: config, linkKeys: [], asOf: asOf, threads: threads, chunkThreshold: 1,
        stopCheckEvery: 16)
      Issue.record("expected a data-quality stop")
    } catch {
      #expect(error.exitCode == 3)
      // 2,001 line feeds and one for the file: 112 rejects are the first count of 16
      // over 5% of them.
      #expect(
        error.description.hasPrefix(
          "At least 112 of at most 2002 order records (5.5% or more) are rejected, over the limit of 5.0% (max_reject_share), so the run stopped before reading them all; most common so far: column_count 112. First: \(badPath) line "
        ), "\(error.description)")
    }
    var good = head
    for k in 0..<60_000 { good += "g\(k),app,a\(k % 7000),2026-0\(k % 9 + 1)-15,\(k % 90 + 1).50\n" }
    let r = try OrderIngest.run(
      paths: [badPath, temporaryFile(good, name: "good.csv")], config: config, linkKeys: [], asOf: asOf,
      threads: threads, chunkThreshold: 1, stopCheckEvery: 16)
    #expect(r.recordsRejected == 2000 && r.recordsRead == 62_000)
    config.maxRejectShare = 1
    let all = try OrderIngest.run(
      paths: [badPath], config: config, linkKeys: [], asOf: asOf, threads: threads, chunkThreshold: 1,
      stopCheckEvery: 16)
    #expect(all.rejects.count == 2000)
  }

  @Test func futureOrdersDoNotCountTowardsTheStop() throws {
    let r = try ingest("o1,web,u1,2026-01-01,1,,,,,\no2,web,u1,2027-01-01,1,,,,,\n", limit: 0.05)
    #expect(r.files[0].byCode[.futureOrder] == 1)
  }

  /// Amounts that add up past what a run's Int64 totals hold stop the run with a
  /// sentence (exit 2) naming the file, instead of overflowing a later sum.
  @Test func amountsPastTheRunLimitStopWithExit2() throws {
    let row = { (i: Int) in "o\(i),web,u\(i),2026-01-01,999999999999999.99,,,,,\n" }
    let fits = try ingest((0..<46).map(row).joined())
    #expect(fits.orders.count == 46)
    let path = temporaryFile(header + (0..<47).map(row).joined())
    expectFileError(
      path, threads: [1, 2],
      containing: "\(path): the accepted orders' amounts add up to more than 46116860184273879.03")
  }

  @Test func missingColumnIsOneSentenceWithExit2() throws {
    let path = temporaryFile("order_id,channel,customer_ref,order_time\n1,web,u,2026-01-01\n")
    do {
      _ = try OrderIngest.run(paths: [path], config: InputConfig(), linkKeys: [], asOf: asOf)
      Issue.record("expected an input error")
    } catch {
      #expect(error.exitCode == 2)
      #expect(error.description.contains("'amount'"))
      #expect(error.description.contains(path))
    }
  }

  @Test func missingEmptyAndNonUTF8FilesExit2() throws {
    for path in [
      "/nonexistent/orders.csv", temporaryFile(""), temporaryFile(bytes: Array(header.utf8) + [0xC3, 0x28, 10]),
    ] {
      do {
        _ = try OrderIngest.run(paths: [path], config: InputConfig(), linkKeys: [], asOf: asOf)
        Issue.record("expected an input error for \(path)")
      } catch {
        #expect(error.exitCode == 2)
        #expect(error.description.contains(path))
      }
    }
  }

  @Test func headerOnlyIsZeroRecords() throws {
    let r = try ingest("")
    #expect(r.files[0].read == 0)
  }

  @Test func blankLinesBeforeTheHeaderAreSkipped() throws {
    for lead in ["\n", "\r\n  \n", "\u{FEFF}\n\t\n"] {
      let path = temporaryFile(lead + header + "o1,web,u1,2026-01-01,10.00,,,,,\no2,web,u1,2026-13-01,1,,,,,\n")
      var config = InputConfig()
      config.maxRejectShare = 1
      let r = try OrderIngest.run(paths: [path], config: config, linkKeys: [], asOf: asOf, threads: 1)
      #expect(r.orders.count == 1)
      let blankLines = lead.count { $0 == "\n" || $0 == "\r\n" }
      #expect(r.rejects.map(\.line) == [blankLines + 3])
    }
  }

  @Test func mappedColumnNamesAreUsed() throws {
    var config = InputConfig()
    config.columns.amount = "total"
    let path = temporaryFile("order_id,channel,customer_ref,order_time,total\n1,web,u,2026-01-01,3.5\n")
    let r = try OrderIngest.run(paths: [path], config: config, linkKeys: [], asOf: asOf)
    #expect(r.orders.amount == [350])
  }

  @Test func aRejectFoundAfterTheScanQuotesItsWholeRecord() throws {
    // A two-byte character begins 1 MiB - 1 bytes after the future order: a re-read of
    // the next megabyte would end inside it (and once quoted nothing).
    let future = "o1,web,u1,2026-12-01,10.00\n"
    let prefix = "o2,web,"
    let pad = (1 << 20) - 1 - future.utf8.count - prefix.utf8.count
    let text =
      "order_id,channel,customer_ref,order_time,amount\n" + future + prefix + String(repeating: "a", count: pad)
      + "\u{E9},2026-01-01,1.00\n"
    let r = try OrderIngest.run(paths: [temporaryFile(text)], config: InputConfig(), linkKeys: [], asOf: asOf)
    #expect(r.rejects.map(\.record) == ["o1,web,u1,2026-12-01,10.00"])
    #expect(r.rejects.map(\.code) == [.futureOrder])
  }

  @Test func aRejectListKeepsEveryRejectAsItWasAdded() {
    let given = [
      Reject(file: "a.csv", line: 9, code: .futureOrder, reason: "late", record: "o9,web,u,2027-01-01,1"),
      Reject(
        file: "b.csv", line: 2, code: .badDate, reason: "order_time 'x' is not a date", record: "o2,\"w,eb\",u,x,1"),
      Reject(file: "a.csv", line: 4, code: .duplicateOrder, reason: "Zoë 张, again", record: ""),
    ]
    var list = RejectList(given)
    #expect(Array(list) == given)
    #expect(list.map(\.code) == given.map(\.code))
    list.withCells(1) { file, line, code, reason, record in
      #expect(file == "b.csv" && line == 2 && code == .badDate)
      #expect(String(decoding: reason, as: UTF8.self) == given[1].reason)
      #expect(String(decoding: record, as: UTF8.self) == given[1].record)
    }
    // Joined lists map their files onto one another's.
    var joined = RejectList([given[1]])
    joined.append(contentsOf: list)
    #expect(Array(joined) == [given[1]] + given)
    var empty = RejectList()
    empty.append(contentsOf: list)
    #expect(empty == list)
    // By line, equal lines in the order added; then moved on.
    list.append(Reject(file: "a.csv", line: 4, code: .futureOrder, reason: "second at 4", record: "r"))
    list.sortByLine()
    #expect(list.map(\.line) == [2, 4, 4, 9])
    #expect(list.map(\.reason)[1...2] == ["Zoë 张, again", "second at 4"])
    list.shiftLines(by: 10)
    #expect(list.map(\.line) == [12, 14, 14, 19])
    #expect(list != RejectList(given))
  }

  /// A future order's or a later copy's reason and record are not held but read back
  /// from its file when the reject is read: the rows are the ones the records, dates,
  /// order ids and channels give, in line order among the scan's rejects, over two
  /// files (the second a different layout) and in one chunk or several; they read the
  /// same after their pages are given back; a file written since is named.
  @Test(arguments: [1, 3]) func futureOrdersAndLaterCopiesAreReadBackFromTheirFile(threads: Int) throws {
    let head = "order_id,channel,customer_ref,order_time,amount\n"
    var first = head
    var expected: [(line: Int, code: RejectCode, record: String)] = []
    for k in 0..<30 {
      // Adds record k (its line k + 2), and the reject it makes, if any.
      func add(_ record: String, _ code: RejectCode? = nil, end: String = "\n") {
        first += record + end
        if let code { expected.append((k + 2, code, record)) }
      }
      switch k % 5 {
      case 0: add("f\(k),web,u\(k),2026-12-0\(k % 9 + 1),10.00", .futureOrder)
      case 1: add("b\(k),web,u\(k),2026-13-01,10.00", .badDate)
      case 2: add("q\(k),\"we,b\",\"u\(k)\",2027-01-0\(k % 9 + 1)T08:00:00,1.50", .futureOrder, end: "\r\n")
      // A later copy of the quoted future order two rows up.
      case 4: add("\"q\(k - 2)\",\"we,b\",other,2026-01-01,2.00", .duplicateOrder)
      default: add("o\(k),web,u\(k),2026-0\(k % 9 + 1)-15,10.00")
      }
    }
    let second =
      "channel,order_time,amount,customer_ref,order_id\napp,2026-10-31,5.00,a1,s1\napp,2026-11-01,5.00,a2,s2\n"
      + "app,2026-10-01,5.00,a3,s1\n"
    let paths = [temporaryFile(first), temporaryFile(second, name: "later.csv")]
    var config = InputConfig()
    config.maxRejectShare = 1
    let r = try OrderIngest.run(
      paths: paths, config: config, linkKeys: [], asOf: asOf, threads: threads, chunkThreshold: 1)
    let rows = r.rejects.map { ($0.file, $0.line, $0.code, $0.record) }
    let want =
      expected.map { (paths[0], $0.line, $0.code, $0.record) } + [
        (paths[1], 3, .futureOrder, "app,2026-11-01,5.00,a2,s2"),
        (paths[1], 4, .duplicateOrder, "app,2026-10-01,5.00,a3,s1"),
      ]
    #expect(rows.count == want.count)
    for (got, wanted) in zip(rows, want) { #expect(got == wanted) }
    let futureDates = r.rejects.filter { $0.code == .futureOrder }.map(\.record).map { record in
      let fields = record.split(separator: ",")
      return String((fields[0] == "app" ? fields[1] : fields.reversed()[1]).prefix(10))
    }
    #expect(
      r.rejects.filter { $0.code == .futureOrder }.map(\.reason)
        == futureDates.map { "The order date \($0) is after the as-of date 2026-10-31." })
    #expect(
      r.rejects.filter { $0.code == .duplicateOrder }.map(\.reason)
        == [4, 9, 14, 19, 24, 29].map { "Order 'q\($0 - 2)' on channel 'we,b' appeared earlier; the first is kept." }
        + ["Order 's1' on channel 'app' appeared earlier; the first is kept."])
    let before = Array(r.rejects)
    r.rejects.releaseRecords(0..<r.rejects.count)
    #expect(Array(r.rejects) == before)
    #expect(r.rejects.changedSources().isEmpty)
    let file = fopen(paths[1], "ab")!
    fputs("s3,app,a3,2026-01-01,5.00\n", file)
    fclose(file)
    #expect(r.rejects.changedSources() == [paths[1]])
  }

  /// Pages given back block by block, as rejects.csv's blocks do, while the rows are
  /// read: every record reads the same after its pages went (a file of many pages,
  /// future orders all through it).
  @Test func futureOrdersReadTheSameAfterTheirPagesGo() throws {
    var text = "order_id,channel,customer_ref,order_time,amount\n"
    for k in 0..<6000 {
      let day = k % 3 == 0 ? "2026-11-\(10 + k % 19)" : "2026-0\(k % 9 + 1)-15"
      text += "o\(k),web,customer-with-a-long-reference-\(k),\(day)T10:00:00,\(k % 500).25\n"
    }
    let path = temporaryFile(text)
    let r = try OrderIngest.run(paths: [path], config: InputConfig(), linkKeys: [], asOf: asOf)
    let rejects = r.rejects
    #expect(rejects.count == 2000 && text.utf8.count > 16 * 4096)
    let before = Array(rejects)
    for from in stride(from: 0, to: rejects.count, by: 7) {
      let block = from..<min(rejects.count, from + 7)
      rejects.releaseRecords(block)
      #expect(block.map { rejects[$0] } == Array(before[block]))
    }
    #expect(Array(rejects) == before)
    #expect(RejectList(before) == rejects)
    #expect(before[1].record == "o3,web,customer-with-a-long-reference-3,2026-11-13T10:00:00,3.25")
  }

  /// Two reads of one path are two sources (the same path given twice to `--orders`),
  /// each read back from its own mapping, a future order and a later copy each; a
  /// change to the file's modification time alone names the path, once.
  @Test func aPathReadTwiceAndAChangedTimeAreTold() throws {
    let path = temporaryFile("order_id,channel,customer_ref,order_time,amount\nf1,web,u1,2026-12-01,1.00\n")
    let start = "order_id,channel,customer_ref,order_time,amount\n".utf8.count
    var list = RejectList()
    for _ in 0..<2 {
      let file = try MappedFile(path: path)
      let source = RejectList.RecordSource(file: file, asOf: asOf, orderIDColumn: 0, channelColumn: 1)
      let target = list.readBackTarget(file: path, source: source)
      list.appendReadBack(code: .futureOrder, to: target, line: 2, start: start, day: Day("2026-12-01")!)
      list.appendReadBack(code: .duplicateOrder, to: target, line: 2, start: start)
    }
    var joined = RejectList()
    joined.append(contentsOf: list)
    joined.append(contentsOf: list)
    #expect(joined.map(\.record) == Array(repeating: "f1,web,u1,2026-12-01,1.00", count: 8))
    #expect(
      joined.map(\.reason).prefix(2) == [
        "The order date 2026-12-01 is after the as-of date 2026-10-31.",
        "Order 'f1' on channel 'web' appeared earlier; the first is kept.",
      ])
    #expect(joined.changedSources().isEmpty)
    var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    #expect(joined.changedSources() == [path])
    joined.withCells(0, readingFiles: false) { _, _, _, reason, record in
      #expect(record.isEmpty && reason.count > 0)
    }
    joined.withCells(1, readingFiles: false) { _, _, _, reason, record in
      #expect(record.isEmpty)
      #expect(String(decoding: reason, as: UTF8.self) == "Order '' on channel '' appeared earlier; the first is kept.")
    }
  }

  /// A file moved in under the name, or the name deleted, is no change: the records
  /// read back are the ones mapped. A mapping holds no descriptor, so more files than
  /// a process may hold open stay mapped at once.
  @Test func aFileMovedInOrDeletedIsNoChange() throws {
    let text = "order_id,channel,customer_ref,order_time,amount\nf1,web,u1,2026-12-01,1.00\n"
    let path = temporaryFile(text)
    let file = try MappedFile(path: path)
    var list = RejectList()
    list.appendReadBack(
      code: .futureOrder,
      to: list.readBackTarget(
        file: path, source: RejectList.RecordSource(file: file, asOf: asOf, orderIDColumn: 0, channelColumn: 1)),
      line: 2, start: text.utf8.count - "f1,web,u1,2026-12-01,1.00\n".utf8.count, day: Day("2026-12-01")!)
    let other = temporaryFile("something else entirely\n")
    #expect(rename(other, path) == 0)
    #expect(list.changedSources().isEmpty)
    #expect(list.map(\.record) == ["f1,web,u1,2026-12-01,1.00"])
    #expect(unlink(path) == 0)
    #expect(list.changedSources().isEmpty)
    #expect(list.map(\.record) == ["f1,web,u1,2026-12-01,1.00"])
    // Descriptors open in this process (other tests running meanwhile open a few).
    func openDescriptors() -> Int {
      guard let dir = opendir("/proc/self/fd") else { return 0 }
      defer { closedir(dir) }
      var n = 0
      while readdir(dir) != nil { n += 1 }
      return n
    }
    let before = openDescriptors()
    let many = temporaryFile(text)
    let maps = try (0..<1500).map { _ in try MappedFile(path: many) }
    #expect(maps.allSatisfy { $0.bytes.count == text.utf8.count && $0.isUnchanged() })
    #expect(openDescriptors() - before < 100)
  }

  /// A future order's reason, made without a String: four-digit years padded, others
  /// as `Day` writes them.
  @Test func aFutureOrdersReasonIsWrittenInPlace() {
    let reason = RejectList.withFutureReason(
      day: Day(year: 987, month: 3, day: 4)!, asOf: Day(year: 12345, month: 11, day: 30)!
    ) { String(decoding: $0, as: UTF8.self) }
    #expect(reason == "The order date 0987-03-04 is after the as-of date 12345-11-30.")
    let early = RejectList.withFutureReason(
      day: Day(year: 0, month: 1, day: 1)!, asOf: Day(year: -5, month: 2, day: 3)!
    ) {
      String(decoding: $0, as: UTF8.self)
    }
    #expect(early == "The order date 0000-01-01 is after the as-of date \(Day(year: -5, month: 2, day: 3)!).")
  }

  /// A refund keeps to its own order when rows before it are rejected after the scan
  /// (a later copy, an order after as-of), in one chunk or several.
  @Test(arguments: [1, 3]) func refundsFollowTheirRowsPastLaterRejects(threads: Int) throws {
    var lines = ["order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time"]
    for k in 0..<40 {
      switch k % 4 {
      case 0: lines.append("o\(k),web,u\(k),2026-01-01,10,partially_refunded,\(k % 9 + 1),2026-01-02")
      case 1: lines.append("o\(k - 1),web,u\(k),2026-01-01,10,,,")  // a later copy of the order before
      case 2: lines.append("f\(k),web,u\(k),2026-12-01,10,refunded,,")  // after as-of
      default: lines.append("p\(k),web,u\(k),2026-01-01,10,refunded,,2026-01-05")
      }
    }
    var config = InputConfig()
    config.maxRejectShare = 1
    let r = try OrderIngest.run(
      paths: [temporaryFile(lines.joined(separator: "\n") + "\n")], config: config, linkKeys: [],
      asOf: Day("2026-10-31")!, threads: threads, chunkThreshold: 1)
    #expect(r.orders.count == 20)
    // Kept rows: o0, p3, o4, p7, ...: each partially refunded order then a refunded one.
    #expect(r.orders.refunds.row == Array(0..<20))
    let expectedAmounts: [Int64] = (0..<20).map { (j: Int) -> Int64 in
      j % 2 == 0 ? Int64((j * 2) % 9 + 1) * 100 : 1000
    }
    #expect(r.orders.refunds.amount == expectedAmounts)
    let statuses: [OrderStatus] = (0..<20).map { OrderStatus(rawValue: r.orders.status[$0])! }
    let expectedStatuses: [OrderStatus] = (0..<20).map { $0 % 2 == 0 ? .partiallyRefunded : .refunded }
    #expect(statuses == expectedStatuses)
  }

  /// The as-of date ends at midnight in the business zone: an order a millisecond
  /// before is counted, one at midnight is after as-of, whatever the zone.
  @Test(arguments: ["+08:00", "-05:30"]) func asOfEndsAtMidnightInTheBusinessZone(zone: String) throws {
    var config = InputConfig()
    config.businessTimeZone = zone
    config.maxRejectShare = 1
    let r = try OrderIngest.run(
      paths: [
        temporaryFile(
          "order_id,channel,customer_ref,order_time,amount\n" + "a,web,u,2026-10-31T23:59:59.999,1\n"
            + "b,web,u,2026-11-01T00:00:00,1\n" + "c,web,u,2026-10-31T23:59:59.999\(zone),1\n"
            + "d,web,u,2026-11-01T00:00\(zone),1\n" + "e,web,u,1969-12-31,1\n")
      ], config: config, linkKeys: [], asOf: Day("2026-10-31")!)
    #expect(r.orders.count == 3)
    #expect((0..<3).map { r.orders.day($0).description } == ["2026-10-31", "2026-10-31", "1969-12-31"])
    #expect(r.rejects.map(\.line) == [3, 5])
    #expect(r.rejects.allSatisfy { $0.code == .futureOrder && $0.reason.contains("2026-11-01") })
  }

  /// The rank query finds each refund row's place, at word edges and past the end.
  @Test func refundRowIndexFindsEachRowsPlace() {
    for count in [0, 1, 63, 64, 65, 127, 128, 200] {
      let rows = (0..<count).filter { [0, 1, 62, 63, 64, 65, 126, 127, 128, 199].contains($0) || $0 % 7 == 3 }
      let index = RefundRowIndex(rows: rows, count: count)
      for row in 0..<(count + 70) {
        #expect(index.index(ofRow: row) == rows.firstIndex(of: row), "count \(count), row \(row)")
      }
    }
    // A history given no refunds answers for any order.
    let none = HistoryRefunds()
    #expect(none.index(ofPosition: 5) == nil)
  }

  /// Linking key values are interned a batch at a time, apart from their rows: every
  /// accepted row still reads its own values, with absent ones and rejected rows
  /// between them, over several batches of each key, and a value met again keeps its id.
  @Test func everyRowKeepsItsOwnLinkingKeyValues() throws {
    var lines: [String] = []
    var expected: [(phone: String?, email: String?)] = []
    for i in 0..<200 {
      let phone = i % 3 == 0 ? nil : "p\(i % 70)"
      let email = i % 5 == 0 ? nil : "e\(i)"
      let amount = i % 17 == 0 ? "-1" : "10"
      lines.append("o\(i),web,u\(i),2026-01-01,\(amount),,,,\(phone ?? ""),\(email ?? "")")
      if amount != "-1" { expected.append((phone, email)) }
    }
    let r = try ingest(lines.joined(separator: "\n") + "\n")
    #expect(r.orders.count == expected.count)
    func value(_ k: Int, _ row: Int) -> String? {
      let id = r.orders.linkKeyValue[k][row]
      return id < 0 ? nil : r.orders.linkKeys[k].string(id)
    }
    for (row, want) in expected.enumerated() {
      #expect(value(0, row) == want.phone, "row \(row)")
      #expect(value(1, row) == want.email, "row \(row)")
    }
    // Only accepted rows' values are interned, each once.
    #expect(r.orders.linkKeys[0].count == Set(expected.compactMap(\.phone)).count)
    #expect(r.orders.linkKeys[1].count == Set(expected.compactMap(\.email)).count)
  }

  /// The file's first chunk becomes the table with its duplicate and future orders
  /// taken out: the kept rows keep their columns, refunds and linking key values in
  /// order, and a ref that only rejected rows had is no node (the refs are exactly the
  /// kept rows' refs, each with its own channel).
  @Test(arguments: [1, 2, 3]) func theFirstChunkLosesItsRejectedRowsAndTheirOnlyRefs(threads: Int) throws {
    var lines: [String] = []
    var expected: [String] = []
    // In chunks (threads 2 and 3), a later chunk meets again, on a kept row, refs
    // that the first chunk had only on rejected rows.
    for i in 0..<120 {
      let channel = ["web", "app", "jd"][i % 3]
      let ref = i % 7 == 3 ? (i < 60 ? "rejected-first-\(i % 21)" : "only-rejected-\(i)") : "u\(i % 40)"
      let future = (i % 7 == 3 && i < 60) || i % 11 == 5 || ref.hasPrefix("only-rejected")
      let duplicate = i % 13 == 6 && i > 20
      let orderID = duplicate ? "o\(i - 12)" : "o\(i)"
      let day = future ? "2026-11-0\(i % 9 + 1)" : "2026-0\(i % 9 + 1)-1\(i % 10)"
      let status = i % 4 == 0 ? "partially_refunded,1.5" : i % 4 == 1 ? "refunded," : ","
      let phone = i % 2 == 0 ? "p\(i % 9)" : ""
      lines.append("\(orderID),\(channel),\(ref),\(day),10,\(status),,\(phone),")
      if !future && !duplicate {
        let refund = i % 4 == 0 ? 150 : i % 4 == 1 ? 1000 : 0
        expected.append("\(channel) \(ref) \(day) 1000 \(refund) \(phone)")
      }
    }
    // Rows of "rejected-first-" refs after the first half come back as kept rows.
    for i in 0..<21 {
      lines.append("late\(i),\(["web", "app", "jd"][(3 + 7 * i) % 3]),rejected-first-\(i % 21),2026-03-03,10,,,,,")
    }
    for i in 0..<21 {
      expected.append("\(["web", "app", "jd"][(3 + 7 * i) % 3]) rejected-first-\(i % 21) 2026-03-03 1000 0 ")
    }
    var config = InputConfig()
    config.maxRejectShare = 1
    let r = try OrderIngest.run(
      paths: [temporaryFile(header + lines.joined(separator: "\n") + "\n")], config: config,
      linkKeys: ["phone_hash", "email_hash"], asOf: asOf, threads: threads, chunkThreshold: 1)
    let refunds = r.orders.refunds.columns(count: r.orders.count)
    let rows = (0..<r.orders.count).map { i in
      let p = r.orders.refParts(r.orders.ref[i])
      let v = r.orders.linkKeyValue[0][i]
      return "\(p.channel) \(p.customerRef) \(r.orders.day(i)) \(r.orders.amount[i]) \(refunds.amount[i]) "
        + (v < 0 ? "" : r.orders.linkKeys[0].string(v))
    }
    #expect(rows == expected)
    #expect(r.rejects.count == 141 - expected.count)
    #expect(r.rejects.contains { $0.code == .duplicateOrder } && r.rejects.contains { $0.code == .futureOrder })
    let keptRefs = Set(rows.map { $0.split(separator: " ").prefix(2).joined(separator: " ") })
    #expect(r.orders.refs.count == keptRefs.count)
    #expect(Set(r.orders.ref).count == r.orders.refs.count)
    #expect(!(0..<Int32(r.orders.refs.count)).contains { r.orders.refParts($0).customerRef.hasPrefix("only-rejected") })
    // The table's lookups find the kept refs under their ids.
    for i in 0..<r.orders.count {
      let p = r.orders.refParts(r.orders.ref[i])
      var key = ByteBatch()
      var found: [Int32] = []
      var customerRef = p.customerRef
      customerRef.withUTF8 { key.append(channel: r.orders.channels.lookup(p.channel)!, customerRef: .init($0)) }
      r.orders.refs.lookup(key, into: &found)
      #expect(found == [r.orders.ref[i]])
    }
  }

  @Test func refundsAreStoredAsMinorUnits() throws {
    let r = try ingest(
      "o1,web,u1,2026-01-01,10,partially_refunded,2.5,2026-01-03T10:00:00Z,,\no2,web,u1,2026-01-01,10,refunded,,,,\no3,web,u1,2026-01-01,10,cancelled,99,junk,,\n"
    )
    // Only the refunded and partially refunded orders are held, by row.
    #expect(r.orders.refunds.row == [0, 1])
    #expect(r.orders.refunds.amount == [250, 1000])
    let columns = r.orders.refunds.columns(count: r.orders.count)
    #expect(columns.amount == [250, 1000, 0])
    #expect(columns.millis[0] != MemberHistory.noRefund)
    #expect(columns.millis[1...] == [MemberHistory.noRefund, MemberHistory.noRefund])
    #expect(r.rejects.isEmpty)
  }
}

@Suite struct ParallelIngestTests {
  func snapshot(_ r: IngestResult) -> [String] {
    var rows = r.rejects.map { "\($0.line) \($0.code.rawValue) \($0.reason) \($0.record)" }
    let refunds = r.orders.refunds.columns(count: r.orders.count)
    for i in 0..<r.orders.count {
      let p = r.orders.refParts(r.orders.ref[i])
      rows.append(
        "\(p.channel) \(p.customerRef) \(r.orders.day(i)) \(r.orders.amount[i]) \(refunds.amount[i]) \(refunds.millis[i]) \(r.orders.status[i]) "
          + r.orders.linkKeyValue.enumerated().map { k, v in v[i] < 0 ? "-" : r.orders.linkKeys[k].string(v[i]) }
          .joined())
    }
    return rows + r.files.map { "\($0.read) \($0.accepted) \($0.rejected)" }
  }

  @Test(arguments: [2, 3]) func aLaterChunkNeverBecomesTheTable(threads: Int) throws {
    // In three chunks the first accepts nothing, so the table is still empty when the
    // second arrives: the second must be merged, not moved in (its lookup table is
    // gone). A second copy of the file then merges into that table, and identity looks
    // the refs up.
    let bad = (0..<12).map { "o\($0),web,u\($0),not-a-date,1" }
    let good = (12..<30).map { "o\($0),web,u\($0 % 9),2026-01-0\($0 % 9 + 1),1" }
    let path = temporaryFile(
      "order_id,channel,customer_ref,order_time,amount\n" + (bad + good).joined(separator: "\n") + "\n")
    var config = InputConfig()
    config.maxRejectShare = 1
    let asOf = Day("2026-10-31")!
    let one = try OrderIngest.run(
      paths: [path, path], config: config, linkKeys: [], asOf: asOf, threads: 1, chunkThreshold: 1)
    let many = try OrderIngest.run(
      paths: [path, path], config: config, linkKeys: [], asOf: asOf, threads: threads, chunkThreshold: 1)
    #expect(snapshot(many) == snapshot(one))
    #expect(many.orders.count == 18)
    let identity = IdentityResolution.run(
      orders: many.orders, idMap: IdMap(), linkKeys: [], maxRefsPerKey: 20, threads: threads)
    #expect(identity.memberCount == 9)
  }

  @Test(arguments: [2, 3, 7]) func chunkedReadingEqualsOneThread(threads: Int) throws {
    let export = generatedExport(orders: 4000, seed: 5)
    // Quoted line breaks spread through the file, so some chunk boundaries fall inside quotes.
    var lines = export.orders.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for i in stride(from: 7, to: lines.count - 1, by: 97) {
      lines[i] = lines[i].replacing(",web,", with: ",\"w\neb\",")
    }
    let path = temporaryFile(lines.joined(separator: "\n"))
    var config = InputConfig()
    config.maxRejectShare = 1
    let asOf = Day("2026-10-31")!
    let one = try OrderIngest.run(
      paths: [path], config: config, linkKeys: ["phone_hash", "email_hash"], asOf: asOf, threads: 1, chunkThreshold: 1)
    let many = try OrderIngest.run(
      paths: [path], config: config, linkKeys: ["phone_hash", "email_hash"], asOf: asOf, threads: threads,
      chunkThreshold: 1)
    #expect(snapshot(one) == snapshot(many))
    #expect(one.files[0].read == 4000)
  }

  @Test func chunkedReadingKeepsLineNumbersAndDuplicates() throws {
    let export = generatedExport(orders: 3000, seed: 9)
    let path = temporaryFile(export.orders)
    var config = InputConfig()
    config.maxRejectShare = 1
    let one = try OrderIngest.run(
      paths: [path], config: config, linkKeys: [], asOf: Day("2026-10-31")!, threads: 1, chunkThreshold: 1 << 30)
    let many = try OrderIngest.run(
      paths: [path], config: config, linkKeys: [], asOf: Day("2026-10-31")!, threads: 4, chunkThreshold: 1)
    #expect(one.rejects == many.rejects)
    #expect(one.rejects.contains { $0.code == .duplicateOrder })
    #expect(one.orders.amount == many.orders.amount)
    #expect(one.orders.refunds == many.orders.refunds)
    #expect(one.orders.refunds.count > 0)
  }

  @Test(arguments: [2, 3]) func aFileErrorInALaterChunkNamesItsLineInTheFile(threads: Int) throws {
    let export = generatedExport(orders: 3000, seed: 4)
    var lines = export.orders.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
    // A quoted line break early on, so that the lines are not the records.
    lines[3] = Array(String(decoding: lines[3], as: UTF8.self).replacing(",web,", with: ",\"w\neb\",").utf8)
    let target = lines.count * 9 / 10
    lines[target] += [0xFF]
    let path = temporaryFile(bytes: Array(lines.joined(separator: [0x0A])))
    let expected = 1 + target + lines[..<target].reduce(0) { total, line in total + line.count(where: { $0 == 0x0A }) }
    expectFileError(path, threads: [1, threads], containing: "line \(expected): the file is not UTF-8")
  }

  /// Blank lines at the start of a file (a byte each) do not make the columns' size a
  /// record per byte: the estimate stops at records of the shortest accepted order
  /// (`1,w,u,2026-01-01,1` and a line feed, 19 bytes), and such a file reads as usual.
  @Test(arguments: [1, 2]) func blankLinesAtTheStartDoNotSizeTheColumnsForAByteARecord(threads: Int) throws {
    let rows = (0..<2000).map { "o\($0),web,u\($0 % 7),2026-01-01,1.00,paid,,,,\n" }.joined()
    let text = header + String(repeating: "\n", count: 70_000) + rows
    let bytes = Array(text.utf8)
    let range = header.utf8.count..<bytes.count
    let estimate = bytes.withUnsafeBytes {
      IngestState.estimatedRecords($0, range, shortest: IngestState.shortestOrder)
    }
    #expect(IngestState.shortestOrder == "1,w,u,2026-01-01,1\n".utf8.count)
    #expect(estimate <= range.count / IngestState.shortestOrder + 16)
    #expect(estimate >= 2000)
    let result = try OrderIngest.run(
      paths: [temporaryFile(text)], config: InputConfig(), linkKeys: [], asOf: asOf, threads: threads,
      chunkThreshold: 1)
    #expect(result.orders.count == 2000)
    #expect(result.recordsRejected == 0)
  }

  /// Filler order lines, `bytes` long in all (the last one padded to fit exactly).
  func filler(_ bytes: Int, from first: Int) -> String {
    var text = ""
    var k = first
    while bytes - text.utf8.count > 80 {
      text += "f\(k),web,u\(k % 50),2026-01-01,1\n"
      k += 1
    }
    let tail = "f\(k),web,u,2026-01-01,1\n"
    let pad = bytes - text.utf8.count - tail.utf8.count
    return text + "f\(k),web,u" + String(repeating: "x", count: pad) + ",2026-01-01,1\n"
  }

  @Test func aChunkBoundaryInsideAQuotedFieldIsNotAnError() throws {
    // The first line feed after the middle of the file is the one inside the quotes of
    // "web\n", so the second chunk begins with the closing quote and, read alone,
    // would run past the record limit with a quote never closed.
    let head = "order_id,channel,customer_ref,order_time,amount\n"
    let quoted = "q1,\"web\n\",u1,2026-01-01,1\n"
    let after = filler((1 << 20) + 100_000, from: 0)
    let before = filler(quoted.utf8.count + after.utf8.count - 2, from: 100_000)
    let path = temporaryFile(head + before + quoted + after)
    var config = InputConfig()
    config.maxRejectShare = 1
    let one = try OrderIngest.run(
      paths: [path], config: config, linkKeys: [], asOf: asOf, threads: 1, chunkThreshold: 1 << 30)
    let two = try OrderIngest.run(
      paths: [path], config: config, linkKeys: [], asOf: asOf, threads: 2, chunkThreshold: 1)
    #expect(two.orders.count == one.orders.count)
    #expect(
      two.orders.refParts(two.orders.ref[two.orders.count - 1]).customerRef
        == one.orders.refParts(one.orders.ref[one.orders.count - 1]).customerRef)
    #expect(one.rejects.isEmpty && two.rejects.isEmpty)
  }

  @Test func anUnclosedQuoteInALaterChunkNamesItsLineInTheFile() throws {
    let head = "order_id,channel,customer_ref,order_time,amount\n"
    let first = filler(3 << 20, from: 0)
    let open = "o9,\"web,u9,2026-01-01,1\n"
    let path = temporaryFile(
      head + first + "x1,\"w\neb\",u,2026-01-01,1\n" + filler(100_000, from: 200_000) + open
        + filler((1 << 20) + 100_000, from: 300_000))
    let text = head + first + "x1,\"w\neb\",u,2026-01-01,1\n" + filler(100_000, from: 200_000)
    let expected = text.utf8.count { $0 == 0x0A } + 1
    expectFileError(path, threads: [1, 2], containing: "line \(expected): a record starting here runs past")
  }

  @Test func bytesThatAreNotUTF8WinOverABrokenRecordInAnEarlierChunk() throws {
    // A quote opened early in the first chunk runs past the record limit; the second
    // chunk holds a byte that is not UTF-8. One chunk or two, the bad byte is named.
    let head = "order_id,channel,customer_ref,order_time,amount\n"
    let first = "o1,\"web,u1,2026-01-01,1\n" + filler((1 << 20) + 100_000, from: 0)
    let second = filler(1 << 20, from: 500_000)
    var bytes = Array((head + first + second).utf8)
    let badLine = (head + first + second).utf8.count { $0 == 0x0A } - 3
    // The byte goes at the start of the fourth line from the end.
    var seen = 0
    var at = bytes.count - 1
    while seen < 4 {
      at -= 1
      if bytes[at] == 0x0A { seen += 1 }
    }
    bytes.insert(0xFF, at: at + 1)
    let path = temporaryFile(bytes: bytes)
    expectFileError(path, threads: [1, 2], containing: "line \(badLine): the file is not UTF-8")
  }

  /// Region sizes: the one the expected keys give, and ones so small that most keys
  /// overflow their partition's region.
  @Test(arguments: [1, 2, 3], [nil, 1, 3] as [Int?])
  func orderKeysFirstCopyWinsAcrossListsAndCalls(threads: Int, regionCapacity: Int?) {
    var rng = SplitMix64(seed: 8)
    // Keys drawn from a small pool, so that repeats fall within a list, across lists
    // and across calls; the first of each in list order is the new one.
    let pool = (0..<5000).map { _ in (rng.next() | 1, rng.next()) }
    let lists = (0..<3).map { _ in
      let picks = (0..<4000).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
      return (a: picks.map(\.0), b: picks.map(\.1))
    }
    func buckets(_ chosen: [(a: [UInt64], b: [UInt64])]) -> [OrderKeyBuckets] {
      chosen.map { list in
        let keys = OrderKeyBuckets(expectedKeys: list.a.count, regionCapacity: regionCapacity)
        for (a, b) in zip(list.a, list.b) { keys.add(a, b) }
        return keys
      }
    }
    var set = PartitionedKeySet()
    var firstLists = buckets(Array(lists[0..<2]))
    var lastList = buckets([lists[2]])
    let first = set.insert(taking: &firstLists, threads: threads)
    // The last call keeps nothing: partitions the first call left empty are filled in
    // a worker's table used again, the others in their own.
    let second = set.insert(taking: &lastList, threads: threads, keeping: false)
    #expect(firstLists.isEmpty && lastList.isEmpty)
    var seen = Set<[UInt64]>()
    let expected = lists.map { list in zip(list.a, list.b).map { seen.insert([$0, $1]).inserted } }
    #expect(first + second == expected)
    // A call that keeps nothing leaves the set empty: every key is new again.
    var again = buckets([lists[0]])
    #expect(
      set.insert(taking: &again, threads: threads).flatMap { $0 }.filter { !$0 }.count == duplicatesWithin(lists[0]))
    // All lists in one call that keeps nothing: every partition in a worker's table.
    var all = buckets(lists)
    var fresh = PartitionedKeySet()
    #expect(fresh.insert(taking: &all, threads: threads, keeping: false) == expected)
    // One key again and again (an export whose order_id never changes): all in one
    // partition, most past its region; only the first copy is new.
    var same = buckets([
      (a: [UInt64](repeating: pool[0].0, count: 3000), b: [UInt64](repeating: pool[0].1, count: 3000))
    ])
    var one = PartitionedKeySet()
    #expect(one.insert(taking: &same, threads: threads) == [[true] + [Bool](repeating: false, count: 2999)])
  }

  /// A buffer below the threshold comes from the heap, one at or above it is mapped;
  /// either holds what is written to its last element and is given back as it came.
  @Test(arguments: [1, PageBuffer<UInt64>.threshold / 8 - 1, PageBuffer<UInt64>.threshold / 8, 300_000])
  func pageBufferComesFromTheHeapOrItsOwnPages(count: Int) {
    let buffer = PageBuffer<UInt64>(count: count)
    #expect((buffer.mappedBytes > 0) == (count * 8 >= PageBuffer<UInt64>.threshold))
    (buffer.base + count - 1).initialize(to: 0xDEAD_BEEF)
    buffer.base.initialize(to: 7)
    #expect(buffer.base[0] == 7 && buffer.base[count - 1] == (count == 1 ? 7 : 0xDEAD_BEEF))
    buffer.free()
  }

  /// Keys repeated within one list (all but the first copy of each).
  func duplicatesWithin(_ list: (a: [UInt64], b: [UInt64])) -> Int {
    list.a.count - Set(zip(list.a, list.b).map { [$0, $1] }).count
  }

  /// An emptied key table takes every key again as new, as often as it is emptied, at
  /// the size it kept (a worker's table is emptied for each partition it fills).
  @Test func keyHashSetEmptiedTakesItsKeysAgain() {
    var set = KeyHashSet()
    let keys = (1...5000).map { (UInt64($0) << 20 | 1, UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
    for _ in 0..<3 {
      #expect(set.isEmpty)
      #expect(keys.allSatisfy { set.insert($0) })
      #expect(keys.prefix(100).allSatisfy { !set.insert($0) })
      #expect(!set.isEmpty)
      set.removeAll()
    }
  }

  /// A pipe, a device or a folder given as an input is named as such (exit 2), without
  /// waiting for a writer: a pipe mapped as empty ("the file is empty") and an input is
  /// read more than once.
  @Test func aPipeOrADeviceIsNoInputFile() throws {
    let folder = TestScratch.folder("pipe")
    let pipe = folder + "/orders.csv"
    #expect(mkfifo(pipe, 0o600) == 0)
    for (path, reason) in [
      (pipe, "it is a pipe, not a file; inputs are read more than once, so save the export to a file first"),
      ("/dev/null", "it is a device, not a file"), (folder, "it is a directory"),
    ] {
      do {
        _ = try OrderIngest.run(paths: [path], config: InputConfig(), linkKeys: [], asOf: asOf, threads: 1)
        Issue.record("\(path) was read")
      } catch {
        #expect(error.exitCode == 2)
        #expect(error.description == "\(path): cannot be read (\(reason)).")
      }
      #expect(throws: LoyaltyError.self) { try IdMap.read(path: path) }
    }
  }
}
