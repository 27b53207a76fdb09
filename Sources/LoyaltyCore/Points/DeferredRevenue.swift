import Foundation

/// The IFRS 15 / CAS 14 view of a points programme (IFRS 15.B39-B43, IE267-IE270):
/// points are a material right, so part of each sale's price is allocated to them and
/// deferred, then recognised as points are redeemed, in proportion to the redemptions
/// expected in total.
///
/// Money: amounts go in and come out as integer minor units; the arithmetic in between
/// is Double, and each function rounds once, at its end, half away from zero, after
/// taking the value to 15 significant digits (the report's rule): 207.00 of points
/// worth 0.01 at 50% is 103.5 cents, which binary arithmetic leaves at 103.4999…
/// Points may be fractional (means over Monte Carlo runs).
public enum DeferredRevenue {
  /// The stand-alone selling price of points, in minor units:
  /// round(points * point_value * expected_redemption_rate * 10^minorDigits).
  /// 10,000 points worth 1 each with 97% expected to be redeemed: 9,700.
  public static func pointsStandaloneSellingPriceMinor(
    points: Double, pointValue: Double, expectedRedemptionRate: Double, minorDigits: Int
  ) -> Int64 {
    roundedMinor(points * pointValue * expectedRedemptionRate * Double(Money.pow10(minorDigits)))
  }

  /// The part of a transaction price allocated to the points by relative stand-alone
  /// selling price: round(price * ssp_points / (ssp_goods + ssp_points)), minor units.
  /// Goods sold for 100,000.00 with points whose SSP is 9,700.00: 8,842.30.
  public static func allocatedToPointsMinor(
    transactionPriceMinor: Int64, goodsStandaloneSellingPriceMinor: Int64,
    pointsStandaloneSellingPriceMinor: Int64
  ) -> Int64 {
    let total = Double(goodsStandaloneSellingPriceMinor) + Double(pointsStandaloneSellingPriceMinor)
    guard total > 0 else { return 0 }
    return roundedMinor(
      Double(transactionPriceMinor) * Double(pointsStandaloneSellingPriceMinor) / total)
  }

  /// Revenue recognised to date on the points, in minor units:
  /// round(allocated * redeemed / expected), capped at the allocated amount (and never
  /// below 0). With nothing expected to be redeemed the whole allocation is recognised.
  /// 9,000 allocated, 4,500 points redeemed of 9,700 expected: 4,175 (whole units).
  public static func cumulativeRecognisedMinor(
    allocatedMinor: Int64, redeemedPoints: Double, expectedRedemptionPoints: Double
  ) -> Int64 {
    guard expectedRedemptionPoints > 0 else { return allocatedMinor }
    let share = min(1, max(0, redeemedPoints / expectedRedemptionPoints))
    return min(allocatedMinor, roundedMinor(Double(allocatedMinor) * share))
  }

  /// The roll-forward by month. For each month, in order:
  /// - ssp = pointsStandaloneSellingPrice(net points issued, point_value, expected rate);
  /// - allocated = allocatedToPoints(revenue, revenue, ssp): the month's net revenue is
  ///   both the transaction price and the goods' stand-alone price;
  /// - expected total redemptions = points redeemed to date + expected rate * points
  ///   outstanding at the month's end (a re-estimate each month; expired points leave
  ///   it, which recognises their share: breakage);
  /// - cumulative recognised = cumulativeRecognised(allocated to date, redeemed to date,
  ///   expected total); recognised = its change (a cumulative catch-up);
  /// - closing = opening + allocated - recognised.
  /// All arrays have one entry per month.
  public static func rollForward(
    months: [Month], revenueMinor: [Int64], netPointsIssued: [Double], redeemedPoints: [Double],
    expiredPoints: [Double], outstandingPoints: [Double], pointValue: Double,
    expectedRedemptionRate: Double, minorDigits: Int
  ) -> [DeferredRevenueRow] {
    var rows: [DeferredRevenueRow] = []
    rows.reserveCapacity(months.count)
    var allocatedToDate: Int64 = 0
    var redeemedToDate = 0.0
    var recognisedToDate: Int64 = 0
    for (k, month) in months.enumerated() {
      let ssp = pointsStandaloneSellingPriceMinor(
        points: max(0, netPointsIssued[k]), pointValue: pointValue,
        expectedRedemptionRate: expectedRedemptionRate, minorDigits: minorDigits)
      let allocated = allocatedToPointsMinor(
        transactionPriceMinor: revenueMinor[k], goodsStandaloneSellingPriceMinor: revenueMinor[k],
        pointsStandaloneSellingPriceMinor: ssp)
      allocatedToDate += allocated
      redeemedToDate += redeemedPoints[k]
      let expected = redeemedToDate + expectedRedemptionRate * max(0, outstandingPoints[k])
      let cumulative = cumulativeRecognisedMinor(
        allocatedMinor: allocatedToDate, redeemedPoints: redeemedToDate, expectedRedemptionPoints: expected)
      let recognised = cumulative - recognisedToDate
      recognisedToDate = cumulative
      let opening = rows.last?.closingMinor ?? 0
      rows.append(
        DeferredRevenueRow(
          month: month, revenueMinor: revenueMinor[k], netPointsIssued: netPointsIssued[k],
          standaloneSellingPriceMinor: ssp, openingMinor: opening, allocatedMinor: allocated,
          recognisedMinor: recognised, closingMinor: opening + allocated - recognised,
          cumulativeRedeemedPoints: redeemedToDate, expectedRedemptionsPoints: expected,
          breakagePoints: expiredPoints[k]))
    }
    return rows
  }

  static func roundedMinor(_ value: Double) -> Int64 {
    // Binary noise sits past the 15th significant digit; below 10^14 there is room to
    // drop it without touching a whole unit.
    guard value.isFinite, value.magnitude < 1e14, value != 0 else {
      return Int64(value.rounded(.toNearestOrAwayFromZero))
    }
    let cleaned = Double(String(format: "%.14e", value)) ?? value
    return Int64(cleaned.rounded(.toNearestOrAwayFromZero))
  }
}
