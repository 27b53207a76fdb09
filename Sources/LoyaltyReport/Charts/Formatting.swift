// Number formatting shared by the SVG charts and the Markdown writer.
//
// Every function here is locale-independent and deterministic: it works on the
// shortest decimal representation Swift prints for a `Double` (`description`,
// which round-trips), never on `String(format:)` or a `NumberFormatter`, so the
// same value gives the same bytes on every machine. Grouping uses "," every three
// integer digits and "." as the decimal point.

/// An integer with "," between groups of three digits: `1234567` gives
/// `"1,234,567"`, `-1000` gives `"-1,000"`, `999` gives `"999"`.
public func formatThousands(_ n: Int) -> String {
  let digits = Array(String(n.magnitude).utf8).map { $0 - UInt8(ascii: "0") }
  let grouped = groupedDigits(digits[...])
  return n < 0 ? "-" + grouped : grouped
}

/// A share (a fraction, `0.123` for 12.3%) as a percentage with a fixed number of
/// decimals and a "%" sign: `formatPercent(0.1234)` gives `"12.3%"`,
/// `formatPercent(1)` gives `"100.0%"`, `formatPercent(0.5, decimals: 0)` gives `"50%"`.
///
/// The share is scaled by 100 on its decimal digits, not by a floating-point
/// multiplication, so `0.0125` rounds to `"1.3%"` as written. Rounding is half away
/// from zero, integer parts are grouped (`"12,345.0%"`) and a result that rounds to
/// zero carries no minus sign. Non-finite shares give `"NaN"`, `"∞"` or `"-∞"`
/// followed by "%".
public func formatPercent(_ share: Double, decimals: Int = 1) -> String {
  formatFixed(share, decimals: decimals, decimalShift: 2, grouping: true) + "%"
}

/// A number with a fixed number of decimals and "," between groups of three
/// integer digits: `formatDecimal(1234.5, decimals: 2)` gives `"1,234.50"`,
/// `formatDecimal(-0.125, decimals: 2)` gives `"-0.13"`.
///
/// Rounding is half away from zero, applied to the shortest decimal representation
/// of `x` (the digits `x.description` prints), so `1.005` rounds to `"1.01"` even
/// though the nearest binary value lies just below 1.005. When fewer than 15
/// significant digits are kept, the digits are first taken to 15, so that a sum that
/// came out as `1.0049999999999999` rounds as 1.005 does; a figure that keeps more
/// prints the digits it has. A negative value that
/// rounds to zero prints without a sign (`"0.0"`, never `"-0.0"`). `decimals` below
/// zero counts as zero. Non-finite values give `"NaN"`, `"∞"` or `"-∞"`.
public func formatDecimal(_ x: Double, decimals: Int) -> String {
  formatFixed(x, decimals: decimals, decimalShift: 0, grouping: true)
}

/// A coordinate or length for an SVG attribute: at most two decimals, trailing
/// zeros dropped, no grouping (`12.5`, `100`, `-3.25`). Non-finite values give `0`
/// so a guarded division never leaks `nan` into the markup.
func svgNumber(_ x: Double) -> String {
  guard x.isFinite else { return "0" }
  var text = formatFixed(x, decimals: 2, decimalShift: 0, grouping: false)
  while text.hasSuffix("0") { text.removeLast() }
  if text.hasSuffix(".") { text.removeLast() }
  return text
}

/// `x * 10^decimalShift` rounded half away from zero to `decimals` fraction digits,
/// working on the decimal digits of `x.description`.
func formatFixed(_ x: Double, decimals: Int, decimalShift: Int, grouping: Bool) -> String {
  if x.isNaN { return "NaN" }
  if x.isInfinite { return x < 0 ? "-∞" : "∞" }
  let fractionCount = max(0, decimals)
  let (integerDigits, fractionDigits) = roundedDigits(
    of: x.magnitude, fractionCount: fractionCount, decimalShift: decimalShift)
  let isZero = integerDigits.allSatisfy { $0 == 0 } && fractionDigits.allSatisfy { $0 == 0 }
  var text = x < 0 && !isZero ? "-" : ""
  text += grouping ? groupedDigits(integerDigits[...]) : digitString(integerDigits[...])
  if fractionCount > 0 {
    text += "." + digitString(fractionDigits[...])
  }
  return text
}

/// The integer digits (no leading zeros, at least one digit) and exactly
/// `fractionCount` fraction digits of a finite non-negative `magnitude` scaled by
/// `10^decimalShift`, rounded half away from zero.
private func roundedDigits(
  of magnitude: Double, fractionCount: Int, decimalShift: Int
) -> (integer: [UInt8], fraction: [UInt8]) {
  // `description` is either "123.45" or "1.2345e-05" / "1e+16".
  let text = magnitude.description
  var mantissa = Substring(text)
  var exponent = 0
  if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
    mantissa = text[..<marker]
    exponent = Int(text[text.index(after: marker)...]) ?? 0
  }
  var digits: [UInt8] = []
  var pointPosition = 0
  var seenPoint = false
  for byte in mantissa.utf8 {
    if byte == UInt8(ascii: ".") {
      seenPoint = true
    } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
      digits.append(byte - UInt8(ascii: "0"))
      if !seenPoint { pointPosition += 1 }
    }
  }
  pointPosition += exponent + decimalShift
  // Binary noise sits in the 16th and 17th significant digits; it is rounded away only
  // when the figure keeps fewer digits than 15, so that it cannot move the last one
  // kept. A figure that keeps 15 digits or more prints all the digits it has.
  if let first = digits.firstIndex(where: { $0 != 0 }), pointPosition + fractionCount - first < 15 {
    roundToSignificant(&digits, &pointPosition, count: 15)
  }
  // Pad so there is at least one integer digit and one digit past the last kept one.
  if pointPosition < 1 {
    digits.insert(contentsOf: repeatElement(0, count: 1 - pointPosition), at: 0)
    pointPosition = 1
  }
  let keptCount = pointPosition + fractionCount
  if digits.count < keptCount + 1 {
    digits.append(contentsOf: repeatElement(0, count: keptCount + 1 - digits.count))
  }
  var kept = Array(digits[..<keptCount])
  if digits[keptCount] >= 5 && roundUp(&kept) { pointPosition += 1 }
  var integer = Array(kept[..<pointPosition])
  while integer.count > 1 && integer[0] == 0 { integer.removeFirst() }
  return (integer, Array(kept[pointPosition...]))
}

/// Rounds `digits` (with the point after `pointPosition` of them) half away from zero
/// to `count` significant digits, when it has more. A value worked out in binary
/// carries noise in its 16th and 17th digits: 403 × 0.035 prints as
/// 14.104999999999999, whose cent is 14.11 once the noise is gone.
private func roundToSignificant(_ digits: inout [UInt8], _ pointPosition: inout Int, count: Int) {
  guard let first = digits.firstIndex(where: { $0 != 0 }), digits.count - first > count else { return }
  let cut = first + count
  let up = digits[cut] >= 5
  digits.removeSubrange(cut...)
  if up && roundUp(&digits) { pointPosition += 1 }
}

/// Adds one unit in the last place of `digits`; true when a new leading digit was
/// needed (999 -> 1000).
private func roundUp(_ digits: inout [UInt8]) -> Bool {
  var index = digits.count - 1
  while index >= 0 {
    if digits[index] == 9 {
      digits[index] = 0
      index -= 1
    } else {
      digits[index] += 1
      return false
    }
  }
  digits.insert(1, at: 0)
  return true
}

/// Decimal digits (values 0...9) as text.
private func digitString(_ digits: ArraySlice<UInt8>) -> String {
  String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
}

/// Decimal digits (values 0...9) as text with "," before every group of three
/// counted from the right.
private func groupedDigits(_ digits: ArraySlice<UInt8>) -> String {
  var bytes: [UInt8] = []
  bytes.reserveCapacity(digits.count + digits.count / 3)
  for (offset, digit) in digits.enumerated() {
    let remaining = digits.count - offset
    if offset > 0 && remaining % 3 == 0 { bytes.append(UInt8(ascii: ",")) }
    bytes.append(digit + UInt8(ascii: "0"))
  }
  return String(decoding: bytes, as: UTF8.self)
}
