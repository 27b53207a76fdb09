/// The assumptions one batch of simulation runs varies.
struct PointsSimulationSettings: Sendable {
  /// Probability that a counted order's points are claimed.
  var claimRatio: Double
  /// Monthly probability that an eligible member redeems.
  var redeemProbability: Double
  /// The smallest balance that can redeem (and it must be > 0).
  var minRedeem: Int64
  /// Share of the balance a redemption takes, in millionths.
  var redeemFractionMillionths: Int64
  /// Runs 0 ..< runs are simulated.
  var runs: Int
  var seed: UInt64
  /// Whether to run the projection after as-of.
  var projection: Bool
  /// Whether to keep every member's balance at as-of in run 0 (for concentration).
  var recordMemberOutstanding: Bool
  /// Whether the projection may take its shortcut for whole-balance redemptions (see
  /// `MemberSimulator.projectWholeRedemptions`); the figures are the same either way,
  /// and the tests compare the two.
  var wholeRedemptionShortcut = true
}

/// Integer sums of a batch of runs. Flow and development arrays are summed over runs
/// (divide by the run count for means).
struct PointsSimulationTotals: Sendable {
  /// Per run, run 0 first.
  var runs: [PointsRunTotals]
  /// Per flow slot (history months, then projected month-ends).
  var issued: [Int64]
  var redeemed: [Int64]
  var expired: [Int64]
  var reversed: [Int64]
  /// Per issue month (history months), at as-of: see `RedemptionDevelopmentRow`.
  var developmentIssued: [Int64]
  var developmentReversed: [Int64]
  var developmentRedeemed: [Int64]
  var developmentExpired: [Int64]
  var developmentOpen: [Int64]
  var developmentClosedRedeemed: [Int64]
  var developmentClosedExpired: [Int64]
  /// Balance of each member (by member index) at as-of in run 0; empty unless recorded.
  var memberOutstanding: [Int64]
}

/// Runs the ledger of every member for every run.
///
/// Within a member, per run:
/// 1. From the member's first order month to the last month-end on or before as-of:
///    the month's earns and reversals in time order (an earn before a reversal at the
///    same instant), then at the month-end expiry first, then redemption.
/// 2. The events after the last month-end up to as-of (when as-of is not a month-end).
/// 3. The snapshot at as-of.
/// 4. The projection: at each projected month-end a lot of the trailing pace, then
///    expiry, then redemption.
///
/// Month-ends where nothing can happen (no event, no expiry due, balance below
/// min_redeem) are skipped; skipping changes no figure because no draw is taken there.
enum PointsSimulation {
  /// Simulates `settings.runs` runs of the members at `sample` (member indexes,
  /// ascending), or of all members when nil, on up to `threads` threads.
  static func run(
    plan: PointsPlan, settings: PointsSimulationSettings, sample: [Int32]?, threads: Int
  ) -> PointsSimulationTotals {
    let items = sample?.count ?? plan.history.memberCount
    let memberOutstanding =
      settings.recordMemberOutstanding
      ? PointsColumn<Int64>(count: plan.history.memberCount, repeating: 0) : nil
    let chunks = PointsParallel.mapChunks(items: items, threads: threads) { positions in
      var accumulators = PointsAccumulators(
        runs: settings.runs, slots: plan.slots, months: plan.historicMonths)
      var ledger = PointsLedger(capacity: plan.maxOrdersPerMember + plan.projectedMonths + 1)
      var script = MemberScript(capacity: 2 * plan.maxOrdersPerMember)
      let lotOfOrder = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, plan.maxOrdersPerMember))
      defer { lotOfOrder.deallocate() }
      let simulator = MemberSimulator(plan: plan, settings: settings)
      for position in positions {
        let member = sample.map { Int($0[position]) } ?? position
        script.load(member: member, plan: plan)
        for run in 0..<settings.runs {
          let balance = simulator.simulate(
            member: member, run: run, script: script, ledger: &ledger, lotOfOrder: lotOfOrder,
            into: &accumulators)
          if run == 0, let memberOutstanding { memberOutstanding[member] = balance }
        }
      }
      return accumulators.totals()
    }

    var merged = PointsChunkTotals(runs: settings.runs, slots: plan.slots, months: plan.historicMonths)
    for chunk in chunks { merged.add(chunk) }
    return merged.simulationTotals(memberOutstanding: memberOutstanding?.array ?? [])
  }
}

/// Indexes of the per-run integer fields.
private enum RunField {
  static let issued = 0
  static let redeemed = 1
  static let expired = 2
  static let reversed = 3
  static let outstanding = 4
  static let negativeMembers = 5
  static let closedRedeemed = 6
  static let closedExpired = 7
  static let projectedIssued = 8
  static let projectedRedeemed = 9
  static let projectedExpired = 10
  static let outstandingAtHorizon = 11
  static let runOffRedeemed = 12
  static let runOffExpired = 13
  static let count = 14
}

/// Flow kinds (slot arrays) and development columns (issue-month arrays).
private enum Flow {
  static let issued = 0, redeemed = 1, expired = 2, reversed = 3, count = 4
}
/// The issued and reversed columns are not summed: a lot's points are issued in its
/// issue month, so issued by issue month is the issued flow of the history slots, and
/// per lot points = open + redeemed + expired + reversed gives the reversed column.
private enum Development {
  static let redeemed = 0, expired = 1, open = 2, closedRedeemed = 3, closedExpired = 4, count = 5
}

/// One chunk's integer sums, as plain arrays.
private struct PointsChunkTotals: Sendable {
  var runFields: [Int64]
  var flows: [Int64]
  var development: [Int64]
  let runs: Int, slots: Int, months: Int

  init(runs: Int, slots: Int, months: Int) {
    self.runs = runs
    self.slots = slots
    self.months = months
    runFields = [Int64](repeating: 0, count: runs * RunField.count)
    flows = [Int64](repeating: 0, count: slots * Flow.count)
    development = [Int64](repeating: 0, count: months * Development.count)
  }

  mutating func add(_ other: PointsChunkTotals) {
    for i in runFields.indices { runFields[i] += other.runFields[i] }
    for i in flows.indices { flows[i] += other.flows[i] }
    for i in development.indices { development[i] += other.development[i] }
  }

  func simulationTotals(memberOutstanding: [Int64]) -> PointsSimulationTotals {
    let runTotals = (0..<runs).map { run -> PointsRunTotals in
      let f = runFields[(run * RunField.count)..<((run + 1) * RunField.count)].map { $0 }
      var t = PointsRunTotals()
      t.issued = f[RunField.issued]
      t.redeemed = f[RunField.redeemed]
      t.expired = f[RunField.expired]
      t.reversed = f[RunField.reversed]
      t.outstanding = f[RunField.outstanding]
      t.negativeBalanceMembers = Int(f[RunField.negativeMembers])
      t.closedLotsRedeemed = f[RunField.closedRedeemed]
      t.closedLotsExpired = f[RunField.closedExpired]
      t.runOffRedeemed = f[RunField.runOffRedeemed]
      t.runOffExpired = f[RunField.runOffExpired]
      t.projectedIssued = f[RunField.projectedIssued]
      t.projectedRedeemed = f[RunField.projectedRedeemed]
      t.projectedExpired = f[RunField.projectedExpired]
      t.outstandingAtHorizon = f[RunField.outstandingAtHorizon]
      return t
    }
    func flow(_ kind: Int) -> [Int64] { Array(flows[(kind * slots)..<((kind + 1) * slots)]) }
    func column(_ kind: Int) -> [Int64] { Array(development[(kind * months)..<((kind + 1) * months)]) }
    let developmentIssued = Array(flow(Flow.issued)[..<months])
    let developmentRedeemed = column(Development.redeemed)
    let developmentExpired = column(Development.expired)
    let developmentOpen = column(Development.open)
    let developmentReversed = (0..<months).map {
      developmentIssued[$0] - developmentRedeemed[$0] - developmentExpired[$0] - developmentOpen[$0]
    }
    return PointsSimulationTotals(
      runs: runTotals, issued: flow(Flow.issued), redeemed: flow(Flow.redeemed),
      expired: flow(Flow.expired), reversed: flow(Flow.reversed),
      developmentIssued: developmentIssued, developmentReversed: developmentReversed,
      developmentRedeemed: developmentRedeemed, developmentExpired: developmentExpired,
      developmentOpen: developmentOpen,
      developmentClosedRedeemed: column(Development.closedRedeemed),
      developmentClosedExpired: column(Development.closedExpired),
      memberOutstanding: memberOutstanding)
  }
}

/// One worker's running sums in raw storage (no uniqueness checks in the hot loop).
private struct PointsAccumulators: ~Copyable {
  let runs: Int, slots: Int, months: Int
  let runFields: UnsafeMutablePointer<Int64>
  let flows: UnsafeMutablePointer<Int64>
  let development: UnsafeMutablePointer<Int64>

  init(runs: Int, slots: Int, months: Int) {
    self.runs = runs
    self.slots = slots
    self.months = months
    runFields = .allocate(capacity: max(1, runs * RunField.count))
    runFields.initialize(repeating: 0, count: runs * RunField.count)
    flows = .allocate(capacity: max(1, slots * Flow.count))
    flows.initialize(repeating: 0, count: slots * Flow.count)
    development = .allocate(capacity: max(1, months * Development.count))
    development.initialize(repeating: 0, count: months * Development.count)
  }

  deinit {
    runFields.deallocate()
    flows.deallocate()
    development.deallocate()
  }

  /// The per-run fields of run `run` (index them with `RunField`).
  @inline(__always) func runSums(_ run: Int) -> UnsafeMutablePointer<Int64> {
    runFields + run * RunField.count
  }
  @inline(__always) func addFlow(_ kind: Int, slot: Int, _ value: Int64) {
    flows[kind * slots + slot] += value
  }
  @inline(__always) func addDevelopment(_ kind: Int, month: Int, _ value: Int64) {
    development[kind * months + month] += value
  }

  func totals() -> PointsChunkTotals {
    var t = PointsChunkTotals(runs: runs, slots: slots, months: months)
    t.runFields = Array(UnsafeBufferPointer(start: runFields, count: runs * RunField.count))
    t.flows = Array(UnsafeBufferPointer(start: flows, count: slots * Flow.count))
    t.development = Array(UnsafeBufferPointer(start: development, count: months * Development.count))
    return t
  }
}

/// A member's running figures in one run.
private struct MemberRun {
  let stream: PointsRandomStream
  var issued: Int64 = 0
  var redeemed: Int64 = 0
  var expired: Int64 = 0
  var reversed: Int64 = 0
  var projectedIssued: Int64 = 0
  var projectedRedeemed: Int64 = 0
  var projectedExpired: Int64 = 0
  /// Points earned minus points reversed with a date on or after the pace window start.
  var trailingNet: Int64 = 0
}

/// The replay of one member in one run, reading the plan's columns.
private struct MemberSimulator {
  /// `PointsRandomStream.runKey` of each run.
  let runKeys: [UInt64]
  /// Thresholds of the claim and redemption draws (`PointsRandomStream.threshold`).
  let claimThreshold: UInt64
  let redeemThreshold: UInt64
  let minRedeem: Int64
  let redeemFractionMillionths: Int64
  let projection: Bool
  let memberFirstMonth: PointsColumn<Int32>
  let firstMonthIndex: Int32
  let historicMonths: Int
  let lastHistoricMonthEnd: Int32
  let firstProjectedMonth: Int32
  let projectedMonths: Int
  let daysInAsOfMonth: Int64
  let firstProjectionDays: Int64
  let expiry: ExpiryRule
  let expiryMonths: Int
  /// `PointsPlan.runOff`.
  let runOff: [Bool]
  /// True when no lot earned in the projection expires by its last month-end: those
  /// earns then go into the ledger's block instead of lots of their own.
  let projectedEarnsOutliveHorizon: Bool
  /// Whether the projection takes `projectWholeRedemptions`.
  let projectsWholeRedemptions: Bool

  init(plan: PointsPlan, settings: PointsSimulationSettings) {
    runKeys = (0..<settings.runs).map { PointsRandomStream.runKey(seed: settings.seed, run: $0) }
    claimThreshold = PointsRandomStream.threshold(probability: settings.claimRatio)
    redeemThreshold = PointsRandomStream.threshold(probability: settings.redeemProbability)
    minRedeem = settings.minRedeem
    redeemFractionMillionths = settings.redeemFractionMillionths
    projection = settings.projection
    memberFirstMonth = plan.memberFirstMonth
    firstMonthIndex = plan.firstMonth.index
    historicMonths = plan.historicMonths
    lastHistoricMonthEnd = plan.lastHistoricMonthEnd
    firstProjectedMonth = plan.firstProjectedMonth
    projectedMonths = plan.projectedMonths
    daysInAsOfMonth = plan.daysInAsOfMonth
    firstProjectionDays = plan.firstProjectionDays
    expiry = plan.expiry
    expiryMonths = plan.expiryMonths
    runOff = plan.runOff
    let lastProjectedMonth = plan.firstProjectedMonth + Int32(plan.projectedMonths) - 1
    projectedEarnsOutliveHorizon = (0..<plan.projectedMonths).allSatisfy { k in
      PointsArithmetic.expiryMonth(
        earnedIn: plan.firstProjectedMonth + Int32(k), rule: plan.expiry, months: plan.expiryMonths)
        > lastProjectedMonth
    }
    projectsWholeRedemptions =
      settings.wholeRedemptionShortcut && projectedEarnsOutliveHorizon
      && settings.redeemFractionMillionths == 1_000_000
  }

  /// Replays member `m`, whose events `script` holds, in run `run`, adds its figures to
  /// `sums`, and returns its balance at as-of.
  @inline(__always)
  func simulate(
    member m: Int, run: Int, script: borrowing MemberScript, ledger: inout PointsLedger,
    lotOfOrder: UnsafeMutablePointer<Int32>, into sums: inout PointsAccumulators
  ) -> Int64 {
    // A member without events earns, holds and projects nothing in any run.
    if script.count == 0 { return 0 }
    ledger.reset()
    var state = MemberRun(stream: PointsRandomStream(runKey: runKeys[run], member: m))

    var event = 0
    var month = memberFirstMonth[m]
    // Whether `month`'s redemption draw is already known to redeem.
    var redeems = false
    while month <= lastHistoricMonthEnd {
      event = applyEvents(from: event, through: month, script, &state, &ledger, lotOfOrder, &sums)
      monthEnd(month, slot: Int(month - firstMonthIndex), projected: false, redeems: redeems, &state, &ledger, &sums)
      redeems = false
      let nextEventMonth = event < script.count ? script.month[event] : Int32.max
      let nextDue = min(nextEventMonth, ledger.nextExpiryMonth())
      if ledger.lotsTotal > 0 && ledger.lotsTotal >= minRedeem {
        // Quiet months (no event, no expiry due) change nothing unless their draw
        // redeems: run through the draws alone up to the first that does.
        let until = min(nextDue, lastHistoricMonthEnd + 1)
        month += 1
        while month < until {
          if state.stream.isBelow(redeemThreshold, at: PointsRandomStream.redemptionPosition(monthIndex: month)) {
            redeems = true
            break
          }
          month += 1
        }
      } else {
        month = nextDue
      }
    }
    _ = applyEvents(from: event, through: Int32.max, script, &state, &ledger, lotOfOrder, &sums)

    // The snapshot at as-of.
    let outstanding = ledger.balance
    let runSums = sums.runSums(run)
    runSums[RunField.issued] += state.issued
    runSums[RunField.redeemed] += state.redeemed
    runSums[RunField.expired] += state.expired
    runSums[RunField.reversed] += state.reversed
    runSums[RunField.outstanding] += outstanding
    if outstanding < 0 { runSums[RunField.negativeMembers] += 1 }
    var closedRedeemed: Int64 = 0
    var closedExpired: Int64 = 0
    var runOffRedeemed: Int64 = 0
    var runOffExpired: Int64 = 0
    for lot in 0..<ledger.count {
      let month = Int(ledger.issueMonth[lot] - firstMonthIndex)
      let held = ledger.remaining[lot]
      let redeemed = ledger.redeemed[lot]
      let expired = ledger.expired[lot]
      sums.addDevelopment(Development.redeemed, month: month, redeemed)
      sums.addDevelopment(Development.expired, month: month, expired)
      sums.addDevelopment(Development.open, month: month, held)
      if held == 0 {
        sums.addDevelopment(Development.closedRedeemed, month: month, redeemed)
        sums.addDevelopment(Development.closedExpired, month: month, expired)
        closedRedeemed += redeemed
        closedExpired += expired
      }
      if runOff[month] {
        runOffRedeemed += redeemed
        runOffExpired += expired
      }
    }
    runSums[RunField.closedRedeemed] += closedRedeemed
    runSums[RunField.closedExpired] += closedExpired
    runSums[RunField.runOffRedeemed] += runOffRedeemed
    runSums[RunField.runOffExpired] += runOffExpired

    var balanceAtHorizon = ledger.balance
    if projection {
      balanceAtHorizon =
        projectsWholeRedemptions
        ? projectWholeRedemptions(&state, &ledger, &sums) : project(&state, &ledger, &sums)
    }
    runSums[RunField.projectedIssued] += state.projectedIssued
    runSums[RunField.projectedRedeemed] += state.projectedRedeemed
    runSums[RunField.projectedExpired] += state.projectedExpired
    runSums[RunField.outstandingAtHorizon] += balanceAtHorizon
    return outstanding
  }

  /// Applies the script's events from `event` on whose month is `month` or earlier, in
  /// time order; returns the index of the first event not applied. An earn is claimed
  /// when its draw falls below the claim threshold and records its lot (or -1) under its
  /// order's ordinal; a reversal of an order that was not claimed has nothing to reverse.
  @inline(__always)
  private func applyEvents(
    from event: Int, through month: Int32, _ script: borrowing MemberScript, _ state: inout MemberRun,
    _ ledger: inout PointsLedger, _ lotOfOrder: UnsafeMutablePointer<Int32>, _ sums: inout PointsAccumulators
  ) -> Int {
    var e = event
    while e < script.count && script.month[e] <= month {
      defer { e += 1 }
      let points = script.points[e]
      let eventMonth = script.month[e]
      let ordinal = Int(script.ordinal[e])
      let flags = script.flags[e]
      if flags & MemberScript.reversalFlag == 0 {
        guard PointsRandomStream.mix(state.stream.key &+ script.claimOffset[e]) >> 11 < claimThreshold else {
          lotOfOrder[ordinal] = -1
          continue
        }
        lotOfOrder[ordinal] = Int32(
          truncatingIfNeeded: ledger.earn(points, month: eventMonth, expiry: script.expiryMonth[e]))
        state.issued += points
        sums.addFlow(Flow.issued, slot: Int(eventMonth - firstMonthIndex), points)
        if flags & MemberScript.paceFlag != 0 { state.trailingNet += points }
      } else {
        let lot = Int(lotOfOrder[ordinal])
        guard lot >= 0 else { continue }
        ledger.reverse(points, lot: lot)
        state.reversed += points
        sums.addFlow(Flow.reversed, slot: Int(eventMonth - firstMonthIndex), points)
        if flags & MemberScript.paceFlag != 0 { state.trailingNet -= points }
      }
    }
    return e
  }

  /// The month-end of `month`: expiry first, then the redemption draw (taken already
  /// when `redeems`, which says it falls below the threshold).
  @inline(__always)
  private func monthEnd(
    _ month: Int32, slot: Int, projected: Bool, redeems: Bool = false, _ state: inout MemberRun,
    _ ledger: inout PointsLedger, _ sums: inout PointsAccumulators
  ) {
    let expired = ledger.expire(atEndOf: month)
    if expired > 0 {
      sums.addFlow(Flow.expired, slot: slot, expired)
      if projected { state.projectedExpired += expired } else { state.expired += expired }
    }
    let balance = ledger.lotsTotal
    guard balance > 0 && balance >= minRedeem else { return }
    guard redeems || state.stream.isBelow(redeemThreshold, at: PointsRandomStream.redemptionPosition(monthIndex: month))
    else { return }
    let amount =
      redeemFractionMillionths == 1_000_000
      ? balance : PointsArithmetic.share(of: balance, millionths: redeemFractionMillionths)
    guard amount > 0 else { return }
    ledger.redeem(amount)
    sums.addFlow(Flow.redeemed, slot: slot, amount)
    if projected { state.projectedRedeemed += amount } else { state.redeemed += amount }
  }

  /// The projection: each projected month-end earns the next part of the trailing pace
  /// (max(0, points earned - reversed dated in the 365 days to as-of) per 12 months) as
  /// one lot (`ProjectedEarns`), then runs expiry and redemption. Returns the balance at
  /// the horizon.
  @inline(__always)
  private func project(
    _ state: inout MemberRun, _ ledger: inout PointsLedger, _ sums: inout PointsAccumulators
  ) -> Int64 {
    let pace = max(0, state.trailingNet)
    guard pace > 0 || ledger.lotsTotal > 0 else { return ledger.balance }
    var earns = ProjectedEarns(pace: pace, firstDays: firstProjectionDays, daysInMonth: daysInAsOfMonth)
    for k in 0..<projectedMonths {
      let month = firstProjectedMonth + Int32(k)
      let slot = historicMonths + k
      let amount = earns.next()
      if amount > 0 {
        if projectedEarnsOutliveHorizon {
          ledger.earnToBlock(amount)
        } else {
          let expiryMonth = PointsArithmetic.expiryMonth(earnedIn: month, rule: expiry, months: expiryMonths)
          ledger.earn(amount, month: month, expiry: expiryMonth)
        }
        state.projectedIssued += amount
        sums.addFlow(Flow.issued, slot: slot, amount)
      }
      monthEnd(month, slot: slot, projected: true, &state, &ledger, &sums)
    }
    return ledger.balance
  }

  /// `project` when no projected earn expires before the horizon and a redemption takes
  /// the whole balance (the defaults), with the same figures: the first redemption
  /// empties the lots, so the ledger is read only while lots from the history can still
  /// expire, and the balance runs as a local figure. Returns the balance at the horizon.
  @inline(__always)
  private func projectWholeRedemptions(
    _ state: inout MemberRun, _ ledger: inout PointsLedger, _ sums: inout PointsAccumulators
  ) -> Int64 {
    let pace = max(0, state.trailingNet)
    var held = ledger.lotsTotal
    var debt = ledger.debt
    guard pace > 0 || held > 0 else { return held - debt }
    // The month at whose end the oldest lot still holding points expires; only
    // expiry changes the lots from here on, until a redemption empties them.
    var nextExpiry = ledger.nextExpiryMonth()
    var earns = ProjectedEarns(pace: pace, firstDays: firstProjectionDays, daysInMonth: daysInAsOfMonth)
    for k in 0..<projectedMonths {
      let month = firstProjectedMonth + Int32(k)
      let slot = historicMonths + k
      let amount = earns.next()
      if amount > 0 {
        let paid = min(debt, amount)
        debt -= paid
        held += amount - paid
        state.projectedIssued += amount
        sums.addFlow(Flow.issued, slot: slot, amount)
      }
      if month >= nextExpiry {
        let expired = ledger.expire(atEndOf: month)
        held -= expired
        state.projectedExpired += expired
        sums.addFlow(Flow.expired, slot: slot, expired)
        nextExpiry = ledger.nextExpiryMonth()
      }
      // The redemption, without a branch on its draw (which goes one way or the other
      // at random, so a branch on it is often mispredicted): the draw is made every
      // month and counts only when the balance can redeem, and a month without a
      // redemption adds 0.
      let draw = state.stream.isBelow(redeemThreshold, at: PointsRandomStream.redemptionPosition(monthIndex: month))
      let redeems = held > 0 && held >= minRedeem && draw
      let taken = redeems ? held : 0
      state.projectedRedeemed += taken
      sums.addFlow(Flow.redeemed, slot: slot, taken)
      held -= taken
      nextExpiry = redeems ? Int32.max : nextExpiry
    }
    return held - debt
  }
}

/// The projection's earns of one member: month k (1-based) ends
/// t_k = (left + (k - 1) * days) / days months after as-of, where days is the length of
/// the as-of month and left its days after as-of (a whole month when as-of is a
/// month-end); its earn is floor(pace * t_k / 12) - floor(pace * t_{k-1} / 12). The
/// cumulative floor(pace * (left + k * days) / (12 * days)) advances by quotient and
/// remainder, so that the loop does not divide.
private struct ProjectedEarns {
  let denominator: Int64
  let stepQuotient: Int64
  let stepRemainder: Int64
  var cumulative: Int64
  var remainder: Int64
  var earnedSoFar: Int64 = 0

  @inline(__always)
  init(pace: Int64, firstDays: Int64, daysInMonth: Int64) {
    denominator = 12 * daysInMonth
    let start = pace * firstDays
    cumulative = start / denominator
    remainder = start % denominator
    let step = pace * daysInMonth
    stepQuotient = step / denominator
    stepRemainder = step % denominator
  }

  /// The next projected month's earn, >= 0.
  @inline(__always)
  mutating func next() -> Int64 {
    let amount = cumulative - earnedSoFar
    earnedSoFar = cumulative
    cumulative += stepQuotient
    remainder += stepRemainder
    if remainder >= denominator {
      remainder -= denominator
      cumulative += 1
    }
    return amount
  }
}
