/// A calendar date as a day number: days since 1970-01-01 in the business time zone.
/// Every date in the pipeline is one of these; parsing converts once, at the edge.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// Days since 1970-01-01.
  public var number: Int32

  @inline(__always) public init(number: Int32) { self.number = number }

  /// The day for a proleptic Gregorian date, or nil when the date does not exist.
  /// Every order's date passes through here: a year in `MonthStarts`' span is looked
  /// up rather than worked out.
  public init?(year: Int, month: Int, day: Int) {
    guard (1...12).contains(month) else { return nil }
    if year >= MonthStarts.firstYear, year < MonthStarts.endYear {
      let i = (year - MonthStarts.firstYear) * 12 + month - 1
      let first = MonthStarts.days[i]
      guard day >= 1, day <= Int(MonthStarts.days[i + 1] - first) else { return nil }
      number = first + Int32(day - 1)
      return
    }
    guard day >= 1, day <= Day.daysIn(year: year, month: month) else { return nil }
    number = Int32(Day.daysFromCivil(year, month, day))
  }

  /// Parses `YYYY-MM-DD` exactly.
  public init?(_ text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
    else { return nil }
    self.init(year: y, month: m, day: d)
  }

  public static func < (a: Day, b: Day) -> Bool { a.number < b.number }
  public static func + (a: Day, days: Int) -> Day { Day(number: a.number + Int32(days)) }
  public static func - (a: Day, days: Int) -> Day { Day(number: a.number - Int32(days)) }
  public static func - (a: Day, b: Day) -> Int { Int(a.number - b.number) }

  /// Year, month (1-12) and day of month.
  public var civil: (year: Int, month: Int, day: Int) { Day.civilFromDays(Int(number)) }

  /// The month this day falls in.
  public var month: Month {
    let c = civil
    return Month(year: c.year, month: c.month)
  }

  /// `YYYY-MM-DD`.
  public var description: String {
    let c = civil
    return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
  }

  /// The last day of the calendar month before the current one (a monthly job's as-of).
  public static func lastDayOfPreviousMonth(today: Day) -> Day {
    today.month.previous.lastDay
  }

  static func daysIn(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeap(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

  // Howard Hinnant's days_from_civil / civil_from_days.
  static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
    let y = m <= 2 ? y0 - 1 : y0
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
  }

  static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
    let z = z0 + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
  }
}

/// The day number of the first of each month from `firstYear` to the first of
/// `endYear` (one more than months): a month's length is the step to the next.
enum MonthStarts {
  static let firstYear = 1900
  static let endYear = 2200
  static let days: [Int32] = (0...((endYear - firstYear) * 12)).map { i in
    Int32(Day.daysFromCivil(firstYear + i / 12, i % 12 + 1, 1))
  }
}

/// A calendar month, numbered so that consecutive months differ by one.
public struct Month: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// year * 12 + (month - 1).
  public var index: Int32

  public init(index: Int32) { self.index = index }
  public init(year: Int, month: Int) { index = Int32(year * 12 + month - 1) }

  /// Floor division, so that months before year 0000 (which reviews and windows reach
  /// from an as-of in its first years) have their own year and month.
  public var year: Int { (Int(index) - month + 1) / 12 }
  public var month: Int { (Int(index) % 12 + 12) % 12 + 1 }
  public var previous: Month { Month(index: index - 1) }
  public var next: Month { Month(index: index + 1) }
  public var firstDay: Day { Day(year: year, month: month, day: 1)! }
  public var lastDay: Day { Day(year: year, month: month, day: Day.daysIn(year: year, month: month))! }
  public static func < (a: Month, b: Month) -> Bool { a.index < b.index }
  public static func + (a: Month, n: Int) -> Month { Month(index: a.index + Int32(n)) }
  public static func - (a: Month, b: Month) -> Int { Int(a.index - b.index) }

  /// `YYYY-MM`.
  public var description: String { "\(pad(year, 4))-\(pad(month, 2))" }
}

/// `value` in at least `width` digits; a negative one (a year before 0000) with a minus
/// sign before them, as ISO 8601 writes such years.
@inline(__always)
func pad(_ value: Int, _ width: Int) -> String {
  if value < 0 { return "-" + pad(-value, width) }
  let s = String(value)
  return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
