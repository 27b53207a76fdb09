import LoyaltyCore

/// A CSV writer over raw bytes for the member-sized files (millions of rows): numbers,
/// dates and money are formatted straight into the buffer, with no `String` per cell.
/// Text cells follow one guard-and-quote rule, which `CSVText.cell` uses as well.
struct ByteCSV: ~Copyable {
  /// The text so far: `count` bytes of `capacity`, grown by doubling.
  private var storage: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private(set) var count = 0

  /// An empty writer with room for `reserve` bytes.
  init(reserve: Int) {
    capacity = max(64, reserve)
    storage = .allocate(capacity: capacity)
  }

  init(header: [String], reserve: Int) {
    self.init(reserve: max(4096, reserve))
    writeHeader(header)
  }

  private mutating func writeHeader(_ header: [String]) {
    for (i, name) in header.enumerated() {
      if i > 0 { comma() }
      text(name)
    }
    newline()
  }

  deinit { storage.deallocate() }

  /// Makes room for `extra` more bytes.
  @inline(__always) private mutating func ensure(_ extra: Int) {
    if count + extra > capacity { grow(count + extra) }
  }

  private mutating func grow(_ needed: Int) {
    var newCapacity = capacity * 2
    while newCapacity < needed { newCapacity *= 2 }
    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    grown.update(from: storage, count: count)
    storage.deallocate()
    storage = grown
    capacity = newCapacity
  }

  @inline(__always) private mutating func append(_ byte: UInt8) {
    ensure(1)
    storage[count] = byte
    count += 1
  }

  @inline(__always) private mutating func append(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    ensure(bytes.count)
    UnsafeMutableRawPointer(storage + count).copyMemory(from: base, byteCount: bytes.count)
    count += bytes.count
  }

  @inline(__always) mutating func comma() { append(UInt8(ascii: ",")) }
  @inline(__always) mutating func newline() { append(10) }

  /// A text cell, guarded and quoted as `CSVText.cell` does.
  mutating func text(_ value: String) {
    var v = value
    v.withUTF8 { text(UnsafeRawBufferPointer($0)) }
  }

  /// A text cell from UTF-8 bytes, guarded and quoted as `CSVText.cell` does.
  mutating func text(_ utf8: UnsafeRawBufferPointer) {
    guard let first = utf8.first else { return }
    let guarded: Bool
    switch first {
    case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13: guarded = true
    default: guarded = false
    }
    let needsQuotes = Self.hasQuotedByte(utf8)
    if !needsQuotes && !guarded {
      append(utf8)
      return
    }
    if needsQuotes { append(UInt8(ascii: "\"")) }
    if guarded { append(UInt8(ascii: "'")) }
    for b in utf8 {
      if b == UInt8(ascii: "\"") { append(b) }
      append(b)
    }
    if needsQuotes { append(UInt8(ascii: "\"")) }
  }

  /// Whether `utf8` holds a comma, a quote, a line feed or a carriage return: the bytes
  /// that make a cell quoted. Eight bytes at a time (the word tests of "Bit Twiddling
  /// Hacks": a byte equal to `c` is a zero byte of `word ^ c * 0x01...01`), since every
  /// text cell of the member-sized files is asked; exact, with no false hits.
  @inline(__always) static func hasQuotedByte(_ utf8: UnsafeRawBufferPointer) -> Bool {
    guard let base = utf8.baseAddress else { return false }
    let n = utf8.count
    guard n >= 8 else {
      for b in utf8 where b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 10 || b == 13 { return true }
      return false
    }
    @inline(__always) func hits(_ word: UInt64) -> Bool {
      let ones: UInt64 = 0x0101_0101_0101_0101
      let highs: UInt64 = 0x8080_8080_8080_8080
      @inline(__always) func zeroByte(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
      return zeroByte(word ^ (ones &* 0x2C)) | zeroByte(word ^ (ones &* 0x22)) | zeroByte(word ^ (ones &* 0x0A))
        | zeroByte(word ^ (ones &* 0x0D)) != 0
    }
    var i = 0
    while i + 8 <= n {
      if hits(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
      i += 8
    }
    // The last bytes, in the word that ends the cell (it overlaps the one before).
    return i < n && hits(base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
  }

  /// Cell k of `cells`, already rendered (see `renderedCells(_:)`).
  mutating func cell(_ cells: ByteStrings, _ k: Int) {
    cells.withBytes(k) { append($0) }
  }

  /// `value` as `text(_:)` writes it, for cells written many times over.
  static func rendered(_ value: String) -> [UInt8] {
    var csv = ByteCSV(reserve: 64)
    csv.text(value)
    return csv.bytes()
  }

  /// A name the pipeline itself chose (no guard or quotes needed).
  mutating func plain(_ value: String) {
    var v = value
    v.withUTF8 { append(UnsafeRawBufferPointer($0)) }
  }

  mutating func integer(_ value: Int64) {
    if value < 0 {
      append(UInt8(ascii: "-"))
      unsigned(value.magnitude, width: 1)
    } else {
      unsigned(UInt64(value), width: 1)
    }
  }

  /// `value` in decimal, left-padded with zeros to `width` digits: two digits at a
  /// time from the right, which halves the chain of divisions.
  mutating func unsigned(_ value: UInt64, width: Int) {
    // Scores, levels and most counts: one digit.
    if value < 10 && width <= 1 {
      append(48 + UInt8(truncatingIfNeeded: value))
      return
    }
    var digits = 1
    var bound: UInt64 = 10
    while digits < 20 && value >= bound {
      digits += 1
      bound &*= 10
    }
    let n = max(digits, width)
    ensure(n)
    @inline(__always) func pair(_ p: UInt64, at i: Int) {
      let tens = p / 10
      storage[i] = 48 + UInt8(truncatingIfNeeded: tens)
      storage[i + 1] = 48 + UInt8(truncatingIfNeeded: p &- tens &* 10)
    }
    var v = value
    var i = count + n
    while v >= 100 {
      let q = v / 100
      i -= 2
      pair(v &- q &* 100, at: i)
      v = q
    }
    if v >= 10 {
      i -= 2
      pair(v, at: i)
    } else {
      i -= 1
      storage[i] = 48 + UInt8(truncatingIfNeeded: v)
    }
    while i > count {
      i -= 1
      storage[i] = 48
    }
    count += n
  }

  /// Minor units as major units with `digits` decimals, as `Money.format` writes them.
  mutating func money(_ minor: Int64, digits: Int) {
    if digits == 0 {
      integer(minor)
      return
    }
    if minor < 0 { append(UInt8(ascii: "-")) }
    let scale = UInt64(Money.pow10(digits))
    let magnitude = minor.magnitude
    unsigned(magnitude / scale, width: 1)
    append(UInt8(ascii: "."))
    unsigned(magnitude % scale, width: digits)
  }

  /// `YYYY-MM-DD`, copied from `dates` when it holds the day.
  mutating func date(_ day: Day, from dates: DateCells) {
    let offset = Int(day.number) - Int(dates.first)
    guard offset >= 0 && offset < dates.count else { return date(day) }
    ensure(10)
    dates.bytes.withUnsafeBufferPointer { (storage + count).update(from: $0.baseAddress! + offset * 10, count: 10) }
    count += 10
  }

  /// `YYYY-MM-DD`.
  mutating func date(_ day: Day) {
    let c = day.civil
    unsigned(UInt64(c.year), width: 4)
    append(UInt8(ascii: "-"))
    unsigned(UInt64(c.month), width: 2)
    append(UInt8(ascii: "-"))
    unsigned(UInt64(c.day), width: 2)
  }

  /// A copy of the bytes so far.
  func bytes() -> [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

  /// The text so far of a writer that keeps it in memory.
  func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
    body(UnsafeRawBufferPointer(start: storage, count: count))
  }

  /// Empties a writer that keeps its text in memory, keeping its buffer.
  mutating func removeAll() { count = 0 }

  /// The text; consumes the writer.
  consuming func finish() -> String {
    String(decoding: UnsafeBufferPointer(start: storage, count: count), as: UTF8.self)
  }
}

/// Cells written millions of times (segment and class names), each rendered once as
/// `ByteCSV.text` writes it, back to back; `ByteCSV.cell` copies them.
func renderedCells(_ values: [String]) -> ByteStrings {
  var cells = ByteStrings()
  for value in values { ByteCSV.rendered(value).withUnsafeBytes { cells.append($0) } }
  return cells
}

/// The days `first ..< first + count` rendered as `YYYY-MM-DD`, ten bytes each, for files
/// that write the same dates millions of times.
struct DateCells {
  let first: Int32
  let count: Int
  let bytes: [UInt8]

  /// The days from `first` through `last`; none when the span is over `limit` days.
  init(first: Int32, last: Int32, limit: Int = 100_000) {
    let span = Int(last) - Int(first) + 1
    self.first = first
    count = span > 0 && span <= limit ? span : 0
    var csv = ByteCSV(reserve: count * 10)
    for k in 0..<count { csv.date(Day(number: first + Int32(k))) }
    bytes = csv.bytes()
  }
}
