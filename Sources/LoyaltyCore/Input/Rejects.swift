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
