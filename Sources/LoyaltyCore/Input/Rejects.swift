import CSVStream

/// Why a record was not accepted (SPEC 1.2). The raw value is the code in `rejects.csv`.
public enum RejectCode: String, Sendable, CaseIterable, Comparable {
  case columnCount = "column_count"
  case unterminatedQuote = "unterminated_quote"
  case missingField = "missing_field"
  case badDate = "bad_date"
  case badAmount = "bad_amount"
  case negativeAmount = "negative_amount"
  case badStatus = "bad_status"
  case badRefund = "bad_refund"
  case duplicateOrder = "duplicate_order"
  case futureOrder = "future_order"
  case idMapConflict = "id_map_conflict"

  public static func < (a: RejectCode, b: RejectCode) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }

  /// True for codes that count towards the reject-share stop (a future order is
  /// counted, not an error).
  public var isError: Bool { self != .futureOrder }
}

/// One rejected record, as `rejects.csv` lists it.
public struct Reject: Sendable, Equatable {
  /// The input file as given on the command line.
  public var file: String
  /// The physical line where the record starts.
  public var line: Int
  public var code: RejectCode
  /// One human sentence.
  public var reason: String
  /// The record as it stands in the file.
  public var record: String

  public init(file: String, line: Int, code: RejectCode, reason: String, record: String) {
    self.file = file
    self.line = line
    self.code = code
    self.reason = reason
    self.record = record
  }
}

/// Rejected records, in the order they were added: held as columns and two byte
/// arenas (reasons and raw records) instead of a `Reject` of three Strings each, so
/// that a reject costs no allocation of its own, and `rejects.csv` copies their bytes
/// straight out. Reading an element makes its `Reject`.
///
/// A future order or a later copy of an order (millions when the as-of is months
/// before the export's end, or when exports overlap) holds neither: its record is read
/// again from the mapped file, where it starts at a kept offset, and its reason is
/// made from its date, or from the record's order_id and channel, when read. That is
/// about 40 bytes a reject instead of about 200. `changedSources` names the files that
/// no longer hold the bytes read.
public struct RejectList: Sendable, Equatable, RandomAccessCollection {
  /// The distinct file names, in the order first met.
  private var files: [String] = []
  /// Where records are read back from, one for each read of a file that rejected
  /// future orders or later copies (a path given twice is read twice).
  private var sources: [RecordSource] = []
  private var fileOf: [Int32] = []
  private var lines: [Int] = []
  private var codes: [RejectCode] = []
  /// Where reject i's reason and record are: `slots[i] >= 0` is element `slots[i]` of
  /// `reasons` and `records`; otherwise record `~slots[i]` read back from its file.
  private var slots: [Int] = []
  private var reasons = ByteStrings()
  private var records = ByteStrings()
  /// A record read back: its source (in `sources`), its offset in that file, and for a
  /// future order its business date.
  private var backedSources: [Int32] = []
  private var backedStarts: [Int] = []
  private var backedDays: [Day] = []

  /// One read of an orders file, as its rejects read it back: the mapped file, the
  /// run's as-of date and the columns of order_id and channel.
  struct RecordSource: Sendable {
    let file: MappedFile
    let asOf: Day
    let orderIDColumn: Int
    let channelColumn: Int

    func isSame(as other: RecordSource) -> Bool {
      file === other.file && asOf == other.asOf && orderIDColumn == other.orderIDColumn
        && channelColumn == other.channelColumn
    }
  }

  public init() {}

  public init(_ rejects: some Sequence<Reject>) {
    for reject in rejects { append(reject) }
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { lines.count }

  public subscript(i: Int) -> Reject {
    withCells(i) { file, line, code, reason, record in
      Reject(
        file: file, line: line, code: code, reason: String(decoding: reason, as: UTF8.self),
        record: String(decoding: record, as: UTF8.self))
    }
  }

  /// The cells of a reject.
  public typealias Cells = (
    _ file: String, _ line: Int, _ code: RejectCode, _ reason: UnsafeRawBufferPointer,
    _ record: UnsafeRawBufferPointer
  ) -> Void

  /// Calls `body` with reject `i`'s cells, the reason and the record as bytes.
  /// A record kept in its file is read from there unless `readingFiles` is false (then
  /// it is empty, and so are a later copy's order_id and channel).
  public func withCells<R>(
    _ i: Int, readingFiles: Bool = true,
    _ body: (
      _ file: String, _ line: Int, _ code: RejectCode, _ reason: UnsafeRawBufferPointer,
      _ record: UnsafeRawBufferPointer
    ) -> R
  ) -> R {
    var result: R? = nil
    cells(i, ReadBack(self, readingFiles: readingFiles, many: false)) { result = body($0, $1, $2, $3, $4) }
    return result!
  }

  /// `withCells` for each reject of `range` in order, reading the records back with
  /// one parser for all of them.
  public func forEachCells(in range: Range<Int>, readingFiles: Bool = true, _ body: Cells) {
    guard !range.isEmpty else { return }
    let readBack = ReadBack(self, readingFiles: readingFiles, many: true)
    for i in range { cells(i, readBack, body) }
  }

  /// What reading rejects back takes from the list: each source's bytes and columns,
  /// and the files' names. For a run of rejects (`many`), the names are copies, so
  /// that a thread's rows count references on strings of its own (two threads
  /// counting on one string would share its cache line), and one parser reads every
  /// record back; for one reject, the names are the list's and a parser is made only
  /// when a record needs one.
  private struct ReadBack {
    struct Source {
      let bytes: UnsafeRawBufferPointer
      let asOf: Day
      let orderIDColumn: Int
      let channelColumn: Int
    }
    let files: [String]
    let sources: [Source]
    let reader: CSVScanner.RecordReader?

    init(_ list: RejectList, readingFiles: Bool, many: Bool) {
      files = many ? list.files.map { String(decoding: Array($0.utf8), as: UTF8.self) } : list.files
      reader = many ? CSVScanner.RecordReader() : nil
      sources = list.sources.map {
        Source(
          bytes: readingFiles ? $0.file.bytes : UnsafeRawBufferPointer(start: nil, count: 0), asOf: $0.asOf,
          orderIDColumn: $0.orderIDColumn, channelColumn: $0.channelColumn)
      }
    }
  }

  private func cells(_ i: Int, _ readBack: ReadBack, _ body: Cells) {
    let file = readBack.files[Int(fileOf[i])]
    let (line, code, slot) = (lines[i], codes[i], slots[i])
    if slot >= 0 {
      return reasons.withBytes(slot) { reason in
        records.withBytes(slot) { record in body(file, line, code, reason, record) }
      }
    }
    let source = readBack.sources[Int(backedSources[~slot])]
    let start = backedStarts[~slot]
    let none = UnsafeRawBufferPointer(start: nil, count: 0)
    // A record no longer found (the file changed, see `changedSources`) is empty.
    guard code == .futureOrder else {
      let found = (readBack.reader ?? CSVScanner.RecordReader()).withRecord(source.bytes, at: start, path: file) {
        record in
        func field(_ k: Int) -> UnsafeRawBufferPointer { k < record.fieldCount ? record[k] : none }
        Self.withLaterCopyReason(orderID: field(source.orderIDColumn), channel: field(source.channelColumn)) {
          body(file, line, code, $0, record.raw)
        }
      }
      if !found { Self.withLaterCopyReason(orderID: none, channel: none) { body(file, line, code, $0, none) } }
      return
    }
    Self.withFutureReason(day: backedDays[~slot], asOf: source.asOf) { reason in
      CSVScanner.withRawRecord(source.bytes, at: start, path: file, reader: readBack.reader) { record in
        body(file, line, code, reason, record)
      } ?? body(file, line, code, reason, none)
    }
  }

  /// The reason of a later copy of an order: "Order 'o1' on channel 'web' appeared
  /// earlier; the first is kept." The bytes are the record's own (UTF-8, as the scan
  /// found them, unless the file changed since, which stops the run).
  static func withLaterCopyReason<R>(
    orderID: UnsafeRawBufferPointer, channel: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R
  ) -> R {
    ReasonText.make(capacity: 64 + orderID.count + channel.count) { text in
      text.put("Order '")
      text.put(orderID)
      text.put("' on channel '")
      text.put(channel)
      text.put("' appeared earlier; the first is kept.")
    } body: {
      body($0)
    }
  }

  /// The reason of a future order: "The order date 2026-11-02 is after the as-of date
  /// 2026-10-31."
  static func withFutureReason<R>(day: Day, asOf: Day, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    ReasonText.make(capacity: 96) { text in
      text.put("The order date ")
      text.put(day)
      text.put(" is after the as-of date ")
      text.put(asOf)
      text.put(".")
    } body: {
      body($0)
    }
  }

  /// A reason made in a buffer on the stack (on the heap past the stack's share), so
  /// that the millions of rejects read back allocate nothing for it.
  private struct ReasonText {
    let buffer: UnsafeMutableRawBufferPointer
    var count = 0

    /// Calls `body` with the bytes `fill` puts, at most `capacity` of them.
    static func make<R>(capacity: Int, _ fill: (inout ReasonText) -> Void, body: (UnsafeRawBufferPointer) -> R) -> R {
      withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
        var text = ReasonText(buffer: buffer)
        fill(&text)
        return body(UnsafeRawBufferPointer(rebasing: buffer[..<text.count]))
      }
    }

    mutating func put(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress, bytes.count > 0 else { return }
      (buffer.baseAddress! + count).copyMemory(from: base, byteCount: bytes.count)
      count += bytes.count
    }

    mutating func put(_ text: StaticString) {
      put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// YYYY-MM-DD, as `Day.description` writes a year 0 to 9999.
    mutating func put(_ day: Day) {
      let (year, month, dayOfMonth) = day.civil
      guard (0...9999).contains(year) else {
        var description = day.description
        description.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        return
      }
      put(year, width: 4)
      put("-")
      put(month, width: 2)
      put("-")
      put(dayOfMonth, width: 2)
    }

    private mutating func put(_ value: Int, width: Int) {
      var rest = value
      for k in stride(from: width - 1, through: 0, by: -1) {
        buffer[count + k] = UInt8(48 + rest % 10)
        rest /= 10
      }
      count += width
    }
  }

  /// The code of reject `i`, without making its `Reject`.
  public func code(_ i: Int) -> RejectCode { codes[i] }

  public mutating func append(_ reject: Reject) {
    var record = reject.record
    record.withUTF8 {
      append(
        file: reject.file, line: reject.line, code: reject.code, reason: reject.reason,
        record: UnsafeRawBufferPointer($0))
    }
  }

  /// Appends a reject whose record is `record`'s bytes (as they stand in the file).
  public mutating func append(
    file: String, line: Int, code: RejectCode, reason: String, record: UnsafeRawBufferPointer
  ) {
    fileOf.append(index(of: file))
    lines.append(line)
    codes.append(code)
    slots.append(reasons.count)
    reasons.append(reason)
    records.append(record)
  }

  /// The places of a file's name and of a source in the list, for a run of rejects
  /// read back from that source (`readBackTarget`).
  struct ReadBackTarget {
    let file: Int32
    let source: Int32
  }

  /// Where rejects read back from `source` (named `file`) go; the source joins the list
  /// unless it is the last one there.
  mutating func readBackTarget(file: String, source: RecordSource) -> ReadBackTarget {
    if !(sources.last?.isSame(as: source) ?? false) { sources.append(source) }
    return ReadBackTarget(file: index(of: file), source: Int32(sources.count - 1))
  }

  /// Appends a future order (dated `day`) or a later copy of an order read from the
  /// source of `target`, whose record starts at byte `start`: its reason and record
  /// are made when the reject is read.
  mutating func appendReadBack(
    code: RejectCode, to target: ReadBackTarget, line: Int, start: Int, day: Day = Day(number: 0)
  ) {
    precondition(code == .futureOrder || code == .duplicateOrder, "only future orders and later copies are read back")
    fileOf.append(target.file)
    lines.append(line)
    codes.append(code)
    slots.append(~backedStarts.count)
    backedSources.append(target.source)
    backedStarts.append(start)
    backedDays.append(day)
  }

  public mutating func append(contentsOf other: RejectList) {
    guard !other.isEmpty else { return }
    if isEmpty {
      self = other  // shared, not copied
      return
    }
    let map = other.files.map { index(of: $0) }
    let sourceMap = other.sources.map { source in
      if let k = sources.firstIndex(where: { $0.isSame(as: source) }) { return Int32(k) }
      sources.append(source)
      return Int32(sources.count - 1)
    }
    fileOf += other.fileOf.lazy.map { map[Int($0)] }
    lines += other.lines
    codes += other.codes
    let held = reasons.count
    let backed = backedStarts.count
    slots += other.slots.lazy.map { $0 >= 0 ? $0 + held : ~(~$0 + backed) }
    reasons.append(contentsOf: other.reasons)
    records.append(contentsOf: other.records)
    backedSources += other.backedSources.lazy.map { sourceMap[Int($0)] }
    backedStarts += other.backedStarts
    backedDays += other.backedDays
  }

  /// Moves every reject's line `shift` lines on.
  mutating func shiftLines(by shift: Int) {
    guard shift != 0 else { return }
    for k in lines.indices { lines[k] += shift }
  }

  /// Orders the rejects by line, keeping the order of equal lines.
  mutating func sortByLine() {
    guard zip(lines, lines.dropFirst()).contains(where: { $0 > $1 }) else { return }
    let order = lines.indices.sorted { lines[$0] != lines[$1] ? lines[$0] < lines[$1] : $0 < $1 }
    var sorted = RejectList()
    sorted.files = files
    sorted.sources = sources
    sorted.fileOf = order.map { fileOf[$0] }
    sorted.lines = order.map { lines[$0] }
    sorted.codes = order.map { codes[$0] }
    sorted.slots.reserveCapacity(count)
    sorted.reasons.reserve(count: reasons.count, bytes: reasons.byteCount)
    sorted.records.reserve(count: records.count, bytes: records.byteCount)
    sorted.backedSources.reserveCapacity(backedSources.count)
    sorted.backedStarts.reserveCapacity(backedStarts.count)
    sorted.backedDays.reserveCapacity(backedDays.count)
    for k in order {
      let slot = slots[k]
      if slot >= 0 {
        sorted.slots.append(sorted.reasons.count)
        sorted.reasons.append(slot, of: reasons)
        sorted.records.append(slot, of: records)
      } else {
        sorted.slots.append(~sorted.backedStarts.count)
        sorted.backedSources.append(backedSources[~slot])
        sorted.backedStarts.append(backedStarts[~slot])
        sorted.backedDays.append(backedDays[~slot])
      }
    }
    self = sorted
  }

  /// The files that records are read back from and that no longer hold the bytes
  /// read (see `MappedFile.isUnchanged`); empty when all do.
  public func changedSources() -> [String] {
    var changed: [String] = []
    for source in sources where !source.file.isUnchanged() && !changed.contains(source.file.path) {
      changed.append(source.file.path)
    }
    return changed
  }

  /// Gives back the pages of the mapped files that rejects `range`'s records
  /// were read from, once their rows are made (see `MappedFile.release`): between the
  /// first and the last record's start, so a record another block reads is read again
  /// from the page cache at worst.
  public func releaseRecords(_ range: Range<Int>) {
    var spans: [Int32: (first: Int, last: Int)] = [:]
    for i in range where slots[i] < 0 {
      let start = backedStarts[~slots[i]]
      let source = backedSources[~slots[i]]
      if let span = spans[source] {
        spans[source] = (Swift.min(span.first, start), Swift.max(span.last, start))
      } else {
        spans[source] = (start, start)
      }
    }
    for (source, span) in spans { sources[Int(source)].file.release(span.first..<span.last) }
  }

  private mutating func index(of file: String) -> Int32 {
    if let last = files.last, last == file { return Int32(files.count - 1) }
    if let k = files.firstIndex(of: file) { return Int32(k) }
    files.append(file)
    return Int32(files.count - 1)
  }

  public static func == (a: RejectList, b: RejectList) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
  }
}

/// Records read, accepted and rejected for one input file.
public struct FileCounts: Sendable, Equatable {
  public var file: String
  public var bytes: Int = 0
  public var read = 0
  public var accepted = 0
  public var rejected = 0
  /// Rejected records by code.
  public var byCode: [RejectCode: Int] = [:]

  public init(file: String) { self.file = file }

  /// Rejected records that count towards the reject-share stop.
  public var rejectedErrors: Int { rejected - (byCode[.futureOrder] ?? 0) }
}
