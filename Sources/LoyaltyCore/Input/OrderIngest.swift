import CSVStream

/// What ingest hands to identity: the accepted orders, every reject, and the counts
/// per file (`read = accepted + rejected` for each).
public struct IngestResult: Sendable {
  public var orders: OrderTable
  public var files: [FileCounts]
  public var rejects: [Reject]

  /// Records read over all files.
  public var recordsRead: Int { files.reduce(0) { $0 + $1.read } }
  /// Records rejected over all files (future orders included).
  public var recordsRejected: Int { files.reduce(0) { $0 + $1.rejected } }
}

/// Stage 1 (SPEC 1.1, 1.2): reads the orders CSV files in the order given, as one
/// input, and accepts or rejects every record.
///
/// Checks run in a fixed order and the first failing one names the reject:
/// `unterminated_quote`, `column_count`, `missing_field`, `bad_date`, `bad_amount` /
/// `negative_amount`, `bad_status`, `bad_refund`, `duplicate_order`, `future_order`.
public enum OrderIngest {
  /// Reads `paths`. Throws `.input` (exit 2) when a whole file cannot be used, and
  /// `.dataQuality` (exit 3) when rejects exceed `config.maxRejectShare`.
  public static func run(
    paths: [String], config: InputConfig, linkKeys: [String], asOf: Day
  ) throws(LoyaltyError) -> IngestResult {
    guard !paths.isEmpty else { throw .input("No orders file given; pass --orders FILE.") }
    var state = IngestState(config: config, linkKeys: linkKeys, asOf: asOf)
    for (index, path) in paths.enumerated() {
      try state.read(path: path, fileIndex: index)
    }
    let result = IngestResult(orders: state.table, files: state.files, rejects: state.rejects)
    try checkRejectShare(result, limit: config.maxRejectShare)
    return result
  }

  /// Stops the run when rejected records (future orders aside) exceed `limit` of
  /// the records read.
  public static func checkRejectShare(_ result: IngestResult, limit: Double) throws(LoyaltyError) {
    let read = result.recordsRead
    let errors = result.files.reduce(0) { $0 + $1.rejectedErrors }
    guard read > 0, Double(errors) > limit * Double(read) else { return }
    var byCode: [RejectCode: Int] = [:]
    for file in result.files {
      for (code, n) in file.byCode where code.isError { byCode[code, default: 0] += n }
    }
    let top = byCode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .prefix(3).map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
    let first =
      result.rejects.first { $0.code.isError }.map { " First: \($0.file) line \($0.line): \($0.reason)" } ?? ""
    let share = Double(errors) / Double(read) * 100
    throw .dataQuality(
      "\(errors) of \(read) order records (\(fmt1(share))%) were rejected, over the limit of \(fmt1(limit * 100))% (max_reject_share); most common: \(top).\(first)"
    )
  }
}

func fmt1(_ x: Double) -> String {
  let scaled = (x * 10).rounded()
  let whole = Int(scaled) / 10
  let tenth = abs(Int(scaled) % 10)
  return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole).\(tenth)"
}

/// Column positions of one file's header.
struct ColumnLayout {
  var count = 0
  var orderID = -1
  var channel = -1
  var customerRef = -1
  var orderTime = -1
  var amount = -1
  var status = -1
  var refundAmount = -1
  var refundTime = -1
  var linkKeys: [Int] = []
  var names: [String] = []
}

struct IngestState {
  let config: InputConfig
  let linkKeyColumns: [String]
  let asOf: Day
  let offset: Int
  var table: OrderTable
  var files: [FileCounts] = []
  var rejects: [Reject] = []
  var orderKeys = KeyHashSet()
  var keyBuffer: [UInt8] = []

  init(config: InputConfig, linkKeys: [String], asOf: Day) {
    self.config = config
    self.asOf = asOf
    offset = config.businessOffsetSeconds
    linkKeyColumns = linkKeys.map { key in
      key == "phone_hash" ? config.columns.phoneHash : key == "email_hash" ? config.columns.emailHash : key
    }
    table = OrderTable(linkKeyCount: linkKeys.count)
  }

  mutating func read(path: String, fileIndex: Int) throws(LoyaltyError) {
    let file: MappedFile
    do {
      file = try MappedFile(path: path)
    } catch {
      throw .input(error.description)
    }
    var counts = FileCounts(file: path)
    counts.bytes = file.bytes.count
    var layout: ColumnLayout? = nil
    var headerError: LoyaltyError? = nil
    do {
      try CSVScanner.scan(file.bytes, path: path) { record in
        if headerError != nil { return }
        guard let columns = layout else {
          do throws(LoyaltyError) {
            layout = try self.header(record, path: path)
          } catch {
            headerError = error
          }
          return
        }
        counts.read += 1
        if let (code, reason) = self.accept(record, columns) {
          counts.rejected += 1
          counts.byCode[code, default: 0] += 1
          self.rejects.append(
            Reject(file: path, line: record.line, code: code, reason: reason, record: record.rawString))
        } else {
          counts.accepted += 1
        }
      }
    } catch {
      throw .input(error.description)
    }
    if let headerError { throw headerError }
    if layout == nil {
      throw .input(
        "\(path): the file is empty; an orders file needs a header row (order_id, channel, customer_ref, order_time, amount, ...)."
      )
    }
    file.release(0..<file.bytes.count)
    files.append(counts)
  }

  func header(_ record: CSVRecord, path: String) throws(LoyaltyError) -> ColumnLayout {
    var layout = ColumnLayout()
    layout.count = record.fieldCount
    layout.names = (0..<record.fieldCount).map { record.string($0) }
    func find(_ name: String, required: Bool) throws(LoyaltyError) -> Int {
      if let i = layout.names.firstIndex(of: name) { return i }
      if required {
        throw .input(
          "\(path) line \(record.line): the required column '\(name)' is missing from the header; rename it in the file or map it under [input.columns] in the config."
        )
      }
      return -1
    }
    let c = config.columns
    layout.orderID = try find(c.orderID, required: true)
    layout.channel = try find(c.channel, required: true)
    layout.customerRef = try find(c.customerRef, required: true)
    layout.orderTime = try find(c.orderTime, required: true)
    layout.amount = try find(c.amount, required: true)
    layout.status = try find(c.status, required: false)
    layout.refundAmount = try find(c.refundAmount, required: false)
    layout.refundTime = try find(c.refundTime, required: false)
    layout.linkKeys = []
    for name in linkKeyColumns { layout.linkKeys.append(try find(name, required: false)) }
    return layout
  }

  /// Accepts the record into the table, or returns why not.
  mutating func accept(_ r: CSVRecord, _ c: ColumnLayout) -> (RejectCode, String)? {
    if r.isUnterminated {
      return (.unterminatedQuote, "A quoted field opened in this record is never closed before the end of the file.")
    }
    guard r.fieldCount == c.count else {
      return (.columnCount, "The record has \(r.fieldCount) fields but the header has \(c.count).")
    }
    for (index, name) in [
      (c.orderID, "order_id"), (c.channel, "channel"), (c.customerRef, "customer_ref"),
      (c.orderTime, "order_time"), (c.amount, "amount"),
    ] where r[index].count == 0 {
      return (.missingField, "The required field \(name) is empty.")
    }
    guard let time = FieldParsers.timestamp(r[c.orderTime], businessOffsetSeconds: offset) else {
      return (.badDate, "order_time '\(r.string(c.orderTime))' is not an ISO 8601 date or date-time.")
    }
    let amount: Int64
    switch FieldParsers.amount(r[c.amount], minorDigits: config.minorDigits) {
    case .value(let v): amount = v
    case .negative: return (.negativeAmount, "amount '\(r.string(c.amount))' is below zero.")
    case .invalid:
      return (
        .badAmount, "amount '\(r.string(c.amount))' is not a plain decimal with at most \(config.minorDigits) decimals."
      )
    }
    var status = OrderStatus.paid
    if c.status >= 0, r[c.status].count > 0 {
      guard let s = Self.status(r[c.status]) else {
        return (
          .badStatus, "status '\(r.string(c.status))' is not one of paid, refunded, partially_refunded, cancelled."
        )
      }
      status = s
    }
    var refund: Int64 = 0
    var refundMillis = MemberHistory.noRefund
    var refundDay: Int32 = 0
    if status != .cancelled {
      var given: Int64? = nil
      if c.refundAmount >= 0, r[c.refundAmount].count > 0 {
        switch FieldParsers.amount(r[c.refundAmount], minorDigits: config.minorDigits) {
        case .value(let v): given = v
        case .negative, .invalid:
          return (.badRefund, "refund_amount '\(r.string(c.refundAmount))' is not a plain decimal of at least zero.")
        }
      }
      switch status {
      case .paid:
        if let given, given != 0 {
          return (.badRefund, "refund_amount is \(r.string(c.refundAmount)) but the status is paid.")
        }
      case .partiallyRefunded:
        guard let given else {
          return (.badRefund, "A partially_refunded order needs refund_amount.")
        }
        guard given > 0, given < amount else {
          return (
            .badRefund,
            "refund_amount '\(r.string(c.refundAmount))' must be above zero and below amount '\(r.string(c.amount))' for a partially_refunded order."
          )
        }
        refund = given
      case .refunded:
        if let given, given > amount {
          return (.badRefund, "refund_amount '\(r.string(c.refundAmount))' is above amount '\(r.string(c.amount))'.")
        }
        refund = amount
      case .cancelled:
        break
      }
      if c.refundTime >= 0, r[c.refundTime].count > 0 {
        guard let t = FieldParsers.timestamp(r[c.refundTime], businessOffsetSeconds: offset) else {
          return (.badDate, "refund_time '\(r.string(c.refundTime))' is not an ISO 8601 date or date-time.")
        }
        if status == .paid {
          return (.badRefund, "refund_time is set but the status is paid.")
        }
        if t.instantMillis < time.instantMillis {
          return (
            .badRefund, "refund_time '\(r.string(c.refundTime))' is before order_time '\(r.string(c.orderTime))'."
          )
        }
        refundMillis = t.instantMillis
        refundDay = t.businessDay.number
      }
    }
    let channelID = table.channels.intern(r[c.channel])
    let isNew = KeyHashSet.key(channel: channelID, orderID: r[c.orderID], buffer: &keyBuffer)
    guard orderKeys.insert(isNew) else {
      return (
        .duplicateOrder,
        "Order '\(r.string(c.orderID))' on channel '\(r.string(c.channel))' appeared earlier; the first is kept."
      )
    }
    if time.businessDay > asOf {
      return (.futureOrder, "The order date \(time.businessDay) is after the as-of date \(asOf).")
    }
    let refID = RefKey.with(channel: channelID, customerRef: r[c.customerRef], buffer: &keyBuffer) {
      table.refs.intern($0)
    }
    if Int(refID) == table.refChannel.count { table.refChannel.append(channelID) }
    table.ref.append(refID)
    table.status.append(status.rawValue)
    table.day.append(time.businessDay.number)
    table.instantMillis.append(time.instantMillis)
    table.amount.append(amount)
    table.refund.append(refund)
    table.refundMillis.append(refundMillis)
    table.refundDay.append(refundDay)
    for k in 0..<c.linkKeys.count {
      let column = c.linkKeys[k]
      if column >= 0, r[column].count > 0 {
        table.linkKeyValue[k].append(table.linkKeys[k].intern(r[column]))
      } else {
        table.linkKeyValue[k].append(-1)
      }
    }
    return nil
  }

  static func status(_ bytes: UnsafeRawBufferPointer) -> OrderStatus? {
    var lower = [UInt8]()
    lower.reserveCapacity(bytes.count)
    for b in bytes { lower.append(b >= 65 && b <= 90 ? b + 32 : b) }
    switch lower {
    case Array("paid".utf8): return .paid
    case Array("refunded".utf8): return .refunded
    case Array("partially_refunded".utf8): return .partiallyRefunded
    case Array("cancelled".utf8): return .cancelled
    default: return nil
    }
  }
}

/// A set of order keys held as 128-bit hashes (two independent 64-bit hashes of
/// channel id + order_id): 16 bytes per order instead of its text. A false duplicate
/// needs a 128-bit collision, about 1 in 10^21 for 10^8 orders.
struct KeyHashSet {
  private var slots: [UInt64]
  private var used = 0
  private var mask: Int

  init() {
    slots = Array(repeating: 0, count: 2 * 1024)
    mask = 1023
  }

  static func key(channel: Int32, orderID: UnsafeRawBufferPointer, buffer: inout [UInt8]) -> (UInt64, UInt64) {
    RefKey.with(channel: channel, customerRef: orderID, buffer: &buffer) { bytes in
      var a = ByteHash.hash64(bytes, seed: 0x243F_6A88_85A3_08D3)
      let b = ByteHash.hash64(bytes, seed: 0x1319_8A2E_0370_7344)
      if a == 0 && b == 0 { a = 1 }
      return (a, b)
    }
  }

  /// Inserts `key`; false when it was already there.
  mutating func insert(_ key: (UInt64, UInt64)) -> Bool {
    var slot = Int(truncatingIfNeeded: key.1) & mask
    while true {
      let a = slots[2 * slot]
      let b = slots[2 * slot + 1]
      if a == 0 && b == 0 { break }
      if a == key.0 && b == key.1 { return false }
      slot = (slot + 1) & mask
    }
    slots[2 * slot] = key.0
    slots[2 * slot + 1] = key.1
    used += 1
    if used * 2 > mask + 1 { grow() }
    return true
  }

  private mutating func grow() {
    let old = slots
    let size = (mask + 1) * 2
    slots = Array(repeating: 0, count: 2 * size)
    mask = size - 1
    for i in stride(from: 0, to: old.count, by: 2) where old[i] != 0 || old[i + 1] != 0 {
      var slot = Int(truncatingIfNeeded: old[i + 1]) & mask
      while slots[2 * slot] != 0 || slots[2 * slot + 1] != 0 { slot = (slot + 1) & mask }
      slots[2 * slot] = old[i]
      slots[2 * slot + 1] = old[i + 1]
    }
  }
}
