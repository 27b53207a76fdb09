/// The exact integer rules of the points ledger: how many points an amount earns, how
/// much of a balance a redemption takes, and when a lot expires.
///
/// Rates are decimal settings (1.1 points per yuan, redeem 30% of the balance) that a
/// binary float cannot hold exactly: 100.00 * 1.2 computed in Double can land on
/// 119.99999999999999 and floor to 119. So every rate is first rounded to millionths
/// (`millionths`) and the rest is integer arithmetic with a 128-bit intermediate, which
/// is exact for any rate with at most six decimals. The earn factor is the product of
/// two such rates (earn_rate and the level multiplier), so it is kept in millionths of
/// millionths: 0.0625 points per yuan at 1.125 is 0.0703125, which six decimals would
/// round up (and 199.11 yuan would floor to 14 points instead of 13). A rate with more
/// than six decimals is refused (`PointsStage`), not rounded.
public enum PointsArithmetic {
  /// `value` in millionths, rounded half away from zero: 1.1 -> 1_100_000.
  @inline(__always)
  public static func millionths(_ value: Double) -> Int64 {
    Int64((value * 1_000_000).rounded(.toNearestOrAwayFromZero))
  }

  /// Whether `value` has at most six decimals, so that `millionths` holds it exactly:
  /// its millionths lie within the few units in the last place of binary rounding of a
  /// whole number (1.1 does; 0.0171875 and 0.10000000001 do not).
  public static func isWholeInMillionths(_ value: Double) -> Bool {
    let scaled = value * 1_000_000
    let whole = scaled.rounded()
    return abs(scaled - whole) <= 4 * max(whole.magnitude, 1).ulp
  }

  /// The earn factor of a level in 10^-12 points per major unit:
  /// millionths(earn_rate) * millionths(multiplier), exactly. `PointsStage` keeps
  /// earn_rate * multiplier at most `maxEarnFactor`, so the product fits.
  @inline(__always)
  public static func earnFactor(earnRate: Double, multiplier: Double) -> Int64 {
    millionths(earnRate) * millionths(multiplier)
  }

  /// The largest earn_rate * multiplier, in points per major unit, the ledger takes.
  public static let maxEarnFactor: Double = 1_000_000

  /// The level multiplier of level `level` (1-based): `multipliers[level - 1]`, the last
  /// value for levels past the end of the list, 1 when the list is empty.
  public static func multiplier(level: Int, multipliers: [Double]) -> Double {
    guard let last = multipliers.last else { return 1 }
    let i = level - 1
    return i >= 0 && i < multipliers.count ? multipliers[i] : last
  }

  /// Points earned by an amount: floor(amount_minor * factor / (10^minorDigits * 10^12))
  /// for a factor from `earnFactor`, i.e. floor(amount in major units * earn_rate *
  /// multiplier), exactly. Amount and factor are >= 0.
  @inline(__always)
  public static func points(amountMinor: Int64, factor: Int64, minorDigits: Int) -> Int64 {
    let divisor = Money.pow10(minorDigits) * 1_000_000_000_000
    let product = amountMinor.multipliedFullWidth(by: factor)
    return divisor.dividingFullWidth(product).quotient
  }

  /// floor(points * share_millionths / 10^6): the points a redemption of a share of a
  /// balance takes. Both are >= 0.
  @inline(__always)
  public static func share(of points: Int64, millionths: Int64) -> Int64 {
    let product = points.multipliedFullWidth(by: millionths)
    return Int64(1_000_000).dividingFullWidth(product).quotient
  }

  /// The month (`Month.index`) at whose end a lot earned in month `earnedIn` expires:
  /// `rolling` the month `months` after it (earned any day of 2024-01 with 12 months:
  /// end of 2025-01), `annual` December of the next year (earned in 2024: end of
  /// 2025-12), `none` never (`Int32.max`).
  @inline(__always)
  public static func expiryMonth(earnedIn: Int32, rule: ExpiryRule, months: Int) -> Int32 {
    switch rule {
    case .rolling: return earnedIn + Int32(months)
    case .annual: return (earnedIn / 12 + 1) * 12 + 11
    case .none: return Int32.max
    }
  }
}
