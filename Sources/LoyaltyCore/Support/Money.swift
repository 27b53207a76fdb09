/// An amount of money in integer minor units (fen, cents). Never a binary float.
public struct Money: Hashable, Comparable, Sendable {
  /// The amount in minor units.
  public var minorUnits: Int64

  @inline(__always) public init(minorUnits: Int64) { self.minorUnits = minorUnits }

  public static let zero = Money(minorUnits: 0)
  public static func < (a: Money, b: Money) -> Bool { a.minorUnits < b.minorUnits }
  public static func + (a: Money, b: Money) -> Money { Money(minorUnits: a.minorUnits + b.minorUnits) }
  public static func - (a: Money, b: Money) -> Money { Money(minorUnits: a.minorUnits - b.minorUnits) }

  /// The amount in major units with exactly `minorDigits` decimals, e.g. `123.45`.
  public func formatted(minorDigits: Int) -> String {
    Money.format(minorUnits, minorDigits: minorDigits)
  }

  /// Formats minor units as a plain decimal in major units (`-12.30`, `0.05`, `7`).
  public static func format(_ minor: Int64, minorDigits: Int) -> String {
    if minorDigits == 0 { return String(minor) }
    let negative = minor < 0
    let magnitude = minor.magnitude
    let scale = UInt64(pow10(minorDigits))
    let whole = magnitude / scale
    let fraction = String(magnitude % scale)
    let padded = String(repeating: "0", count: minorDigits - fraction.count) + fraction
    return (negative ? "-" : "") + String(whole) + "." + padded
  }

  /// 10^n for small n.
  public static func pow10(_ n: Int) -> Int64 {
    var r: Int64 = 1
    for _ in 0..<n { r *= 10 }
    return r
  }
}
