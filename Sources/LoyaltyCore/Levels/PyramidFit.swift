/// The thresholds that bring the level shares closest to the target shares (SPEC 6).
///
/// Among thresholds t_1 < ... < t_{K-1} that are positive multiples of the step and
/// leave every level non-empty, the fit minimises the chi-square-like distance
///
///     objective = sum_k (p_k - q_k)^2 / q_k
///
/// where p_k is the achieved share of members and q_k the target share. The optimum is
/// exact: a dynamic programme over the occupied buckets of a `GrowthHistogram`, so its
/// cost depends on the number of occupied buckets (O(K * B^2) at worst, usually far
/// less after pruning), never on the number of members.
///
/// Choices, documented and tested:
/// - The objective is summed from the top level down, `term_1 + (term_2 + (... +
///   term_K))`, in `Double` (the brute force computes the same sum the same way).
/// - Only the partition of the occupied buckets into levels changes the objective, so
///   every threshold is the smallest candidate that gives its partition: one step above
///   the highest occupied bucket of the level below.
/// - Ties: among threshold vectors with the lowest objective, the fit returns the
///   lexicographically smallest one (smallest t_1, then smallest t_2, ...). Objectives
///   within `tieTolerance` (relative) of the lowest count as equal to it: two vectors
///   whose objectives are equal as exact fractions can differ in their last bits once
///   summed in binary (with 4 members, shares 1/2, 1/2 and 3/4, 1/4 against targets
///   0.625, 0.375 both give 1/15), and the tie rule must not hang on those bits.
public struct PyramidFit: Sendable, Equatable {
  /// t_1 < ... < t_{K-1}, in minor units, multiples of the step.
  public var thresholdsMinor: [Int64]
  /// Members per level, level 1 first.
  public var levelMembers: [Int]
  /// Target shares q_1...q_K, level 1 first.
  public var targetShares: [Double]
  /// The minimised sum_k (p_k - q_k)^2 / q_k.
  public var objective: Double

  /// Number of levels K.
  public var levelCount: Int { levelMembers.count }

  /// Achieved shares p_k (0...1), level 1 first.
  public var achievedShares: [Double] { PyramidFit.shares(levelMembers: levelMembers) }

  /// True when the achieved shares never grow from one level to the next (p_{k+1} <= p_k).
  public var isPyramid: Bool { PyramidFit.isPyramid(levelMembers: levelMembers) }

  /// Objectives this close to the lowest, relative to it, tie with it (see the type).
  /// Binary rounding of a sum of at most ten terms stays far below it; objectives that
  /// differ as fractions of millions of members stay far above it.
  static let tieTolerance = 1e-12

  /// Whether `value` ties with the lowest objective `optimum` (see `tieTolerance`).
  @inline(__always)
  static func ties(_ value: Double, _ optimum: Double) -> Bool {
    value <= optimum + optimum * tieTolerance
  }

  /// Fits K = `targetShares.count` levels to the histogram.
  /// - Parameters:
  ///   - histogram: members per growth bucket; its step is the candidate threshold step.
  ///   - targetShares: q_1...q_K, each > 0, K >= 2 (normally summing to 1).
  /// - Throws: `LoyaltyError.input` when K < 2, a target share is not positive, or
  ///   fewer buckets are occupied than there are levels (no assignment leaves every
  ///   level non-empty).
  public static func fit(_ histogram: GrowthHistogram, targetShares: [Double]) throws(LoyaltyError) -> PyramidFit {
    try validate(histogram, targetShares: targetShares)
    let levelCount = targetShares.count
    let bucketCount = histogram.buckets.count
    let population = histogram.memberCount
    // membersBefore[i] = members in the occupied buckets 0..<i.
    var membersBefore = [Int](repeating: 0, count: bucketCount + 1)
    for i in 0..<bucketCount { membersBefore[i + 1] = membersBefore[i] + histogram.members[i] }

    // best[k * rowLength + i]: the lowest objective of levels k..<K when level k starts
    // at occupied bucket i (0-based levels); +infinity when impossible.
    let rowLength = bucketCount + 1
    var best = [Double](repeating: .infinity, count: levelCount * rowLength)
    let lastLevel = levelCount - 1
    for i in lastLevel...(bucketCount - 1) {
      best[lastLevel * rowLength + i] = term(
        members: membersBefore[bucketCount] - membersBefore[i], population: population,
        target: targetShares[lastLevel])
    }
    for k in stride(from: lastLevel - 1, through: 0, by: -1) {
      let target = targetShares[k]
      // Level k starts at i >= k (one bucket per level below) and ends before j,
      // leaving one bucket per level above.
      for i in k...(bucketCount - (levelCount - k)) {
        var lowest = Double.infinity
        let end = bucketCount - (levelCount - k - 1)
        for j in (i + 1)...end {
          let levelMembers = membersBefore[j] - membersBefore[i]
          let levelTerm = term(members: levelMembers, population: population, target: target)
          // Past its target share a level's term only grows with j, and a sum is never
          // below its first term, so no later j can reach `lowest`.
          if levelTerm > lowest && Double(levelMembers) / Double(population) >= target { break }
          let total = levelTerm + best[(k + 1) * rowLength + j]
          if total < lowest { lowest = total }
        }
        best[k * rowLength + i] = lowest
      }
    }
    let optimum = best[0]

    // Walk forward taking the smallest boundary that still ties with the optimum. The
    // check re-adds the chosen terms in the objective's order, the sum the brute force
    // computes.
    var chosenTerms: [Double] = []
    var boundaries: [Int] = []
    var start = 0
    for k in 0..<lastLevel {
      var found = false
      for j in (start + 1)...(bucketCount - (levelCount - k - 1)) {
        let levelTerm = term(
          members: membersBefore[j] - membersBefore[start], population: population, target: targetShares[k])
        var total = levelTerm + best[(k + 1) * rowLength + j]
        for earlier in chosenTerms.reversed() { total = earlier + total }
        if ties(total, optimum) {
          chosenTerms.append(levelTerm)
          boundaries.append(j)
          start = j
          found = true
          break
        }
      }
      if !found { throw .internal("The level fit lost its optimum while reading back the thresholds.") }
    }

    let thresholds = boundaries.map { (histogram.buckets[$0 - 1] + 1) * histogram.stepMinor }
    var levelMembers: [Int] = []
    var from = 0
    for to in boundaries + [bucketCount] {
      levelMembers.append(membersBefore[to] - membersBefore[from])
      from = to
    }
    return PyramidFit(
      thresholdsMinor: thresholds, levelMembers: levelMembers, targetShares: targetShares,
      objective: objective(levelMembers: levelMembers, targetShares: targetShares))
  }

  /// The same optimum by trying every vector of candidate thresholds (positive
  /// multiples of the step up to the highest occupied bucket): the lowest objective,
  /// then, in lexicographic order, the first vector that ties with it. Exponential: for
  /// tests on small inputs.
  static func bruteForce(_ histogram: GrowthHistogram, targetShares: [Double]) throws(LoyaltyError) -> PyramidFit {
    try validate(histogram, targetShares: targetShares)
    let levelCount = targetShares.count
    let maxBucket = Int(histogram.buckets.last!)
    var dense = [Int](repeating: 0, count: maxBucket + 1)
    for (i, b) in histogram.buckets.enumerated() { dense[Int(b)] = histogram.members[i] }
    var membersBelow = [Int](repeating: 0, count: maxBucket + 2)
    for b in 0...maxBucket { membersBelow[b + 1] = membersBelow[b] + dense[b] }

    // Every vector with every level non-empty, in lexicographic order.
    var vectors: [(cuts: [Int], members: [Int], objective: Double)] = []
    var cuts: [Int] = []
    func visit() {
      if cuts.count == levelCount - 1 {
        var counts: [Int] = []
        var from = 0
        for to in cuts + [maxBucket + 1] {
          counts.append(membersBelow[to] - membersBelow[from])
          from = to
        }
        guard counts.allSatisfy({ $0 > 0 }) else { return }
        vectors.append((cuts, counts, objective(levelMembers: counts, targetShares: targetShares)))
        return
      }
      let lowest = (cuts.last ?? 0) + 1
      guard lowest <= maxBucket else { return }
      for cut in lowest...maxBucket {
        cuts.append(cut)
        visit()
        cuts.removeLast()
      }
    }
    visit()
    let optimum = vectors.map(\.objective).min()!
    let best = vectors.first { ties($0.objective, optimum) }!
    return PyramidFit(
      thresholdsMinor: best.cuts.map { Int64($0) * histogram.stepMinor }, levelMembers: best.members,
      targetShares: targetShares, objective: best.objective)
  }

  /// sum_k (p_k - q_k)^2 / q_k for members per level `levelMembers` and target shares
  /// `targetShares` (same length), summed from the top level down as the fit does.
  /// With no members every p_k is 0.
  public static func objective(levelMembers: [Int], targetShares: [Double]) -> Double {
    precondition(levelMembers.count == targetShares.count, "one target share per level")
    let population = levelMembers.reduce(0, +)
    var total = 0.0
    for k in stride(from: levelMembers.count - 1, through: 0, by: -1) {
      total = term(members: levelMembers[k], population: population, target: targetShares[k]) + total
    }
    return total
  }

  /// Shares p_k = members_k / members (0...1; all 0 when there are no members).
  public static func shares(levelMembers: [Int]) -> [Double] {
    let population = levelMembers.reduce(0, +)
    return levelMembers.map { population == 0 ? 0 : Double($0) / Double(population) }
  }

  /// True when no level holds more members than the level below it (p_{k+1} <= p_k).
  public static func isPyramid(levelMembers: [Int]) -> Bool {
    zip(levelMembers, levelMembers.dropFirst()).allSatisfy { $1 <= $0 }
  }

  /// One level's (p - q)^2 / q.
  @inline(__always)
  static func term(members: Int, population: Int, target: Double) -> Double {
    let share = population == 0 ? 0 : Double(members) / Double(population)
    let difference = share - target
    return difference * difference / target
  }

  private static func validate(_ histogram: GrowthHistogram, targetShares: [Double]) throws(LoyaltyError) {
    guard targetShares.count >= 2 else {
      throw .input("Levels need at least 2 target shares to fit thresholds; got \(targetShares.count).")
    }
    guard targetShares.allSatisfy({ $0 > 0 && $0.isFinite }) else {
      throw .input("Every level target share must be a positive number; check [levels] shares or ratio.")
    }
    // A member with a counted order has a growth value (0 when none is in the window).
    guard histogram.occupiedBucketCount > 0 else {
      throw .input(
        "Cannot fit levels: no member has a counted order on or before as-of, so there are no growth values to fit "
          + "to; check the orders files and --as-of, or give fixed [levels] thresholds.")
    }
    guard histogram.occupiedBucketCount >= targetShares.count else {
      throw .input(
        "Cannot fit \(targetShares.count) non-empty levels: the members' growth values fall in only "
          + "\(histogram.occupiedBucketCount) distinct buckets of the step; lower [levels] count or step.")
    }
  }
}
