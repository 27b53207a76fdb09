/// The random numbers of one member in one Monte Carlo run: a SplitMix64 stream whose
/// starting state is derived from (seed, run, member), read by position (counter-based)
/// so that every draw has a fixed address and no draw depends on how many others were
/// taken before it, on the order members are visited, or on the thread count.
///
/// Exact derivation, so that another implementation can reproduce every draw
/// (all arithmetic is on UInt64 and wraps):
///
///     γ      = 0x9E3779B97F4A7C15
///     mix(z) = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^ (z >> 31)
///     key    = mix(mix(mix(seed + γ) + run) + member)
///     value(n) = mix(key + (n + 1) * γ)            // the n-th output of SplitMix64 started at key
///     unit(n)  = (value(n) >> 11) * 2^-53          // uniform in [0, 1)
///
/// `run` is the 0-based run number and `member` the member's index in
/// `MemberHistory.memberIDs` (byte order of member ids), even when a stage simulates a
/// sample of members. Positions are assigned by purpose (see `claimPosition` and
/// `redemptionPosition`): even positions decide claims, odd ones redemptions.
public struct PointsRandomStream: Sendable, Equatable {
  /// The starting state of the stream.
  public let key: UInt64

  /// SplitMix64's increment, the golden ratio in 64-bit fixed point.
  public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// The stream of `member` (index in byte order of member ids) in run `run` (0-based).
  @inline(__always)
  public init(seed: UInt64, run: Int, member: Int) {
    self.init(runKey: Self.runKey(seed: seed, run: run), member: member)
  }

  /// The stream of `member` in the run whose `runKey(seed:run:)` is `runKey`: the same
  /// stream as `init(seed:run:member:)`, with the member-independent part computed once.
  @inline(__always)
  public init(runKey: UInt64, member: Int) {
    key = Self.mix(runKey &+ UInt64(member))
  }

  /// mix(mix(seed + γ) + run): the part of every key of run `run` that does not depend
  /// on the member.
  public static func runKey(seed: UInt64, run: Int) -> UInt64 {
    mix(mix(seed &+ golden) &+ UInt64(run))
  }

  /// ceil(probability * 2^53): `unit(at: n) < probability` exactly when
  /// `value(at: n) >> 11 < threshold(probability)`, since unit is (value >> 11) * 2^-53
  /// without rounding and the left side is an integer. `probability` is in [0, 1].
  public static func threshold(probability: Double) -> UInt64 {
    UInt64((min(max(probability, 0), 1) * 0x1p53).rounded(.up))
  }

  /// Whether the draw at `position` falls below `threshold` (see `threshold(probability:)`):
  /// the same decision as `unit(at: position) < probability`, in integers.
  @inline(__always)
  public func isBelow(_ threshold: UInt64, at position: UInt64) -> Bool {
    value(at: position) >> 11 < threshold
  }

  /// SplitMix64's finaliser (Stafford's variant 13): a bijection on UInt64 with full
  /// avalanche.
  @inline(__always)
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The 64-bit value at `position` (0-based).
  @inline(__always)
  public func value(at position: UInt64) -> UInt64 {
    Self.mix(key &+ (position &+ 1) &* Self.golden)
  }

  /// A uniform number in [0, 1) at `position`, from the top 53 bits of `value(at:)`.
  @inline(__always)
  public func unit(at position: UInt64) -> Double {
    Double(value(at: position) >> 11) * 0x1p-53
  }

  /// The position that decides whether the member's `orderOrdinal`-th counted order
  /// (0-based, in time order within the member) is claimed: 2 * ordinal. The order is
  /// claimed when `unit < claim_ratio`.
  @inline(__always)
  public static func claimPosition(orderOrdinal: Int) -> UInt64 { UInt64(orderOrdinal) &* 2 }

  /// The position that decides whether the member redeems at the end of `month`
  /// (`Month.index`, year * 12 + month - 1): 2 * index + 1. The member redeems when
  /// eligible and `unit < p_redeem`. Months are absolute, so adding older data does not
  /// move the draws of later months.
  @inline(__always)
  public static func redemptionPosition(monthIndex: Int32) -> UInt64 { UInt64(monthIndex) &* 2 &+ 1 }

  /// Whether `member` belongs to a deterministic sample that keeps about `fraction` of
  /// the members: `mix(seed ^ 0x73616D706C65 + member) < fraction * 2^64` (the constant
  /// spells "sample"). Used by calibration and the sensitivity grid on large data.
  @inline(__always)
  public static func inSample(seed: UInt64, member: Int, fraction: Double) -> Bool {
    if fraction >= 1 { return true }
    let threshold = UInt64(fraction * 0x1p64)
    return mix((seed ^ 0x7361_6D70_6C65) &+ UInt64(member)) < threshold
  }
}
