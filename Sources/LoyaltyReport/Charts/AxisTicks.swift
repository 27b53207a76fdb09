/// Round tick values for a numeric axis: steps of 1, 2 or 5 times a power of ten,
/// the first tick at or below the lowest value and the last at or above the highest.
struct AxisTicks {
  /// Tick values, ascending; the first and last are the axis bounds.
  let values: [Double]
  /// Distance between neighbouring ticks.
  let step: Double
  /// Fraction digits the labels need (1 for a step of 0.5, 0 for 5 or 50).
  let decimals: Int

  /// The lowest tick, where the axis starts.
  var lower: Double { values[0] }
  /// The highest tick, where the axis ends.
  var upper: Double { values[values.count - 1] }

  /// Ticks covering `low...high` with about `targetCount` intervals. An empty or
  /// non-finite range becomes `0...1` (or `low...low + 1`), so the axis never has
  /// zero length. With `wholeNumbers` the step is at least 1, for counts.
  init(covering low: Double, _ high: Double, targetCount: Int = 5, wholeNumbers: Bool = false) {
    var low = low.isFinite ? low : 0
    var high = high.isFinite ? high : 1
    if low > high { swap(&low, &high) }
    if high == low { high = low + 1 }
    let intervals = Double(max(1, targetCount))
    // Dividing each bound first keeps ranges near ±Double.greatestFiniteMagnitude finite.
    let rough = high / intervals - low / intervals
    var exponent = 0
    while powerOfTen(exponent + 1) <= rough && exponent < 307 { exponent += 1 }
    while powerOfTen(exponent) > rough && exponent > -307 { exponent -= 1 }
    let normalized = rough / powerOfTen(exponent)
    var multiplier = 10.0
    for candidate in [1.0, 2.0, 5.0] where normalized <= candidate * (1 + 1e-9) {
      multiplier = candidate
      break
    }
    if multiplier == 10 {
      multiplier = 1
      exponent += 1
    }
    if wholeNumbers && exponent < 0 {
      multiplier = 1
      exponent = 0
    }
    let step = multiplier * powerOfTen(exponent)
    // The tolerance keeps a bound that is already a multiple of the step (up to
    // rounding error) from gaining an extra empty interval.
    let first = (low / step + 1e-9).rounded(.down)
    let last = (high / step - 1e-9).rounded(.up)
    var values: [Double] = []
    var k = first
    while k <= last && values.count <= 100 {
      values.append(k * step)
      k += 1
    }
    if values.count < 2 { values = [low, high] }
    self.values = values
    self.step = step
    self.decimals = max(0, -exponent)
  }

  /// A tick value as a label with thousands separators and the step's decimals.
  func label(_ value: Double) -> String {
    formatDecimal(value, decimals: decimals)
  }
}

/// 10^exponent, exact for exponents 0...22 and correctly rounded for negative ones.
private func powerOfTen(_ exponent: Int) -> Double {
  var result = 1.0
  for _ in 0..<exponent.magnitude { result *= 10 }
  return exponent < 0 ? 1 / result : result
}
