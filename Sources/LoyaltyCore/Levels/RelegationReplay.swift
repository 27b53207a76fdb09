/// How many members moved between two consecutive month-end reviews.
public struct ReviewMovement: Sendable, Equatable {
  /// The review date (a month-end).
  public var date: Day
  /// Members whose level rose since the previous review.
  public var up: Int
  /// Members who dropped exactly one level.
  public var downOne: Int
  /// Members who dropped two or more levels.
  public var downTwoOrMore: Int
  /// Members whose level did not change.
  public var unchanged: Int

  /// Counts for the review on `date`.
  public init(date: Day, up: Int, downOne: Int, downTwoOrMore: Int, unchanged: Int) {
    self.date = date
    self.up = up
    self.downOne = downOne
    self.downTwoOrMore = downTwoOrMore
    self.unchanged = unchanged
  }
}

/// Levels replayed at the last month-end reviews up to as-of (SPEC 6, reviews and
/// relegation): at each review every member is placed from that date's trailing window
/// (`LevelLadder.replay`), then the ladder's policy applies (`full` recomputes,
/// `one_step` drops at most one level per review).
///
/// Choices, documented and tested:
/// - Review dates are the last `reviewCount` month-ends on or before as-of: when as-of is
///   itself a month-end it is the last review; otherwise the last review is the end of
///   the month before as-of's month.
/// - The population is every member of the history (a counted order up to as-of); a
///   member without a counted order in a review's window has g = 0 there (level 1).
/// - Movements are counted from the second review. Under `full` the first review is a
///   plain placement. Under `one_step` a level depends on the reviews before it, so each
///   member is replayed from the end of the month of their first counted order (a plain
///   placement, as nothing is held before it) and the last reviews are kept: the same
///   levels the points ledger takes its multipliers from (`PointsPlan`).
public struct RelegationReplay: Sendable, Equatable {
  /// The review dates, ascending.
  public var reviewDates: [Day]
  /// Movements at each review from the second one on, in date order.
  public var movements: [ReviewMovement]
  /// Members by level at the previous review (row, level 1 first) and level at the last
  /// review (column): K x K counts. All zero with fewer than two reviews.
  public var migration: [[Int]]

  /// The last `count` month-ends on or before `asOf`, ascending.
  public static func reviewDates(asOf: Day, count: Int) -> [Day] {
    let lastMonth = asOf == asOf.month.lastDay ? asOf.month : asOf.month.previous
    return (0..<max(0, count)).map { (lastMonth + ($0 - count + 1)).lastDay }
  }

  /// Replays every member's levels at the last `reviewCount` month-ends up to the
  /// history's as-of and counts the movements.
  /// - Parameters:
  ///   - history: counted orders per member.
  ///   - ladder: thresholds, bonus, window and relegation policy.
  ///   - reviewCount: number of month-end reviews (SPEC default 12).
  ///   - threads: worker threads (values below 1 mean 1); the result does not depend on it.
  public static func replay(
    _ history: MemberHistory, ladder: LevelLadder, reviewCount: Int, threads: Int = 1
  ) -> RelegationReplay {
    let reviews = reviewDates(asOf: history.asOf, count: reviewCount)
    let levelCount = ladder.levelCount
    let movementCount = max(0, reviews.count - 1)
    // Per chunk: the K x K migration counts, then four counts per movement.
    let partials = ParallelRanges.mapChunks(count: history.memberCount, threads: threads) { members in
      var counts = [Int](repeating: 0, count: levelCount * levelCount + 4 * movementCount)
      guard reviews.count >= 2 else { return counts }
      for m in members {
        let levels = Self.levels(history, member: m, ladder: ladder, reviews: reviews)
        for r in 1..<levels.count {
          let before = Int(levels[r - 1])
          let after = Int(levels[r])
          let slot = levelCount * levelCount + 4 * (r - 1)
          if after > before {
            counts[slot] += 1
          } else if after == before - 1 {
            counts[slot + 1] += 1
          } else if after < before {
            counts[slot + 2] += 1
          } else {
            counts[slot + 3] += 1
          }
        }
        let from = Int(levels[levels.count - 2])
        let to = Int(levels[levels.count - 1])
        counts[(from - 1) * levelCount + (to - 1)] += 1
      }
      return counts
    }
    var totals = [Int](repeating: 0, count: levelCount * levelCount + 4 * movementCount)
    for partial in partials {
      for i in totals.indices { totals[i] += partial[i] }
    }
    let migration = (0..<levelCount).map { row in Array(totals[(row * levelCount)..<((row + 1) * levelCount)]) }
    let movements = (0..<movementCount).map { r in
      let slot = levelCount * levelCount + 4 * r
      return ReviewMovement(
        date: reviews[r + 1], up: totals[slot], downOne: totals[slot + 1], downTwoOrMore: totals[slot + 2],
        unchanged: totals[slot + 3])
    }
    return RelegationReplay(reviewDates: reviews, movements: movements, migration: migration)
  }

  /// Member `m`'s levels at `reviews`: under `one_step`, replayed from the end of the
  /// month of the member's first counted order when that comes before the first review.
  static func levels(_ history: MemberHistory, member m: Int, ladder: LevelLadder, reviews: [Day]) -> [UInt8] {
    var earlier: [Day] = []
    if ladder.policy == .oneStep, let firstReview = reviews.first, let start = history.orders(of: m).first {
      let memberFirst = Day(number: history.day[start]).month
      earlier = (0..<max(0, firstReview.month - memberFirst)).map { (memberFirst + $0).lastDay }
    }
    // Most members (every one under `full`) replay the reviews alone, with no copies.
    if earlier.isEmpty { return ladder.replay(history, member: m, reviews: reviews) }
    return Array(ladder.replay(history, member: m, reviews: earlier + reviews).suffix(reviews.count))
  }
}
