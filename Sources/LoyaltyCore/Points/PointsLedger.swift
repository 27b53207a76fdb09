/// One member's points ledger: the lots (one per earn) in the order they were earned,
/// and a debt when reversals took more than the member held.
///
/// Rules (SPEC 7), all in whole points:
/// - An earn adds a lot. When the member owes a debt, the new lot pays it first (the lot
///   keeps the rest), so a member holds either lots or a debt, never both.
/// - A reversal takes from the lot of its order first, then from the other lots oldest
///   first, and what is still missing becomes a debt: the balance goes negative.
/// - A redemption takes from the oldest lot first (FIFO).
/// - At a month-end, lots whose expiry month has come expire whole; expiry months grow
///   with the earn month, so only the front of the queue needs looking at.
///
/// Balance = sum of the lots' remaining points - debt. Per lot,
/// points = remaining + redeemed + expired + reversed, where `reversed` includes the
/// part of a lot that paid a debt.
///
/// The storage is raw and reused: one ledger serves every member and run a worker
/// simulates, so the hot loop allocates nothing. It is a non-copyable value, so its
/// counters need no runtime exclusivity checks and its storage has one owner.
struct PointsLedger: ~Copyable {
  /// Capacity in lots.
  private(set) var capacity: Int
  /// Month (`Month.index`) each lot was earned in.
  private(set) var issueMonth: UnsafeMutablePointer<Int32>
  /// Month (`Month.index`) at whose end each lot expires; `Int32.max` for never.
  private(set) var expiryMonth: UnsafeMutablePointer<Int32>
  /// Points each lot was earned with.
  private(set) var points: UnsafeMutablePointer<Int64>
  /// Points still held in each lot.
  private(set) var remaining: UnsafeMutablePointer<Int64>
  /// Points redeemed from each lot.
  private(set) var redeemed: UnsafeMutablePointer<Int64>
  /// Points each lot lost to expiry.
  private(set) var expired: UnsafeMutablePointer<Int64>
  /// Number of lots.
  private(set) var count = 0
  /// Lots before `front` hold nothing.
  private(set) var front = 0
  /// Points of earns made as one block behind the lots (`earnToBlock`): the projection's
  /// lots when none of them can expire before the horizon, so that which of them a
  /// redemption takes from changes no figure.
  private(set) var block: Int64 = 0
  /// Sum of the lots' remaining points, the block included.
  private(set) var lotsTotal: Int64 = 0
  /// Points owed after reversals exceeded the holdings (>= 0).
  private(set) var debt: Int64 = 0

  /// A ledger that holds up to `capacity` lots.
  init(capacity: Int) {
    self.capacity = max(1, capacity)
    issueMonth = .allocate(capacity: self.capacity)
    expiryMonth = .allocate(capacity: self.capacity)
    points = .allocate(capacity: self.capacity)
    remaining = .allocate(capacity: self.capacity)
    redeemed = .allocate(capacity: self.capacity)
    expired = .allocate(capacity: self.capacity)
  }

  deinit {
    issueMonth.deallocate()
    expiryMonth.deallocate()
    points.deallocate()
    remaining.deallocate()
    redeemed.deallocate()
    expired.deallocate()
  }

  /// The member's balance in points; negative when a debt is owed.
  @inline(__always) var balance: Int64 { lotsTotal - debt }

  /// Empties the ledger for the next member or run.
  @inline(__always)
  mutating func reset() {
    count = 0
    front = 0
    block = 0
    lotsTotal = 0
    debt = 0
  }

  /// Adds a lot of `amount` (> 0) points earned in month `month`, expiring at the end of
  /// `expiry`; returns its index. A debt is paid from the lot first.
  @discardableResult
  @inline(__always)
  mutating func earn(_ amount: Int64, month: Int32, expiry: Int32) -> Int {
    if count == capacity { grow() }
    let lot = count
    count += 1
    issueMonth[lot] = month
    expiryMonth[lot] = expiry
    points[lot] = amount
    redeemed[lot] = 0
    expired[lot] = 0
    let paid = min(debt, amount)
    debt -= paid
    remaining[lot] = amount - paid
    lotsTotal += amount - paid
    return lot
  }

  /// Adds `amount` (> 0) points to the block behind the lots; a debt is paid first.
  /// Only for earns after every lot (the block is consumed last) that never expire
  /// while the ledger is still read.
  @inline(__always)
  mutating func earnToBlock(_ amount: Int64) {
    let paid = min(debt, amount)
    debt -= paid
    block += amount - paid
    lotsTotal += amount - paid
  }

  /// Reverses `amount` (> 0) points of the order that earned lot `lot`: from that lot,
  /// then from the other lots oldest first, the rest as debt.
  @inline(__always)
  mutating func reverse(_ amount: Int64, lot: Int) {
    let fromLot = min(amount, remaining[lot])
    remaining[lot] -= fromLot
    var missing = amount - fromLot
    var k = front
    while missing > 0 && k < count {
      let take = min(missing, remaining[k])
      remaining[k] -= take
      missing -= take
      k += 1
    }
    lotsTotal -= amount - missing
    debt += missing
  }

  /// Redeems `amount` points (0 < amount <= lotsTotal), oldest lot first.
  @inline(__always)
  mutating func redeem(_ amount: Int64) {
    var missing = amount
    lotsTotal -= amount
    while missing > 0 {
      if front == count {
        // The lots are spent; the block holds the rest.
        block -= missing
        return
      }
      let take = min(missing, remaining[front])
      remaining[front] -= take
      redeemed[front] += take
      missing -= take
      if remaining[front] == 0 { front += 1 }
    }
  }

  /// Expires the lots whose expiry month is `month` or earlier, at that month's end;
  /// returns the points expired.
  @inline(__always)
  mutating func expire(atEndOf month: Int32) -> Int64 {
    var total: Int64 = 0
    while front < count && expiryMonth[front] <= month {
      let held = remaining[front]
      if held > 0 {
        expired[front] = held
        remaining[front] = 0
        total += held
      }
      front += 1
    }
    lotsTotal -= total
    return total
  }

  /// The expiry month of the oldest lot that still holds points; `Int32.max` when none.
  @inline(__always)
  mutating func nextExpiryMonth() -> Int32 {
    while front < count && remaining[front] == 0 { front += 1 }
    return front < count ? expiryMonth[front] : Int32.max
  }

  /// Points reversed out of lot `lot`, including any part of it that paid a debt.
  @inline(__always)
  func reversed(lot: Int) -> Int64 {
    points[lot] - remaining[lot] - redeemed[lot] - expired[lot]
  }

  private mutating func grow() {
    let newCapacity = capacity * 2
    issueMonth = reallocated(issueMonth, count: count, capacity: newCapacity)
    expiryMonth = reallocated(expiryMonth, count: count, capacity: newCapacity)
    points = reallocated(points, count: count, capacity: newCapacity)
    remaining = reallocated(remaining, count: count, capacity: newCapacity)
    redeemed = reallocated(redeemed, count: count, capacity: newCapacity)
    expired = reallocated(expired, count: count, capacity: newCapacity)
    capacity = newCapacity
  }
}

/// Moves the first `count` elements of `old` into a new allocation of `capacity`
/// elements and frees `old`: how the ledger and the member script grow.
func reallocated<T>(_ old: UnsafeMutablePointer<T>, count: Int, capacity: Int) -> UnsafeMutablePointer<T> {
  let new = UnsafeMutablePointer<T>.allocate(capacity: capacity)
  new.moveInitialize(from: old, count: count)
  old.deallocate()
  return new
}
