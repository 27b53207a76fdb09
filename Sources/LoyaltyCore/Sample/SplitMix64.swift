/// SplitMix64 (Steele, Lea and Flood 2014): a small seedable generator whose stream
/// is fixed by its seed on every platform, for reproducible samples and simulations.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  @inline(__always)
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1) from the top 53 bits.
  @inline(__always)
  public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// A uniform integer in 0..<n.
  @inline(__always)
  public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

  /// A standard normal draw (Box-Muller).
  public mutating func normal() -> Double {
    let u1 = max(unit(), 1e-300)
    let u2 = unit()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
