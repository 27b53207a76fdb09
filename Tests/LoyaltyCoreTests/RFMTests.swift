import Testing

@testable import LoyaltyCore

/// A history with one counted order per (member, day, net major) triple.
func makeHistory(_ orders: [(member: Int, day: String, net: Int64)], asOf: String) -> MemberHistory {
  let members = (orders.map(\.member).max() ?? -1) + 1
  var start = [0]
  var day: [Int32] = []
  var net: [Int64] = []
  for m in 0..<members {
    let mine = orders.filter { $0.member == m }.sorted { $0.day < $1.day }
    for o in mine {
      day.append(Day(o.day)!.number)
      net.append(o.net * 100)
    }
    start.append(day.count)
  }
  return MemberHistory(
    memberIDs: ByteStrings((0..<members).map { "m\($0)" }), orderStart: start, day: day,
    instantMillis: day.map { Int64($0) * 86_400_000 }, gross: net, net: net,
    refundMillis: day.map { _ in MemberHistory.noRefund }, refundDay: day.map { _ in 0 },
    asOf: Day(asOf)!, minorDigits: 2)
}

@Suite struct RFMTests {
  @Test func rankScoresShareTies() {
    // n = 5, values 1,1,1,2,5: worse counts 0,0,0,3,4 -> 1 + floor(5w/5).
    #expect(RFMScoring.rank([1, 1, 1, 2, 5], bins: 5, higherIsBetter: true) == [1, 1, 1, 4, 5])
    // Recency: worse = more days. Days 0, 10, 10, 400: worse 3, 1, 1, 0 with n = 4.
    #expect(RFMScoring.rank([0, 10, 10, 400], bins: 5, higherIsBetter: false) == [4, 2, 2, 1])
  }

  @Test func quantileFollowsTheRPackageRule() {
    // x = 1...10, B = 5: type-7 quantiles 2.8, 4.6, 6.4, 8.2 -> cuts 3.8, 5.6, 7.4, 9.2.
    let q = RFMScoring.quantile(Array(1...10), bins: 5, higherIsBetter: true, one: 1)
    #expect(q.scores == [1, 1, 1, 2, 2, 3, 3, 4, 4, 5])
    #expect(q.cuts.map { ($0 * 10).rounded() / 10 } == [3.8, 5.6, 7.4, 9.2])
    // Recency reversed: the smallest days score highest.
    let r = RFMScoring.quantile(Array(1...10), bins: 5, higherIsBetter: false, one: 1)
    #expect(r.scores == [5, 5, 5, 4, 4, 3, 3, 2, 2, 1])
  }

  @Test func quantileWithHeavyTiesLeavesScoresEmpty() {
    // Seven 1s and 2, 3, 9: quantiles 1, 1, 1, 2.2 -> cuts 2, 2, 2, 3.2.
    let q = RFMScoring.quantile([1, 1, 1, 1, 1, 1, 1, 2, 3, 9], bins: 5, higherIsBetter: true, one: 1)
    #expect(q.scores == [1, 1, 1, 1, 1, 1, 1, 4, 4, 5])
  }

  @Test func quantileOnMoneyAddsOneMajorUnit() {
    // 100.00 and 200.00 (minor 10000, 20000), B = 2: median 150.00 + 1.00 = 151.00.
    let q = RFMScoring.quantile([10000, 20000], bins: 2, higherIsBetter: true, one: 100)
    #expect(q.scores == [1, 2])
    #expect(q.cuts == [15100])
  }

  @Test func fixedBreakpoints() {
    #expect(RFMScoring.fixedAscending([1, 2, 3, 7, 8, 100], breakpoints: [2, 3, 5, 8]) == [1, 2, 3, 4, 5, 5])
    #expect(
      RFMScoring.fixedRecency([0, 30, 31, 90, 271, 364], breakpoints: [30, 90, 180, 270], bins: 5) == [
        5, 5, 4, 4, 1, 1,
      ])
  }

  @Test func stageScoresValueClassesAndOutsiders() throws {
    let history = makeHistory(
      [
        (0, "2026-10-30", 100), (0, "2026-09-01", 50),
        (1, "2026-06-01", 20),
        (2, "2026-10-05", 500),
        (3, "2024-01-01", 80),  // outside the window: not scored
      ], asOf: "2026-10-31")
    let r = try RFMStage.run(history: history, config: RFMConfig(), lifecycle: LifecycleConfig())
    #expect(r.scoredCount == 3)
    #expect(r.recencyDays == [1, 152, 26, 1034])
    #expect(r.frequency == [2, 1, 1, 0])
    #expect(r.monetary == [15000, 2000, 50000, 0])
    // Recency days 1, 152, 26: worse 2, 0, 1 -> 1 + floor(5w/3) = 4, 1, 2.
    #expect(r.r == [4, 1, 2, 0])
    // Frequency 2, 1, 1: worse 2, 0, 0 -> 4, 1, 1.
    #expect(r.f == [4, 1, 1, 0])
    // Monetary 150, 20, 500: worse 1, 0, 2 -> 2, 1, 4.
    #expect(r.m == [2, 1, 4, 0])
    // Means: R 7/3, F 2, M 7/3.
    #expect(r.valueClass[0] == .generalValue)
    #expect(r.valueClass[1] == .generalWinback)
    #expect(r.valueClass[2] == .importantWinback)
    #expect(r.valueClass[3] == nil)
    #expect(r.lifecycle.map(\.name) == ["active", "silent", "new", "lost"])
    #expect(r.segmentNames[Int(r.segment[1])] == "Lost")
    #expect(r.breakpoints[1].emptyScores == [2, 3, 5])
  }

  @Test func milestonesCountSecondAndFourthOrdersWithin92Days() throws {
    let history = makeHistory(
      [
        (0, "2026-01-01", 1), (0, "2026-04-02", 1),  // day 91 after the first: counts
        (1, "2026-01-10", 1), (1, "2026-04-12", 1),  // day 92: too late
        (2, "2026-01-20", 1), (2, "2026-01-21", 1), (2, "2026-01-22", 1), (2, "2026-01-23", 1),
        (3, "2026-10-01", 1),  // first order less than 92 days before as-of: not eligible
      ], asOf: "2026-10-31")
    let r = try RFMStage.run(history: history, config: RFMConfig(), lifecycle: LifecycleConfig())
    #expect(r.milestones.count == 1)
    #expect(r.milestones[0].members == 3)
    #expect(r.milestones[0].reachedSecond == 2)
    #expect(r.milestones[0].reachedFourth == 1)
  }

  @Test func powerTagsByShareOfBetterMembers() throws {
    // Ten members with monetary 1...10: better counts 9...0.
    let history = makeHistory((0..<10).map { ($0, "2026-10-01", Int64($0 + 1)) }, asOf: "2026-10-31")
    let r = try RFMStage.run(history: history, config: RFMConfig(), lifecycle: LifecycleConfig())
    // better/n < 0.05 -> only better = 0; < 0.2 -> better 1; < 0.5 -> 2...4; < 0.8 -> 5...7; rest low.
    #expect(
      r.powerTag.map { $0!.name } == [
        "low", "low", "general", "general", "general", "medium", "medium", "medium", "high", "extremely_high",
      ])
  }
}

/// Tie counts by counting (short ranges) and by sorting (wide ranges) against the
/// definition: members strictly below and strictly above each value.
@Test(arguments: [Int64(30), Int64(1) << 40]) func tieCountsMatchTheirDefinition(range: Int64) {
  var rng = SplitMix64(seed: UInt64(range))
  let values = (0..<2_000).map { _ in Int64(rng.next() % UInt64(range)) - range / 2 }
  let ties = TieCounts(values)
  for (i, v) in values.enumerated() {
    #expect(Int(ties.below[i]) == values.filter { $0 < v }.count)
    #expect(Int(ties.above[i]) == values.filter { $0 > v }.count)
  }
}

/// RFM on two threads (ranges of members, recency and frequency scored beside
/// monetary) gives what one thread gives, for every scoring method.
@Test(arguments: [ScoringMethod.rank, .quantile, .fixed])
func rfmOnTwoThreadsMatchesOne(method: ScoringMethod) throws {
  var rng = SplitMix64(seed: 11)
  let asOf = Day("2026-10-31")!
  var start = [0]
  var day: [Int32] = []
  var net: [Int64] = []
  let members = 20_000
  for _ in 0..<members {
    let count = 1 + Int(rng.next() % 6)
    let days = (0..<count).map { _ in asOf.number - Int32(rng.next() % 900) }.sorted()
    for d in days {
      day.append(d)
      net.append(Int64(rng.next() % 40_000) - 2_000)
    }
    start.append(day.count)
  }
  let history = MemberHistory(
    memberIDs: ByteStrings((0..<members).map { "m\($0)" }), orderStart: start, day: day,
    instantMillis: day.map { Int64($0) * 86_400_000 }, gross: net, net: net,
    refundMillis: day.map { _ in MemberHistory.noRefund }, refundDay: day.map { _ in 0 }, asOf: asOf,
    minorDigits: 2)
  var config = RFMConfig()
  config.method = method
  config.fixedRecency = [30, 90, 180, 270]
  config.fixedFrequency = [2, 3, 4, 5]
  config.fixedMonetary = [5_000, 10_000, 20_000, 40_000]
  let one = try RFMStage.run(history: history, config: config, lifecycle: LifecycleConfig(), threads: 1)
  let two = try RFMStage.run(history: history, config: config, lifecycle: LifecycleConfig(), threads: 2)
  #expect(one.scoredCount > 10_000)
  #expect(one.recencyDays == two.recencyDays && one.frequency == two.frequency && one.monetary == two.monetary)
  #expect(one.r == two.r && one.f == two.f && one.m == two.m)
  #expect(one.valueClass == two.valueClass && one.segment == two.segment && one.powerTag == two.powerTag)
  #expect(one.lifecycle == two.lifecycle && one.lifecycleCounts == two.lifecycleCounts)
  #expect(one.scoredCount == two.scoredCount && one.meanScores == two.meanScores)
  #expect(one.breakpoints == two.breakpoints && one.milestones == two.milestones)
  #expect(one.gridMembers == two.gridMembers && one.gridMonetary == two.gridMonetary)
  #expect(one.classes == two.classes && one.segments == two.segments)
  #expect(one.milestones.count > 12)
}
