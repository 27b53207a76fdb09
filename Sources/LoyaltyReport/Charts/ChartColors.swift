// Colours of the charts: a categorical palette for series and a single-hue
// sequential scale for intensities.

import LoyaltyCore

/// Colours the charts use; all written as lowercase `#rrggbb`.
enum ChartColors {
  /// Distinct series colours, colour-blind safe (Okabe–Ito, without the yellow that
  /// vanishes on white), used in order and then repeated.
  static let series = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
  ]

  /// The colour of series number `index` (0-based).
  static func series(_ index: Int) -> String {
    series[((index % series.count) + series.count) % series.count]
  }

  /// Single-fill colour of plain bars.
  static let bar = "#4292c6"

  /// Stops of the sequential blue scale, light to dark (ColorBrewer "Blues").
  private static let blueStops: [(red: Double, green: Double, blue: Double)] = [
    (247, 251, 255), (222, 235, 247), (198, 219, 239), (158, 202, 225), (107, 174, 214),
    (66, 146, 198), (33, 113, 181), (8, 81, 156), (8, 48, 107),
  ]

  /// The blue at `intensity` (0 lightest, 1 darkest; clamped; NaN counts as 0) and
  /// whether text on it should be white for contrast.
  static func blue(intensity: Double) -> (fill: String, wantsWhiteText: Bool) {
    let t = intensity.isNaN ? 0 : min(1, max(0, intensity))
    let position = t * Double(blueStops.count - 1)
    let lower = min(blueStops.count - 2, Int(position.rounded(.down)))
    let fraction = position - Double(lower)
    let from = blueStops[lower]
    let to = blueStops[lower + 1]
    let red = channel(from.red + (to.red - from.red) * fraction)
    let green = channel(from.green + (to.green - from.green) * fraction)
    let blue = channel(from.blue + (to.blue - from.blue) * fraction)
    // Relative luminance with the plain sRGB weights; below one half, dark text
    // loses contrast faster than white text does.
    let luminance = (0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)) / 255
    return ("#" + hex(red) + hex(green) + hex(blue), luminance < 0.5)
  }

  private static func channel(_ value: Double) -> Int {
    min(255, max(0, Int(value.rounded())))
  }

  private static func hex(_ value: Int) -> String { hexDigits(value, width: 2) }
}
