import Testing

@testable import LoyaltyCore

// MARK: - Builders

/// A small, seedable random stream for tests (SplitMix64).
private struct LevelsSplitMix64: RandomNumberGenerator {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

private func levelsDay(_ text: String) -> Day { Day(text)! }

/// A history from member ids (in byte order) with their counted orders (date, net minor
/// units) in date order; two minor digits.
private func levelsHistory(asOf: String, _ members: [(String, [(String, Int64)])]) -> MemberHistory {
  var ids: [String] = []
  var orderStart = [0]
  var days: [Int32] = []
  var nets: [Int64] = []
  for (id, orders) in members {
    ids.append(id)
    for (date, net) in orders {
      days.append(levelsDay(date).number)
      nets.append(net)
    }
    orderStart.append(days.count)
  }
  return assembleLevelsHistory(ids: ids, orderStart: orderStart, days: days, nets: nets, asOf: levelsDay(asOf))
}

private func assembleLevelsHistory(
  ids: [String], orderStart: [Int], days: [Int32], nets: [Int64], asOf: Day
) -> MemberHistory {
  MemberHistory(
    memberIDs: ByteStrings(ids), orderStart: orderStart, day: days,
    instantMillis: days.map { Int64($0) * 86_400_000 }, gross: nets, net: nets,
    refundMillis: [Int64](repeating: MemberHistory.noRefund, count: days.count),
    refundDay: [Int32](repeating: 0, count: days.count), asOf: asOf, minorDigits: 2)
}

/// `members` members with 1...4 orders each over the two years up to 2025-06-30.
private func randomLevelsHistory(members: Int, seed: UInt64) -> MemberHistory {
  var random = LevelsSplitMix64(state: seed)
  let asOf = levelsDay("2025-06-30")
  var ids: [String] = []
  var orderStart = [0]
  var days: [Int32] = []
  var nets: [Int64] = []
  for m in 0..<members {
    ids.append("m" + String(100_000 + m))
    let orderCount = Int.random(in: 1...4, using: &random)
    let orderDays = (0..<orderCount).map { _ in asOf.number - Int32.random(in: 0..<730, using: &random) }.sorted()
    for d in orderDays {
      days.append(d)
      nets.append(Int64.random(in: 1...200_000, using: &random))
    }
    orderStart.append(days.count)
  }
  return assembleLevelsHistory(ids: ids, orderStart: orderStart, days: days, nets: nets, asOf: asOf)
}

/// The sentence of a `LoyaltyError.input` thrown by `body`, or nil.
private func levelsInputError(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let error as LoyaltyError {
    if case .input(let sentence) = error { return sentence }
    return nil
  } catch {
    return nil
  }
}

/// Seven members; as-of 2025-06-30, so the 365-day window is 2024-07-01...2025-06-30.
/// Growth values (no bonus): a 50.00, b 120.00, c 200.00, d 500.00 (its 2024-06-30 order
/// is one day outside), e 600.00 (its order is on the window's first day), f 0, g 30.00.
private func whatIfHistory() -> MemberHistory {
  levelsHistory(
    asOf: "2025-06-30",
    [
      ("a", [("2025-06-01", 5_000)]),
      ("b", [("2025-05-01", 12_000)]),
      ("c", [("2025-01-10", 10_000), ("2025-03-10", 10_000)]),
      ("d", [("2024-06-30", 30_000), ("2025-06-30", 50_000)]),
      ("e", [("2024-07-01", 60_000)]),
      ("f", [("2023-01-01", 9_000)]),
      ("g", [("2025-06-15", 3_000)]),
    ])
}

/// Three members over the reviews 2024-04-30...2025-03-31 with a 31-day window and
/// thresholds 100 / 200 / 300: m buys 350.00 once (2025-01-15) and stops; n buys 150.00
/// on the 10th of every month (level 2 at every review); o first buys 250.00 on 2025-03-20.
private func relegationHistory() -> MemberHistory {
  let monthly: [(String, Int64)] = [
    "2024-04-10", "2024-05-10", "2024-06-10", "2024-07-10", "2024-08-10", "2024-09-10",
    "2024-10-10", "2024-11-10", "2024-12-10", "2025-01-10", "2025-02-10", "2025-03-10",
  ].map { ($0, 15_000) }
  return levelsHistory(
    asOf: "2025-03-31",
    [
      ("m", [("2025-01-15", 35_000)]),
      ("n", monthly),
      ("o", [("2025-03-20", 25_000)]),
    ])
}

private func relegationConfig(_ policy: RelegationPolicy) -> LevelsConfig {
  var config = LevelsConfig()
  config.thresholds = [100, 200, 300]
  config.windowDays = 31
  config.policy = policy
  config.reviews = 12
  return config
}

/// The levels stage: growth values, the fit, the table, relegation and upgrade difficulty.
@Suite struct LevelsTests {
  // MARK: - Growth values and the threshold rule

  @Test func memberExactlyOnThresholdGoesUp() throws {
    let ladder = LevelLadder(thresholdsMinor: [10_000, 50_000], bonusPerOrderMinor: 0, windowDays: 365, policy: .full)
    #expect(ladder.level(growthMinor: 0) == 1)
    #expect(ladder.level(growthMinor: 9_999) == 1)
    #expect(ladder.level(growthMinor: 10_000) == 2)
    #expect(ladder.level(growthMinor: 49_999) == 2)
    #expect(ladder.level(growthMinor: 50_000) == 3)

    // A growth value on a multiple of the step opens the upper bucket.
    let values = GrowthValues(
      date: levelsDay("2025-06-30"), windowDays: 365, bonusPerOrderMinor: 0, growthMinor: [9_999, 10_000, 0],
      windowSpendMinor: [9_999, 10_000, 0])
    let histogram = GrowthHistogram(values, stepMinor: 10_000)
    #expect(histogram.buckets == [0, 1])
    #expect(histogram.members == [2, 1])

    // d's growth value is exactly 500.00, the second threshold: level 3.
    var config = LevelsConfig()
    config.thresholds = [100, 500]
    let result = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1)
    #expect(result.growthMinor[3] == 50_000)
    #expect(result.levelAtAsOf[3] == 3)
  }

  @Test func growthValuesCountTheWindowAndTheBonusPerOrder() {
    let history = whatIfHistory()
    let growth = GrowthValues.measure(history, at: history.asOf, windowDays: 365, bonusPerOrderMinor: 1_000)
    #expect(growth.windowSpendMinor == [5_000, 12_000, 20_000, 50_000, 60_000, 0, 3_000])
    #expect(growth.growthMinor == [6_000, 13_000, 22_000, 51_000, 61_000, 0, 4_000])
    let ladder = LevelLadder(thresholdsMinor: [10_000], bonusPerOrderMinor: 1_000, windowDays: 365, policy: .full)
    for m in 0..<history.memberCount {
      #expect(growth.growthMinor[m] == ladder.growth(history, member: m, at: history.asOf))
    }
  }

  @Test func histogramsOfPartsMergeToTheWhole() {
    let history = randomLevelsHistory(members: 300, seed: 7)
    let growth = GrowthValues.measure(history, at: history.asOf, windowDays: 365, bonusPerOrderMinor: 500)
    let whole = GrowthHistogram(growth, stepMinor: 10_000)
    func part(_ range: Range<Int>) -> GrowthHistogram {
      var histogram = GrowthHistogram(stepMinor: 10_000)
      for m in range {
        histogram.add(growthMinor: growth.growthMinor[m], windowSpendMinor: growth.windowSpendMinor[m])
      }
      return histogram
    }
    let low = part(0..<120)
    let high = part(120..<300)
    #expect(low.merging(high) == whole)
    #expect(high.merging(low) == whole)
    var merged = GrowthHistogram(stepMinor: 10_000)
    merged.merge(high)
    merged.merge(low)
    #expect(merged == whole)
    #expect(whole.memberCount == 300)
    #expect(whole.spendMinor.reduce(0, +) == growth.windowSpendMinor.reduce(0, +))
    #expect(whole.growthMinor.reduce(0, +) == growth.growthMinor.reduce(0, +))
  }

  // MARK: - Fitting

  @Test func fitEqualsBruteForceOnRandomHistograms() throws {
    var random = LevelsSplitMix64(state: 20_260_101)
    var feasibleCases = 0
    for _ in 0..<500 {
      let levelCount = Int.random(in: 2...4, using: &random)
      var histogram = GrowthHistogram(stepMinor: 10_000)
      for _ in 0..<Int.random(in: 1...25, using: &random) {
        let g = Int64.random(in: 0..<90_000, using: &random)
        histogram.add(growthMinor: g, windowSpendMinor: g)
      }
      let shares: [Double]
      if Bool.random(using: &random) {
        var config = LevelsConfig()
        config.count = levelCount
        config.ratio = [0.3, 0.5, 0.7, 1.0].randomElement(using: &random)!
        shares = config.targetShares
      } else {
        let raw = (0..<levelCount).map { _ in Double(Int.random(in: 1...5, using: &random)) }
        let total = raw.reduce(0, +)
        shares = raw.map { $0 / total }
      }
      if histogram.occupiedBucketCount < levelCount {
        let sparse = histogram
        #expect(throws: LoyaltyError.self) { _ = try PyramidFit.fit(sparse, targetShares: shares) }
        #expect(throws: LoyaltyError.self) { _ = try PyramidFit.bruteForce(sparse, targetShares: shares) }
        continue
      }
      let fitted = try PyramidFit.fit(histogram, targetShares: shares)
      let brute = try PyramidFit.bruteForce(histogram, targetShares: shares)
      #expect(fitted == brute)
      #expect(fitted.levelMembers.allSatisfy { $0 > 0 })
      #expect(fitted.objective == PyramidFit.objective(levelMembers: fitted.levelMembers, targetShares: shares))
      feasibleCases += 1
    }
    #expect(feasibleCases > 300)
  }

  @Test func fitBreaksTiesTowardTheLowestThresholds() throws {
    // Buckets 0 (one member), 3 (two), 4 (one). With q = (0.5, 0.5) the splits 1 | 3 and
    // 3 | 1 both score 0.125 + 0.125 = 0.25; the lower threshold wins, and it is one step
    // above the highest occupied bucket of level 1.
    var histogram = GrowthHistogram(stepMinor: 10_000)
    for g: Int64 in [500, 30_000, 35_000, 45_000] { histogram.add(growthMinor: g, windowSpendMinor: g) }
    let fit = try PyramidFit.fit(histogram, targetShares: [0.5, 0.5])
    #expect(fit.thresholdsMinor == [10_000])
    #expect(fit.levelMembers == [1, 3])
    #expect(fit.objective == 0.25)
    #expect(!fit.isPyramid)
    #expect(try PyramidFit.bruteForce(histogram, targetShares: [0.5, 0.5]) == fit)
  }

  /// Objectives equal as fractions tie even when binary sums them to different last
  /// bits: g = 100, 100, 219.40, 475 against q = (0.625, 0.375) splits 2 | 2 (shares 1/2,
  /// 1/2) and 3 | 1 (3/4, 1/4), both 1/15; the lower threshold, 150, wins.
  @Test func fitTiesObjectivesThatDifferOnlyInTheirLastBits() throws {
    var histogram = GrowthHistogram(stepMinor: 5_000)
    for g: Int64 in [10_000, 10_000, 21_940, 47_500] { histogram.add(growthMinor: g, windowSpendMinor: g) }
    let shares = [1 / 1.6, 0.6 / 1.6]
    let split22 = PyramidFit.objective(levelMembers: [2, 2], targetShares: shares)
    let split31 = PyramidFit.objective(levelMembers: [3, 1], targetShares: shares)
    #expect(split22 != split31)
    #expect(abs(split22 - 1.0 / 15) < 1e-15 && abs(split31 - 1.0 / 15) < 1e-15)
    let fit = try PyramidFit.fit(histogram, targetShares: shares)
    #expect(fit.thresholdsMinor == [15_000])
    #expect(fit.levelMembers == [2, 2])
    #expect(try PyramidFit.bruteForce(histogram, targetShares: shares) == fit)
  }

  @Test func fittedStageHitsTheTargetSharesExactlyWhenItCan() throws {
    // Buckets of 100.00: 0 holds a, f, g; 1 holds b; 2 holds c; 5 holds d; 6 holds e.
    // q = (4, 2, 1) / 7 is met exactly by levels {0, 1} | {2, 5} | {6}.
    var config = LevelsConfig()
    config.count = 3
    let result = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1)
    #expect(result.mode == .fitted)
    #expect(result.histogram.buckets == [0, 1, 2, 5, 6])
    #expect(result.histogram.members == [3, 1, 1, 1, 1])
    #expect(result.ladder.thresholdsMinor == [20_000, 60_000])
    #expect(result.rows.map(\.members) == [4, 2, 1])
    #expect(result.objective == 0)
    #expect(result.isPyramid)
    #expect(result.levelAtAsOf == [1, 1, 2, 2, 3, 1, 1])
  }

  @Test func tooFewOccupiedBucketsIsAnInputError() {
    var histogram = GrowthHistogram(stepMinor: 10_000)
    histogram.add(growthMinor: 100, windowSpendMinor: 100)
    histogram.add(growthMinor: 20_000, windowSpendMinor: 20_000)
    let sentence = levelsInputError { _ = try PyramidFit.fit(histogram, targetShares: [0.5, 0.3, 0.2]) }
    #expect(sentence?.contains("3 non-empty levels") == true)
    #expect(sentence?.contains("only 2 distinct buckets") == true)

    // Seven levels from five occupied buckets, through the stage.
    let stageSentence = levelsInputError {
      _ = try LevelsStage.run(history: whatIfHistory(), config: LevelsConfig(), threads: 1)
    }
    #expect(stageSentence?.contains("7 non-empty levels") == true)

    // No member at all (an export of nothing but its header, say) is said as such.
    let empty = levelsInputError {
      _ = try PyramidFit.fit(GrowthHistogram(stepMinor: 10_000), targetShares: [0.6, 0.4])
    }
    #expect(empty?.contains("no member has a counted order") == true)
  }

  /// An order bonus that could take growth values past what Int64 holds stops the
  /// stage with a sentence naming the key: 1,000,000 an order with six minor digits on
  /// 4.7M orders is 4.7e18 minor units, past 2^62.
  @Test func anOrderBonusPastTheGrowthLimitStopsTheStage() {
    let orders = 4_700_000
    func history(orders: Int) -> MemberHistory {
      MemberHistory(
        memberIDs: ["a"], orderStart: [0, orders], day: Array(repeating: 20_000, count: orders),
        instantMillis: Array(repeating: 0, count: orders), gross: Array(repeating: 1, count: orders),
        net: Array(repeating: 1, count: orders), refundMillis: Array(repeating: MemberHistory.noRefund, count: orders),
        refundDay: Array(repeating: 0, count: orders), asOf: Day(number: 20_000), minorDigits: 6)
    }
    var config = LevelsConfig()
    config.bonusPerOrder = 1_000_000
    config.thresholds = [1]
    let sentence = levelsInputError {
      _ = try LevelsStage.run(history: history(orders: orders), config: config, threads: 1)
    }
    #expect(sentence?.contains("bonus_per_order") == true)
    #expect(
      levelsInputError { _ = try LevelsStage.run(history: history(orders: 4), config: config, threads: 1) } == nil)
  }

  @Test func givenThresholdsMustBePositiveAndIncreasing() {
    for thresholds in [[500, 100], [100, 100], [0, 100], [-5]] {
      var config = LevelsConfig()
      config.thresholds = thresholds
      let sentence = levelsInputError { _ = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1) }
      #expect(sentence?.contains("strictly increasing") == true)
    }
    var config = LevelsConfig()
    config.thresholds = [100, 500]
    config.shares = [0.5, 0.3, 0.1, 0.1]
    #expect(levelsInputError { _ = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1) } != nil)
    // SPEC 6's targets fall from level to level: a flat or rising list is refused.
    for shares in [[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]] {
      config.shares = shares
      let sentence = levelsInputError { _ = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1) }
      #expect(sentence?.contains("fall from each level") == true)
    }
    config.shares = [0.5, 0.3, 0.2]
    #expect(levelsInputError { _ = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1) } == nil)
  }

  // MARK: - The level table

  @Test func whatIfTableHasHandComputedRows() throws {
    var config = LevelsConfig()
    config.thresholds = [100, 500]  // K = 3, whatever levels.count says
    let result = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1)
    #expect(result.mode == .evaluated)
    #expect(result.levelCount == 3)
    #expect(result.ladder.thresholdsMinor == [10_000, 50_000])
    #expect(result.growthMinor == [5_000, 12_000, 20_000, 50_000, 60_000, 0, 3_000])
    #expect(result.levelAtAsOf == [1, 2, 2, 3, 3, 1, 1])
    // Level 1: f 0, g 30.00, a 50.00. Level 2: b 120.00, c 200.00. Level 3: d 500.00, e 600.00.
    // Window spend 80.00 + 320.00 + 1100.00 = 1500.00.
    #expect(
      result.rows == [
        LevelRow(
          level: 1, thresholdMinor: 0, members: 3, share: 3.0 / 7.0, spendMinor: 8_000,
          spendShare: 8_000.0 / 150_000.0, meanGrowthMinor: 2_667, medianGrowthMinor: 3_000),
        LevelRow(
          level: 2, thresholdMinor: 10_000, members: 2, share: 2.0 / 7.0, spendMinor: 32_000,
          spendShare: 32_000.0 / 150_000.0, meanGrowthMinor: 16_000, medianGrowthMinor: 16_000),
        LevelRow(
          level: 3, thresholdMinor: 50_000, members: 2, share: 2.0 / 7.0, spendMinor: 110_000,
          spendShare: 110_000.0 / 150_000.0, meanGrowthMinor: 55_000, medianGrowthMinor: 55_000),
      ])
    // Targets (4, 2, 1) / 7 against (3, 2, 2) / 7: (1/49) / (4/7) + 0 + (1/49) / (1/7) = 5/28.
    #expect(abs(result.objective - 5.0 / 28.0) < 1e-12)
    #expect(result.isPyramid)
    // Top ceil(7 / 5) = 2 members by g: e and d.
    #expect(result.paretoTopMembers == 2)
    #expect(result.paretoTopShare == 110_000.0 / 150_000.0)
  }

  @Test func medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    let history = levelsHistory(
      asOf: "2025-06-30",
      [
        ("a", [("2025-06-01", 1_000)]),
        ("b", [("2025-06-01", 2_000)]),
        ("c", [("2025-06-01", 3_001)]),
        ("d", [("2025-06-01", 9_000)]),
      ])
    let growth = GrowthValues.measure(history, at: history.asOf, windowDays: 365, bonusPerOrderMinor: 0)
    let ladder = LevelLadder(thresholdsMinor: [100_000], bonusPerOrderMinor: 0, windowDays: 365, policy: .full)
    let table = LevelTable.evaluate(growth, ladder: ladder)
    // (2_000 + 3_001) / 2 = 2_500.5 and 15_001 / 4 = 3_750.25, rounded half up.
    #expect(table.rows[0].medianGrowthMinor == 2_501)
    #expect(table.rows[0].meanGrowthMinor == 3_750)
    #expect(table.rows[1].members == 0)
    #expect(table.rows[1].meanGrowthMinor == nil)
    #expect(table.rows[1].medianGrowthMinor == nil)
  }

  @Test func paretoTakesCeilOfTwentyPercentAndBreaksTiesBySpend() {
    // Bonus 10.00 per order: p (two orders of 90.00) and q (one of 190.00) both reach
    // g = 200.00; q spent more, so q is ranked first although p comes first by index.
    let ladder = LevelLadder(thresholdsMinor: [10_000], bonusPerOrderMinor: 1_000, windowDays: 365, policy: .full)
    var members: [(String, [(String, Int64)])] = [
      ("p", [("2025-05-01", 9_000), ("2025-06-01", 9_000)]),
      ("q", [("2025-06-01", 19_000)]),
      ("r", [("2025-06-01", 4_000)]),
      ("s", [("2025-06-01", 2_000)]),
      ("t", [("2020-01-01", 7_000)]),
    ]
    let five = levelsHistory(asOf: "2025-06-30", members)
    let growthFive = GrowthValues.measure(five, at: five.asOf, windowDays: 365, bonusPerOrderMinor: 1_000)
    #expect(growthFive.growthMinor == [20_000, 20_000, 5_000, 3_000, 0])
    #expect(growthFive.windowSpendMinor == [18_000, 19_000, 4_000, 2_000, 0])
    let tableFive = LevelTable.evaluate(growthFive, ladder: ladder)
    #expect(tableFive.paretoTopMembers == 1)
    #expect(tableFive.paretoTopShare == 19_000.0 / 43_000.0)

    // Six members: ceil(1.2) = 2 (floor would give 1), so both tied members are in.
    members.append(("u", [("2025-06-01", 1)]))
    let six = levelsHistory(asOf: "2025-06-30", members)
    let growthSix = GrowthValues.measure(six, at: six.asOf, windowDays: 365, bonusPerOrderMinor: 1_000)
    let tableSix = LevelTable.evaluate(growthSix, ladder: ladder)
    #expect(tableSix.paretoTopMembers == 2)
    #expect(tableSix.paretoTopShare == 37_000.0 / 43_001.0)
  }

  // MARK: - Reviews and relegation

  @Test func reviewDatesAreTheLastMonthEndsUpToAsOf() {
    #expect(
      RelegationReplay.reviewDates(asOf: levelsDay("2025-03-31"), count: 3) == [
        levelsDay("2025-01-31"), levelsDay("2025-02-28"), levelsDay("2025-03-31"),
      ])
    // As-of inside a month: the last review is the end of the month before.
    #expect(
      RelegationReplay.reviewDates(asOf: levelsDay("2025-03-30"), count: 3) == [
        levelsDay("2024-12-31"), levelsDay("2025-01-31"), levelsDay("2025-02-28"),
      ])
    #expect(
      RelegationReplay.reviewDates(asOf: levelsDay("2024-03-01"), count: 2) == [
        levelsDay("2024-01-31"), levelsDay("2024-02-29"),
      ])
    let twelve = RelegationReplay.reviewDates(asOf: levelsDay("2025-03-31"), count: 12)
    #expect(twelve.count == 12)
    #expect(twelve.first == levelsDay("2024-04-30"))
  }

  @Test func memberWhoStopsBuyingFallsAtOnceUnderFullAndStepByStepUnderOneStep() {
    let history = relegationHistory()
    let reviews = RelegationReplay.reviewDates(asOf: history.asOf, count: 12)
    let full = LevelLadder(
      thresholdsMinor: [10_000, 20_000, 30_000], bonusPerOrderMinor: 0, windowDays: 31, policy: .full)
    var oneStep = full
    oneStep.policy = .oneStep
    // Reviews 2024-04-30 ... 2024-12-31 (nine), then 2025-01-31, 2025-02-28, 2025-03-31.
    #expect(full.replay(history, member: 0, reviews: reviews) == [1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1, 1])
    #expect(oneStep.replay(history, member: 0, reviews: reviews) == [1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 3, 2])
    #expect(full.replay(history, member: 1, reviews: reviews) == [UInt8](repeating: 2, count: 12))
    #expect(full.replay(history, member: 2, reviews: reviews) == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3])
  }

  @Test func migrationAndMonthlyMovementsCountEveryMember() throws {
    let history = relegationHistory()
    let reviews = RelegationReplay.reviewDates(asOf: history.asOf, count: 12)
    let steady = (1..<12).map { ReviewMovement(date: reviews[$0], up: 0, downOne: 0, downTwoOrMore: 0, unchanged: 3) }

    let full = try LevelsStage.run(history: history, config: relegationConfig(.full), threads: 1)
    #expect(full.reviewDates == reviews)
    var fullMovements = steady
    fullMovements[8] = ReviewMovement(date: reviews[9], up: 1, downOne: 0, downTwoOrMore: 0, unchanged: 2)
    fullMovements[9] = ReviewMovement(date: reviews[10], up: 0, downOne: 0, downTwoOrMore: 1, unchanged: 2)
    fullMovements[10] = ReviewMovement(date: reviews[11], up: 1, downOne: 0, downTwoOrMore: 0, unchanged: 2)
    #expect(full.movements == fullMovements)
    // Last review: m 1 -> 1, n 2 -> 2, o 1 -> 3.
    #expect(full.migration == [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])

    let oneStep = try LevelsStage.run(history: history, config: relegationConfig(.oneStep), threads: 1)
    var oneStepMovements = steady
    oneStepMovements[8] = ReviewMovement(date: reviews[9], up: 1, downOne: 0, downTwoOrMore: 0, unchanged: 2)
    oneStepMovements[9] = ReviewMovement(date: reviews[10], up: 0, downOne: 1, downTwoOrMore: 0, unchanged: 2)
    oneStepMovements[10] = ReviewMovement(date: reviews[11], up: 1, downOne: 1, downTwoOrMore: 0, unchanged: 1)
    #expect(oneStep.movements == oneStepMovements)
    // Last review: m 3 -> 2, n 2 -> 2, o 1 -> 3.
    #expect(oneStep.migration == [[0, 0, 1, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0]])

    // The level at as-of is the plain placement of g at as-of under either policy.
    #expect(full.levelAtAsOf == [1, 2, 3])
    #expect(oneStep.levelAtAsOf == [1, 2, 3])

    // Under one_step a member's level at the first reported review follows from the
    // reviews before it: with 2 reviews (2025-02-28, 2025-03-31), m reached level 4
    // at 2025-01-31 and so stands at 3 on 2025-02-28, not at the plain placement 1.
    var two = relegationConfig(.oneStep)
    two.reviews = 2
    let twoReviews = try LevelsStage.run(history: history, config: two, threads: 1)
    #expect(twoReviews.migration == oneStep.migration)
    #expect(twoReviews.movements == [oneStepMovements[10]])

    // A single review has nothing to migrate from.
    var single = relegationConfig(.full)
    single.reviews = 1
    let alone = try LevelsStage.run(history: history, config: single, threads: 1)
    #expect(alone.reviewDates == [levelsDay("2025-03-31")])
    #expect(alone.movements.isEmpty)
    #expect(alone.migration == [[Int]](repeating: [0, 0, 0, 0], count: 4))
  }

  @Test func resultsDoNotDependOnThreadCount() throws {
    let history = randomLevelsHistory(members: 9_000, seed: 42)
    var config = LevelsConfig()
    config.policy = .oneStep
    config.bonusPerOrder = 5
    let one = try LevelsStage.run(history: history, config: config, threads: 1)
    let two = try LevelsStage.run(history: history, config: config, threads: 2)
    let three = try LevelsStage.run(history: history, config: config, threads: 3)
    #expect(one == two)
    #expect(one == three)
    #expect(one.migration.joined().reduce(0, +) == history.memberCount)
    for movement in one.movements {
      #expect(movement.up + movement.downOne + movement.downTwoOrMore + movement.unchanged == history.memberCount)
    }
    #expect(one.rows.map(\.members).reduce(0, +) == history.memberCount)
    #expect(one.rows.map(\.spendMinor).reduce(0, +) == one.windowSpendMinor.reduce(0, +))
  }

  // MARK: - Upgrade difficulty

  @Test func upgradeDifficultyTakesMediansOverMembersWithGrowth() throws {
    var config = LevelsConfig()
    config.thresholds = [100, 500]
    let result = try LevelsStage.run(history: whatIfHistory(), config: config, threads: 1)
    // Level 2's base: g 30.00 and a 50.00 (f has g = 0 and is left out); gaps 70.00 and 50.00.
    // Level 3's base: b 120.00 and c 200.00; gaps 380.00 and 300.00.
    func months(_ gap: Double, _ growth: Double) -> Double { gap / (growth * 30.4375 / 365.0) }
    #expect(result.difficulty.count == 2)
    let toTwo = result.difficulty[0]
    #expect(toTwo.level == 2)
    #expect(toTwo.members == 2)
    #expect(toTwo.medianGapMinor == 6_000)
    #expect(abs(toTwo.medianMonths! - (months(7_000, 3_000) + months(5_000, 5_000)) / 2) < 1e-9)
    #expect(abs(toTwo.medianMonths! - 19.986_310_746) < 1e-6)
    let toThree = result.difficulty[1]
    #expect(toThree.level == 3)
    #expect(toThree.members == 2)
    #expect(toThree.medianGapMinor == 34_000)
    #expect(abs(toThree.medianMonths! - (months(38_000, 12_000) + months(30_000, 20_000)) / 2) < 1e-9)

    // An empty base gives no medians; an odd base gives its middle member.
    let ladder = LevelLadder(
      thresholdsMinor: [10_000, 11_000, 55_000], bonusPerOrderMinor: 0, windowDays: 365, policy: .full)
    let history = whatIfHistory()
    let growth = GrowthValues.measure(history, at: history.asOf, windowDays: 365, bonusPerOrderMinor: 0)
    let rows = UpgradeDifficulty.measure(growth, ladder: ladder)
    #expect(rows[1] == UpgradeDifficultyRow(level: 3, members: 0, medianGapMinor: nil, medianMonths: nil))
    // Level 3 (110.00 <= g < 550.00) holds b, c, d; the middle is c at 200.00.
    #expect(rows[2].members == 3)
    #expect(rows[2].medianGapMinor == 35_000)
    let middleMonths = UpgradeDifficulty.monthsToClose(gapMinor: 35_000, growthMinor: 20_000, windowDays: 365)
    #expect(rows[2].medianMonths == middleMonths)
  }
}
