/// A fixed-length column written once while a plan is built (each slot by one thread)
/// and only read afterwards, so it can be shared by the simulation's threads.
final class PointsColumn<Element>: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Element>
  let count: Int

  init(count: Int, repeating value: Element) {
    self.count = count
    pointer = .allocate(capacity: max(1, count))
    pointer.initialize(repeating: value, count: count)
  }

  deinit {
    pointer.deinitialize(count: count)
    pointer.deallocate()
  }

  @inline(__always) subscript(i: Int) -> Element {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }

  var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Everything about the points simulation that does not change between runs, computed
/// once from the member history: each order's points if claimed (with the multiplier of
/// the member's level), the reversals, the timeline and the revenue by month.
///
/// Timeline: months run from the month of the earliest counted order (`firstMonth`) to
/// the as-of month (`historicMonths` of them, the history slots), then
/// `projectedMonths` projected month-ends (the projection slots). Month-end events
/// (expiry, then redemption) of a month happen only when its last day is on or before
/// as-of; when as-of is not a month-end, the as-of month's own month-end is the first
/// projected one, so that month appears twice in the monthly series: once to as-of
/// (actual) and once for the rest of it (projected).
struct PointsPlan: Sendable {
  let history: MemberHistory
  let firstMonth: Month
  let asOfMonth: Month
  /// Months from `firstMonth` through the as-of month.
  let historicMonths: Int
  /// The last month (`Month.index`) whose month-end is on or before as-of.
  let lastHistoricMonthEnd: Int32
  /// The month (`Month.index`) of the first projected month-end.
  let firstProjectedMonth: Int32
  /// Projected month-ends.
  let projectedMonths: Int
  /// Days in the as-of month, and days of it left after as-of (a whole month when as-of
  /// is a month-end): the first projected month earns `left / days` of a month's pace.
  let daysInAsOfMonth: Int64
  let firstProjectionDays: Int64
  /// Earns on or after this day (as-of - 364) set the trailing pace.
  let paceFromDay: Int32
  let expiry: ExpiryRule
  let expiryMonths: Int
  /// Per history month (`firstMonth` first): whether the month has run off, its lots
  /// (which share the month's expiry) past their expiry at as-of, so that nothing it
  /// issued can change again. The ultimate redemption rate pools these months.
  let runOff: [Bool]

  /// Points the order earns when claimed (on gross when it has a refund time).
  let orderEarnPoints: PointsColumn<Int64>
  /// Month (`Month.index`) of each order's business date.
  let orderMonth: PointsColumn<Int32>
  /// Month (`Month.index`) of each member's first order.
  let memberFirstMonth: PointsColumn<Int32>
  /// Reversals of member `m` are `reversalStart[m] ..< reversalStart[m + 1]`, in time order.
  let reversalStart: [Int]
  /// The order (global index) a reversal belongs to.
  let reversalOrder: [Int32]
  /// Points reversed: points(gross) - points(net), > 0.
  let reversalPoints: [Int64]
  /// Month (`Month.index`) and business date of the reversal.
  let reversalMonth: [Int32]
  let reversalDay: [Int32]
  /// The reversal instant (refund instant, never before its order), for ordering.
  let reversalMillis: [Int64]
  /// The most orders one member has.
  let maxOrdersPerMember: Int
  /// Net revenue of the counted orders by history month, minor units.
  let revenueByMonth: [Int64]
  /// Net revenue of all counted orders, minor units.
  let netRevenueMinor: Int64
  /// Each member's largest points earnable on one business date (every order claimed),
  /// and that date.
  let maxDailyPoints: PointsColumn<Int64>
  let maxDailyDay: PointsColumn<Int32>

  /// Slots of the monthly flow arrays: history months, then projected month-ends.
  var slots: Int { historicMonths + projectedMonths }

  /// The calendar month of a flow slot.
  func month(ofSlot slot: Int) -> Month {
    slot < historicMonths
      ? firstMonth + slot : Month(index: firstProjectedMonth + Int32(slot - historicMonths))
  }

  /// Builds the plan. Levels come from `ladder` replayed at every month-end from the
  /// member's first order month; an order uses the level of the last month-end strictly
  /// before its business date, and level 1 before the first one (or without a ladder).
  /// A refund dated after as-of is not applied (the ledger knows nothing after as-of).
  init(history: MemberHistory, ladder: LevelLadder?, config: PointsConfig, threads: Int) {
    self.history = history
    let asOf = history.asOf
    asOfMonth = asOf.month
    let members = history.memberCount
    var first = asOf.month
    for m in 0..<members where history.orderStart[m] < history.orderStart[m + 1] {
      let month = Day(number: history.day[history.orderStart[m]]).month
      if month < first { first = month }
    }
    firstMonth = first
    historicMonths = asOfMonth - first + 1
    let asOfIsMonthEnd = asOf == asOfMonth.lastDay
    lastHistoricMonthEnd = asOfIsMonthEnd ? asOfMonth.index : asOfMonth.index - 1
    firstProjectedMonth = asOfIsMonthEnd ? asOfMonth.index + 1 : asOfMonth.index
    projectedMonths = max(0, config.projectionMonths)
    daysInAsOfMonth = Int64(asOfMonth.lastDay - asOfMonth.firstDay + 1)
    firstProjectionDays = asOfIsMonthEnd ? daysInAsOfMonth : Int64(asOfMonth.lastDay - asOf)
    paceFromDay = asOf.number - 364
    expiry = config.expiry
    expiryMonths = config.expiryMonths
    let lastMonthEnd = lastHistoricMonthEnd
    let firstMonthIndex = first.index
    runOff = (0..<Int32(historicMonths)).map { k in
      PointsArithmetic.expiryMonth(earnedIn: firstMonthIndex + k, rule: config.expiry, months: config.expiryMonths)
        <= lastMonthEnd
    }

    let factors = (1...max(1, (ladder?.levelCount ?? 1))).map {
      PointsArithmetic.earnFactor(
        earnRate: config.earnRate,
        multiplier: PointsArithmetic.multiplier(level: $0, multipliers: config.levelMultipliers))
    }
    let orders = history.orderCount
    let earn = PointsColumn<Int64>(count: orders, repeating: 0)
    let orderMonths = PointsColumn<Int32>(count: orders, repeating: 0)
    let firstMonths = PointsColumn<Int32>(count: members, repeating: 0)
    let dailyPoints = PointsColumn<Int64>(count: members, repeating: 0)
    let dailyDay = PointsColumn<Int32>(count: members, repeating: 0)
    let historicMonths = self.historicMonths
    let firstIndex = first.index

    let parts = PointsParallel.mapChunks(items: members, threads: threads) { range in
      var part = PlanChunk(months: historicMonths)
      for m in range {
        let orderRange = history.orders(of: m)
        guard let start = orderRange.first else { continue }
        let memberFirst = Day(number: history.day[start]).month
        firstMonths[m] = memberFirst.index
        // Month-ends strictly before the last order's month are the only reviews any
        // order of this member can look back to.
        var levels: [UInt8] = []
        if let ladder {
          let lastMonth = Day(number: history.day[orderRange.last!]).month
          if lastMonth > memberFirst {
            let reviews = (0..<(lastMonth - memberFirst)).map { (memberFirst + $0).lastDay }
            levels = ladder.replay(history, member: m, reviews: reviews)
          }
        }
        var dayPoints: Int64 = 0
        var currentDay = Int32.min
        var bestPoints: Int64 = 0
        var bestDay = history.day[start]
        var memberReversals: [(millis: Int64, order: Int32, points: Int64, day: Int32)] = []
        for i in orderRange {
          let day = history.day[i]
          let month = Day(number: day).month
          orderMonths[i] = month.index
          let review = month - memberFirst - 1
          let level = review >= 0 && review < levels.count ? Int(levels[review]) : 1
          let factor = factors[min(level, factors.count) - 1]
          // An order with a refund time earns on its gross amount.
          let refund = history.refund(i)
          let base = refund?.gross ?? history.net[i]
          let points = PointsArithmetic.points(
            amountMinor: base, factor: factor, minorDigits: history.minorDigits)
          earn[i] = points
          part.revenueByMonth[Int(month.index - firstIndex)] += history.net[i]
          if let refund, refund.day <= asOf.number {
            let kept = PointsArithmetic.points(
              amountMinor: history.net[i], factor: factor, minorDigits: history.minorDigits)
            if points > kept {
              let millis = max(refund.millis, history.instantMillis[i])
              memberReversals.append((millis, Int32(i), points - kept, max(refund.day, day)))
            }
          }
          if day != currentDay {
            currentDay = day
            dayPoints = 0
          }
          dayPoints += points
          if dayPoints > bestPoints {
            bestPoints = dayPoints
            bestDay = day
          }
        }
        dailyPoints[m] = bestPoints
        dailyDay[m] = bestDay
        memberReversals.sort { ($0.millis, $0.order) < ($1.millis, $1.order) }
        for r in memberReversals {
          part.reversalOrder.append(r.order)
          part.reversalPoints.append(r.points)
          part.reversalMillis.append(r.millis)
          part.reversalDay.append(r.day)
          part.reversalMonth.append(Day(number: r.day).month.index)
        }
        if !memberReversals.isEmpty { part.reversalCount.append((m, memberReversals.count)) }
        part.maxOrders = max(part.maxOrders, orderRange.count)
      }
      return part
    }

    var reversalStart = [Int](repeating: 0, count: members + 1)
    var reversalOrder: [Int32] = []
    var reversalPoints: [Int64] = []
    var reversalMonth: [Int32] = []
    var reversalDay: [Int32] = []
    var reversalMillis: [Int64] = []
    var revenue = [Int64](repeating: 0, count: historicMonths)
    var maxOrders = 0
    var perMember = [Int](repeating: 0, count: members)
    for part in parts {
      reversalOrder += part.reversalOrder
      reversalPoints += part.reversalPoints
      reversalMonth += part.reversalMonth
      reversalDay += part.reversalDay
      reversalMillis += part.reversalMillis
      for (m, n) in part.reversalCount { perMember[m] = n }
      for k in 0..<historicMonths { revenue[k] += part.revenueByMonth[k] }
      maxOrders = max(maxOrders, part.maxOrders)
    }
    for m in 0..<members { reversalStart[m + 1] = reversalStart[m] + perMember[m] }

    orderEarnPoints = earn
    orderMonth = orderMonths
    memberFirstMonth = firstMonths
    self.reversalStart = reversalStart
    self.reversalOrder = reversalOrder
    self.reversalPoints = reversalPoints
    self.reversalMonth = reversalMonth
    self.reversalDay = reversalDay
    self.reversalMillis = reversalMillis
    maxOrdersPerMember = maxOrders
    revenueByMonth = revenue
    netRevenueMinor = revenue.reduce(0, +)
    maxDailyPoints = dailyPoints
    maxDailyDay = dailyDay
  }
}

/// What one chunk of members contributes to a plan.
private struct PlanChunk: Sendable {
  var reversalOrder: [Int32] = []
  var reversalPoints: [Int64] = []
  var reversalMonth: [Int32] = []
  var reversalDay: [Int32] = []
  var reversalMillis: [Int64] = []
  var reversalCount: [(Int, Int)] = []
  var revenueByMonth: [Int64]
  var maxOrders = 0

  init(months: Int) { revenueByMonth = [Int64](repeating: 0, count: months) }
}
