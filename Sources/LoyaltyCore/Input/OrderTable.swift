import CHints
import CSVStream

/// An order's status (SPEC 1.1).
public enum OrderStatus: UInt8, Sendable, CaseIterable {
  case paid = 0
  case refunded = 1
  case partiallyRefunded = 2
  case cancelled = 3

  /// The spelling in the CSV.
  public var name: String {
    switch self {
    case .paid: return "paid"
    case .refunded: return "refunded"
    case .partiallyRefunded: return "partially_refunded"
    case .cancelled: return "cancelled"
    }
  }
}

/// The accepted orders of all input files, as parallel columns (one position per
/// order, in file order then line order). Refs are interned in `refs`.
public struct OrderTable: Sendable {
  /// Interned `(channel, customer_ref)` nodes; see `RefKey`.
  public var refs = ByteInterner(capacity: 1 << 16)
  /// Interned channel names.
  public var channels = ByteInterner(capacity: 16)
  /// Channel id of each ref.
  public var refChannel: [Int32] = []
  /// Interned linking key values, one interner per configured key column.
  public var linkKeys: [ByteInterner] = []

  /// Ref id of each order.
  public var ref: [Int32] = []
  public var status: [UInt8] = []
  /// Order instant, milliseconds since 1970 UTC; its business date is `day(_:)`.
  public var instantMillis: [Int64] = []
  /// Amount in minor units.
  public var amount: [Int64] = []
  /// The refunds of the refunded and partially refunded orders, apart from the
  /// columns: most orders have none.
  public var refunds = RefundRows()
  /// Interned value of each linking key for each order, -1 when empty.
  public var linkKeyValue: [[Int32]] = []
  /// The business zone, in seconds east of UTC: an order's business date is the date of
  /// its instant shifted by it, as `FieldParsers.timestamp` works it out.
  public var businessOffsetSeconds: Int

  public init(linkKeyCount: Int, businessOffsetSeconds: Int) {
    self.businessOffsetSeconds = businessOffsetSeconds
    linkKeys = Array(repeating: ByteInterner(capacity: 1 << 12), count: linkKeyCount)
    linkKeyValue = Array(repeating: [], count: linkKeyCount)
  }

  /// Number of accepted orders.
  public var count: Int { ref.count }

  /// The business date of order `row`: worked out from its instant when asked, rather
  /// than held in a column of its own.
  @inline(__always)
  public func day(_ row: Int) -> Day {
    FieldParsers.businessDay(instantMillis: instantMillis[row], offsetSeconds: businessOffsetSeconds)
  }

  /// The first instant, in milliseconds, whose business date is after `day`: an order is
  /// dated after `day` exactly when its instant is at or after this.
  public func firstMillis(after day: Day) -> Int64 {
    FieldParsers.firstMillis(of: Day(number: day.number + 1), offsetSeconds: businessOffsetSeconds)
  }

  /// Gives back the per-order columns other than `ref`, and the refs' hash table: after
  /// cleaning nothing reads the orders row by row (the member history holds what later
  /// stages use) or looks a ref up, while the report still needs the refs, their parts
  /// and the order count. At 10M orders with both linking keys this is about 250 MB
  /// (17 to 25 bytes an order, and the refs' table) that the member-sized stages and
  /// the report then do not share memory with.
  public mutating func releaseRowColumns() {
    refs.releaseLookup()
    status = []
    instantMillis = []
    amount = []
    refunds = RefundRows()
    linkKeyValue = linkKeyValue.map { _ in [] }
  }

  /// Keeps the rows `rows` (ascending) alone, in their order, and the refs those rows
  /// have: a ref that only the other rows had is dropped, and the refs after it move
  /// down an id. Linking key values and channels all stay.
  mutating func keepRows(_ rows: [Int]) {
    precondition(refChannel.count == refs.count, "OrderTable.keepRows: a channel for every ref")
    assert(zip(rows, rows.dropFirst()).allSatisfy { $0 < $1 }, "OrderTable.keepRows: rows ascending")
    var used = [Bool](repeating: false, count: refs.count)
    var keptRefunds = RefundRows()
    var nextRefund = 0
    for (n, i) in rows.enumerated() {
      while nextRefund < refunds.count && refunds.row[nextRefund] < i { nextRefund += 1 }
      if nextRefund < refunds.count && refunds.row[nextRefund] == i {
        keptRefunds.append(refunds, nextRefund, asRow: n)
      }
      ref[n] = ref[i]
      status[n] = status[i]
      instantMillis[n] = instantMillis[i]
      amount[n] = amount[i]
      for k in linkKeyValue.indices { linkKeyValue[k][n] = linkKeyValue[k][i] }
      used[Int(ref[i])] = true
    }
    let dropped = count - rows.count
    ref.removeLast(dropped)
    status.removeLast(dropped)
    instantMillis.removeLast(dropped)
    amount.removeLast(dropped)
    for k in linkKeyValue.indices { linkKeyValue[k].removeLast(dropped) }
    refunds = keptRefunds
    guard used.contains(false) else { return }
    let newID = refs.removeAll(except: used)
    for old in refChannel.indices where newID[old] >= 0 { refChannel[Int(newID[old])] = refChannel[old] }
    refChannel.removeLast(refChannel.count - refs.count)
    for n in ref.indices { ref[n] = newID[Int(ref[n])] }
  }

  /// The channel and customer_ref of ref `id`.
  public func refParts(_ id: Int32) -> (channel: String, customerRef: String) {
    (channels.string(refChannel[Int(id)]), refs.string(id, from: 4))
  }

  /// Calls `body` with the channel and customer_ref bytes of ref `id` (inlinable, as
  /// `ByteStrings.withBytes` is).
  @inlinable
  public func withRefParts<R>(_ id: Int32, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R) -> R {
    channels.withBytes(refChannel[Int(id)]) { channel in withCustomerRef(id) { body(channel, $0) } }
  }

  /// Calls `body` with the customer_ref bytes of ref `id` alone.
  @inlinable
  public func withCustomerRef<R>(_ id: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    refs.withBytes(id, from: 4, body)
  }

  /// Starts loading what `refChannel[id]` and `withCustomerRef(id)` read, for a loop
  /// that visits refs in an order of its own (identity.csv's by member, the naming's in
  /// tuple order): the channel and the ref's offsets first, then (`bytes`, once those
  /// are in cache, a few refs later) the ref's bytes.
  @inline(__always)
  public func prefetchRef(_ id: Int32, bytes: Bool) {
    let i = Int(id)
    if bytes {
      refs.prefetchBytes(i)
    } else {
      refChannel.prefetchElement(i)
      refs.offsets.prefetchElement(i)
    }
  }

  /// Ref ids sorted by (channel bytes, customer_ref bytes): the order SPEC 2 uses to
  /// choose a member_id and our canonical order of linking.
  public func refsInTupleOrder(threads: Int = 1) -> [Int32] {
    let channelRank = channels.byteOrderRanks()
    // The interned key is the channel id (4 bytes) then the ref bytes; compare the
    // channel by rank, then the ref bytes.
    return refs.sortedIDs(from: 4, threads: threads) { UInt32(channelRank[Int(refChannel[Int($0)])]) }
  }
}

/// The orders of an `OrderTable` that are refunded or partially refunded, in row order,
/// with their refund amount and time. Kept apart from the table's columns because most
/// orders have no refund: three dense columns (20 bytes an order) were written at
/// ingest and read at cleaning for every order.
public struct RefundRows: Sendable, Equatable {
  /// The order's row in the table, ascending.
  public private(set) var row: [Int] = []
  /// Refund amount in minor units (the whole amount for `refunded`).
  public private(set) var amount: [Int64] = []
  /// Refund instant in milliseconds, or `MemberHistory.noRefund` when the order has no
  /// refund_time.
  public private(set) var millis: [Int64] = []

  public init() {}

  /// Number of refunded orders.
  public var count: Int { row.count }

  /// Adds the refund of row `row`, which must come after every row held.
  mutating func append(row: Int, amount: Int64, millis: Int64) {
    assert(self.row.last.map { $0 < row } ?? true, "refund rows out of order")
    self.row.append(row)
    self.amount.append(amount)
    self.millis.append(millis)
  }

  /// Adds refund `index` of `other`, as row `row`.
  mutating func append(_ other: RefundRows, _ index: Int, asRow row: Int) {
    append(row: row, amount: other.amount[index], millis: other.millis[index])
  }

  /// The refund amount and instant of every row of a table of `count` rows (0 and
  /// `MemberHistory.noRefund` where none): the dense view, for checks and tests.
  public func columns(count: Int) -> (amount: [Int64], millis: [Int64]) {
    var amount = [Int64](repeating: 0, count: count)
    var millis = [Int64](repeating: MemberHistory.noRefund, count: count)
    for k in 0..<row.count {
      amount[row[k]] = self.amount[k]
      millis[row[k]] = self.millis[k]
    }
    return (amount, millis)
  }

  /// The rows as a bit set with the refunds before each word (`index(ofRow:)`).
  func rowIndex(count: Int) -> RefundRowIndex { RefundRowIndex(rows: row, count: count) }
}

/// Which rows of a table have a refund, and the place of a row's refund in its
/// `RefundRows`: a bit a row and a count of the refunds before each 64 rows, so that a
/// pass over the rows in any order finds them in constant time (a rank query) without
/// a dense column.
struct RefundRowIndex: Sendable {
  private var bits: [UInt64]
  private var before: [Int32]

  init(rows: [Int], count: Int) {
    bits = [UInt64](repeating: 0, count: (count + 63) / 64)
    for r in rows { bits[r >> 6] |= 1 << UInt64(r & 63) }
    before = [Int32](repeating: 0, count: bits.count)
    var total: Int32 = 0
    for w in 0..<bits.count {
      before[w] = total
      total += Int32(bits[w].nonzeroBitCount)
    }
  }

  /// The index in `RefundRows` of row `row`'s refund, or nil when it has none (rows
  /// past the `count` the index was made for have none).
  @inline(__always)
  func index(ofRow row: Int) -> Int? {
    guard row >> 6 < bits.count else { return nil }
    let word = bits[row >> 6]
    let bit = UInt64(1) << UInt64(row & 63)
    guard word & bit != 0 else { return nil }
    return Int(before[row >> 6]) + (word & (bit &- 1)).nonzeroBitCount
  }
}

/// The interned key of a ref: the channel id as 4 bytes (little-endian), then the
/// customer_ref; `withRefParts` and the tuple-order sort read the ref from offset 4.
enum RefKey {
  /// The channel id's bytes before the customer_ref.
  static let channelBytes = 4

  /// Writes the key at `target`, which has room for `channelBytes + customerRef.count`.
  @inline(__always)
  static func write(channel: Int32, customerRef: UnsafeRawBufferPointer, to target: UnsafeMutableRawPointer) {
    target.storeBytes(of: channel.littleEndian, as: Int32.self)
    if let source = customerRef.baseAddress {
      FieldBytes.copy(source, to: target + channelBytes, count: customerRef.count)
    }
  }
}

extension OrderTable {
  /// Reserves room for `n` more orders in every column.
  mutating func reserveAdditional(_ n: Int) {
    let total = count + n
    ref.reserveCapacity(total)
    status.reserveCapacity(total)
    instantMillis.reserveCapacity(total)
    amount.reserveCapacity(total)
    for k in 0..<linkKeyValue.count { linkKeyValue[k].reserveCapacity(total) }
  }
}

extension ByteInterner {
  /// Calls `body` with the bytes of `id` from offset `from` on.
  @inlinable
  func withBytes<R>(_ id: Int32, from: Int = 0, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    let i = Int(id)
    return arena.withUnsafeBytes { base in
      body(UnsafeRawBufferPointer(rebasing: base[(offsets[i] + from)..<offsets[i + 1]]))
    }
  }

  /// Starts loading the first bytes of id `i` (its offset read, so best once
  /// `offsets.prefetchElement(i)` has brought it in).
  @inline(__always)
  func prefetchBytes(_ i: Int) {
    let start = offsets[i]
    arena.withUnsafeBytes { arena in
      guard let base = arena.baseAddress else { return }
      loyalty_prefetch(base + start)
    }
  }

  /// The bytes of `id` from offset `from` on, as a String.
  func string(_ id: Int32, from: Int) -> String {
    let i = Int(id)
    return arena.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[(offsets[i] + from)..<offsets[i + 1]]), as: UTF8.self)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
