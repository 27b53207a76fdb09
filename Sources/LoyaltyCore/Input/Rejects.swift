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
/// A future order (millions when the as-of is months before the export's end: every
/// later order) holds neither: its reason is made from its date when read, and its
/// record is read again from the mapped file, where it starts at a kept offset. That
/// is about 40 bytes a reject instead of about 200. `changedSources` names the
/// files that no longer hold the bytes read.
public struct RejectList: Sendable, Equatable, RandomAccessCollection {
  /// The distinct file names, in the order first met.
  private var files: [String] = []
  /// Where future orders are read from: a mapped file and the as-of date, one for each
  /// read of a file that rejected some (a path given twice is read twice).
  private var sources: [FutureSource] = []
  private var fileOf: [Int32] = []
  private var lines: [Int] = []
  private var codes: [RejectCode] = []
  /// Where reject i's reason and record are: `slots[i] >= 0` is element `slots[i]` of
  /// `reasons` and `records`; otherwise future order `~slots[i]`.
  private var slots: [Int] = []
  private var reasons = ByteStrings()
  private var records = ByteStrings()
  /// A future order's source (in `sources`), its record's offset in that file, and its
  /// business date.
  private var futureSources: [Int32] = []
  private var futureStarts: [Int] = []
  private var futureDays: [Day] = []

  private struct FutureSource: Sendable {
    let file: MappedFile
    let asOf: Day
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

  /// Calls `body` with reject `i`'s cells, the reason and the record as bytes.
  /// A future order's record is read from its file unless `readingFiles` is false
  /// (then it is empty).
  public func withCells<R>(
    _ i: Int, readingFiles: Bool = true,
    _ body: (
      _ file: String, _ line: Int, _ code: RejectCode, _ reason: UnsafeRawBufferPointer,
      _ record: UnsafeRawBufferPointer
    ) -> R
  ) -> R {
    let f = Int(fileOf[i])
    let slot = slots[i]
    if slot >= 0 {
      return reasons.withBytes(slot) { reason in
        records.withBytes(slot) { record in body(files[f], lines[i], codes[i], reason, record) }
      }
    }
    let source = sources[Int(futureSources[~slot])]
    let start = futureStarts[~slot]
    return Self.withFutureReason(day: futureDays[~slot], asOf: source.asOf) { reason in
      // A record no longer found (the file changed, see `changedSources`) is empty.
      let found: R? =
        readingFiles
        ? CSVScanner.withRawRecord(source.file.bytes, at: start, path: files[f]) { record in
          body(files[f], lines[i], codes[i], reason, record)
        } : nil
      return found ?? body(files[f], lines[i], codes[i], reason, UnsafeRawBufferPointer(start: nil, count: 0))
    }
  }

  /// The reason of a future order: "The order date 2026-11-02 is after the as-of date
  /// 2026-10-31.", made in a buffer on the stack.
  static func withFutureReason<R>(day: Day, asOf: Day, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
      var n = 0
      func put(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
          for byte in bytes {
            buffer[n] = byte
            n += 1
          }
        }
      }
      func put(_ value: Int, width: Int) {
        var rest = value
        for k in stride(from: width - 1, through: 0, by: -1) {
          buffer[n + k] = UInt8(48 + rest % 10)
          rest /= 10
        }
        n += width
      }
      func put(_ day: Day) {
        let (year, month, dayOfMonth) = day.civil
        guard (0...9999).contains(year) else {
          for byte in day.description.utf8 {
            buffer[n] = byte
            n += 1
          }
          return
        }
        put(year, width: 4)
        put("-")
        put(month, width: 2)
        put("-")
        put(dayOfMonth, width: 2)
      }
      put("The order date ")
      put(day)
      put(" is after the as-of date ")
      put(asOf)
      put(".")
      return body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
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

  /// Appends a future order of `source` (named `file`) dated `day`, whose record starts
  /// at byte `start`: its reason and record are read when the reject is.
  mutating func appendFutureOrder(file: String, source: MappedFile, line: Int, start: Int, day: Day, asOf: Day) {
    if sources.last.map({ $0.file !== source || $0.asOf != asOf }) ?? true {
      sources.append(FutureSource(file: source, asOf: asOf))
    }
    fileOf.append(index(of: file))
    lines.append(line)
    codes.append(.futureOrder)
    slots.append(~futureStarts.count)
    futureSources.append(Int32(sources.count - 1))
    futureStarts.append(start)
    futureDays.append(day)
  }

  public mutating func append(contentsOf other: RejectList) {
    guard !other.isEmpty else { return }
    if isEmpty {
      self = other  // shared, not copied
      return
    }
    let map = other.files.map { index(of: $0) }
    let sourceMap = other.sources.map { source in
      if let k = sources.firstIndex(where: { $0.file === source.file && $0.asOf == source.asOf }) { return Int32(k) }
      sources.append(source)
      return Int32(sources.count - 1)
    }
    fileOf += other.fileOf.lazy.map { map[Int($0)] }
    lines += other.lines
    codes += other.codes
    let held = reasons.count
    let future = futureStarts.count
    slots += other.slots.lazy.map { $0 >= 0 ? $0 + held : ~(~$0 + future) }
    reasons.append(contentsOf: other.reasons)
    records.append(contentsOf: other.records)
    futureSources += other.futureSources.lazy.map { sourceMap[Int($0)] }
    futureStarts += other.futureStarts
    futureDays += other.futureDays
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
    sorted.futureSources.reserveCapacity(futureSources.count)
    sorted.futureStarts.reserveCapacity(futureStarts.count)
    sorted.futureDays.reserveCapacity(futureDays.count)
    for k in order {
      let slot = slots[k]
      if slot >= 0 {
        sorted.slots.append(sorted.reasons.count)
        sorted.reasons.append(slot, of: reasons)
        sorted.records.append(slot, of: records)
      } else {
        sorted.slots.append(~sorted.futureStarts.count)
        sorted.futureSources.append(futureSources[~slot])
        sorted.futureStarts.append(futureStarts[~slot])
        sorted.futureDays.append(futureDays[~slot])
      }
    }
    self = sorted
  }

  /// The files that future orders are read from and that no longer hold the bytes
  /// read (see `MappedFile.isUnchanged`); empty when all do.
  public func changedSources() -> [String] {
    var changed: [String] = []
    for source in sources where !source.file.isUnchanged() && !changed.contains(source.file.path) {
      changed.append(source.file.path)
    }
    return changed
  }

  /// Gives back the pages of the mapped files that rejects `range`'s future orders
  /// were read from, once their rows are made (see `MappedFile.release`): between the
  /// first and the last record's start, so a record another block reads is read again
  /// from the page cache at worst.
  public func releaseRecords(_ range: Range<Int>) {
    var spans: [Int32: (first: Int, last: Int)] = [:]
    for i in range where slots[i] < 0 {
      let start = futureStarts[~slots[i]]
      let source = futureSources[~slots[i]]
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
