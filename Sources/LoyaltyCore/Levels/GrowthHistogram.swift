/// Members counted per growth bucket of width `step` (SPEC 6): bucket b holds the
/// members with `step * b <= g < step * (b + 1)`, compared exactly in minor units
/// (`stepMinor = step_major * 10^minorDigits`). Only occupied buckets are stored, in
/// ascending order, so the size follows the number of distinct buckets, not members.
///
/// It is the summary the threshold fit needs: thresholds are multiples of the step, so
/// every level is a run of whole buckets. Histograms of disjoint member sets merge by
/// adding counts (`merge`), so a cluster can build one per partition and combine them.
public struct GrowthHistogram: Sendable, Equatable {
  /// Bucket width in minor units.
  public var stepMinor: Int64
  /// Indexes b of the occupied buckets, strictly ascending.
  public var buckets: [Int64]
  /// Members per occupied bucket (each >= 1).
  public var members: [Int]
  /// Net window spend per occupied bucket, without bonus, in minor units.
  public var spendMinor: [Int64]
  /// Sum of the growth values per occupied bucket, in minor units.
  public var growthMinor: [Int64]

  /// An empty histogram with buckets `stepMinor` wide (minor units, > 0).
  public init(stepMinor: Int64) {
    precondition(stepMinor > 0, "the bucket width must be positive")
    self.stepMinor = stepMinor
    buckets = []
    members = []
    spendMinor = []
    growthMinor = []
  }

  /// The histogram of all members of `values`, buckets `stepMinor` wide (minor units, > 0).
  /// Growth values must be >= 0.
  public init(_ values: GrowthValues, stepMinor: Int64) {
    self.init(stepMinor: stepMinor)
    let growth = values.growthMinor
    let spend = values.windowSpendMinor
    guard let maxGrowth = growth.max() else { return }
    precondition(growth.min()! >= 0, "growth values must be non-negative")
    let maxBucket = maxGrowth / stepMinor
    // Dense counting is one pass; a far outlier would make the dense array huge, so
    // then sort bucket numbers instead.
    if maxBucket < Int64(2 * growth.count + 65_536) {
      let size = Int(maxBucket) + 1
      var denseMembers = [Int](repeating: 0, count: size)
      var denseSpend = [Int64](repeating: 0, count: size)
      var denseGrowth = [Int64](repeating: 0, count: size)
      for m in growth.indices {
        let b = Int(growth[m] / stepMinor)
        denseMembers[b] += 1
        denseSpend[b] += spend[m]
        denseGrowth[b] += growth[m]
      }
      for b in 0..<size where denseMembers[b] > 0 {
        buckets.append(Int64(b))
        members.append(denseMembers[b])
        spendMinor.append(denseSpend[b])
        growthMinor.append(denseGrowth[b])
      }
    } else {
      let order = growth.indices.sorted { growth[$0] < growth[$1] }
      for m in order {
        let b = growth[m] / stepMinor
        if buckets.last != b {
          buckets.append(b)
          members.append(0)
          spendMinor.append(0)
          growthMinor.append(0)
        }
        members[members.count - 1] += 1
        spendMinor[spendMinor.count - 1] += spend[m]
        growthMinor[growthMinor.count - 1] += growth[m]
      }
    }
  }

  /// The bucket index of growth value `growthMinor` (minor units, >= 0).
  @inline(__always)
  public func bucket(ofGrowthMinor growthMinor: Int64) -> Int64 { growthMinor / stepMinor }

  /// Adds one member with growth value `growthMinor` (>= 0) and window spend
  /// `windowSpendMinor`, both in minor units. Costs O(occupied buckets) when the bucket
  /// is new; build large histograms with `init(_:stepMinor:)`.
  public mutating func add(growthMinor g: Int64, windowSpendMinor: Int64) {
    precondition(g >= 0, "growth values must be non-negative")
    let b = g / stepMinor
    var low = 0
    var high = buckets.count
    while low < high {
      let mid = (low + high) / 2
      if buckets[mid] < b { low = mid + 1 } else { high = mid }
    }
    if low == buckets.count || buckets[low] != b {
      buckets.insert(b, at: low)
      members.insert(0, at: low)
      spendMinor.insert(0, at: low)
      growthMinor.insert(0, at: low)
    }
    members[low] += 1
    spendMinor[low] += windowSpendMinor
    growthMinor[low] += g
  }

  /// Adds the members of `other` (a disjoint member set with the same step). Merging
  /// is commutative and associative: any merge order gives the same histogram.
  public mutating func merge(_ other: GrowthHistogram) {
    self = merging(other)
  }

  /// This histogram plus the members of `other` (a disjoint member set, same step).
  public func merging(_ other: GrowthHistogram) -> GrowthHistogram {
    precondition(stepMinor == other.stepMinor, "only histograms with the same step merge")
    var result = GrowthHistogram(stepMinor: stepMinor)
    var i = 0
    var j = 0
    while i < buckets.count || j < other.buckets.count {
      let takeSelf = j == other.buckets.count || (i < buckets.count && buckets[i] <= other.buckets[j])
      let takeOther = i == buckets.count || (j < other.buckets.count && other.buckets[j] <= buckets[i])
      result.buckets.append(takeSelf ? buckets[i] : other.buckets[j])
      result.members.append((takeSelf ? members[i] : 0) + (takeOther ? other.members[j] : 0))
      result.spendMinor.append((takeSelf ? spendMinor[i] : 0) + (takeOther ? other.spendMinor[j] : 0))
      result.growthMinor.append((takeSelf ? growthMinor[i] : 0) + (takeOther ? other.growthMinor[j] : 0))
      if takeSelf { i += 1 }
      if takeOther { j += 1 }
    }
    return result
  }

  /// Number of members counted.
  public var memberCount: Int { members.reduce(0, +) }

  /// Number of occupied buckets: the most levels that can all be non-empty.
  public var occupiedBucketCount: Int { buckets.count }

  /// Members per level when the level boundaries are `thresholdsMinor` (ascending, minor
  /// units, each a multiple of `stepMinor`), level 1 first.
  public func levelMembers(thresholdsMinor: [Int64]) -> [Int] {
    var counts = [Int](repeating: 0, count: thresholdsMinor.count + 1)
    for (i, b) in buckets.enumerated() {
      let lowestGrowth = b * stepMinor
      var k = 0
      for t in thresholdsMinor where lowestGrowth >= t { k += 1 }
      counts[k] += members[i]
    }
    return counts
  }
}
