/// A set of level thresholds and the rule that places a growth value on them
/// (SPEC 6): level k holds t_{k-1} <= g < t_k, so a member exactly on a threshold
/// goes up. Levels are numbered 1...K.
public struct LevelLadder: Sendable, Equatable {
  /// t_1 < ... < t_{K-1}, in minor units.
  public var thresholdsMinor: [Int64]
  /// Growth value added per counted order in the window, in minor units.
  public var bonusPerOrderMinor: Int64
  /// The growth window in days.
  public var windowDays: Int
  /// How levels fall at a review.
  public var policy: RelegationPolicy

  public init(thresholdsMinor: [Int64], bonusPerOrderMinor: Int64, windowDays: Int, policy: RelegationPolicy) {
    self.thresholdsMinor = thresholdsMinor
    self.bonusPerOrderMinor = bonusPerOrderMinor
    self.windowDays = windowDays
    self.policy = policy
  }

  /// K.
  public var levelCount: Int { thresholdsMinor.count + 1 }

  /// The level (1...K) of growth value `g` (minor units).
  @inline(__always)
  public func level(growthMinor g: Int64) -> Int {
    var k = 1
    for t in thresholdsMinor where g >= t { k += 1 }
    return k
  }

  /// Growth value (minor units) of one member at `date`: net spend of the counted
  /// orders in `[date - windowDays + 1, date]` plus the bonus per order.
  public func growth(_ history: MemberHistory, member m: Int, at date: Day) -> Int64 {
    let from = date.number - Int32(windowDays) + 1
    var g: Int64 = 0
    for i in history.orders(of: m) {
      let d = history.day[i]
      if d >= from && d <= date.number { g += history.net[i] + bonusPerOrderMinor }
    }
    return g
  }

  /// Levels of one member at each review date (ascending), applying the policy from
  /// the first review on (the first review is a plain placement).
  public func replay(_ history: MemberHistory, member m: Int, reviews: [Day]) -> [UInt8] {
    var result = [UInt8]()
    result.reserveCapacity(reviews.count)
    var previous = 0
    for (i, date) in reviews.enumerated() {
      var k = level(growthMinor: growth(history, member: m, at: date))
      if i > 0, policy == .oneStep, k < previous - 1 { k = previous - 1 }
      result.append(UInt8(k))
      previous = k
    }
    return result
  }
}
