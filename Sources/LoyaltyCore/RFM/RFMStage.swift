/// The 8-class RFM value model (SPEC 5).
public enum ValueClass: Int, Sendable, CaseIterable {
  case importantValue, importantDevelopment, importantRetention, importantWinback
  case generalValue, generalDevelopment, generalRetention, generalWinback

  public var name: String { Self.names[rawValue] }
  static let names = [
    "important_value", "important_development", "important_retention", "important_winback",
    "general_value", "general_development", "general_retention", "general_winback",
  ]

  /// The class of a member whose R, F and M are above (true) or not above the mean.
  public static func of(r: Bool, f: Bool, m: Bool) -> ValueClass {
    switch (r, f, m) {
    case (true, true, true): return .importantValue
    case (true, false, true): return .importantDevelopment
    case (false, true, true): return .importantRetention
    case (false, false, true): return .importantWinback
    case (true, true, false): return .generalValue
    case (true, false, false): return .generalDevelopment
    case (false, true, false): return .generalRetention
    case (false, false, false): return .generalWinback
    }
  }
}

/// Lifecycle stage of a member with a counted order (SPEC 5).
public enum LifecycleStage: Int, Sendable, CaseIterable {
  case new, active, silent, sleeping, lost
  public var name: String { Self.names[rawValue] }
  static let names = ["new", "active", "silent", "sleeping", "lost"]
}

/// Consumption-power tag by monetary rank among scored members.
public enum PowerTag: Int, Sendable, CaseIterable {
  case extremelyHigh, high, medium, general, low
  public var name: String { Self.names[rawValue] }
  static let names = ["extremely_high", "high", "medium", "general", "low"]
}

/// Members, orders and revenue of one group (a value class or a segment).
public struct GroupSummary: Sendable, Equatable {
  public var name: String
  public var members = 0
  /// Counted orders in the RFM window.
  public var orders = 0
  /// Net spend in the RFM window, minor units.
  public var revenue: Int64 = 0

  public init(name: String) { self.name = name }
}

/// One first-order month's milestone cohort.
public struct MilestoneCohort: Sendable, Equatable {
  public var month: Month
  /// Members whose first counted order is at least `milestoneDays` before as-of.
  public var members = 0
  /// Of them, those with a 2nd counted order within `milestoneDays` of the first.
  public var reachedSecond = 0
  /// Of them, those with a 4th counted order within `milestoneDays` of the first.
  public var reachedFourth = 0

  public init(month: Month) { self.month = month }
}

/// Everything RFM works out, per member (indexed like `MemberHistory.memberIDs`) and
/// in summary.
public struct RFMResult: Sendable {
  public var method: ScoringMethod
  public var bins: Int
  /// as_of - last counted order date, per member.
  public var recencyDays: [Int32]
  /// Counted orders in the RFM window, per member.
  public var frequency: [Int32]
  /// Net spend in the RFM window, minor units, per member.
  public var monetary: [Int64]
  /// Scores per member, 0 for members outside the window (not scored).
  public var r: [UInt8]
  public var f: [UInt8]
  public var m: [UInt8]
  /// Value class per member, nil when not scored.
  public var valueClass: [ValueClass?]
  /// Index into `segmentNames` per member, -1 when not scored.
  public var segment: [Int16]
  /// Segment names: the config's rules in order, then `others`.
  public var segmentNames: [String]
  public var lifecycle: [LifecycleStage]
  /// Power tag per member, nil when not scored.
  public var powerTag: [PowerTag?]
  /// Members scored.
  public var scoredCount: Int
  /// Mean score per dimension over scored members.
  public var meanScores: [Double]
  public var breakpoints: [ScoreBreakpoints]
  /// R x F grid: members and monetary sum, [r - 1][f - 1].
  public var gridMembers: [[Int]]
  public var gridMonetary: [[Int64]]
  public var classes: [GroupSummary]
  public var segments: [GroupSummary]
  public var lifecycleCounts: [Int]
  public var milestones: [MilestoneCohort]
}

/// Stage 4 (SPEC 5): RFM scores, value classes, segments, lifecycle, milestones and
/// power tags from the member history.
public enum RFMStage {
  public static func run(history: MemberHistory, config: RFMConfig, lifecycle: LifecycleConfig) throws(LoyaltyError)
    -> RFMResult
  {
    let bins = config.bins
    if config.method == .fixed {
      guard config.fixedRecency.count == bins - 1, config.fixedFrequency.count == bins - 1,
        config.fixedMonetary.count == bins - 1
      else {
        throw .input(
          "[rfm] method = \"fixed\" needs \(bins - 1) breakpoints in each of fixed_recency_days, fixed_frequency and fixed_monetary (bins = \(bins))."
        )
      }
    }
    let n = history.memberCount
    let asOf = history.asOf.number
    let windowStart = asOf - Int32(config.windowDays) + 1
    var recency = [Int32](repeating: 0, count: n)
    var frequency = [Int32](repeating: 0, count: n)
    var monetary = [Int64](repeating: 0, count: n)
    var stage = [LifecycleStage](repeating: .lost, count: n)
    // Milestone cohorts by first-order month, counted back from as-of's month: slot k
    // is k months before it (months only go back from as-of).
    let asOfMonth = history.asOf.month.index
    var cohorts: [MilestoneCohort?] = []
    for member in 0..<n {
      let orders = history.orders(of: member)
      let first = history.day[orders.lowerBound]
      let last = history.day[orders.upperBound - 1]
      recency[member] = asOf - last
      for i in orders where history.day[i] >= windowStart {
        frequency[member] += 1
        monetary[member] += history.net[i]
      }
      let days = Int(recency[member])
      if first >= asOf - Int32(lifecycle.newDays - 1) {
        stage[member] = .new
      } else if days <= lifecycle.activeDays {
        stage[member] = .active
      } else if days <= lifecycle.silentDays {
        stage[member] = .silent
      } else if days <= lifecycle.sleepingDays {
        stage[member] = .sleeping
      }
      let span = Int32(lifecycle.milestoneDays)
      if asOf - first >= span {
        let month = Day(number: first).month
        let slot = Int(asOfMonth - month.index)
        while cohorts.count <= slot { cohorts.append(nil) }
        if cohorts[slot] == nil { cohorts[slot] = MilestoneCohort(month: month) }
        cohorts[slot]!.members += 1
        if orders.count >= 2, history.day[orders.lowerBound + 1] <= first + span - 1 {
          cohorts[slot]!.reachedSecond += 1
        }
        if orders.count >= 4, history.day[orders.lowerBound + 3] <= first + span - 1 {
          cohorts[slot]!.reachedFourth += 1
        }
      }
    }
    // The scored population: a counted order in the window.
    let scored = (0..<n).filter { frequency[$0] > 0 }
    let rValues = scored.map { Int64(recency[$0]) }
    let fValues = scored.map { Int64(frequency[$0]) }
    let mValues = scored.map { monetary[$0] }
    // Members strictly below and above each monetary value: the rank scores and the
    // power tags both read them.
    let monetaryTies = TieCounts(mValues)
    var rs: [UInt8]
    var fs: [UInt8]
    var ms: [UInt8]
    var cuts: [[Double]] = [[], [], []]
    switch config.method {
    case .rank:
      rs = RFMScoring.rank(rValues, bins: bins, higherIsBetter: false)
      fs = RFMScoring.rank(fValues, bins: bins, higherIsBetter: true)
      ms = RFMScoring.rank(monetaryTies, bins: bins, higherIsBetter: true)
    case .quantile:
      let r = RFMScoring.quantile(rValues, bins: bins, higherIsBetter: false, one: 1)
      let f = RFMScoring.quantile(fValues, bins: bins, higherIsBetter: true, one: 1)
      let m = RFMScoring.quantile(mValues, bins: bins, higherIsBetter: true, one: history.minorPerMajor)
      (rs, fs, ms) = (r.scores, f.scores, m.scores)
      cuts = [r.cuts, f.cuts, m.cuts]
    case .fixed:
      rs = RFMScoring.fixedRecency(rValues, breakpoints: config.fixedRecency.map(Int64.init), bins: bins)
      fs = RFMScoring.fixedAscending(fValues, breakpoints: config.fixedFrequency.map(Int64.init))
      ms = RFMScoring.fixedAscending(mValues, breakpoints: config.fixedMonetary)
      cuts = [
        config.fixedRecency.map(Double.init), config.fixedFrequency.map(Double.init),
        config.fixedMonetary.map(Double.init),
      ]
    }
    let breakpoints = [
      RFMScoring.breakpoints(.recency, values: rValues, scores: rs, bins: bins, cuts: cuts[0]),
      RFMScoring.breakpoints(.frequency, values: fValues, scores: fs, bins: bins, cuts: cuts[1]),
      RFMScoring.breakpoints(.monetary, values: mValues, scores: ms, bins: bins, cuts: cuts[2]),
    ]
    let sums = [rs, fs, ms].map { $0.reduce(0) { $0 + Int($1) } }
    let count = scored.count
    var r = [UInt8](repeating: 0, count: n)
    var f = [UInt8](repeating: 0, count: n)
    var m = [UInt8](repeating: 0, count: n)
    var valueClass = [ValueClass?](repeating: nil, count: n)
    var segment = [Int16](repeating: -1, count: n)
    var powerTag = [PowerTag?](repeating: nil, count: n)
    let segmentNames = config.segments.map(\.name) + ["others"]
    var classes = ValueClass.allCases.map { GroupSummary(name: $0.name) }
    var segments = segmentNames.map { GroupSummary(name: $0) }
    var gridMembers = [[Int]](repeating: [Int](repeating: 0, count: bins), count: bins)
    var gridMonetary = [[Int64]](repeating: [Int64](repeating: 0, count: bins), count: bins)
    for (position, member) in scored.enumerated() {
      let (sr, sf, sm) = (rs[position], fs[position], ms[position])
      r[member] = sr
      f[member] = sf
      m[member] = sm
      // High: the score is strictly above the mean, i.e. score * n > sum of scores.
      let cls = ValueClass.of(
        r: Int(sr) * count > sums[0], f: Int(sf) * count > sums[1], m: Int(sm) * count > sums[2])
      valueClass[member] = cls
      let rule =
        config.segments.firstIndex {
          $0.recency.contains(Int(sr)) && $0.frequency.contains(Int(sf)) && $0.monetary.contains(Int(sm))
        } ?? config.segments.count
      segment[member] = Int16(rule)
      classes[cls.rawValue].members += 1
      classes[cls.rawValue].orders += Int(frequency[member])
      classes[cls.rawValue].revenue += monetary[member]
      segments[rule].members += 1
      segments[rule].orders += Int(frequency[member])
      segments[rule].revenue += monetary[member]
      gridMembers[Int(sr) - 1][Int(sf) - 1] += 1
      gridMonetary[Int(sr) - 1][Int(sf) - 1] += monetary[member]
      // Members strictly better on monetary, as a share of the scored members.
      let better = Int(monetaryTies.above[position])
      var tag = PowerTag.low
      for (k, bound) in config.powerTagShares.enumerated() where Double(better) < bound * Double(count) {
        tag = PowerTag(rawValue: k)!
        break
      }
      powerTag[member] = tag
    }
    var lifecycleCounts = [Int](repeating: 0, count: LifecycleStage.allCases.count)
    for s in stage { lifecycleCounts[s.rawValue] += 1 }
    return RFMResult(
      method: config.method, bins: bins, recencyDays: recency, frequency: frequency, monetary: monetary,
      r: r, f: f, m: m, valueClass: valueClass, segment: segment, segmentNames: segmentNames,
      lifecycle: stage, powerTag: powerTag, scoredCount: count,
      meanScores: sums.map { count > 0 ? Double($0) / Double(count) : 0 },
      breakpoints: breakpoints, gridMembers: gridMembers, gridMonetary: gridMonetary,
      classes: classes, segments: segments, lifecycleCounts: lifecycleCounts,
      milestones: cohorts.reversed().compactMap { $0 })
  }
}
