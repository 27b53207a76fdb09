/// How far the members of one level are from the next (SPEC 6, upgrade difficulty).
public struct UpgradeDifficultyRow: Sendable, Equatable {
  /// The level to reach, 2...K; the base is level `level - 1`.
  public var level: Int
  /// Members in level `level - 1` at as-of with g > 0.
  public var members: Int
  /// Median of the money gap t_{k-1} - g, in minor units; nil when the base is empty.
  public var medianGapMinor: Double?
  /// Median months to close the gap at the member's own pace; nil when the base is empty.
  public var medianMonths: Double?

  /// A row as computed by `UpgradeDifficulty.measure`, or rebuilt from a saved table.
  public init(level: Int, members: Int, medianGapMinor: Double?, medianMonths: Double?) {
    self.level = level
    self.members = members
    self.medianGapMinor = medianGapMinor
    self.medianMonths = medianMonths
  }
}

/// Upgrade difficulty for each level k >= 2 (SPEC 6): among members in level k-1 at
/// as-of with g > 0, the median gap t_{k-1} - g and the median months to close it.
///
/// Choices, documented and tested:
/// - A member's pace is g per window converted to a month of average Gregorian length
///   (`daysPerMonth` = 365.2425 / 12 = 30.4375 days): pace = g * 30.4375 / windowDays,
///   and months = gap / pace.
/// - Medians of an even count are the mean of the two middle values.
/// - Members with g = 0 have no pace and are left out (SPEC); a level-k-1 base with no
///   such member gives nil medians.
public enum UpgradeDifficulty {
  /// Average Gregorian month length in days: 365.2425 / 12.
  public static let daysPerMonth = 30.4375

  /// The difficulty rows for levels 2...K of `ladder` on growth values at as-of.
  public static func measure(_ growth: GrowthValues, ladder: LevelLadder) -> [UpgradeDifficultyRow] {
    measure(sortedGrowthMinor: growth.growthMinor.sorted(), ladder: ladder, windowDays: growth.windowDays)
  }

  /// As `measure(_:ladder:)`, given the growth values sorted ascending and the window
  /// length in days they were measured over.
  static func measure(sortedGrowthMinor sorted: [Int64], ladder: LevelLadder, windowDays: Int)
    -> [UpgradeDifficultyRow]
  {
    let firstPositive = LevelTable.firstIndex(in: sorted, atLeast: 1)
    var rows: [UpgradeDifficultyRow] = []
    for k in stride(from: 2, through: ladder.levelCount, by: 1) {
      let target = ladder.thresholdsMinor[k - 2]
      let lower = k == 2 ? 0 : LevelTable.firstIndex(in: sorted, atLeast: ladder.thresholdsMinor[k - 3])
      let upper = LevelTable.firstIndex(in: sorted, atLeast: target)
      let base = sorted[max(lower, firstPositive)..<max(upper, max(lower, firstPositive))]
      guard !base.isEmpty else {
        rows.append(UpgradeDifficultyRow(level: k, members: 0, medianGapMinor: nil, medianMonths: nil))
        continue
      }
      // The gap and the months both fall as g rises (the months as computed, too: every
      // rounding step is monotone), so the middle members by g are the middle members
      // by gap and by months, and the sorted g gives both medians.
      let middle = base.startIndex + base.count / 2
      let middleValues = base.count % 2 == 1 ? [base[middle]] : [base[middle - 1], base[middle]]
      let gaps = middleValues.map { target - $0 }
      let months = middleValues.map { monthsToClose(gapMinor: target - $0, growthMinor: $0, windowDays: windowDays) }
      rows.append(
        UpgradeDifficultyRow(
          level: k, members: base.count,
          medianGapMinor: gaps.count == 1 ? Double(gaps[0]) : Double(gaps[0] + gaps[1]) / 2,
          medianMonths: months.count == 1 ? months[0] : (months[0] + months[1]) / 2))
    }
    return rows
  }

  /// Months to close `gapMinor` at the pace of growth value `growthMinor` (> 0) earned
  /// over `windowDays` days: gap / (g * 30.4375 / windowDays).
  public static func monthsToClose(gapMinor: Int64, growthMinor: Int64, windowDays: Int) -> Double {
    let pacePerMonth = Double(growthMinor) * daysPerMonth / Double(windowDays)
    return Double(gapMinor) / pacePerMonth
  }
}
