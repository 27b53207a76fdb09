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
  /// Amount as ordered, in minor units.
  public var gross: [Int64]
  /// Net amount (gross - refund_amount), in minor units; always > 0.
  public var net: [Int64]
  /// Refund instant in milliseconds, or `MemberHistory.noRefund` when the order has no
  /// refund_time (its points are then earned on the net amount).
  public var refundMillis: [Int64]
  /// Business date of the refund, valid when `refundMillis` is set.
  public var refundDay: [Int32]
  /// The as-of date, inclusive.
  public var asOf: Day
  /// Digits after the decimal point of the currency.
  public var minorDigits: Int

  /// Marks an order without refund time.
  public static let noRefund = Int64.min

  public init(
    memberIDs: ByteStrings, orderStart: [Int], day: [Int32], instantMillis: [Int64], gross: [Int64],
    net: [Int64], refundMillis: [Int64], refundDay: [Int32], asOf: Day, minorDigits: Int
  ) {
    self.memberIDs = memberIDs
    self.orderStart = orderStart
    self.day = day
    self.instantMillis = instantMillis
    self.gross = gross
    self.net = net
    self.refundMillis = refundMillis
    self.refundDay = refundDay
    self.asOf = asOf
    self.minorDigits = minorDigits
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
