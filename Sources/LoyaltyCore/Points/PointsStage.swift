/// The points stage (SPEC 7): member history and level ladder in, points economics out.
///
/// It replays every member's ledger over the counted orders for `runs` Monte Carlo runs
/// (see `PointsSimulation` for the order of events and `PointsRandomStream` for the
/// draws), projects it forward, and derives the summary, the monthly flows, the
/// redemption development, the IFRS 15 view, the sensitivity grid and the alerts.
/// No I/O; the same inputs and seed give the same result for any thread count.
public enum PointsStage {
  /// The longest list of daily-cap offenders kept.
  public static let alertListLength = 10
  /// Calibration stops within this distance of the target rate (half a percentage point).
  public static let calibrationTolerance = 0.005
  /// Calibration gives up after this many bisection steps.
  public static let calibrationMaxIterations = 30

  /// Runs the stage.
  /// - Parameters:
  ///   - history: the counted orders of every member.
  ///   - ladder: the level thresholds whose month-end levels set the earn multipliers;
  ///     nil puts everyone in level 1.
  ///   - config: the programme and the simulation's assumptions.
  ///   - seed: the seed every random stream derives from.
  ///   - threads: worker threads; 0 means one per online core. Results do not depend on it.
  ///   - sampling: how many members and runs calibration and the sensitivity grid use.
  /// - Throws: `LoyaltyError.input` when a setting is out of range.
  public static func run(
    history: MemberHistory, ladder: LevelLadder?, config: PointsConfig, seed: UInt64, threads: Int,
    sampling: PointsSampling = PointsSampling()
  ) throws(LoyaltyError) -> PointsResult {
    try validate(config, minorDigits: history.minorDigits)
    try checkPointsFit(history, config)
    let plan = PointsPlan(history: history, ladder: ladder, config: config, threads: threads)
    let costPerPoint = config.costPerPoint
    let runs = config.runs

    func settings(claimRatio: Double, redeemProbability: Double, runs: Int, full: Bool)
      -> PointsSimulationSettings
    {
      PointsSimulationSettings(
        claimRatio: claimRatio, redeemProbability: redeemProbability, minRedeem: Int64(config.minRedeem),
        redeemFractionMillionths: PointsArithmetic.millionths(config.redeemFraction), runs: runs, seed: seed,
        projection: full, recordMemberOutstanding: full)
    }

    // Calibration of p_redeem, on a sample of members when the data is large.
    func calibrate(_ target: Double, runs: Int, sample: [Int32]?) -> PointsCalibrator.Outcome<Void> {
      PointsCalibrator.bisect(
        target: target, tolerance: calibrationTolerance, maxIterations: calibrationMaxIterations
      ) { p in
        let totals = PointsSimulation.run(
          plan: plan,
          settings: settings(claimRatio: config.claimRatio, redeemProbability: p, runs: runs, full: false),
          sample: sample, threads: threads)
        return (meanRedemptionRate(totals.runs), ())
      }
    }
    var redeemProbability = config.redeemProbability
    var calibration: PointsCalibration?
    if let target = config.targetRedemptionRate {
      let sample = sampleMembers(history.memberCount, limit: sampling.calibrationMembers, seed: seed)
      let calibrationRuns = max(1, min(runs, sampling.calibrationRuns))
      let outcome = calibrate(target, runs: calibrationRuns, sample: sample)
      redeemProbability = outcome.redeemProbability
      calibration = PointsCalibration(
        targetRedemptionRate: target, redeemProbability: outcome.redeemProbability,
        calibrationRedemptionRate: outcome.rate, achievedRedemptionRate: 0, hit: outcome.hit,
        reachable: outcome.reachable, rateAtCertainRedemption: outcome.rateAtCertainRedemption,
        evaluations: outcome.evaluations, runs: calibrationRuns,
        sampleMembers: sample?.count ?? history.memberCount, tolerance: calibrationTolerance)
    }

    // The runs.
    let revenueMajor = Double(plan.netRevenueMinor) / Double(Money.pow10(history.minorDigits))
    func simulate(_ p: Double) -> (totals: PointsSimulationTotals, summary: [PointsMetricSummary]) {
      let totals = PointsSimulation.run(
        plan: plan,
        settings: settings(claimRatio: config.claimRatio, redeemProbability: p, runs: runs, full: true),
        sample: nil, threads: threads)
      let perRun = totals.runs.map {
        runMetrics(
          $0, revenueMajor: revenueMajor, costPerPoint: costPerPoint,
          expectedRedemptionRate: config.expectedRedemptionRate, liabilityScale: 1)
      }
      let summary = PointsResult.summaryMetricNames.enumerated().map { k, name in
        PointsStatistics.summarize(name, perRun.map { $0[k] })
      }
      return (totals, summary)
    }
    var (totals, summary) = simulate(redeemProbability)
    if var found = calibration, found.reachable,
      abs(summary[Metric.redemptionRate].mean - found.targetRedemptionRate) > calibrationTolerance,
      history.orderCount * runs <= sampling.recalibrationOrderRuns
    {
      // The calibration's runs (fewer, and on a sample of members when the data is
      // large) hit a rate that the published runs miss: with data this small, the
      // search is run again on the published runs themselves.
      let outcome = calibrate(found.targetRedemptionRate, runs: runs, sample: nil)
      redeemProbability = outcome.redeemProbability
      found.redeemProbability = outcome.redeemProbability
      found.calibrationRedemptionRate = outcome.rate
      found.evaluations += outcome.evaluations
      found.runs = runs
      found.sampleMembers = history.memberCount
      calibration = found
      (totals, summary) = simulate(redeemProbability)
    }
    let projection = [
      PointsStatistics.summarize("projected_issued", totals.runs.map { Double($0.projectedIssued) }),
      PointsStatistics.summarize("projected_redeemed", totals.runs.map { Double($0.projectedRedeemed) }),
      PointsStatistics.summarize("projected_expired", totals.runs.map { Double($0.projectedExpired) }),
      PointsStatistics.summarize(
        "projected_cost", totals.runs.map { Double($0.projectedRedeemed) * costPerPoint }),
      PointsStatistics.summarize("outstanding_at_horizon", totals.runs.map { Double($0.outstandingAtHorizon) }),
    ]
    // The calibration is judged by the runs the report publishes.
    calibration?.achievedRedemptionRate = summary[Metric.redemptionRate].mean
    if let found = calibration {
      calibration?.hit = abs(found.achievedRedemptionRate - found.targetRedemptionRate) <= calibrationTolerance
    }

    let ultimate = totals.runs.map {
      ultimateRedemptionRate($0, expectedRedemptionRate: config.expectedRedemptionRate)
    }
    let monthly = monthlySeries(plan: plan, totals: totals, runs: runs)
    let development = developmentTable(plan: plan, totals: totals, runs: runs)
    let historic = Array(monthly.prefix(plan.historicMonths))
    let deferredRevenue = DeferredRevenue.rollForward(
      months: historic.map(\.month), revenueMinor: plan.revenueByMonth,
      netPointsIssued: historic.map { $0.issued - $0.reversed }, redeemedPoints: historic.map(\.redeemed),
      expiredPoints: historic.map(\.expired), outstandingPoints: historic.map(\.outstanding),
      pointValue: config.pointValue, expectedRedemptionRate: config.expectedRedemptionRate,
      minorDigits: history.minorDigits)

    let sensitivity = sensitivityGrid(
      plan: plan, config: config, seed: seed, threads: threads, sampling: sampling, settings: settings)

    var result = PointsResult(
      summary: summary, projection: projection, runTotals: totals.runs, redeemProbability: redeemProbability,
      calibration: calibration, monthly: monthly, development: development,
      ultimateRedemptionRate: PointsStatistics.mean(ultimate.map(\.rate)),
      ultimateRateSource: ultimate.map(\.source).max() ?? .expectedRedemptionRate,
      ifrsExpectedRedemptionRate: config.expectedRedemptionRate, deferredRevenue: deferredRevenue,
      sensitivity: sensitivity.cells, sensitivitySampleMembers: sensitivity.members,
      alerts: alerts(plan: plan, dailyCap: config.dailyCap, memberOutstanding: totals.memberOutstanding),
      netRevenueMinor: plan.netRevenueMinor, minorDigits: history.minorDigits, costPerPoint: costPerPoint,
      runs: runs, seed: seed, members: history.memberCount, orders: history.orderCount, asOf: history.asOf,
      horizon: plan.projectedMonths > 0
        ? Month(index: plan.firstProjectedMonth + Int32(plan.projectedMonths - 1)) : plan.asOfMonth)
    result.memberOutstanding = totals.memberOutstanding
    return result
  }

  /// The ultimate redemption rate of one run (SPEC 7: from lots that can no longer
  /// change, by issue month): redeemed / (redeemed + expired) over the issue months that
  /// have run off, whose lots were all past their expiry at as-of. A month whose lots
  /// still hold points counts none of them: its lots that have closed early are mostly
  /// the redeemed ones, and would raise the rate. Without a run-off month (a history
  /// shorter than the expiry, or no expiry), the lots closed at as-of; when none has
  /// closed, the run's redeemed / issued; when nothing was issued,
  /// `expectedRedemptionRate`.
  public static func ultimateRedemptionRate(_ run: PointsRunTotals, expectedRedemptionRate: Double)
    -> (rate: Double, source: UltimateRateSource)
  {
    let runOff = run.runOffRedeemed + run.runOffExpired
    if runOff > 0 { return (Double(run.runOffRedeemed) / Double(runOff), .runOffIssueMonths) }
    let closed = run.closedLotsRedeemed + run.closedLotsExpired
    if closed > 0 { return (Double(run.closedLotsRedeemed) / Double(closed), .closedLots) }
    if run.issued > 0 { return (Double(run.redeemed) / Double(run.issued), .observedRedemptionRate) }
    return (expectedRedemptionRate, .expectedRedemptionRate)
  }

  /// Positions in `PointsResult.summaryMetricNames` that the stage reads back.
  enum Metric {
    static let redemptionRate = 5
    static let costShareOfRevenue = 8
    static let liabilityAccruedCost = 9
  }

  /// One run's metrics in the order of `PointsResult.summaryMetricNames`. Rates are 0
  /// when nothing was issued, the cost share 0 without revenue; the liability is
  /// outstanding * cost per point * ultimate rate * `liabilityScale`.
  static func runMetrics(
    _ run: PointsRunTotals, revenueMajor: Double, costPerPoint: Double, expectedRedemptionRate: Double,
    liabilityScale: Double
  ) -> [Double] {
    let issued = Double(run.issued)
    let cost = Double(run.redeemed) * costPerPoint
    let ultimate = ultimateRedemptionRate(run, expectedRedemptionRate: expectedRedemptionRate).rate
    return [
      issued, Double(run.redeemed), Double(run.expired), Double(run.reversed), Double(run.outstanding),
      run.issued > 0 ? Double(run.redeemed) / issued : 0,
      run.issued > 0 ? Double(run.expired) / issued : 0,
      cost,
      revenueMajor > 0 ? cost / revenueMajor : 0,
      Double(run.outstanding) * costPerPoint * ultimate * liabilityScale,
      Double(run.negativeBalanceMembers),
    ]
  }

  /// Mean over runs of redeemed / issued (0 for a run that issued nothing).
  static func meanRedemptionRate(_ runs: [PointsRunTotals]) -> Double {
    PointsStatistics.mean(runs.map { $0.issued > 0 ? Double($0.redeemed) / Double($0.issued) : 0 })
  }

  /// Member indexes of the deterministic sample of about `limit` members, ascending;
  /// nil (all members) when there are at most `limit`.
  static func sampleMembers(_ count: Int, limit: Int, seed: UInt64) -> [Int32]? {
    guard count > max(1, limit) else { return nil }
    let fraction = Double(max(1, limit)) / Double(count)
    var sample: [Int32] = []
    sample.reserveCapacity(limit + limit / 10)
    for m in 0..<count where PointsRandomStream.inSample(seed: seed, member: m, fraction: fraction) {
      sample.append(Int32(m))
    }
    return sample
  }

  static func monthlySeries(plan: PointsPlan, totals: PointsSimulationTotals, runs: Int) -> [PointsMonth] {
    let n = Double(max(1, runs))
    var outstanding: Int64 = 0
    return (0..<plan.slots).map { s in
      outstanding += totals.issued[s] - totals.reversed[s] - totals.redeemed[s] - totals.expired[s]
      return PointsMonth(
        month: plan.month(ofSlot: s), projected: s >= plan.historicMonths, issued: Double(totals.issued[s]) / n,
        redeemed: Double(totals.redeemed[s]) / n, expired: Double(totals.expired[s]) / n,
        reversed: Double(totals.reversed[s]) / n, outstanding: Double(outstanding) / n)
    }
  }

  static func developmentTable(plan: PointsPlan, totals: PointsSimulationTotals, runs: Int)
    -> [RedemptionDevelopmentRow]
  {
    let n = Double(max(1, runs))
    return (0..<plan.historicMonths).map { k in
      let closed = totals.developmentClosedRedeemed[k] + totals.developmentClosedExpired[k]
      return RedemptionDevelopmentRow(
        issueMonth: plan.firstMonth + k, issued: Double(totals.developmentIssued[k]) / n,
        reversed: Double(totals.developmentReversed[k]) / n,
        redeemed: Double(totals.developmentRedeemed[k]) / n, expired: Double(totals.developmentExpired[k]) / n,
        open: Double(totals.developmentOpen[k]) / n,
        closedRedeemed: Double(totals.developmentClosedRedeemed[k]) / n,
        closedExpired: Double(totals.developmentClosedExpired[k]) / n,
        closedShareRedeemed: closed > 0 ? Double(totals.developmentClosedRedeemed[k]) / Double(closed) : nil,
        runOff: totals.developmentIssued[k] > 0 && plan.runOff[k])
    }
  }

  /// The sensitivity grid: for each claim ratio and target redemption rate, p_redeem is
  /// calibrated by the same bisection as the main calibration, with
  /// min(runs, sampling.sensitivityRuns) runs on a sample of about
  /// `sampling.sensitivityMembers` members; the cell reports the mean cost share of the
  /// sample's revenue and the mean liability scaled to all members by net revenue
  /// (total / sample). Evaluations at the same p are shared across the targets of a
  /// claim ratio, since the bisection visits the same midpoints.
  static func sensitivityGrid(
    plan: PointsPlan, config: PointsConfig, seed: UInt64, threads: Int, sampling: PointsSampling,
    settings: (Double, Double, Int, Bool) -> PointsSimulationSettings
  ) -> (cells: [PointsSensitivityCell], members: Int) {
    let history = plan.history
    let sample = sampleMembers(history.memberCount, limit: sampling.sensitivityMembers, seed: seed)
    let members = sample?.count ?? history.memberCount
    guard !config.sensitivityClaimRatios.isEmpty, !config.sensitivityRedemptionRates.isEmpty else {
      return ([], members)
    }
    var sampleRevenueMinor = plan.netRevenueMinor
    if let sample {
      sampleRevenueMinor = 0
      for m in sample {
        for i in history.orders(of: Int(m)) { sampleRevenueMinor += history.net[i] }
      }
    }
    let scale = sampleRevenueMinor > 0 ? Double(plan.netRevenueMinor) / Double(sampleRevenueMinor) : 0
    let revenueMajor = Double(sampleRevenueMinor) / Double(Money.pow10(history.minorDigits))
    let runs = max(1, min(config.runs, sampling.sensitivityRuns))
    var cells: [PointsSensitivityCell] = []
    for claimRatio in config.sensitivityClaimRatios {
      var evaluated: [Double: [PointsRunTotals]] = [:]
      for target in config.sensitivityRedemptionRates {
        let outcome = PointsCalibrator.bisect(
          target: target, tolerance: calibrationTolerance, maxIterations: calibrationMaxIterations
        ) { p in
          let totals =
            evaluated[p]
            ?? PointsSimulation.run(
              plan: plan, settings: settings(claimRatio, p, runs, false), sample: sample, threads: threads
            ).runs
          evaluated[p] = totals
          return (meanRedemptionRate(totals), totals)
        }
        let metrics = outcome.payload.map {
          runMetrics(
            $0, revenueMajor: revenueMajor, costPerPoint: config.costPerPoint,
            expectedRedemptionRate: config.expectedRedemptionRate, liabilityScale: scale)
        }
        cells.append(
          PointsSensitivityCell(
            claimRatio: claimRatio, targetRedemptionRate: target, redeemProbability: outcome.redeemProbability,
            achievedRedemptionRate: outcome.rate, hit: outcome.hit, reachable: outcome.reachable,
            costShareOfRevenue: PointsStatistics.mean(metrics.map { $0[Metric.costShareOfRevenue] }),
            liabilityAccruedCost: PointsStatistics.mean(metrics.map { $0[Metric.liabilityAccruedCost] })))
      }
    }
    return (cells, members)
  }

  /// Daily-cap offenders (points earnable on one business date with every order
  /// claimed, refunded orders on gross, above the cap) and the concentration of
  /// positive balances at as-of in run 0.
  static func alerts(plan: PointsPlan, dailyCap: Int, memberOutstanding: [Int64]) -> PointsAlerts {
    let history = plan.history
    var offenders: [(points: Int64, member: Int)] = []
    for m in 0..<history.memberCount where plan.maxDailyPoints[m] > Int64(dailyCap) {
      offenders.append((plan.maxDailyPoints[m], m))
    }
    // Member indexes are in byte order of member id, so the index breaks ties by id.
    offenders.sort { $0.points != $1.points ? $0.points > $1.points : $0.member < $1.member }
    let top = offenders.prefix(alertListLength).map {
      DailyCapAlert(
        memberID: history.memberIDs[$0.member], day: Day(number: plan.maxDailyDay[$0.member]), points: $0.points)
    }
    let positive = memberOutstanding.filter { $0 > 0 }.sorted(by: >)
    let total = positive.reduce(0, +)
    func share(_ fraction: Double) -> Double {
      guard total > 0 else { return 0 }
      let k = max(1, Int((fraction * Double(history.memberCount)).rounded(.up)))
      return Double(positive.prefix(k).reduce(0, +)) / Double(total)
    }
    return PointsAlerts(
      dailyCap: dailyCap, membersOverDailyCap: offenders.count, topOverDailyCap: top,
      topOnePercentShare: share(0.01), topTwentyPercentShare: share(0.2))
  }

  /// Stops the run when the points the orders could earn might pass what the ledger's
  /// `Int64` arithmetic holds: every product it forms is at most the points all orders
  /// could earn (at earn_rate times the largest multiplier, counted as at least 1) times
  /// 32 (the projection multiplies a member's yearly pace by a month's days, and adds at
  /// most five years of it), and that stays below 2^62. The flows are also summed over
  /// the runs (and the monthly outstanding over the months): a run issues at most six
  /// times those points (its history's and five years of projection), so those points
  /// times 8 times `runs` stay below 2^62 too. Only rates far past any programme's, or
  /// amounts near the ingest's limit, come near either.
  static func checkPointsFit(_ history: MemberHistory, _ config: PointsConfig) throws(LoyaltyError) {
    let topFactor = config.topEarnFactor
    let grossMajor = Double(history.grossTotal) / Double(Money.pow10(history.minorDigits))
    let multipliers = "earn_rate \(config.earnRate) and level multipliers up to \(config.levelMultipliers.max() ?? 1)"
    guard grossMajor * topFactor * 32 < 0x1p62 else {
      throw .input(
        "[points] at \(multipliers), the orders could earn more points than the ledger counts (2^62); lower earn_rate or level_multipliers."
      )
    }
    guard grossMajor * topFactor * 8 * Double(max(1, config.runs)) < 0x1p62 else {
      throw .input(
        "[points] at \(multipliers), the points summed over runs = \(config.runs) runs could pass what the ledger counts (2^62); lower runs, earn_rate or level_multipliers."
      )
    }
  }

  /// Checks the settings the stage depends on; each failure names the config key.
  static func validate(_ config: PointsConfig, minorDigits: Int) throws(LoyaltyError) {
    func unit(_ value: Double, _ key: String) throws(LoyaltyError) {
      guard value >= 0 && value <= 1 else {
        throw .input("[points] \(key) must be between 0 and 1 (got \(value)).")
      }
    }
    guard config.earnRate >= 0 && config.earnRate.isFinite else {
      throw .input("[points] earn_rate must be a number >= 0 (got \(config.earnRate)).")
    }
    guard config.levelMultipliers.allSatisfy({ $0 >= 0 && $0 <= 1_000 }) else {
      throw .input("[points] level_multipliers must all be numbers between 0 and 1000.")
    }
    // The ledger counts these rates in millionths, exactly (`PointsArithmetic`).
    for (key, value) in [("earn_rate", config.earnRate), ("redeem_fraction", config.redeemFraction)]
      + config.levelMultipliers.map({ ("level_multipliers", $0) })
    where !PointsArithmetic.isWholeInMillionths(value) {
      throw .input(
        "[points] \(key) \(value) has more than six decimals; points are counted with rates to the millionth, so give it with six at most."
      )
    }
    let topFactor = config.topEarnFactor
    guard topFactor <= PointsArithmetic.maxEarnFactor else {
      throw .input(
        "[points] earn_rate times the largest level multiplier is \(topFactor) points per major unit; the ledger takes at most 1000000."
      )
    }
    try unit(config.claimRatio, "claim_ratio")
    try unit(config.redeemProbability, "p_redeem")
    try unit(config.redeemFraction, "redeem_fraction")
    try unit(config.expectedRedemptionRate, "expected_redemption_rate")
    if let target = config.targetRedemptionRate { try unit(target, "target_redemption_rate") }
    for value in config.sensitivityClaimRatios { try unit(value, "sensitivity_claim_ratios") }
    for value in config.sensitivityRedemptionRates { try unit(value, "sensitivity_redemption_rates") }
    guard config.minRedeem >= 0 else { throw .input("[points] min_redeem must be >= 0 (got \(config.minRedeem)).") }
    guard config.expiryMonths >= 0 && config.expiryMonths <= 1200 else {
      throw .input("[points] expiry_months must be between 0 and 1200 (got \(config.expiryMonths)).")
    }
    guard config.runs >= 1 else { throw .input("[points] runs must be at least 1 (got \(config.runs)).") }
    guard config.projectionMonths >= 0 && config.projectionMonths <= 1200 else {
      throw .input("[points] projection_months must be between 0 and 1200 (got \(config.projectionMonths)).")
    }
    guard config.pointValue >= 0 && config.pointValue.isFinite, config.costRatio >= 0, config.mallPremium > -1 else {
      throw .input("[points] point_value and cost_ratio must be >= 0 and mall_premium > -1.")
    }
    guard (0...6).contains(minorDigits) else {
      throw .input("input.minor_digits must be between 0 and 6 for the points ledger (got \(minorDigits)).")
    }
  }
}
