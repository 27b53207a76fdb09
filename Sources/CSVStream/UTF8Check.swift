/// Checks UTF-8 validity quickly: eight ASCII bytes at a time, the full decoder only
/// around non-ASCII bytes.
enum UTF8Check {
  /// The offset of the first byte that does not start or continue a valid UTF-8
  /// sequence, or nil when `bytes` is valid.
  static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let count = bytes.count
    guard let base = bytes.baseAddress else { return nil }
    var i = 0
    while i < count {
      if i + 8 <= count {
        let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if word & 0x8080_8080_8080_8080 == 0 {
          i += 8
          continue
        }
      }
      let b0 = base.load(fromByteOffset: i, as: UInt8.self)
      if b0 < 0x80 {
        i += 1
        continue
      }
      let length: Int
      var lowest: UInt32
      var scalar: UInt32
      switch b0 {
      case 0xC2...0xDF: length = 2; lowest = 0x80; scalar = UInt32(b0 & 0x1F)
      case 0xE0...0xEF: length = 3; lowest = 0x800; scalar = UInt32(b0 & 0x0F)
      case 0xF0...0xF4: length = 4; lowest = 0x10000; scalar = UInt32(b0 & 0x07)
      default: return i
      }
      guard i + length <= count else { return i }
      for k in 1..<length {
        let b = base.load(fromByteOffset: i + k, as: UInt8.self)
        guard b & 0xC0 == 0x80 else { return i }
        scalar = scalar << 6 | UInt32(b & 0x3F)
      }
      if scalar < lowest || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
      i += length
    }
    return nil
  }
}
