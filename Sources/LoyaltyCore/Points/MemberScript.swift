/// One member's earns and reversals, merged into time order once for all of its runs.
///
/// What does not change between runs is worked out here: the order of events (an earn
/// before a reversal at the same instant), each event's month (which gives its flow
/// slot), an earn's expiry month, whether the event falls in the trailing pace window,
/// and the address of the earn's claim draw. A run then only draws claims and moves its ledger. Orders
/// that earn no points are left out: whether they are claimed changes nothing, and no
/// reversal refers to them (a reversal takes back points the order earned).
///
/// Like `PointsLedger`, the storage is raw and reused by every member a worker
/// simulates, so loading a member allocates nothing once the capacity fits.
struct MemberScript: ~Copyable {
  /// Events in the script.
  private(set) var count = 0
  private var capacity: Int
  /// Month (`Month.index`) of each event.
  private(set) var month: UnsafeMutablePointer<Int32>
  /// Earns: the month at whose end the lot expires; reversals: unused.
  private(set) var expiryMonth: UnsafeMutablePointer<Int32>
  /// Points earned (when claimed) or reversed, > 0.
  private(set) var points: UnsafeMutablePointer<Int64>
  /// Earns: (claim position + 1) * γ, so that the claim draw's value is
  /// `PointsRandomStream.mix(key &+ claimOffset)`; reversals: unused.
  private(set) var claimOffset: UnsafeMutablePointer<UInt64>
  /// The ordinal of the event's order within the member (0-based, in time order): an
  /// earn records its lot there, a reversal reads it.
  private(set) var ordinal: UnsafeMutablePointer<Int32>
  /// `reversalFlag` and `paceFlag`.
  private(set) var flags: UnsafeMutablePointer<UInt8>

  /// The event is a reversal (else an earn).
  static let reversalFlag: UInt8 = 1
  /// The event is dated on or after the pace window start, so it moves the trailing pace.
  static let paceFlag: UInt8 = 2

  /// A script that holds up to `capacity` events before it grows.
  init(capacity: Int) {
    self.capacity = max(1, capacity)
    month = .allocate(capacity: self.capacity)
    expiryMonth = .allocate(capacity: self.capacity)
    points = .allocate(capacity: self.capacity)
    claimOffset = .allocate(capacity: self.capacity)
    ordinal = .allocate(capacity: self.capacity)
    flags = .allocate(capacity: self.capacity)
  }

  deinit {
    month.deallocate()
    expiryMonth.deallocate()
    points.deallocate()
    claimOffset.deallocate()
    ordinal.deallocate()
    flags.deallocate()
  }

  /// Replaces the script with member `m`'s events from `plan`.
  mutating func load(member m: Int, plan: PointsPlan) {
    count = 0
    let firstOrder = plan.history.orderStart[m]
    let orderEnd = plan.history.orderStart[m + 1]
    let reversalEnd = plan.reversalStart[m + 1]
    var order = firstOrder
    var reversal = plan.reversalStart[m]
    while order < orderEnd || reversal < reversalEnd {
      let earnFirst =
        order < orderEnd
        && (reversal == reversalEnd || plan.history.instantMillis[order] <= plan.reversalMillis[reversal])
      if earnFirst {
        defer { order += 1 }
        let earned = plan.orderEarnPoints[order]
        guard earned > 0 else { continue }
        let ordinal = order - firstOrder
        let earnedIn = plan.orderMonth[order]
        append(
          month: earnedIn,
          expiryMonth: PointsArithmetic.expiryMonth(earnedIn: earnedIn, rule: plan.expiry, months: plan.expiryMonths),
          points: earned,
          claimOffset: (PointsRandomStream.claimPosition(orderOrdinal: ordinal) &+ 1) &* PointsRandomStream.golden,
          ordinal: ordinal,
          flags: plan.history.day[order] >= plan.paceFromDay ? Self.paceFlag : 0)
      } else {
        defer { reversal += 1 }
        append(
          month: plan.reversalMonth[reversal], expiryMonth: Int32.max, points: plan.reversalPoints[reversal],
          claimOffset: 0, ordinal: Int(plan.reversalOrder[reversal]) - firstOrder,
          flags: Self.reversalFlag | (plan.reversalDay[reversal] >= plan.paceFromDay ? Self.paceFlag : 0))
      }
    }
  }

  private mutating func append(
    month eventMonth: Int32, expiryMonth expiry: Int32, points eventPoints: Int64, claimOffset offset: UInt64,
    ordinal eventOrdinal: Int, flags eventFlags: UInt8
  ) {
    if count == capacity { grow() }
    month[count] = eventMonth
    expiryMonth[count] = expiry
    points[count] = eventPoints
    claimOffset[count] = offset
    ordinal[count] = Int32(truncatingIfNeeded: eventOrdinal)
    flags[count] = eventFlags
    count += 1
  }

  private mutating func grow() {
    let newCapacity = capacity * 2
    month = reallocated(month, count: count, capacity: newCapacity)
    expiryMonth = reallocated(expiryMonth, count: count, capacity: newCapacity)
    points = reallocated(points, count: count, capacity: newCapacity)
    claimOffset = reallocated(claimOffset, count: count, capacity: newCapacity)
    ordinal = reallocated(ordinal, count: count, capacity: newCapacity)
    flags = reallocated(flags, count: count, capacity: newCapacity)
    capacity = newCapacity
  }
}
