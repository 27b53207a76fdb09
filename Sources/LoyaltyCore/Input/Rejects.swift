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
/// that hundreds of thousands of rejects (an as-of months back rejects every later
/// order) cost no allocation each, and `rejects.csv` copies their bytes straight out.
/// Reading an element makes its `Reject`.
public struct RejectList: Sendable, Equatable, RandomAccessCollection {
  /// The distinct file names, in the order first met.
  private var files: [String] = []
  private var fileOf: [Int32] = []
  private var lines: [Int] = []
  private var codes: [RejectCode] = []
  private var reasons = ByteStrings()
  private var records = ByteStrings()

  public init() {}

  public init(_ rejects: some Sequence<Reject>) {
    for reject in rejects { append(reject) }
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { lines.count }

  public subscript(i: Int) -> Reject {
    Reject(file: files[Int(fileOf[i])], line: lines[i], code: codes[i], reason: reasons[i], record: records[i])
  }

  /// Calls `body` with reject `i`'s cells, the reason and the record as bytes.
  public func withCells<R>(
    _ i: Int,
    _ body: (
      _ file: String, _ line: Int, _ code: RejectCode, _ reason: UnsafeRawBufferPointer,
      _ record: UnsafeRawBufferPointer
    ) -> R
  ) -> R {
    reasons.withBytes(i) { reason in
      records.withBytes(i) { record in body(files[Int(fileOf[i])], lines[i], codes[i], reason, record) }
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
    reasons.append(reason)
    records.append(record)
  }

  public mutating func append(contentsOf other: RejectList) {
    guard !other.isEmpty else { return }
    if isEmpty {
      self = other  // shared, not copied
      return
    }
    let map = other.files.map { index(of: $0) }
    fileOf += other.fileOf.lazy.map { map[Int($0)] }
    lines += other.lines
    codes += other.codes
    reasons.append(contentsOf: other.reasons)
    records.append(contentsOf: other.records)
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
    sorted.fileOf = order.map { fileOf[$0] }
    sorted.lines = order.map { lines[$0] }
    sorted.codes = order.map { codes[$0] }
    sorted.reasons.reserve(count: count, bytes: reasons.byteCount)
    sorted.records.reserve(count: count, bytes: records.byteCount)
    for k in order {
      sorted.reasons.append(k, of: reasons)
      sorted.records.append(k, of: records)
    }
    self = sorted
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
