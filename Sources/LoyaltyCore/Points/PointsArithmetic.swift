/// The exact integer rules of the points ledger: how many points an amount earns, how
/// much of a balance a redemption takes, and when a lot expires.
///
/// Rates are decimal settings (1.1 points per yuan, redeem 30% of the balance) that a
/// binary float cannot hold exactly: 100.00 * 1.2 computed in Double can land on
/// 119.99999999999999 and floor to 119. So every rate is first rounded to millionths
/// (`millionths`) and the rest is integer arithmetic with a 128-bit intermediate, which
/// is exact for any rate with at most six decimals.
public enum PointsArithmetic {
  /// `value` in millionths, rounded half away from zero: 1.1 -> 1_100_000.
  @inline(__always)
  public static func millionths(_ value: Double) -> Int64 {
    Int64((value * 1_000_000).rounded(.toNearestOrAwayFromZero))
  }

  /// The earn factor of a level in millionths of a point per major unit:
  /// millionths(earn_rate * multiplier), the product taken in Double first.
  @inline(__always)
  public static func earnFactorMillionths(earnRate: Double, multiplier: Double) -> Int64 {
    millionths(earnRate * multiplier)
  }

  /// The level multiplier of level `level` (1-based): `multipliers[level - 1]`, the last
  /// value for levels past the end of the list, 1 when the list is empty.
  public static func multiplier(level: Int, multipliers: [Double]) -> Double {
    guard let last = multipliers.last else { return 1 }
    let i = level - 1
    return i >= 0 && i < multipliers.count ? multipliers[i] : last
  }

  /// Points earned by an amount: floor(amount_minor * factor_millionths / (10^minorDigits * 10^6)),
  /// i.e. floor(amount in major units * earn_rate * multiplier), exactly. Amount and
  /// factor are >= 0.
  @inline(__always)
  public static func points(amountMinor: Int64, factorMillionths: Int64, minorDigits: Int) -> Int64 {
    let divisor = Money.pow10(minorDigits) * 1_000_000
    let product = amountMinor.multipliedFullWidth(by: factorMillionths)
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
