/// Parsers for the order fields, working on raw UTF-8 bytes so that no `String` is
/// made per field. Each converts once, at the edge, into integers.
public enum FieldParsers {
  /// The outcome of reading an amount.
  public enum AmountResult: Equatable, Sendable {
    case value(Int64)
    /// Well-formed but below zero.
    case negative
    /// Not a plain decimal with at most the currency's minor digits.
    case invalid
  }

  /// Reads a plain decimal (`123`, `123.4`, `123.45`; `.` as separator, no sign other
  /// than a leading `-`, no thousands separators, no exponent) into minor units.
  public static func amount(_ bytes: UnsafeRawBufferPointer, minorDigits: Int) -> AmountResult {
    var i = 0
    let n = bytes.count
    var negative = false
    if n > 0, bytes[0] == UInt8(ascii: "-") {
      negative = true
      i = 1
    }
    var whole: Int64 = 0
    var wholeDigits = 0
    while i < n, bytes[i] >= 48, bytes[i] <= 57 {
      whole = whole &* 10 &+ Int64(bytes[i] &- 48)
      wholeDigits += 1
      i += 1
    }
    guard wholeDigits > 0, wholeDigits <= 15 else { return .invalid }
    var fraction: Int64 = 0
    var fractionDigits = 0
    if i < n {
      guard bytes[i] == UInt8(ascii: "."), minorDigits > 0 else { return .invalid }
      i += 1
      while i < n, bytes[i] >= 48, bytes[i] <= 57 {
        // Stop accumulating past the currency's digits: the count alone rejects it.
        if fractionDigits < minorDigits { fraction = fraction * 10 + Int64(bytes[i] - 48) }
        fractionDigits += 1
        i += 1
      }
      guard i == n, fractionDigits >= 1, fractionDigits <= minorDigits else { return .invalid }
    }
    let minor = whole * Money.pow10(minorDigits) + fraction * Money.pow10(minorDigits - fractionDigits)
    if negative && minor != 0 { return .negative }
    return .value(minor)
  }

  /// An order or refund time: the instant and the business date it falls on.
  public struct Timestamp: Equatable, Sendable {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var instantMillis: Int64
    /// The business time zone, seconds east of UTC.
    public var businessOffsetSeconds: Int
    /// The local date in the business time zone, worked out when asked: ingest keeps
    /// the instant only.
    public var businessDay: Day {
      FieldParsers.businessDay(instantMillis: instantMillis, offsetSeconds: businessOffsetSeconds)
    }
  }

  /// Reads ISO 8601 `YYYY-MM-DD`, optionally followed by `T` or a space and
  /// `HH:MM[:SS[.fff]]`, optionally followed by `Z`, `±HH:MM` or `±HHMM`. Without an
  /// offset the time is in the business zone, `businessOffsetSeconds` east of UTC.
  public static func timestamp(_ bytes: UnsafeRawBufferPointer, businessOffsetSeconds: Int) -> Timestamp? {
    let n = bytes.count
    guard n >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
      let year = digits(bytes, 0, 4), let month = digits(bytes, 5, 2), let dayOfMonth = digits(bytes, 8, 2),
      let date = Day(year: year, month: month, day: dayOfMonth)
    else { return nil }
    let dayMillis = Int64(date.number) * 86_400_000
    if n == 10 {
      return Timestamp(
        instantMillis: firstMillis(of: date, offsetSeconds: businessOffsetSeconds),
        businessOffsetSeconds: businessOffsetSeconds)
    }
    guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), n >= 16,
      bytes[13] == UInt8(ascii: ":"), let hour = digits(bytes, 11, 2), let minute = digits(bytes, 14, 2),
      hour < 24, minute < 60
    else { return nil }
    var i = 16
    var second = 0
    var millis = 0
    if i < n, bytes[i] == UInt8(ascii: ":") {
      guard let s = digits(bytes, i + 1, 2), s < 60 else { return nil }
      second = s
      i += 3
      if i < n, bytes[i] == UInt8(ascii: ".") {
        i += 1
        var fractionDigits = 0
        while i < n, bytes[i] >= 48, bytes[i] <= 57 {
          if fractionDigits < 3 { millis = millis * 10 + Int(bytes[i] - 48) }
          fractionDigits += 1
          i += 1
        }
        guard fractionDigits >= 1, fractionDigits <= 9 else { return nil }
        if fractionDigits < 3 { millis *= fractionDigits == 1 ? 100 : 10 }
      }
    }
    var offsetSeconds = businessOffsetSeconds
    if i < n {
      let c = bytes[i]
      if c == UInt8(ascii: "Z") {
        guard i + 1 == n else { return nil }
        offsetSeconds = 0
      } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
        let sign = c == UInt8(ascii: "+") ? 1 : -1
        let rest = n - i - 1
        let oh: Int
        let om: Int
        if rest == 5, bytes[i + 3] == UInt8(ascii: ":"), let h = digits(bytes, i + 1, 2),
          let m = digits(bytes, i + 4, 2)
        {
          oh = h
          om = m
        } else if rest == 4, let h = digits(bytes, i + 1, 2), let m = digits(bytes, i + 3, 2) {
          oh = h
          om = m
        } else {
          return nil
        }
        guard oh <= 23, om < 60 else { return nil }
        offsetSeconds = sign * (oh * 3600 + om * 60)
      } else {
        return nil
      }
    }
    let localMillis = dayMillis + Int64(((hour * 60 + minute) * 60 + second) * 1000 + millis)
    let instant = localMillis - Int64(offsetSeconds) * 1000
    let stamp = Timestamp(instantMillis: instant, businessOffsetSeconds: businessOffsetSeconds)
    // An offset other than the business zone's moves the date by at most a day: only
    // in the first and the last year can it leave the years 0000 to 9999, which every
    // date is written in (`0000-01-01T00:00+09:00` is a day of year -1 at +08:00).
    if year == 0 || year == 9999 {
      guard stamp.businessDay >= Self.firstDay, stamp.businessDay <= Self.lastDay else { return nil }
    }
    return stamp
  }

  /// The first and last business dates a timestamp may fall on.
  static let firstDay = Day(year: 0, month: 1, day: 1)!
  static let lastDay = Day(year: 9999, month: 12, day: 31)!

  /// Reads a fixed UTC offset such as `+08:00`, `-0530` or `Z` into seconds east of UTC.
  public static func utcOffset(_ text: String) -> Int? {
    if text == "Z" || text == "UTC" { return 0 }
    let chars = Array(text.utf8)
    guard let first = chars.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return nil }
    let sign = first == UInt8(ascii: "+") ? 1 : -1
    return chars.withUnsafeBytes { b -> Int? in
      if b.count == 6, b[3] == UInt8(ascii: ":"), let h = digits(b, 1, 2), let m = digits(b, 4, 2), h <= 23, m < 60 {
        return sign * (h * 3600 + m * 60)
      }
      if b.count == 5, let h = digits(b, 1, 2), let m = digits(b, 3, 2), h <= 23, m < 60 {
        return sign * (h * 3600 + m * 60)
      }
      return nil
    }
  }

  @inline(__always)
  static func digits(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Int? {
    guard start + count <= bytes.count else { return nil }
    var value = 0
    for i in start..<(start + count) {
      let c = bytes[i]
      guard c >= 48, c <= 57 else { return nil }
      value = value * 10 + Int(c - 48)
    }
    return value
  }

  /// The business date of an instant (milliseconds since 1970 UTC): its local date in
  /// the zone `offsetSeconds` east of UTC. Every business date is worked out this way,
  /// at ingest and again from stored instants.
  @inline(__always)
  static func businessDay(instantMillis: Int64, offsetSeconds: Int) -> Day {
    Day(number: Int32(floorDiv(instantMillis + Int64(offsetSeconds) * 1000, 86_400_000)))
  }

  /// The first instant (milliseconds since 1970 UTC) of `day` in the zone
  /// `offsetSeconds` east of UTC: the inverse of `businessDay` at midnight.
  @inline(__always)
  static func firstMillis(of day: Day, offsetSeconds: Int) -> Int64 {
    Int64(day.number) * 86_400_000 - Int64(offsetSeconds) * 1000
  }

  @inline(__always)
  static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }
}
