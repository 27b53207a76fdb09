/// One RFM dimension.
public enum RFMDimension: Int, Sendable, CaseIterable {
  case recency = 0, frequency = 1, monetary = 2

  public var name: String { ["recency", "frequency", "monetary"][rawValue] }
}

/// How one dimension's scores came out: per score, the members and the smallest and
/// largest value that got it (the actual breakpoints), and the cut points the method
/// used. Values are days (recency), orders (frequency) or minor units (monetary).
public struct ScoreBreakpoints: Sendable, Equatable {
  public var dimension: RFMDimension
  /// Members per score; index 0 is score 1.
  public var members: [Int]
  /// Smallest value with each score, nil when the score is empty.
  public var lowest: [Int64?]
  /// Largest value with each score, nil when the score is empty.
  public var highest: [Int64?]
  /// The method's cut points in the dimension's unit (quantile: cut_1...cut_{B-1},
  /// fixed: the configured breakpoints; rank: none).
  public var cuts: [Double]

  /// Scores no member received.
  public var emptyScores: [Int] { members.indices.filter { members[$0] == 0 }.map { $0 + 1 } }
}

/// The score rules of SPEC 5, as pure functions over one dimension's values.
public enum RFMScoring {
  /// `rank`: score = 1 + floor(B * w / n), w = members strictly worse. For frequency
  /// and monetary worse is smaller; for recency (`higherIsBetter` false) worse is more
  /// days. Tied values share a score.
  public static func rank(_ values: [Int64], bins: Int, higherIsBetter: Bool) -> [UInt8] {
    rank(TieCounts(values), bins: bins, higherIsBetter: higherIsBetter)
  }

  /// `rank` from the values' tie counts (shared with the power tags).
  public static func rank(_ counts: TieCounts, bins: Int, higherIsBetter: Bool) -> [UInt8] {
    let n = counts.below.count
    guard n > 0 else { return [] }
    return (0..<n).map { i in
      // Strictly worse: below x when higher is better, above x otherwise.
      let worse = higherIsBetter ? Int(counts.below[i]) : Int(counts.above[i])
      return UInt8(1 + bins * worse / n)
    }
  }

  /// `quantile` (the R package rfm's rule): cut_k = quantile(x, k/B, type 7) + `one`,
  /// intervals [min, cut_1), ..., [cut_{B-1}, max + one); the score is the interval's
  /// position (reversed for recency). `one` is 1 in the value's unit (one day, one
  /// order, one major unit of money in minor units). Comparisons are exact rationals.
  public static func quantile(_ values: [Int64], bins: Int, higherIsBetter: Bool, one: Int64) -> (
    scores: [UInt8], cuts: [Double]
  ) {
    let n = values.count
    guard n > 0 else { return ([], []) }
    let sorted = values.sorted()
    // cut_k = a + (r / B) * (b - a) + one, with h = (n - 1) k / B = lo + r / B.
    var cuts: [(a: Int64, b: Int64, r: Int64)] = []
    for k in 1..<bins {
      let h = (n - 1) * k
      let lo = h / bins
      let r = Int64(h - lo * bins)
      let a = sorted[lo]
      let b = lo + 1 < n ? sorted[lo + 1] : sorted[lo]
      cuts.append((a, b, r))
    }
    let B = Int64(bins)
    let scores = values.map { x -> UInt8 in
      // x >= cut  <=>  B (x - one - a) >= r (b - a)
      var interval = 1
      for cut in cuts where B * (x - one - cut.a) >= cut.r * (cut.b - cut.a) { interval += 1 }
      return UInt8(higherIsBetter ? interval : bins + 1 - interval)
    }
    let shown = cuts.map { Double($0.a) + Double($0.r) / Double(bins) * Double($0.b - $0.a) + Double(one) }
    return (scores, shown)
  }

  /// `fixed`, frequency and monetary: score = 1 + count(x >= t_k) over the ascending
  /// breakpoints t_1...t_{B-1}.
  public static func fixedAscending(_ values: [Int64], breakpoints: [Int64]) -> [UInt8] {
    values.map { x in UInt8(1 + breakpoints.filter { x >= $0 }.count) }
  }

  /// `fixed`, recency: score = B - count(days > r_k) over the ascending breakpoints
  /// r_1...r_{B-1} in days, so `days <= r_1` scores B.
  public static func fixedRecency(_ days: [Int64], breakpoints: [Int64], bins: Int) -> [UInt8] {
    days.map { x in UInt8(bins - breakpoints.filter { x > $0 }.count) }
  }

  /// Per score: members and the lowest and highest value with it.
  static func breakpoints(_ dimension: RFMDimension, values: [Int64], scores: [UInt8], bins: Int, cuts: [Double])
    -> ScoreBreakpoints
  {
    var members = [Int](repeating: 0, count: bins)
    var lowest = [Int64](repeating: .max, count: bins)
    var highest = [Int64](repeating: .min, count: bins)
    for (x, s) in zip(values, scores) {
      let k = Int(s) - 1
      members[k] += 1
      lowest[k] = min(lowest[k], x)
      highest[k] = max(highest[k], x)
    }
    return ScoreBreakpoints(
      dimension: dimension, members: members, lowest: (0..<bins).map { members[$0] > 0 ? lowest[$0] : nil },
      highest: (0..<bins).map { members[$0] > 0 ? highest[$0] : nil }, cuts: cuts)
  }
}

/// For each value of a list, how many values are strictly below it and strictly above
/// it: one sort of (value, position) pairs and a walk over runs of equal values, so
/// that no value is looked up in the sorted list (a binary search per member misses
/// the cache on millions of members).
public struct TieCounts: Sendable {
  public var below: [Int32]
  public var above: [Int32]

  public init(_ values: [Int64]) {
    let n = values.count
    // Values in a short range (days, order counts): count them instead of sorting.
    if let low = values.min(), let high = values.max(), high.subtractingReportingOverflow(low).overflow == false,
      high - low <= Int64(4 * n)
    {
      var atOrBelow = [Int32](repeating: 0, count: Int(high - low) + 1)
      for v in values { atOrBelow[Int(v - low)] += 1 }
      var running: Int32 = 0
      for k in atOrBelow.indices {
        running += atOrBelow[k]
        atOrBelow[k] = running
      }
      below = values.map { v in
        let k = Int(v - low)
        return k == 0 ? 0 : atOrBelow[k - 1]
      }
      above = values.map { v in Int32(n) - atOrBelow[Int(v - low)] }
      return
    }
    var pairs = [(value: Int64, position: Int32)]()
    pairs.reserveCapacity(n)
    for (i, v) in values.enumerated() { pairs.append((v, Int32(i))) }
    pairs.sort { $0.value < $1.value }
    var below = [Int32](repeating: 0, count: n)
    var above = [Int32](repeating: 0, count: n)
    var start = 0
    while start < n {
      var end = start + 1
      while end < n && pairs[end].value == pairs[start].value { end += 1 }
      for k in start..<end {
        let i = Int(pairs[k].position)
        below[i] = Int32(start)
        above[i] = Int32(n - end)
      }
      start = end
    }
    self.below = below
    self.above = above
  }
}
