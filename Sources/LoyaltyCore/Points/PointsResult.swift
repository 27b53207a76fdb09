/// Everything the points stage found (SPEC 7), for the report writer: Monte Carlo
/// summaries, calibration, the monthly flows, the redemption development table, the
/// IFRS 15 / CAS 14 deferred-revenue roll-forward, the sensitivity grid and the alerts.
/// Points are whole points (means over runs may have fractions); money is in major
/// units as Double unless a name ends in `Minor` (integer minor units).
public struct PointsResult: Sendable, Equatable {
  /// Names of `summary`, in order.
  public static let summaryMetricNames = [
    "issued", "redeemed", "expired", "reversed", "outstanding", "redemption_rate", "expiry_rate",
    "cost", "cost_share_of_revenue", "liability_accrued_cost", "negative_balance_members",
  ]
  /// Names of `projection`, in order.
  public static let projectionMetricNames = [
    "projected_issued", "projected_redeemed", "projected_expired", "projected_cost",
    "outstanding_at_horizon",
  ]

  /// Per-run metrics at as-of over `runs` runs, in the order of `summaryMetricNames`:
  /// points for issued ... outstanding (flows from the first order to as-of, outstanding
  /// at as-of), fractions 0...1 for the rates and the cost share, major units for cost
  /// and liability, a member count for negative_balance_members.
  public var summary: [PointsMetricSummary]
  /// Per-run figures of the projection (`projectedMonths` month-ends after as-of), in
  /// the order of `projectionMetricNames`: points, except projected_cost (major units).
  public var projection: [PointsMetricSummary]
  /// The totals of every run, run 0 first; for each, issued - reversed - redeemed -
  /// expired = outstanding exactly.
  public var runTotals: [PointsRunTotals]
  /// The monthly redemption probability the runs used (calibrated or configured).
  public var redeemProbability: Double
  /// The calibration, when a target redemption rate was set.
  public var calibration: PointsCalibration?
  /// Mean flows per month over runs: history months first, then projected month-ends.
  public var monthly: [PointsMonth]
  /// Mean redemption development by issue month, at as-of.
  public var development: [RedemptionDevelopmentRow]
  /// The ultimate redemption rate used for the liability, mean over runs (0...1).
  public var ultimateRedemptionRate: Double
  /// Where the ultimate rate came from (the weakest source any run needed).
  public var ultimateRateSource: UltimateRateSource
  /// The expected redemption rate of the IFRS 15 view (`expected_redemption_rate`).
  public var ifrsExpectedRedemptionRate: Double
  /// Deferred-revenue roll-forward by history month.
  public var deferredRevenue: [DeferredRevenueRow]
  /// The sensitivity grid, claim ratio outer, target rate inner (config order).
  public var sensitivity: [PointsSensitivityCell]
  /// Members simulated per sensitivity cell (a deterministic sample on large data).
  public var sensitivitySampleMembers: Int
  /// Daily-cap and concentration alerts.
  public var alerts: PointsAlerts
  /// Net revenue of all counted orders up to as-of (the denominator of the cost share),
  /// in minor units.
  public var netRevenueMinor: Int64
  /// Digits after the decimal point of the currency.
  public var minorDigits: Int
  /// Cost of one redeemed point in major units: point_value * cost_ratio / (1 + mall_premium).
  public var costPerPoint: Double
  /// Monte Carlo runs.
  public var runs: Int
  /// The seed every random stream derives from.
  public var seed: UInt64
  /// Members and counted orders simulated.
  public var members: Int
  public var orders: Int
  /// The as-of date and the last projected month (the as-of month when nothing is projected).
  public var asOf: Day
  public var horizon: Month
  /// Each member's balance at as-of in run 0 (indexed like `MemberHistory.memberIDs`),
  /// for the member snapshot of the monthly history.
  public var memberOutstanding: [Int64] = []

  /// Every field, as named.
  public init(
    summary: [PointsMetricSummary], projection: [PointsMetricSummary], runTotals: [PointsRunTotals],
    redeemProbability: Double, calibration: PointsCalibration?, monthly: [PointsMonth],
    development: [RedemptionDevelopmentRow], ultimateRedemptionRate: Double,
    ultimateRateSource: UltimateRateSource, ifrsExpectedRedemptionRate: Double,
    deferredRevenue: [DeferredRevenueRow], sensitivity: [PointsSensitivityCell],
    sensitivitySampleMembers: Int, alerts: PointsAlerts, netRevenueMinor: Int64, minorDigits: Int,
    costPerPoint: Double, runs: Int, seed: UInt64, members: Int, orders: Int, asOf: Day, horizon: Month
  ) {
    self.summary = summary
    self.projection = projection
    self.runTotals = runTotals
    self.redeemProbability = redeemProbability
    self.calibration = calibration
    self.monthly = monthly
    self.development = development
    self.ultimateRedemptionRate = ultimateRedemptionRate
    self.ultimateRateSource = ultimateRateSource
    self.ifrsExpectedRedemptionRate = ifrsExpectedRedemptionRate
    self.deferredRevenue = deferredRevenue
    self.sensitivity = sensitivity
    self.sensitivitySampleMembers = sensitivitySampleMembers
    self.alerts = alerts
    self.netRevenueMinor = netRevenueMinor
    self.minorDigits = minorDigits
    self.costPerPoint = costPerPoint
    self.runs = runs
    self.seed = seed
    self.members = members
    self.orders = orders
    self.asOf = asOf
    self.horizon = horizon
  }

  /// The summary row named `name`, if any.
  public func metric(_ name: String) -> PointsMetricSummary? {
    summary.first { $0.name == name } ?? projection.first { $0.name == name }
  }
}

/// One metric over the Monte Carlo runs: the mean and the 5th, 50th and 95th
/// percentiles (type 7, see `PointsStatistics.percentile`), in the metric's unit.
public struct PointsMetricSummary: Sendable, Equatable {
  /// The metric's name, e.g. `redemption_rate`.
  public var name: String
  /// Mean over runs.
  public var mean: Double
  /// 5th percentile over runs.
  public var p5: Double
  /// Median over runs.
  public var p50: Double
  /// 95th percentile over runs.
  public var p95: Double

  /// Every field, as named.
  public init(name: String, mean: Double, p5: Double, p50: Double, p95: Double) {
    self.name = name
    self.mean = mean
    self.p5 = p5
    self.p50 = p50
    self.p95 = p95
  }
}

/// One run's totals in whole points, at as-of and over the projection.
public struct PointsRunTotals: Sendable, Equatable {
  /// Points earned on claimed counted orders up to as-of.
  public var issued: Int64 = 0
  /// Points redeemed at month-ends up to as-of.
  public var redeemed: Int64 = 0
  /// Points expired at month-ends up to as-of.
  public var expired: Int64 = 0
  /// Points reversed by refunds up to as-of (in full, including any part that became a debt).
  public var reversed: Int64 = 0
  /// Sum of the members' balances at as-of (negative balances included):
  /// issued - reversed - redeemed - expired.
  public var outstanding: Int64 = 0
  /// Members whose balance is below zero at as-of.
  public var negativeBalanceMembers: Int = 0
  /// Points redeemed from, and expired out of, lots that hold nothing at as-of (closed lots).
  public var closedLotsRedeemed: Int64 = 0
  public var closedLotsExpired: Int64 = 0
  /// Points redeemed from, and expired out of, the lots of run-off issue months: months
  /// whose lots (which share the month's expiry) had reached their expiry by as-of.
  public var runOffRedeemed: Int64 = 0
  public var runOffExpired: Int64 = 0
  /// Points issued (at the trailing pace), redeemed and expired in the projection.
  public var projectedIssued: Int64 = 0
  public var projectedRedeemed: Int64 = 0
  public var projectedExpired: Int64 = 0
  /// Sum of balances at the last projected month-end:
  /// outstanding + projected issued - projected redeemed - projected expired.
  public var outstandingAtHorizon: Int64 = 0

  /// Every field, as named.
  /// Defaults.
  public init() {}
}

/// Mean points flows of one month (or of the projected rest of the as-of month).
public struct PointsMonth: Sendable, Equatable {
  /// The calendar month.
  public var month: Month
  /// True for projected month-ends (after as-of). When as-of is not a month-end its
  /// month has two rows: the actual part to as-of, then the projected rest.
  public var projected: Bool
  /// Mean points issued, redeemed, expired and reversed in the period.
  public var issued: Double
  public var redeemed: Double
  public var expired: Double
  public var reversed: Double
  /// Mean points outstanding at the end of the period (all members).
  public var outstanding: Double

  /// Every field, as named.
  public init(
    month: Month, projected: Bool, issued: Double, redeemed: Double, expired: Double, reversed: Double,
    outstanding: Double
  ) {
    self.month = month
    self.projected = projected
    self.issued = issued
    self.redeemed = redeemed
    self.expired = expired
    self.reversed = reversed
    self.outstanding = outstanding
  }
}

/// How the lots earned in one month had developed by as-of, in mean points over runs.
/// issued = reversed + redeemed + expired + open.
public struct RedemptionDevelopmentRow: Sendable, Equatable {
  /// The month the lots were earned in.
  public var issueMonth: Month
  /// Points the lots were earned with.
  public var issued: Double
  /// Reversed by refunds, including lot points that paid a member's debt.
  public var reversed: Double
  /// Redeemed from the lots by as-of.
  public var redeemed: Double
  /// Expired out of the lots by as-of.
  public var expired: Double
  /// Still held at as-of.
  public var open: Double
  /// Redeemed and expired points of the lots that hold nothing at as-of (closed lots).
  public var closedRedeemed: Double
  public var closedExpired: Double
  /// closedRedeemed / (closedRedeemed + closedExpired); nil when both are 0.
  public var closedShareRedeemed: Double?
  /// Whether the month has run off: it issued points, and its lots (which share the
  /// month's expiry) were past their expiry at as-of. The ultimate redemption rate pools
  /// these months.
  public var runOff: Bool

  /// Every field, as named.
  public init(
    issueMonth: Month, issued: Double, reversed: Double, redeemed: Double, expired: Double, open: Double,
    closedRedeemed: Double, closedExpired: Double, closedShareRedeemed: Double?, runOff: Bool = false
  ) {
    self.runOff = runOff
    self.issueMonth = issueMonth
    self.issued = issued
    self.reversed = reversed
    self.redeemed = redeemed
    self.expired = expired
    self.open = open
    self.closedRedeemed = closedRedeemed
    self.closedExpired = closedExpired
    self.closedShareRedeemed = closedShareRedeemed
  }
}

/// Where an ultimate redemption rate came from, strongest first.
public enum UltimateRateSource: String, Sendable, Equatable, Comparable {
  /// Redeemed / (redeemed + expired) over the issue months that have run off (every
  /// lot past its expiry at as-of).
  case runOffIssueMonths = "run_off_issue_months"
  /// No issue month had run off: redeemed / (redeemed + expired) over the lots closed
  /// at as-of.
  case closedLots = "closed_lots"
  /// No lot had closed: redeemed / issued of the run.
  case observedRedemptionRate = "observed_redemption_rate"
  /// Nothing issued either: `expected_redemption_rate` from the config.
  case expectedRedemptionRate = "expected_redemption_rate"

  private var rank: Int {
    switch self {
    case .runOffIssueMonths: return 0
    case .closedLots: return 1
    case .observedRedemptionRate: return 2
    case .expectedRedemptionRate: return 3
    }
  }

  /// Stronger sources order first.
  public static func < (a: UltimateRateSource, b: UltimateRateSource) -> Bool { a.rank < b.rank }
}

/// One month of the IFRS 15 / CAS 14 deferred-revenue roll-forward of the points
/// obligation; money in minor units, points as mean over runs.
/// closing = opening + allocated - recognised.
public struct DeferredRevenueRow: Sendable, Equatable {
  /// The calendar month.
  public var month: Month
  /// Net revenue of the month's counted orders (the transaction price).
  public var revenueMinor: Int64
  /// Points issued net of reversals in the month.
  public var netPointsIssued: Double
  /// Stand-alone selling price of those points: points * point_value * expected rate.
  public var standaloneSellingPriceMinor: Int64
  /// Deferred revenue at the start of the month (the previous closing).
  public var openingMinor: Int64
  /// Revenue allocated to the points: revenue * ssp / (revenue + ssp).
  public var allocatedMinor: Int64
  /// Revenue recognised in the month (cumulative catch-up; can be negative when the
  /// estimate of total redemptions grows).
  public var recognisedMinor: Int64
  /// Deferred revenue at the month's end.
  public var closingMinor: Int64
  /// Points redeemed up to the month's end.
  public var cumulativeRedeemedPoints: Double
  /// Total redemptions expected at the month's end: redeemed so far + expected rate *
  /// points outstanding.
  public var expectedRedemptionsPoints: Double
  /// Points expired in the month (breakage); they leave the expected redemptions, which
  /// releases their share of the deferred revenue.
  public var breakagePoints: Double

  /// Every field, as named.
  public init(
    month: Month, revenueMinor: Int64, netPointsIssued: Double, standaloneSellingPriceMinor: Int64,
    openingMinor: Int64, allocatedMinor: Int64, recognisedMinor: Int64, closingMinor: Int64,
    cumulativeRedeemedPoints: Double, expectedRedemptionsPoints: Double, breakagePoints: Double
  ) {
    self.month = month
    self.revenueMinor = revenueMinor
    self.netPointsIssued = netPointsIssued
    self.standaloneSellingPriceMinor = standaloneSellingPriceMinor
    self.openingMinor = openingMinor
    self.allocatedMinor = allocatedMinor
    self.recognisedMinor = recognisedMinor
    self.closingMinor = closingMinor
    self.cumulativeRedeemedPoints = cumulativeRedeemedPoints
    self.expectedRedemptionsPoints = expectedRedemptionsPoints
    self.breakagePoints = breakagePoints
  }
}

/// The outcome of calibrating p_redeem to a target redemption rate by bisection.
public struct PointsCalibration: Sendable, Equatable {
  /// The target redemption rate (0...1).
  public var targetRedemptionRate: Double
  /// The p_redeem found (the closest evaluated one when the target was missed).
  public var redeemProbability: Double
  /// Mean redemption rate of the calibration runs at that p.
  public var calibrationRedemptionRate: Double
  /// Mean redemption rate of the full runs at that p (the summary's redemption_rate).
  public var achievedRedemptionRate: Double
  /// Whether the published runs (`achievedRedemptionRate`) came within the tolerance
  /// of the target.
  public var hit: Bool
  /// False when even p = 1 stays below the target by more than the tolerance.
  public var reachable: Bool
  /// Mean redemption rate with p = 1 (the highest reachable).
  public var rateAtCertainRedemption: Double
  /// Simulations of `runs` runs each that the search took.
  public var evaluations: Int
  /// Runs per evaluation and members simulated.
  public var runs: Int
  public var sampleMembers: Int
  /// The tolerance, in rate units (0.005 = half a percentage point).
  public var tolerance: Double

  /// Every field, as named.
  public init(
    targetRedemptionRate: Double, redeemProbability: Double, calibrationRedemptionRate: Double,
    achievedRedemptionRate: Double, hit: Bool, reachable: Bool, rateAtCertainRedemption: Double,
    evaluations: Int, runs: Int, sampleMembers: Int, tolerance: Double
  ) {
    self.targetRedemptionRate = targetRedemptionRate
    self.redeemProbability = redeemProbability
    self.calibrationRedemptionRate = calibrationRedemptionRate
    self.achievedRedemptionRate = achievedRedemptionRate
    self.hit = hit
    self.reachable = reachable
    self.rateAtCertainRedemption = rateAtCertainRedemption
    self.evaluations = evaluations
    self.runs = runs
    self.sampleMembers = sampleMembers
    self.tolerance = tolerance
  }
}

/// One cell of the sensitivity grid: the programme at a claim ratio with p_redeem
/// calibrated to a target redemption rate.
public struct PointsSensitivityCell: Sendable, Equatable {
  /// The claim ratio of the cell (0...1).
  public var claimRatio: Double
  /// The redemption rate p_redeem was calibrated to (0...1).
  public var targetRedemptionRate: Double
  /// The p_redeem the cell's calibration found.
  public var redeemProbability: Double
  /// Mean redemption rate at that p.
  public var achievedRedemptionRate: Double
  /// Whether the calibration came within the tolerance.
  public var hit: Bool
  /// False when even p_redeem = 1 stays below the target.
  public var reachable: Bool
  /// Mean cost of redeemed points as a fraction of net revenue (within the sample).
  public var costShareOfRevenue: Double
  /// Mean accrued-cost liability at as-of, major units, scaled from the sample to all
  /// members by net revenue.
  public var liabilityAccruedCost: Double

  /// Every field, as named.
  public init(
    claimRatio: Double, targetRedemptionRate: Double, redeemProbability: Double,
    achievedRedemptionRate: Double, hit: Bool, reachable: Bool, costShareOfRevenue: Double,
    liabilityAccruedCost: Double
  ) {
    self.claimRatio = claimRatio
    self.targetRedemptionRate = targetRedemptionRate
    self.redeemProbability = redeemProbability
    self.achievedRedemptionRate = achievedRedemptionRate
    self.hit = hit
    self.reachable = reachable
    self.costShareOfRevenue = costShareOfRevenue
    self.liabilityAccruedCost = liabilityAccruedCost
  }
}

/// A member whose points earnable on one business date exceed the daily cap.
public struct DailyCapAlert: Sendable, Equatable {
  /// The member's id.
  public var memberID: String
  /// The business date of the member's largest day.
  public var day: Day
  /// Points earnable that day, every order claimed.
  public var points: Int64

  /// Every field, as named.
  public init(memberID: String, day: Day, points: Int64) {
    self.memberID = memberID
    self.day = day
    self.points = points
  }
}

/// Alerts of the points stage.
public struct PointsAlerts: Sendable, Equatable {
  /// The cap, in points per member per business date.
  public var dailyCap: Int
  /// Members with at least one day above the cap.
  public var membersOverDailyCap: Int
  /// The largest offenders (at most `PointsStage.alertListLength`), by points
  /// descending, then member id in byte order.
  public var topOverDailyCap: [DailyCapAlert]
  /// Share (0...1) of the positive outstanding balances held by the top 1% and the top
  /// 20% of members (ceil of the share of all members, at least one), in run 0.
  public var topOnePercentShare: Double
  public var topTwentyPercentShare: Double

  /// Every field, as named.
  public init(
    dailyCap: Int, membersOverDailyCap: Int, topOverDailyCap: [DailyCapAlert], topOnePercentShare: Double,
    topTwentyPercentShare: Double
  ) {
    self.dailyCap = dailyCap
    self.membersOverDailyCap = membersOverDailyCap
    self.topOverDailyCap = topOverDailyCap
    self.topOnePercentShare = topOnePercentShare
    self.topTwentyPercentShare = topTwentyPercentShare
  }
}

/// How much of the data calibration and the sensitivity grid simulate. On large data a
/// deterministic sample of members (`PointsRandomStream.inSample`) keeps the many
/// simulations they need affordable; with fewer members than the limit all are used.
public struct PointsSampling: Sendable, Equatable {
  /// Members simulated by the calibration of p_redeem (about this many).
  public var calibrationMembers = 100_000
  /// Runs per calibration evaluation: min(runs, this).
  public var calibrationRuns = 20
  /// Members simulated per sensitivity cell (about this many).
  public var sensitivityMembers = 20_000
  /// Runs per sensitivity evaluation: min(runs, this).
  public var sensitivityRuns = 10
  /// When the published runs miss the calibration's target, the search is run again on
  /// them if orders x runs is at most this (small data, where the calibration's fewer
  /// runs stray most); beyond it the report says the target was missed.
  public var recalibrationOrderRuns = 50_000_000

  /// Every field, as named.
  /// Defaults.
  public init() {}
}
