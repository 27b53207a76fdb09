import CHints
import LoyaltyCore
import TestScratch
import Testing

@testable import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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

/// The word-at-a-time test for quoted bytes agrees with a byte loop: each of the four
/// bytes at every place of cells of 0 to 24 bytes, among bytes that differ from them in
/// one bit only (0xAC, 0xA2, 0x2D, 0x0B, ...) or are zero.
@Test func quotedByteTestAgreesWithAByteLoop() {
  let specials: [UInt8] = [0x2C, 0x22, 0x0A, 0x0D]
  let fillers: [UInt8] = [0x41, 0x00, 0xAC, 0xA2, 0x8A, 0x8D, 0x2D, 0x23, 0x0B, 0x0C, 0x2E, 0xFF]
  for n in 0...24 {
    for filler in fillers {
      var cell = [UInt8](repeating: filler, count: n)
      cell.withUnsafeBytes { #expect(!ByteCSV.hasQuotedByte($0)) }
      for place in 0..<n {
        for special in specials {
          cell[place] = special
          cell.withUnsafeBytes { #expect(ByteCSV.hasQuotedByte($0), "byte \(special) at \(place) of \(n)") }
          cell[place] = filler
        }
      }
    }
  }
}

/// Numbers come out as Swift prints them: every digit count, zero padding, signs and
/// money with its decimals.
@Test func numbersMatchSwiftsOwnFormatting() {
  var values: [Int64] = [0, 1, 9, 10, 99, 100, 101, 999, 1000, Int64.max, Int64.min + 1, Int64.min]
  var power: Int64 = 1
  for _ in 0..<18 {
    power *= 10
    values += [power - 1, power, power + 1, -power, power / 3 * 2]
  }
  for v in values {
    var csv = ByteCSV(reserve: 8)
    csv.integer(v)
    #expect(String(decoding: csv.bytes(), as: UTF8.self) == String(v))
  }
  for (v, width, expected) in [
    (0 as UInt64, 4, "0000"), (7, 2, "07"), (12, 2, "12"), (123, 2, "123"), (5, 1, "5"), (42, 5, "00042"),
    (1234, 6, "001234"), (10_000_000_000_000_000_000, 1, "10000000000000000000"),
    (UInt64.max, 1, "18446744073709551615"), (UInt64.max, 22, "0018446744073709551615"),
  ] {
    var csv = ByteCSV(reserve: 8)
    csv.unsigned(v, width: width)
    #expect(String(decoding: csv.bytes(), as: UTF8.self) == expected)
  }
  // Every digit count, below, at and above each power of ten, at widths below, at and
  // above it, into one writer that grows past its first buffer on the way.
  var all = ByteCSV(reserve: 8)
  var allText = ""
  var powerOfTen: UInt64 = 1
  for k in 0...19 {
    for v in [powerOfTen - 1, powerOfTen, powerOfTen + 1, UInt64.max - powerOfTen + 1] {
      for width in [1, k, k + 1, k + 3] {
        all.unsigned(v, width: width)
        all.comma()
        let text = String(v)
        allText += String(repeating: "0", count: max(0, width - text.count)) + text + ","
      }
    }
    if k < 19 { powerOfTen *= 10 }
  }
  #expect(String(decoding: all.bytes(), as: UTF8.self) == allText)
  for (minor, digits, expected) in [
    (0 as Int64, 2, "0.00"), (5, 2, "0.05"), (-5, 2, "-0.05"), (14412, 2, "144.12"), (100, 0, "100"), (7, 3, "0.007"),
  ] {
    var csv = ByteCSV(reserve: 8)
    csv.money(minor, digits: digits)
    #expect(String(decoding: csv.bytes(), as: UTF8.self) == expected)
  }
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

/// The block writer makes the file one in-memory writer makes, for any thread count,
/// block count (none, fewer than the threads, not a multiple of them) and block size
/// (empty blocks, cells longer than a block's buffer).
@Test(arguments: [1, 2, 3])
func blockWriterMatchesTheInMemoryText(threads: Int) throws {
  let header = ["id", "note"]
  let long = String(repeating: "long, \"quoted\" text ", count: 20)
  let block: @Sendable (Int, inout ByteCSV) -> Void = { k, csv in
    for row in 0..<(k % 4 == 3 ? 0 : 37 * k + 5) {
      csv.integer(Int64(row * 7919 - 100_000 * k))
      csv.comma()
      csv.text(row % 50 == 0 ? long : "=cell \(k).\(row)")
      csv.newline()
    }
  }
  let path = TestScratch.folder("blocks") + "/blocks.csv"
  defer { unlink(path) }
  for blocks in [0, 1, 2, 7, 12] {
    var memory = ByteCSV(header: header, reserve: 16)
    for k in 0..<blocks { block(k, &memory) }
    try ReportFolder.writeCSV(path, header: header, blocks: blocks, threads: threads, blockBytes: 64, block: block)
    #expect(readBytes(path) == memory.bytes(), "\(blocks) blocks on \(threads) threads")
  }
  #expect {
    try ReportFolder.writeCSV(
      TestScratch.folder("none") + "/no-such-folder/x.csv", header: header, blocks: 3, threads: threads, blockBytes: 64,
      block: block)
  } throws: { "\($0)".contains("cannot be written") }
}

/// Straight to the disk or through the page cache, the block writer makes the same
/// file, whether its length is a whole number of direct-write buffers, one byte either
/// side of one, shorter than the alignment, or none at all but the header, in the
/// tests' folder (`TestScratch`); a file system that refuses direct writes takes the
/// same path as `direct: false`.
@Test(arguments: [false, true])
func blockWriterMakesTheSameFileStraightToDisk(direct: Bool) throws {
  let header = ["n"]
  let headerBytes = 2
  let path = TestScratch.folder("direct") + "/direct.csv"
  defer { unlink(path) }
  let buffer = FileSink.bufferBytes
  for total in [headerBytes, 100, FileSink.alignment, buffer - 1, buffer, buffer + 1, 3 * buffer + 12_345] {
    // Rows of 7 bytes ("ddddd" + comma-free filler + newline), and one short last row,
    // in blocks of 1000 rows.
    let rows = (total - headerBytes) / 7
    let last = (total - headerBytes) % 7
    let count = rows + (last > 0 ? 1 : 0)
    let blocks = (count + 999) / 1000
    let block: @Sendable (Int, inout ByteCSV) -> Void = { k, csv in
      for row in (k * 1000)..<min(count, (k + 1) * 1000) {
        let width = row < rows ? 6 : last - 1
        if width > 0 { csv.plain(String(repeating: String(row % 10), count: width)) }
        csv.newline()
      }
    }
    var memory = ByteCSV(header: header, reserve: 16)
    for k in 0..<blocks { block(k, &memory) }
    #expect(memory.count == total)
    try ReportFolder.writeCSV(
      path, header: header, blocks: blocks, threads: 2, blockBytes: 8192, direct: direct, block: block)
    #expect(readBytes(path) == memory.bytes(), "\(total) bytes, direct \(direct)")
  }
}

/// A cancelled block writer gives the file up at the next block: it throws, and leaves
/// neither the file nor its temporary file behind, on any thread count.
@Test(arguments: [1, 2, 3])
func cancelledBlockWriterLeavesNoFile(threads: Int) {
  let folder = TestScratch.folder("cancel")
  defer { ReportFolder.removeTree(folder) }
  let cancellation = ReportFolder.WriteCancellation()
  #expect {
    try ReportFolder.writeCSV(
      folder + "/x.csv", header: ["k"], blocks: 40, threads: threads, blockBytes: 64, cancellation: cancellation
    ) { k, csv in
      if k == 5 { cancellation.cancel() }
      csv.integer(Int64(k))
      csv.newline()
    }
  } throws: { "\($0)".contains("x.csv") }
  var left: [String] = []
  if let dir = opendir(folder) {
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { left.append(name) }
    }
    closedir(dir)
  }
  #expect(left.isEmpty)
}

/// identity.csv guards and quotes channels, refs and member ids as every text cell is
/// (its channels and rules are rendered once and copied per row).
@Test func identityFileGuardsAndQuotesEveryTextCell() throws {
  let path = TestScratch.folder("identity-cells") + "/identity.csv"
  defer { unlink(path) }
  try ReportFolder.writeFile(
    path,
    """
    order_id,channel,customer_ref,order_time,amount,status
    1,"=x,y",r1,2026-10-01,10.00,paid
    2,web,"-r,2",2026-10-02,12.00,paid
    3,"a""b",r3,2026-10-03,1.00,paid

    """)
  let ingest = try OrderIngest.run(paths: [path], config: InputConfig(), linkKeys: [], asOf: Day("2026-10-31")!)
  let identity = IdentityResolution.run(orders: ingest.orders, idMap: IdMap(), linkKeys: [], maxRefsPerKey: 20)
  #expect(
    ReportBuilder.identityFile(ingest.orders, identity).text
      == """
      channel,customer_ref,member_id,rule
      "'=x,y",r1,"'=x,y:r1",single
      "a""b",r3,"a""b:r3",single
      web,"'-r,2","web:-r,2",single

      """)
}

/// A direct write that the file system refuses (EINVAL) or cuts short at an unaligned
/// length sends the rest of the file through the page cache, and the file is whole; a
/// write that fails for another reason fails the file with its errno.
@Test(arguments: ["refused", "short", "failed"])
func fileSinkFallsBackOrFails(mode: String) throws {
  let path = TestScratch.folder("sink") + "/sink.bin"
  defer { unlink(path) }
  let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
  #expect(fd >= 0)
  defer { close(fd) }
  let bytes = (0..<(2 * FileSink.bufferBytes + 777)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
  var calls = 0
  let sink = FileSink(fd: fd, direct: true) { fd, pointer, count in
    calls += 1
    guard calls == 1 else { return FileSink.systemWrite(fd, pointer, count) }
    switch mode {
    case "refused":
      errno = EINVAL
      return -1
    case "short":
      // A file system that took part of a direct write, ending off the alignment.
      let flags = fcntl(fd, F_GETFL)
      _ = fcntl(fd, F_SETFL, flags & ~loyalty_direct_write_flag())
      defer { _ = fcntl(fd, F_SETFL, flags) }
      return FileSink.systemWrite(fd, pointer, count - 100)
    default:
      errno = ENOSPC
      return -1
    }
  }
  // Where the file system takes no direct writes, the first write goes through the
  // page cache, and only the failure is left to check.
  let direct = sink.isDirect
  let appended = bytes.withUnsafeBytes { sink.append($0) }
  let finished = appended && sink.finish()
  if mode == "failed" {
    #expect(!finished)
    #expect(errno == ENOSPC)
    return
  }
  #expect(finished)
  #expect(!sink.isDirect)
  #expect(readBytes(path) == bytes, "direct at first: \(direct)")
}
