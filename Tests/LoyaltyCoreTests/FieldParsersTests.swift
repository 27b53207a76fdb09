import Testing

@testable import LoyaltyCore

private func amount(_ s: String, _ digits: Int = 2) -> FieldParsers.AmountResult {
  Array(s.utf8).withUnsafeBytes { FieldParsers.amount($0, minorDigits: digits) }
}

private func time(_ s: String, offset: Int = 8 * 3600) -> FieldParsers.Timestamp? {
  Array(s.utf8).withUnsafeBytes { FieldParsers.timestamp($0, businessOffsetSeconds: offset) }
}

@Suite struct FieldParsersTests {
  @Test func amountsBecomeMinorUnits() {
    #expect(amount("123.45") == .value(12345))
    #expect(amount("123.4") == .value(12340))
    #expect(amount("123") == .value(12300))
    #expect(amount("0") == .value(0))
    #expect(amount("0.01") == .value(1))
    #expect(amount("-0") == .value(0))
    #expect(amount("999999999999999.99") == .value(99_999_999_999_999_999))
    #expect(amount("7", 0) == .value(7))
  }

  @Test func malformedAmountsAreRejected() {
    for bad in [
      "", "1.12345678901234567890", "12,50", "1e3", "1.234", "12.", ".5", "+5", " 5", "5 ", "¥5", "1,000.00", "0x10",
      "1.2.3", "--1",
    ] {
      #expect(amount(bad) == .invalid, "\(bad)")
    }
    #expect(amount("7.5", 0) == .invalid)
    #expect(amount("1234567890123456") == .invalid)
  }

  @Test func negativeAmountsAreTheirOwnReason() {
    #expect(amount("-5") == .negative)
    #expect(amount("-0.01") == .negative)
  }

  @Test func dateOnlyIsMidnightInTheBusinessZone() {
    let t = time("2026-03-01")!
    #expect(t.businessDay == Day(year: 2026, month: 3, day: 1))
    #expect(t.instantMillis == Int64(Day(year: 2026, month: 3, day: 1)!.number) * 86_400_000 - 8 * 3_600_000)
  }

  @Test func offsetsMoveTheBusinessDate() {
    // 20:00 UTC is 04:00 next day at +08:00.
    #expect(time("2026-03-01T20:00:00Z")!.businessDay == Day(year: 2026, month: 3, day: 2))
    #expect(time("2026-03-01T20:00:00+00:00")!.businessDay == Day(year: 2026, month: 3, day: 2))
    #expect(time("2026-03-01T20:00:00+0000")!.businessDay == Day(year: 2026, month: 3, day: 2))
    #expect(time("2026-03-01T20:00:00+08:00")!.businessDay == Day(year: 2026, month: 3, day: 1))
    #expect(time("2026-03-01 07:59")!.businessDay == Day(year: 2026, month: 3, day: 1))
    #expect(time("2026-03-01T01:00:00-05:00")!.businessDay == Day(year: 2026, month: 3, day: 1))
  }

  /// Every business date lies in the years 0000 to 9999, in which dates are written:
  /// an offset that moves the first or last day out of them is refused (a business
  /// date in year -1 stopped the run when members.csv was written).
  @Test func businessDatesStayInTheYearsWritten() {
    #expect(time("0000-01-01T00:00+09:00") == nil)
    #expect(time("9999-12-31T23:00-01:00") == nil)
    #expect(time("0000-01-01T00:00+08:00")?.businessDay == Day(year: 0, month: 1, day: 1))
    #expect(time("0000-01-01T01:00+09:00")?.businessDay == Day(year: 0, month: 1, day: 1))
    #expect(time("0000-01-01")?.businessDay == Day(year: 0, month: 1, day: 1))
    #expect(time("9999-12-31T15:59Z")?.businessDay == Day(year: 9999, month: 12, day: 31))
    #expect(time("9999-12-31T16:00Z") == nil)
    #expect(time("9999-12-31T16:00Z", offset: 0)?.businessDay == Day(year: 9999, month: 12, day: 31))
  }

  @Test func everyAcceptedTimeForm() {
    for good in [
      "2026-03-01", "2026-03-01T10:20", "2026-03-01 10:20", "2026-03-01T10:20:30", "2026-03-01T10:20:30.5",
      "2026-03-01T10:20:30.123456789", "2026-03-01T10:20Z", "2026-03-01T10:20:30+08:00", "2026-03-01T10:20:30-0330",
      "2024-02-29",
    ] {
      #expect(time(good) != nil, "\(good)")
    }
  }

  @Test func everyRejectedTimeForm() {
    for bad in [
      "", "2026-3-1", "01/03/2026", "2026-13-01", "2026-02-30", "2025-02-29", "2026-03-01T24:00", "2026-03-01T10:60",
      "2026-03-01T10", "2026-03-01T10:20:61", "2026-03-01T10:20:30.", "2026-03-01T10:20+8", "2026-03-01T10:20+24:00",
      "2026-03-01X10:20", "2026-03-01T10:20:30Zjunk", "2026-03-01T10:20:30.1234567890", "yesterday",
    ] {
      #expect(time(bad) == nil, "\(bad)")
    }
  }

  @Test func fractionsAreMilliseconds() {
    let a = time("2026-03-01T00:00:00.5Z")!
    let b = time("2026-03-01T00:00:00Z")!
    #expect(a.instantMillis - b.instantMillis == 500)
  }

  /// The looked-up days (years 1900 to 2199) are the worked-out ones, for every day
  /// number 0 to 32 of every month from 1898 to 2201, and nil exactly where the month
  /// has no such day.
  @Test func lookedUpDaysAreTheWorkedOutOnes() {
    var checked = 0
    for year in 1898...2201 {
      for month in 0...13 {
        for day in 0...32 {
          let valid = (1...12).contains(month) && day >= 1 && day <= Day.daysIn(year: year, month: month)
          let expected = valid ? Int32(Day.daysFromCivil(year, month, day)) : nil
          #expect(Day(year: year, month: month, day: day)?.number == expected, "\(year)-\(month)-\(day)")
          if valid { checked += 1 }
        }
      }
    }
    #expect(checked == 111_033)
  }

  @Test func dayArithmeticRoundTrips() {
    #expect(Day("2026-10-31")!.description == "2026-10-31")
    #expect(Day("2026-02-29") == nil)
    #expect(Day.lastDayOfPreviousMonth(today: Day("2026-11-23")!) == Day("2026-10-31"))
    #expect(Day.lastDayOfPreviousMonth(today: Day("2026-01-05")!) == Day("2025-12-31"))
    // Months before year 0000, which twelve reviews reach from an as-of in 0000 (the
    // month of index -1 trapped on a month 0).
    #expect(Day.lastDayOfPreviousMonth(today: Day("0000-01-05")!).description == "-0001-12-31")
    #expect(Month(index: -1).year == -1 && Month(index: -1).month == 12)
    #expect(Month(index: -12).year == -1 && Month(index: -12).month == 1)
    #expect(Month(index: -13).year == -2 && Month(index: -13).month == 12)
    #expect((Month(year: 0, month: 1) + -25).lastDay.description == "-0003-12-31")
    #expect(Month(year: 2026, month: 10).year == 2026 && Month(year: 2026, month: 10).month == 10)
    #expect(
      RelegationReplay.reviewDates(asOf: Day("0000-01-31")!, count: 3).map(\.description) == [
        "-0001-11-30", "-0001-12-31", "0000-01-31",
      ])
  }

  @Test func moneyFormatsInMajorUnits() {
    #expect(Money.format(12345, minorDigits: 2) == "123.45")
    #expect(Money.format(5, minorDigits: 2) == "0.05")
    #expect(Money.format(-130, minorDigits: 2) == "-1.30")
    #expect(Money.format(7, minorDigits: 0) == "7")
  }
}
