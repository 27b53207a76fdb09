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
  /// Per-member passes run on up to `threads` threads over contiguous ranges of
  /// members; what they count is summed in range order, so results are the same for
  /// any thread count.
  public static func run(
    history: MemberHistory, config: RFMConfig, lifecycle: LifecycleConfig, threads: Int = 1
  ) throws(LoyaltyError) -> RFMResult {
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
    let perRange = withSlots(&recency, &frequency, &monetary, &stage) { recency, frequency, monetary, stage in
      ParallelRanges.mapChunks(count: n, threads: threads) { members in
        var cohorts: [MilestoneCohort?] = []
        for member in members {
          let orders = history.orders(of: member)
          let first = history.day[orders.lowerBound]
          let last = history.day[orders.upperBound - 1]
          let days = asOf - last
          recency.buffer[member] = days
          var count: Int32 = 0
          var spend: Int64 = 0
          for i in orders where history.day[i] >= windowStart {
            count += 1
            spend += history.net[i]
          }
          frequency.buffer[member] = count
          monetary.buffer[member] = spend
          if first >= asOf - Int32(lifecycle.newDays - 1) {
            stage.buffer[member] = .new
          } else if days <= lifecycle.activeDays {
            stage.buffer[member] = .active
          } else if days <= lifecycle.silentDays {
            stage.buffer[member] = .silent
          } else if days <= lifecycle.sleepingDays {
            stage.buffer[member] = .sleeping
          }
          let span = Int32(lifecycle.milestoneDays)
          if asOf - first >= span {
            let month = Day(number: first).month
            var one = MilestoneCohort(month: month)
            one.members = 1
            if orders.count >= 2, history.day[orders.lowerBound + 1] <= first + span - 1 { one.reachedSecond = 1 }
            if orders.count >= 4, history.day[orders.lowerBound + 3] <= first + span - 1 { one.reachedFourth = 1 }
            cohorts.add(one, at: Int(asOfMonth - month.index))
          }
        }
        return cohorts
      }
    }
    var cohorts: [MilestoneCohort?] = []
    for part in perRange {
      for (slot, cohort) in part.enumerated() {
        if let cohort { cohorts.add(cohort, at: slot) }
      }
    }
    // The scored population: a counted order in the window.
    let (scored, rValues, fValues, mValues) = { () -> ([Int], [Int64], [Int64], [Int64]) in
      var scored: [Int] = []
      var r: [Int64] = []
      var f: [Int64] = []
      var m: [Int64] = []
      // Sized for every member, rather than grown by doubling.
      scored.reserveCapacity(n)
      r.reserveCapacity(n)
      f.reserveCapacity(n)
      m.reserveCapacity(n)
      for member in 0..<n where frequency[member] > 0 {
        scored.append(member)
        r.append(Int64(recency[member]))
        f.append(Int64(frequency[member]))
        m.append(monetary[member])
      }
      return (scored, r, f, m)
    }()
    // Each dimension is scored, and its breakpoints found, on its own, side by side on
    // the run's threads (monetary, the heaviest, apart from the other two). Monetary's
    // tie counts (members strictly below and above each value) also give the power tags.
    let method = config.method
    let fixedBreakpoints = [
      config.fixedRecency.map(Int64.init), config.fixedFrequency.map(Int64.init), config.fixedMonetary,
    ]
    let scoring = ParallelRanges.map([RFMDimension.monetary, .recency, .frequency], threads: threads) {
      dimension -> (scores: [UInt8], breakpoints: ScoreBreakpoints, ties: TieCounts?) in
      let values = [rValues, fValues, mValues][dimension.rawValue]
      let higherIsBetter = dimension != .recency
      var ties: TieCounts? = nil
      let scores: [UInt8]
      var cuts: [Double] = []
      switch method {
      case .rank:
        ties = TieCounts(values)
        scores = RFMScoring.rank(ties!, bins: bins, higherIsBetter: higherIsBetter)
      case .quantile:
        let one = dimension == .monetary ? history.minorPerMajor : 1
        (scores, cuts) = RFMScoring.quantile(values, bins: bins, higherIsBetter: higherIsBetter, one: one)
      case .fixed:
        let breakpoints = fixedBreakpoints[dimension.rawValue]
        scores =
          higherIsBetter
          ? RFMScoring.fixedAscending(values, breakpoints: breakpoints)
          : RFMScoring.fixedRecency(values, breakpoints: breakpoints, bins: bins)
        cuts = breakpoints.map(Double.init)
      }
      if dimension == .monetary && ties == nil { ties = TieCounts(values) }
      return (
        scores, RFMScoring.breakpoints(dimension, values: values, scores: scores, bins: bins, cuts: cuts),
        dimension == .monetary ? ties : nil
      )
    }
    let (rs, fs, ms) = (scoring[1].scores, scoring[2].scores, scoring[0].scores)
    let breakpoints = [scoring[1].breakpoints, scoring[2].breakpoints, scoring[0].breakpoints]
    let monetaryTies = scoring[0].ties!
    let sums = [rs, fs, ms].map { $0.reduce(0) { $0 + Int($1) } }
    let count = scored.count
    var r = [UInt8](repeating: 0, count: n)
    var f = [UInt8](repeating: 0, count: n)
    var m = [UInt8](repeating: 0, count: n)
    var valueClass = [ValueClass?](repeating: nil, count: n)
    var segment = [Int16](repeating: -1, count: n)
    var powerTag = [PowerTag?](repeating: nil, count: n)
    let segmentNames = config.segments.map(\.name) + ["others"]
    let segmentRules = config.segments
    let powerTagShares = config.powerTagShares
    let (monetaryAt, frequencyAt) = (monetary, frequency)
    let groups = withSlots(&r, &f, &m, &valueClass) { r, f, m, valueClass in
      withSlots(&segment, &powerTag) { segment, powerTag in
        ParallelRanges.mapChunks(count: count, threads: threads) { positions in
          var groups = ScoredGroups(bins: bins, classes: ValueClass.allCases.count, segments: segmentNames.count)
          for position in positions {
            let member = scored[position]
            let (sr, sf, sm) = (rs[position], fs[position], ms[position])
            r.buffer[member] = sr
            f.buffer[member] = sf
            m.buffer[member] = sm
            // High: the score is strictly above the mean, i.e. score * n > sum of scores.
            let cls = ValueClass.of(
              r: Int(sr) * count > sums[0], f: Int(sf) * count > sums[1], m: Int(sm) * count > sums[2])
            valueClass.buffer[member] = cls
            let rule =
              segmentRules.firstIndex {
                $0.recency.contains(Int(sr)) && $0.frequency.contains(Int(sf)) && $0.monetary.contains(Int(sm))
              } ?? segmentRules.count
            segment.buffer[member] = Int16(rule)
            let orders = Int(frequencyAt[member])
            let spend = monetaryAt[member]
            groups.classMembers[cls.rawValue] += 1
            groups.classOrders[cls.rawValue] += orders
            groups.classRevenue[cls.rawValue] += spend
            groups.segmentMembers[rule] += 1
            groups.segmentOrders[rule] += orders
            groups.segmentRevenue[rule] += spend
            groups.gridMembers[(Int(sr) - 1) * bins + Int(sf) - 1] += 1
            groups.gridMonetary[(Int(sr) - 1) * bins + Int(sf) - 1] += spend
            // Members strictly better on monetary, as a share of the scored members.
            let better = Int(monetaryTies.above[position])
            var tag = PowerTag.low
            for (k, bound) in powerTagShares.enumerated() where Double(better) < bound * Double(count) {
              tag = PowerTag(rawValue: k)!
              break
            }
            powerTag.buffer[member] = tag
          }
          return groups
        }
      }
    }
    var classes = ValueClass.allCases.map { GroupSummary(name: $0.name) }
    var segments = segmentNames.map { GroupSummary(name: $0) }
    var gridMembers = [[Int]](repeating: [Int](repeating: 0, count: bins), count: bins)
    var gridMonetary = [[Int64]](repeating: [Int64](repeating: 0, count: bins), count: bins)
    for part in groups {
      for k in classes.indices {
        classes[k].members += part.classMembers[k]
        classes[k].orders += part.classOrders[k]
        classes[k].revenue += part.classRevenue[k]
      }
      for k in segments.indices {
        segments[k].members += part.segmentMembers[k]
        segments[k].orders += part.segmentOrders[k]
        segments[k].revenue += part.segmentRevenue[k]
      }
      for sr in 0..<bins {
        for sf in 0..<bins {
          gridMembers[sr][sf] += part.gridMembers[sr * bins + sf]
          gridMonetary[sr][sf] += part.gridMonetary[sr * bins + sf]
        }
      }
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

extension [MilestoneCohort?] {
  /// Adds `cohort`'s counts to slot `slot` (k months before as-of), making the slot
  /// when it is new.
  fileprivate mutating func add(_ cohort: MilestoneCohort, at slot: Int) {
    while count <= slot { append(nil) }
    if self[slot] == nil { self[slot] = MilestoneCohort(month: cohort.month) }
    self[slot]!.members += cohort.members
    self[slot]!.reachedSecond += cohort.reachedSecond
    self[slot]!.reachedFourth += cohort.reachedFourth
  }
}

/// What a range of scored members adds to the class, segment and R x F grid sums.
private struct ScoredGroups: Sendable {
  var classMembers: [Int]
  var classOrders: [Int]
  var classRevenue: [Int64]
  var segmentMembers: [Int]
  var segmentOrders: [Int]
  var segmentRevenue: [Int64]
  /// [(r - 1) * bins + (f - 1)].
  var gridMembers: [Int]
  var gridMonetary: [Int64]

  init(bins: Int, classes: Int, segments: Int) {
    classMembers = Array(repeating: 0, count: classes)
    classOrders = Array(repeating: 0, count: classes)
    classRevenue = Array(repeating: 0, count: classes)
    segmentMembers = Array(repeating: 0, count: segments)
    segmentOrders = Array(repeating: 0, count: segments)
    segmentRevenue = Array(repeating: 0, count: segments)
    gridMembers = Array(repeating: 0, count: bins * bins)
    gridMonetary = Array(repeating: 0, count: bins * bins)
  }
}
