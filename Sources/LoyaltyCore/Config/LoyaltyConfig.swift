/// Every setting of a run. The defaults are SPEC's; a TOML file (see
/// `SampleData/pipeline.toml`, where every key is commented) overrides them, and
/// command-line flags override the file.
public struct LoyaltyConfig: Sendable, Equatable {
  public var input = InputConfig()
  public var identity = IdentityConfig()
  public var rfm = RFMConfig()
  public var lifecycle = LifecycleConfig()
  public var levels = LevelsConfig()
  public var points = PointsConfig()
  public var report = ReportConfig()
  public var run = RunConfig()

  public init() {}
}

/// How the orders CSV is read.
public struct InputConfig: Sendable, Equatable {
  /// Header names of the order columns.
  public var columns = ColumnNames()
  /// The business time zone as a fixed offset (`+08:00`); times without an offset are
  /// local to it, and business dates are its local dates.
  public var businessTimeZone = "+00:00"
  /// Digits after the decimal point in the currency (2 for CNY, USD; 0 for JPY).
  public var minorDigits = 2
  /// The currency code shown in reports.
  public var currency = "CNY"
  /// The run stops (exit 3) when rejected records exceed this share of records read.
  public var maxRejectShare = 0.05

  /// The business zone's offset east of UTC, in seconds.
  public var businessOffsetSeconds: Int { FieldParsers.utcOffset(businessTimeZone) ?? 0 }
  public init() {}
}

/// Header names of the orders CSV, mapped to the pipeline's fields.
public struct ColumnNames: Sendable, Equatable {
  public var orderID = "order_id"
  public var channel = "channel"
  public var customerRef = "customer_ref"
  public var orderTime = "order_time"
  public var amount = "amount"
  public var status = "status"
  public var refundAmount = "refund_amount"
  public var refundTime = "refund_time"
  public var phoneHash = "phone_hash"
  public var emailHash = "email_hash"
  public init() {}
}

/// Identity resolution (SPEC 2).
public struct IdentityConfig: Sendable, Equatable {
  /// Linking keys, applied in this order: any of `phone_hash`, `email_hash`.
  public var linkKeys = ["phone_hash", "email_hash"]
  /// A key value shared by more refs than this links nothing and is reported as a hub.
  public var maxRefsPerKey = 20
  public init() {}
}

/// How RFM scores are cut.
public enum ScoringMethod: String, Sendable, Equatable, CaseIterable {
  case rank, quantile, fixed
}

/// RFM scoring (SPEC 5).
public struct RFMConfig: Sendable, Equatable {
  public var windowDays = 365
  /// Scores run 1...bins.
  public var bins = 5
  public var method = ScoringMethod.rank
  /// `fixed`: recency breakpoints in days, ascending; `days <= r1` scores bins.
  public var fixedRecency: [Int] = [30, 90, 180, 270]
  /// `fixed`: frequency breakpoints, ascending; `frequency >= f_k` scores k + 1.
  public var fixedFrequency: [Int] = [2, 3, 5, 8]
  /// `fixed`: monetary breakpoints in minor units, ascending; `monetary >= m_k` scores k + 1.
  public var fixedMonetary: [Int64] = [20_000, 50_000, 100_000, 300_000]
  /// Named segments, first match wins.
  public var segments: [SegmentRule] = SegmentRule.rfmPackageDefaults
  /// Upper bounds of the consumption-power tags as shares of scored members ranked by
  /// monetary from the top: extremely_high, high, medium, general; the rest is low.
  public var powerTagShares: [Double] = [0.05, 0.20, 0.50, 0.80]
  public init() {}
}

/// A named segment: inclusive score ranges for R, F and M.
public struct SegmentRule: Sendable, Equatable {
  public var name: String
  public var recency: ClosedRange<Int>
  public var frequency: ClosedRange<Int>
  public var monetary: ClosedRange<Int>

  public init(_ name: String, r: ClosedRange<Int>, f: ClosedRange<Int>, m: ClosedRange<Int>) {
    self.name = name
    recency = r
    frequency = f
    monetary = m
  }

  /// The table the R package rfm documents in its segmentation vignette.
  public static let rfmPackageDefaults: [SegmentRule] = [
    SegmentRule("Champions", r: 4...5, f: 4...5, m: 4...5),
    SegmentRule("Loyal Customers", r: 2...5, f: 3...5, m: 3...5),
    SegmentRule("Potential Loyalist", r: 3...5, f: 1...3, m: 1...3),
    SegmentRule("New Customers", r: 4...5, f: 1...1, m: 1...1),
    SegmentRule("Promising", r: 3...4, f: 1...1, m: 1...1),
    SegmentRule("Need Attention", r: 2...3, f: 2...3, m: 2...3),
    SegmentRule("About To Sleep", r: 2...3, f: 1...2, m: 1...2),
    SegmentRule("At Risk", r: 1...2, f: 2...5, m: 2...5),
    SegmentRule("Can't Lose Them", r: 1...1, f: 4...5, m: 4...5),
    SegmentRule("Lost", r: 1...2, f: 1...2, m: 1...2),
  ]
}

/// Lifecycle stages and purchase milestones (SPEC 5).
public struct LifecycleConfig: Sendable, Equatable {
  /// `new`: the first counted order is within this many days (as-of inclusive).
  public var newDays = 30
  /// `active`: recency_days at most this.
  public var activeDays = 90
  /// `silent`: recency_days at most this (and above `activeDays`).
  public var silentDays = 180
  /// `sleeping`: recency_days at most this; above it, `lost`.
  public var sleepingDays = 365
  /// Milestones: the window after the first order, in days, first day included.
  public var milestoneDays = 92
  public init() {}
}

/// Relegation policy at each review.
public enum RelegationPolicy: String, Sendable, Equatable, CaseIterable {
  /// Recompute the level from the trailing window.
  case full
  /// Drop at most one level per review.
  case oneStep = "one_step"
}

/// Membership levels (SPEC 6).
public struct LevelsConfig: Sendable, Equatable {
  /// Number of levels K, 2...10.
  public var count = 7
  /// Target shares proportional to ratio^(k-1), unless `shares` is given.
  public var ratio = 0.5
  /// Explicit target shares, level 1 first (normalised to sum 1).
  public var shares: [Double] = []
  /// Candidate thresholds are positive multiples of this, in major units.
  public var step = 100
  /// Growth value window in days.
  public var windowDays = 365
  /// Growth value added per counted order in the window, in major units.
  public var bonusPerOrder = 0
  /// Given thresholds t_1 < ... < t_{K-1} in major units; when set they are evaluated
  /// instead of fitted.
  public var thresholds: [Int] = []
  public var policy = RelegationPolicy.full
  /// Number of month-end reviews replayed up to as-of.
  public var reviews = 12
  public init() {}

  /// K: the count of given thresholds + 1, else `count`.
  public var levelCount: Int { thresholds.isEmpty ? count : thresholds.count + 1 }

  /// Whether explicit `shares` can be the targets of `levelCount` levels (SPEC 6): that
  /// many positive numbers, each below the one before (q_1 > ... > q_K).
  public var sharesFit: Bool {
    shares.count == levelCount && shares.allSatisfy { $0 > 0 && $0.isFinite }
      && zip(shares, shares.dropFirst()).allSatisfy { $0 > $1 }
  }

  /// Target shares q_1...q_K, summing to 1.
  public var targetShares: [Double] {
    let raw = shares.isEmpty ? (0..<count).map { pow(ratio, Double($0)) } : shares
    let total = raw.reduce(0, +)
    return raw.map { $0 / total }
  }
}

/// How points expire.
public enum ExpiryRule: String, Sendable, Equatable, CaseIterable {
  /// A lot expires at the end of the month `expiryMonths` after the month it was earned.
  case rolling
  /// Lots earned in year Y expire at the end of Y + 1.
  case annual
  case none
}

/// The points programme and the simulation's assumptions (SPEC 7).
public struct PointsConfig: Sendable, Equatable {
  /// Points per major unit of net spend, before the level multiplier.
  public var earnRate = 1.0
  /// Earn multiplier per level, level 1 first; missing levels use the last value.
  public var levelMultipliers: [Double] = [1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 2.0]

  /// Points per major unit at the top multiplier (counted as at least 1): the most any
  /// order earns per unit, which the ledger's limits are checked against.
  public var topEarnFactor: Double { earnRate * max(1, levelMultipliers.max() ?? 1) }
  /// Probability that a counted order's points are claimed.
  public var claimRatio = 0.8
  /// Monthly probability that a member with enough points redeems.
  public var redeemProbability = 0.15
  /// The smallest balance that can redeem.
  public var minRedeem = 100
  /// Share of the balance redeemed at a redemption.
  public var redeemFraction = 1.0
  public var expiry = ExpiryRule.rolling
  public var expiryMonths = 12
  /// When set, `redeemProbability` is calibrated so the simulated redemption rate hits it.
  public var targetRedemptionRate: Double? = nil
  /// Currency (major units) per point: 0.05 means 20 points = 1 yuan.
  public var pointValue = 0.05
  /// Cost of a redeemed point's reward as a share of its face value.
  public var costRatio = 0.6
  /// Points-mall premium: rewards priced above cost by this share.
  public var mallPremium = 0.0
  /// Months projected past as-of at each member's trailing monthly pace.
  public var projectionMonths = 12
  /// Monte Carlo runs.
  public var runs = 100
  /// Alert when one member earns more points than this on one day.
  public var dailyCap = 5000
  /// Expected share of issued points that will ever be redeemed, for the IFRS 15 view.
  public var expectedRedemptionRate = 0.5
  /// Sensitivity grid axes.
  public var sensitivityClaimRatios: [Double] = [0.6, 0.7, 0.8, 0.9, 1.0]
  public var sensitivityRedemptionRates: [Double] = [0.1, 0.2, 0.3, 0.4, 0.5]
  public init() {}

  /// Cost of one redeemed point in major units: point_value * cost_ratio / (1 + mall_premium).
  public var costPerPoint: Double { pointValue * costRatio / (1 + mallPremium) }
}

/// Where outputs go.
public struct ReportConfig: Sendable, Equatable {
  /// The folder that receives `<as_of>/`.
  public var outDir = "Reports"
  /// The SQLite history of monthly runs.
  public var historyDatabase = "Reports/history.sqlite"
  public init() {}
}

/// Reproducibility and resources.
public struct RunConfig: Sendable, Equatable {
  public var seed: UInt64 = 20_260_101
  /// Worker threads; 0 means one per core.
  public var threads = 0
  public init() {}
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
