/// Where a run's thresholds came from.
public enum LevelsMode: String, Sendable, Equatable {
  /// Fitted to the target shares (`PyramidFit`).
  case fitted
  /// Given by the user (`levels.thresholds`) and evaluated: a what-if.
  case evaluated
}

/// Everything the levels stage computed (SPEC 6), for the report writers.
/// Member-indexed arrays follow `MemberHistory.memberIDs`; money is in minor units.
public struct LevelsResult: Sendable, Equatable {
  /// Fitted or evaluated thresholds.
  public var mode: LevelsMode
  /// The thresholds (minor units), bonus, window and relegation policy used.
  public var ladder: LevelLadder
  /// Target shares q_1...q_K, level 1 first, summing to 1.
  public var targetShares: [Double]
  /// The level table at as-of, level 1 first.
  public var rows: [LevelRow]
  /// sum_k (p_k - q_k)^2 / q_k of the achieved shares against the targets.
  public var objective: Double
  /// True when no level holds a larger share than the level below (p_{k+1} <= p_k).
  public var isPyramid: Bool
  /// Members in the Pareto top group: ceil(0.2 * members).
  public var paretoTopMembers: Int
  /// Share of window spend held by the top 20% of members by g, 0...1.
  public var paretoTopShare: Double
  /// Members per growth bucket of the step at as-of (the pyramid chart's data).
  public var histogram: GrowthHistogram
  /// Level (1...K) of each member at as-of: the plain placement of g at as-of.
  public var levelAtAsOf: [UInt8]
  /// Growth value g of each member at as-of, in minor units.
  public var growthMinor: [Int64]
  /// Net window spend of each member at as-of, without bonus, in minor units.
  public var windowSpendMinor: [Int64]
  /// Month-end review dates, ascending.
  public var reviewDates: [Day]
  /// Up / down one / down two or more / unchanged counts at each review from the second.
  public var movements: [ReviewMovement]
  /// Members by level at the previous review (row) and at the last review (column), K x K.
  public var migration: [[Int]]
  /// Upgrade difficulty for levels 2...K.
  public var difficulty: [UpgradeDifficultyRow]

  /// K.
  public var levelCount: Int { ladder.levelCount }
}

/// The levels stage (SPEC 6): growth values at as-of, thresholds fitted to the target
/// shares or given by the user, the level table, the month-end relegation replay and the
/// upgrade difficulty. Values in, values out: no I/O.
///
/// Choices, documented and tested:
/// - Given thresholds (`levels.thresholds`, major units) switch the stage to evaluation;
///   they must be positive and strictly increasing, and K is their count + 1, whatever
///   `levels.count` says. Explicit `levels.shares` must then have K entries.
/// - Fitting needs `levels.count` in 2...10; given thresholds likewise give 2...10 levels.
/// - With `levels.reviews` = 1 there is no previous review: the migration matrix is all
///   zeros and there are no movements.
/// - Money settings are whole major units, converted once to minor units (an amount too
///   large for `Int64` minor units is an input error).
/// - `threads` below 1 means 1; results are identical for any thread count.
public enum LevelsStage {
  /// Runs the stage on the counted orders.
  /// - Parameters:
  ///   - history: counted orders per member, with as-of and the currency's minor digits.
  ///   - config: the `levels` settings (money in major units).
  ///   - threads: worker threads for the member-sized passes.
  /// - Throws: `LoyaltyError.input` with one sentence when the settings are invalid or
  ///   the levels cannot all be non-empty.
  public static func run(history: MemberHistory, config: LevelsConfig, threads: Int) throws(LoyaltyError)
    -> LevelsResult
  {
    let minorPerMajor = history.minorPerMajor
    guard (1...36_600).contains(config.windowDays) else {
      throw .input("[levels] window_days must be between 1 and 36600 days; got \(config.windowDays).")
    }
    guard config.step >= 1 else { throw .input("[levels] step must be a positive amount; got \(config.step).") }
    guard config.bonusPerOrder >= 0 else {
      throw .input("[levels] bonus_per_order must not be negative; got \(config.bonusPerOrder).")
    }
    guard config.reviews >= 1 else {
      throw .input("[levels] reviews must be at least 1; got \(config.reviews).")
    }
    let stepMinor = try minorUnits(config.step, minorPerMajor, key: "[levels] step")
    let bonusMinor = try minorUnits(config.bonusPerOrder, minorPerMajor, key: "[levels] bonus_per_order")
    // Growth values add the bonus to spend in Int64; the spend stays below 2^62 (see
    // the ingest's amount limit), and so must the bonus of every order.
    guard Double(bonusMinor) * Double(history.orderCount) < 0x1p62 else {
      throw .input(
        "[levels] bonus_per_order \(config.bonusPerOrder) on \(history.orderCount) orders adds up to more than growth values can hold; lower it."
      )
    }

    let mode: LevelsMode = config.thresholds.isEmpty ? .fitted : .evaluated
    let levelCount = config.levelCount
    guard (2...10).contains(levelCount) else {
      throw mode == .fitted
        ? .input("[levels] count must be between 2 and 10; got \(config.count).")
        : .input("[levels] thresholds must hold 1 to 9 values (2 to 10 levels); got \(config.thresholds.count).")
    }
    if mode == .evaluated {
      let increasing = zip(config.thresholds, config.thresholds.dropFirst()).allSatisfy { $0 < $1 }
      guard increasing && config.thresholds[0] > 0 else {
        throw .input("[levels] thresholds must be positive and strictly increasing; got \(config.thresholds).")
      }
    }
    let targetShares = try targetShares(config, levelCount: levelCount)

    let growth = GrowthValues.measure(
      history, at: history.asOf, windowDays: config.windowDays, bonusPerOrderMinor: bonusMinor, threads: threads)
    let histogram = GrowthHistogram(growth, stepMinor: stepMinor)

    let thresholdsMinor: [Int64]
    if mode == .fitted {
      thresholdsMinor = try PyramidFit.fit(histogram, targetShares: targetShares).thresholdsMinor
    } else {
      var converted: [Int64] = []
      for t in config.thresholds { converted.append(try minorUnits(t, minorPerMajor, key: "[levels] thresholds")) }
      thresholdsMinor = converted
    }
    let ladder = LevelLadder(
      thresholdsMinor: thresholdsMinor, bonusPerOrderMinor: bonusMinor, windowDays: config.windowDays,
      policy: config.policy)

    let sortedGrowth = growth.growthMinor.sorted()
    let table = LevelTable.evaluate(growth, ladder: ladder, sortedGrowthMinor: sortedGrowth)
    let relegation = RelegationReplay.replay(history, ladder: ladder, reviewCount: config.reviews, threads: threads)
    let difficulty = UpgradeDifficulty.measure(
      sortedGrowthMinor: sortedGrowth, ladder: ladder, windowDays: config.windowDays)

    return LevelsResult(
      mode: mode, ladder: ladder, targetShares: targetShares, rows: table.rows,
      objective: PyramidFit.objective(levelMembers: table.levelMembers, targetShares: targetShares),
      isPyramid: PyramidFit.isPyramid(levelMembers: table.levelMembers),
      paretoTopMembers: table.paretoTopMembers, paretoTopShare: table.paretoTopShare, histogram: histogram,
      levelAtAsOf: table.levelAtAsOf, growthMinor: growth.growthMinor,
      windowSpendMinor: growth.windowSpendMinor, reviewDates: relegation.reviewDates,
      movements: relegation.movements, migration: relegation.migration, difficulty: difficulty)
  }

  /// Target shares for K levels: the explicit list when given (it must have K positive
  /// entries, each below the one before), else the geometric ratio.
  static func targetShares(_ config: LevelsConfig, levelCount: Int) throws(LoyaltyError) -> [Double] {
    if !config.shares.isEmpty {
      guard config.sharesFit else {
        throw .input(
          "[levels] shares must list \(levelCount) positive shares that fall from each level to the next (q_1 > ... > q_K, level 1 first); got \(config.shares)."
        )
      }
    } else {
      guard config.ratio > 0 && config.ratio.isFinite else {
        throw .input("[levels] ratio must be a positive number; got \(config.ratio).")
      }
    }
    var sized = config
    sized.count = levelCount
    return sized.targetShares
  }

  /// `major * minorPerMajor`, or an input error naming `key` when it overflows.
  private static func minorUnits(_ major: Int, _ minorPerMajor: Int64, key: String) throws(LoyaltyError) -> Int64 {
    let (product, overflow) = Int64(major).multipliedReportingOverflow(by: minorPerMajor)
    guard !overflow else { throw .input("\(key) is too large to hold in minor units; got \(major).") }
    return product
  }
}
