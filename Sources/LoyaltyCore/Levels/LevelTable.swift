/// One row of the level table (SPEC 6, `levels.csv`).
public struct LevelRow: Sendable, Equatable {
  /// The level, 1...K.
  public var level: Int
  /// The lowest growth value of the level, in minor units: 0 for level 1, t_{k-1} above.
  public var thresholdMinor: Int64
  /// Members in the level at as-of.
  public var members: Int
  /// Members as a share of all members, 0...1.
  public var share: Double
  /// Net spend of the level's members in the growth window, without bonus, in minor units.
  public var spendMinor: Int64
  /// `spendMinor` as a share of all members' window spend, 0...1 (0 when nobody spent).
  public var spendShare: Double
  /// Mean growth value of the level's members, in minor units rounded half up; nil for
  /// an empty level.
  public var meanGrowthMinor: Int64?
  /// Median growth value of the level's members, in minor units; for an even count the
  /// mean of the two middle values, rounded half up; nil for an empty level.
  public var medianGrowthMinor: Int64?

  /// A row as computed by `LevelTable.evaluate`, or rebuilt from a saved table.
  public init(
    level: Int, thresholdMinor: Int64, members: Int, share: Double, spendMinor: Int64, spendShare: Double,
    meanGrowthMinor: Int64?, medianGrowthMinor: Int64?
  ) {
    self.level = level
    self.thresholdMinor = thresholdMinor
    self.members = members
    self.share = share
    self.spendMinor = spendMinor
    self.spendShare = spendShare
    self.meanGrowthMinor = meanGrowthMinor
    self.medianGrowthMinor = medianGrowthMinor
  }
}

/// The members of every level at as-of under one ladder, fitted or given by the user
/// (a what-if), with the Pareto line (SPEC 6).
///
/// Choices, documented and tested:
/// - The level at as-of is the plain placement of g at as-of; the relegation policy acts
///   only at month-end reviews (`RelegationReplay`).
/// - Mean and median are exact in minor units, rounded half up (as segments.csv's
///   average order value is); the median of an even count is the mean of the two middle
///   growth values.
/// - Pareto line: the top ceil(20% of n) members (`(n + 4) / 5`, so 1 of 1...5 members),
///   ranked by g descending, then window spend descending, then member index ascending;
///   their window spend over all members' window spend (0 when nobody spent).
public struct LevelTable: Sendable, Equatable {
  /// One row per level, level 1 first.
  public var rows: [LevelRow]
  /// The level (1...K) of every member at as-of, indexed like `MemberHistory.memberIDs`.
  public var levelAtAsOf: [UInt8]
  /// Members in the Pareto top group: ceil(0.2 * members).
  public var paretoTopMembers: Int
  /// Share of all members' window spend held by the Pareto top group, 0...1.
  public var paretoTopShare: Double

  /// Members per level, level 1 first.
  public var levelMembers: [Int] { rows.map(\.members) }

  /// Evaluates `ladder` on the growth values at as-of.
  public static func evaluate(_ growth: GrowthValues, ladder: LevelLadder) -> LevelTable {
    evaluate(growth, ladder: ladder, sortedGrowthMinor: growth.growthMinor.sorted())
  }

  /// As `evaluate(_:ladder:)`, given the growth values already sorted ascending.
  static func evaluate(_ growth: GrowthValues, ladder: LevelLadder, sortedGrowthMinor sorted: [Int64]) -> LevelTable {
    let levelCount = ladder.levelCount
    let memberCount = growth.memberCount
    var levelAtAsOf = [UInt8](repeating: 1, count: memberCount)
    var spendByLevel = [Int64](repeating: 0, count: levelCount)
    var growthByLevel = [Int64](repeating: 0, count: levelCount)
    var totalSpend: Int64 = 0
    for m in 0..<memberCount {
      let k = ladder.level(growthMinor: growth.growthMinor[m])
      levelAtAsOf[m] = UInt8(k)
      spendByLevel[k - 1] += growth.windowSpendMinor[m]
      growthByLevel[k - 1] += growth.growthMinor[m]
      totalSpend += growth.windowSpendMinor[m]
    }

    // Levels are ranges of g, so each level is one run of the sorted values.
    let bounds = [0] + ladder.thresholdsMinor.map { firstIndex(in: sorted, atLeast: $0) } + [memberCount]
    var rows: [LevelRow] = []
    for k in 1...levelCount {
      let run = sorted[bounds[k - 1]..<bounds[k]]
      rows.append(
        LevelRow(
          level: k,
          thresholdMinor: k == 1 ? 0 : ladder.thresholdsMinor[k - 2],
          members: run.count,
          share: memberCount == 0 ? 0 : Double(run.count) / Double(memberCount),
          spendMinor: spendByLevel[k - 1],
          spendShare: totalSpend == 0 ? 0 : Double(spendByLevel[k - 1]) / Double(totalSpend),
          meanGrowthMinor: run.isEmpty ? nil : halfUp(growthByLevel[k - 1], Int64(run.count)),
          medianGrowthMinor: median(ofSorted: run)))
    }

    let top = paretoTop(growth, sortedGrowthMinor: sorted)
    return LevelTable(
      rows: rows, levelAtAsOf: levelAtAsOf, paretoTopMembers: top.members,
      paretoTopShare: totalSpend == 0 ? 0 : Double(top.spendMinor) / Double(totalSpend))
  }

  /// The Pareto top group's size and window spend (minor units).
  static func paretoTop(_ growth: GrowthValues, sortedGrowthMinor sorted: [Int64])
    -> (members: Int, spendMinor: Int64)
  {
    let memberCount = sorted.count
    let topCount = (memberCount + 4) / 5
    guard topCount > 0 else { return (0, 0) }
    // Everyone above the cut-off value is in; at the cut-off value the tie rule takes
    // the highest spenders (the index only orders equal spends, which sum the same).
    let cutoff = sorted[memberCount - topCount]
    let aboveCount = memberCount - firstIndex(in: sorted, atLeast: cutoff + 1)
    var spend: Int64 = 0
    var spendAtCutoff: [Int64] = []
    for m in 0..<growth.memberCount {
      let g = growth.growthMinor[m]
      if g > cutoff {
        spend += growth.windowSpendMinor[m]
      } else if g == cutoff {
        spendAtCutoff.append(growth.windowSpendMinor[m])
      }
    }
    spendAtCutoff.sort(by: >)
    spend += spendAtCutoff.prefix(topCount - aboveCount).reduce(0, +)
    return (topCount, spend)
  }

  /// The median of ascending values: the middle one, or for an even count the mean of
  /// the two middle ones rounded half up; nil when empty.
  static func median(ofSorted values: ArraySlice<Int64>) -> Int64? {
    guard !values.isEmpty else { return nil }
    let middle = values.startIndex + values.count / 2
    if values.count % 2 == 1 { return values[middle] }
    return halfUp(values[middle - 1] + values[middle], 2)
  }

  /// `total / count` rounded half up (`total >= 0`, `count > 0`), without the overflow
  /// of `total + count / 2`.
  static func halfUp(_ total: Int64, _ count: Int64) -> Int64 {
    let (quotient, remainder) = total.quotientAndRemainder(dividingBy: count)
    return remainder >= count - remainder ? quotient + 1 : quotient
  }

  /// The first position in ascending `values` holding a value >= `bound` (`values.count` if none).
  static func firstIndex(in values: [Int64], atLeast bound: Int64) -> Int {
    var low = 0
    var high = values.count
    while low < high {
      let mid = (low + high) / 2
      if values[mid] < bound { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
