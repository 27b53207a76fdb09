/// The counted orders of every member, grouped by member and sorted by time: the
/// boundary between the orders-sized stages (ingest, identity, cleaning) and the
/// member-sized stages (RFM, levels, points). A cluster job can produce this table
/// (or the per-member-month aggregates built from it) and hand it over.
///
/// Only counted orders are held (SPEC 3: accepted, not cancelled, not fully refunded,
/// net > 0, date <= as-of). Members are the members with at least one counted order,
/// indexed in `memberIDs` byte order.
public struct MemberHistory: Sendable {
  /// Member ids in byte order; a member's index is its position here.
  public var memberIDs: ByteStrings
  /// Orders of member `m` are `orderStart[m] ..< orderStart[m + 1]`; count = members + 1.
  public var orderStart: [Int]
  /// Business date of each order.
  public var day: [Int32]
  /// Order instant, milliseconds since 1970 UTC.
  public var instantMillis: [Int64]
  /// Net amount (gross - refund_amount), in minor units; always > 0.
  public var net: [Int64]
  /// The orders with a refund (counted, so partially refunded): their gross amount and
  /// refund time, apart from the columns since most orders have none. `gross(_:)` and
  /// `refund(_:)` read them by position.
  public var refunds: HistoryRefunds
  /// The as-of date, inclusive.
  public var asOf: Day
  /// Digits after the decimal point of the currency.
  public var minorDigits: Int

  /// Marks an order without refund time.
  public static let noRefund = Int64.min

  /// The first and last business dates of the counted orders (one pass); nil with none.
  public func dayRange() -> ClosedRange<Int32>? {
    guard var first = day.first else { return nil }
    var last = first
    for d in day {
      first = min(first, d)
      last = max(last, d)
    }
    return first...last
  }

  /// A history from its columns, with the refunds held apart (`HistoryRefunds`, whose
  /// positions must be orders of this history).
  public init(
    memberIDs: ByteStrings, orderStart: [Int], day: [Int32], instantMillis: [Int64], net: [Int64],
    refunds: HistoryRefunds, asOf: Day, minorDigits: Int
  ) {
    precondition(refunds.position.last.map { $0 < net.count } ?? true, "a refund of an order the history does not hold")
    self.memberIDs = memberIDs
    self.orderStart = orderStart
    self.day = day
    self.instantMillis = instantMillis
    self.net = net
    self.refunds = refunds
    self.asOf = asOf
    self.minorDigits = minorDigits
  }

  /// A history from dense columns: `gross` (the amount as ordered), `refundMillis` (the
  /// refund instant, or `noRefund`) and `refundDay` (its business date) for every order.
  /// The orders whose gross is not their net or that have a refund time are kept.
  public init(
    memberIDs: ByteStrings, orderStart: [Int], day: [Int32], instantMillis: [Int64], gross: [Int64],
    net: [Int64], refundMillis: [Int64], refundDay: [Int32], asOf: Day, minorDigits: Int
  ) {
    var refunds = HistoryRefunds.Builder()
    for i in 0..<net.count where gross[i] != net[i] || refundMillis[i] != Self.noRefund {
      refunds.append(position: i, gross: gross[i], millis: refundMillis[i], day: refundDay[i])
    }
    self.init(
      memberIDs: memberIDs, orderStart: orderStart, day: day, instantMillis: instantMillis, net: net,
      refunds: refunds.finish(count: net.count), asOf: asOf, minorDigits: minorDigits)
  }

  /// The amount of order `i` as ordered, in minor units: its net amount but for a
  /// partially refunded order.
  @inline(__always)
  public func gross(_ i: Int) -> Int64 {
    guard let k = refunds.index(ofPosition: i) else { return net[i] }
    return refunds.gross[k]
  }

  /// The gross amount, refund instant (milliseconds) and its business date of order
  /// `i`, or nil when it has no refund_time (its points are then earned on the net
  /// amount).
  @inline(__always)
  public func refund(_ i: Int) -> (gross: Int64, millis: Int64, day: Int32)? {
    guard let k = refunds.index(ofPosition: i), refunds.millis[k] != Self.noRefund else { return nil }
    return (refunds.gross[k], refunds.millis[k], refunds.day[k])
  }

  /// The gross amount of every order, in minor units.
  public var grossTotal: Int64 {
    var total = net.reduce(0, +)
    for k in 0..<refunds.count { total += refunds.gross[k] - net[refunds.position[k]] }
    return total
  }

  /// Number of members.
  public var memberCount: Int { memberIDs.count }
  /// Number of counted orders.
  public var orderCount: Int { day.count }
  /// The order positions of member `m`.
  @inline(__always) public func orders(of m: Int) -> Range<Int> { orderStart[m]..<orderStart[m + 1] }
  /// One major unit in minor units (100 for two minor digits).
  public var minorPerMajor: Int64 { Money.pow10(minorDigits) }
}

/// The orders of a `MemberHistory` that have a refund, in position order: their gross
/// amount, refund instant (or `MemberHistory.noRefund`) and its business date. Most
/// orders have none, so three dense columns (20 bytes an order) would be mostly the
/// net amount again and "no refund".
public struct HistoryRefunds: Sendable, Equatable {
  /// The order's position in the history, ascending.
  public private(set) var position: [Int] = []
  /// The amount as ordered, in minor units.
  public private(set) var gross: [Int64] = []
  /// The refund instant in milliseconds, or `MemberHistory.noRefund`.
  public private(set) var millis: [Int64] = []
  /// The refund's business date (0 when there is no instant).
  public private(set) var day: [Int32] = []
  private var index = RefundRowIndex(rows: [], count: 0)

  /// No refunds.
  public init() {}

  /// Number of orders with a refund.
  public var count: Int { position.count }

  /// The place in these lists of the order at `position`, or nil when it has no refund.
  @inline(__always)
  public func index(ofPosition position: Int) -> Int? { index.index(ofRow: position) }

  public static func == (a: HistoryRefunds, b: HistoryRefunds) -> Bool {
    a.position == b.position && a.gross == b.gross && a.millis == b.millis && a.day == b.day
  }

  /// Collects refunds in position order, then indexes them (`finish`).
  public struct Builder: Sendable {
    var refunds = HistoryRefunds()

    public init() {}

    /// Adds the refund of the order at `position`, after every position added.
    public mutating func append(position: Int, gross: Int64, millis: Int64, day: Int32) {
      refunds.position.append(position)
      refunds.gross.append(gross)
      refunds.millis.append(millis)
      refunds.day.append(day)
    }

    /// Adds every refund of `other`, whose positions all come after these.
    mutating func append(contentsOf other: Builder) {
      refunds.position += other.refunds.position
      refunds.gross += other.refunds.gross
      refunds.millis += other.refunds.millis
      refunds.day += other.refunds.day
    }

    /// The refunds, indexed for a history of `count` orders.
    public func finish(count: Int) -> HistoryRefunds {
      var done = refunds
      done.index = RefundRowIndex(rows: done.position, count: count)
      return done
    }
  }
}
