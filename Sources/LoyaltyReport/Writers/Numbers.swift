import LoyaltyCore

/// Money in major units with thousands separators, e.g. `1,234.56`.
func money(_ minor: Int64, _ digits: Int) -> String {
  let plain = Money.format(minor, minorDigits: digits)
  let negative = plain.hasPrefix("-")
  let body = negative ? String(plain.dropFirst()) : plain
  let parts = body.split(separator: ".", omittingEmptySubsequences: false)
  let whole = formatThousands(Int(parts[0])!)
  return (negative ? "-" : "") + whole + (parts.count > 1 ? "." + parts[1] : "")
}

/// Money in major units, plain (CSV), e.g. `1234.56`.
func plainMoney(_ minor: Int64, _ digits: Int) -> String { Money.format(minor, minorDigits: digits) }

/// A share 0...1 with six decimals for CSV (`0.123457`).
func plainShare(_ x: Double) -> String { plainDecimal(x, 6) }

/// A decimal without thousands separators, rounded half away from zero.
func plainDecimal(_ x: Double, _ decimals: Int) -> String {
  formatDecimal(x, decimals: decimals).replacing(",", with: "")
}

/// n of total as a percentage with one decimal; "0.0%" when total is 0.
func percentOf(_ n: Int, _ total: Int) -> String {
  total > 0 ? formatPercent(Double(n) / Double(total)) : formatPercent(0)
}

func percentOf(_ n: Int64, _ total: Int64) -> String {
  total > 0 ? formatPercent(Double(n) / Double(total)) : formatPercent(0)
}
