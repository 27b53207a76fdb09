import LoyaltyCore

/// A CSV writer over raw bytes for the member-sized files (millions of rows): numbers,
/// dates and money are formatted straight into the buffer, with no `String` per cell.
/// Its output is byte for byte what `CSVText` writes.
struct ByteCSV {
  var bytes: [UInt8] = []

  init(header: [String], reserve: Int) {
    bytes.reserveCapacity(reserve)
    for (i, name) in header.enumerated() {
      if i > 0 { comma() }
      text(name)
    }
    newline()
  }

  @inline(__always) mutating func comma() { bytes.append(UInt8(ascii: ",")) }
  @inline(__always) mutating func newline() { bytes.append(10) }

  /// A text cell, guarded and quoted as `CSVText.cell` does.
  mutating func text(_ value: String) {
    var v = value
    v.withUTF8 { utf8 in
      guard let first = utf8.first else { return }
      let guarded = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13].contains(first)
      let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
      if needsQuotes { bytes.append(UInt8(ascii: "\"")) }
      if guarded { bytes.append(UInt8(ascii: "'")) }
      for b in utf8 {
        if b == UInt8(ascii: "\"") { bytes.append(b) }
        bytes.append(b)
      }
      if needsQuotes { bytes.append(UInt8(ascii: "\"")) }
    }
  }

  /// A name the pipeline itself chose (no guard or quotes needed).
  mutating func plain(_ value: String) {
    var v = value
    v.withUTF8 { bytes.append(contentsOf: $0) }
  }

  mutating func integer(_ value: Int64) {
    if value < 0 {
      bytes.append(UInt8(ascii: "-"))
      unsigned(value.magnitude, width: 1)
    } else {
      unsigned(UInt64(value), width: 1)
    }
  }

  /// `value` in decimal, left-padded with zeros to `width` digits.
  mutating func unsigned(_ value: UInt64, width: Int) {
    var digits:
      (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
      ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    var v = value
    withUnsafeMutableBytes(of: &digits) { d in
      repeat {
        d[n] = UInt8(48 + v % 10)
        v /= 10
        n += 1
      } while v > 0
      while n < width {
        d[n] = 48
        n += 1
      }
      var i = n - 1
      while i >= 0 {
        bytes.append(d[i])
        i -= 1
      }
    }
  }

  /// Minor units as major units with `digits` decimals, as `Money.format` writes them.
  mutating func money(_ minor: Int64, digits: Int) {
    if digits == 0 {
      integer(minor)
      return
    }
    if minor < 0 { bytes.append(UInt8(ascii: "-")) }
    let scale = UInt64(Money.pow10(digits))
    let magnitude = minor.magnitude
    unsigned(magnitude / scale, width: 1)
    bytes.append(UInt8(ascii: "."))
    unsigned(magnitude % scale, width: digits)
  }

  /// `YYYY-MM-DD`.
  mutating func date(_ day: Day) {
    let c = day.civil
    unsigned(UInt64(c.year), width: 4)
    bytes.append(UInt8(ascii: "-"))
    unsigned(UInt64(c.month), width: 2)
    bytes.append(UInt8(ascii: "-"))
    unsigned(UInt64(c.day), width: 2)
  }

  var string: String { String(decoding: bytes, as: UTF8.self) }
}
