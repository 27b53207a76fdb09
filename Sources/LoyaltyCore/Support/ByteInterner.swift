import Dispatch

/// Interns byte strings (customer refs, member ids, linking keys) as dense `Int32`
/// ids: each distinct byte string is copied once into one arena, and lookups hash
/// the bytes without making a `String`.
///
/// Ids are given in first-seen order; `sortedIDs()` gives the byte order that
/// outputs use, so results never depend on the order in which ids were handed out.
public struct ByteInterner: Sendable {
  /// All interned bytes, back to back.
  @usableFromInline private(set) var arena: [UInt8] = []
  /// Start of id `i` in `arena`; `offsets[i + 1]` is its end.
  @usableFromInline private(set) var offsets: [Int] = [0]
  /// Open-addressing table: the top 32 bits of the hash above `id + 1` (0 = empty),
  /// so that a probe rejects most other strings without reading `hashes` or the arena.
  private(set) var slots: [UInt64]
  /// The part of a slot (and of a hash) that is the tag.
  static let tagBits: UInt64 = 0xFFFF_FFFF_0000_0000
  /// Hash of each id's bytes, so that growing the table never reads the arena.
  private var hashes: [UInt64] = []
  private(set) var mask: Int

  public init(capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size <<= 1 }
    slots = Array(repeating: 0, count: size)
    mask = size - 1
  }

  /// Number of distinct byte strings.
  public var count: Int { offsets.count - 1 }
  /// Bytes of all of them together.
  public var byteCount: Int { arena.count }

  /// The id of `bytes`, interning it when new.
  @inline(__always)
  public mutating func intern(_ bytes: UnsafeRawBufferPointer) -> Int32 {
    intern(bytes, hash: Self.hash(bytes))
  }

  /// The hash under which the interner files `bytes`.
  @inline(__always)
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    ByteHash.hash64(bytes, seed: 0x9E37_79B9_7F4A_7C15)
  }

  /// `intern(bytes)` when its hash is already known.
  @inline(__always)
  mutating func intern(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> Int32 {
    let (found, slot) = probe(bytes, hash: hash)
    if let found { return found }
    let tag = hash & Self.tagBits
    let id = Int32(count)
    arena.append(contentsOf: bytes)
    offsets.append(arena.count)
    hashes.append(hash)
    slots[slot] = tag | UInt64(id + 1)
    if count * 2 > slots.count { grow(to: slots.count * 2) }
    return id
  }

  /// Makes room for `ids` more byte strings of about `bytes` bytes in all, so that
  /// interning them does not grow the table on the way.
  public mutating func reserve(ids: Int, bytes: Int) {
    precondition(!slots.isEmpty, "ByteInterner: reserve after releaseLookup()")
    arena.reserveCapacity(arena.count + bytes)
    offsets.reserveCapacity(offsets.count + ids)
    hashes.reserveCapacity(hashes.count + ids)
    var size = slots.count
    while (count + ids) * 2 > size { size <<= 1 }
    if size > slots.count { grow(to: size) }
  }

  /// Drops the byte strings whose `keep` is false; the others keep their order, with
  /// ids from 0 on. Returns each old id's new id, -1 for the dropped. The arena is
  /// compacted in place and the table (unless given back) rebuilt in place from the
  /// stored hashes, without reading the bytes again.
  mutating func removeAll(except keep: [Bool]) -> [Int32] {
    precondition(keep.count == count, "ByteInterner: a keep flag an id")
    let hasLookup = !slots.isEmpty
    var newID = [Int32](repeating: -1, count: count)
    var kept = 0
    var write = 0
    arena.withUnsafeMutableBytes { arena in
      for id in 0..<keep.count where keep[id] {
        let start = offsets[id]
        let end = offsets[id + 1]
        if write != start, let base = arena.baseAddress { memmove(base + write, base + start, end - start) }
        write += end - start
        if hasLookup { hashes[kept] = hashes[id] }
        newID[id] = Int32(kept)
        kept += 1
        offsets[kept] = write
      }
    }
    arena.removeLast(arena.count - write)
    offsets.removeLast(offsets.count - kept - 1)
    guard hasLookup else { return newID }
    hashes.removeLast(hashes.count - kept)
    // The table again, in place (a first chunk's is sized for the whole file).
    let stored = hashes
    slots.withUnsafeMutableBufferPointer { slots in
      slots.update(repeating: 0)
      Self.fill(slots, hashes: stored)
    }
    return newID
  }

  /// Gives back the hash table: the bytes of every id stay readable (`string`,
  /// `withBytes`, `sortedIDs`), but `intern`, `lookup` and `reserve` must not be
  /// called again (they stop the program: `reserve` on its check, the probes of the
  /// other two on the empty table's bounds check, so the hot path pays nothing more). For interners whose lookups are over, such as the refs after identity.
  public mutating func releaseLookup() {
    slots = []
    hashes = []
    mask = 0
  }

  /// The id of `text`, interning it when new.
  public mutating func intern(_ text: String) -> Int32 {
    var copy = text
    return copy.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
  }

  /// The id of `bytes` if it was interned.
  public func lookup(_ bytes: UnsafeRawBufferPointer) -> Int32? {
    probe(bytes, hash: Self.hash(bytes)).id
  }

  /// The id of `bytes` when interned, else the empty slot where it would go.
  @inline(__always)
  func probe(_ bytes: UnsafeRawBufferPointer, hash: UInt64) -> (id: Int32?, slot: Int) {
    let tag = hash & Self.tagBits
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return (nil, slot) }
      if entry & Self.tagBits == tag {
        let id = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
        if equals(id, bytes) { return (Int32(id), slot) }
      }
      slot = (slot + 1) & mask
    }
  }

  /// The id of `text` if it was interned.
  public func lookup(_ text: String) -> Int32? {
    var copy = text
    return copy.withUTF8 { lookup(UnsafeRawBufferPointer($0)) }
  }

  /// The bytes of `id` as a String.
  public func string(_ id: Int32) -> String {
    let i = Int(id)
    return arena.withUnsafeBufferPointer {
      String(decoding: UnsafeBufferPointer(rebasing: $0[offsets[i]..<offsets[i + 1]]), as: UTF8.self)
    }
  }

  /// Compares the bytes of two ids (byte order, shorter prefix first).
  public func precedes(_ a: Int32, _ b: Int32) -> Bool {
    compare(a, b) < 0
  }

  /// -1, 0 or 1 as the bytes of `a` sort before, equal to or after those of `b`.
  public func compare(_ a: Int32, _ b: Int32) -> Int {
    let a0 = offsets[Int(a)]
    let a1 = offsets[Int(a) + 1]
    let b0 = offsets[Int(b)]
    let b1 = offsets[Int(b) + 1]
    return arena.withUnsafeBytes { base -> Int in
      let n = min(a1 - a0, b1 - b0)
      if n > 0 {
        let c = memcmp(base.baseAddress! + a0, base.baseAddress! + b0, n)
        if c != 0 { return c < 0 ? -1 : 1 }
      }
      return (a1 - a0) == (b1 - b0) ? 0 : ((a1 - a0) < (b1 - b0) ? -1 : 1)
    }
  }

  /// All ids sorted by their bytes.
  public func sortedIDs() -> [Int32] {
    sortedIDs(from: 0) { _ in 0 }
  }

  /// All ids sorted by `major` (a key per id that comes first), then by their bytes
  /// from offset `from` on.
  func sortedIDs(from: Int, threads: Int = 1, major: (Int32) -> UInt32) -> [Int32] {
    arena.withUnsafeBytes { arena in
      offsets.withUnsafeBufferPointer { offsets in
        sortedByBytes(arena: arena, offsets: offsets, from: from, threads: threads, major: major)
      }
    }
  }

  /// rank[id] = position of `id` in byte order.
  public func byteOrderRanks() -> [Int32] {
    let sorted = sortedIDs()
    var rank = [Int32](repeating: 0, count: sorted.count)
    for (position, id) in sorted.enumerated() { rank[Int(id)] = Int32(position) }
    return rank
  }

  @inline(__always)
  private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
    let start = offsets[id]
    let length = offsets[id + 1] - start
    guard length == bytes.count else { return false }
    if length == 0 { return true }
    return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, bytes.baseAddress!, length) == 0 }
  }

  private mutating func grow(to size: Int) {
    var fresh = [UInt64](repeating: 0, count: size)
    fresh.withUnsafeMutableBufferPointer { Self.fill($0, hashes: hashes) }
    slots = fresh
    mask = size - 1
  }

  /// Files the id of each of `hashes` in `slots`, an empty table whose size is a power
  /// of two.
  private static func fill(_ slots: UnsafeMutableBufferPointer<UInt64>, hashes: [UInt64]) {
    let mask = slots.count - 1
    for id in hashes.indices {
      let hash = hashes[id]
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = (hash & Self.tagBits) | UInt64(id + 1)
    }
  }
}

/// The indexes of the byte strings stored back to back in `arena` (string `i` is
/// `offsets[i] ..< offsets[i + 1]`), sorted by `major` (a key per index that comes
/// first), then by their bytes from offset `from` on (shorter prefix first); equal
/// strings keep the order of their indexes.
///
/// The sort orders (major, first 16 bytes, index) records by radix (`RadixSort`), so
/// that most of the work never leaves the records; only equal first 16 bytes compare
/// the arena. With more than one thread, the buckets of the first split are shared
/// out among them.
func sortedByBytes(
  arena: UnsafeRawBufferPointer, offsets: UnsafeBufferPointer<Int>, from: Int, threads: Int = 1,
  major: (Int32) -> UInt32
) -> [Int32] {
  let order = ByteOrder(base: arena.baseAddress, offsets: offsets, from: from)
  let count = offsets.count - 1
  let parallel = threads > 1 && count >= 1 << 16
  // The records, made by halves side by side when the buckets are sorted that way.
  var keys = [ByteOrder.Key](unsafeUninitializedCapacity: count) { buffer, initialized in
    withoutActuallyEscaping(major) { major in
      let shared = SharedSlots(buffer: buffer)
      let majors = UncheckedSendable(major)
      let make: @Sendable (Range<Int>) -> Void = { ids in
        for id in ids {
          let start = order.offsets[id] + from
          let end = order.offsets[id + 1]
          (shared.buffer.baseAddress! + id).initialize(
            to: ByteOrder.Key(
              prefix0: order.word(start, end), prefix1: order.word(start + 8, end), major: majors.value(Int32(id)),
              id: Int32(id)))
        }
      }
      if parallel {
        DispatchQueue.concurrentPerform(iterations: 2) { half in make(half == 0 ? 0..<count / 2 : count / 2..<count) }
      } else {
        make(0..<count)
      }
    }
    initialized = count
  }
  let radix = RadixSort(order: order)
  keys.withUnsafeMutableBufferPointer { keys in
    let scratch = UnsafeMutableBufferPointer<ByteOrder.Key>.allocate(capacity: count)
    defer { scratch.deallocate() }
    guard parallel else {
      radix.sort(keys, scratch)
      return
    }
    guard let buckets = radix.split(keys, scratch) else { return }
    // The first split's buckets, shared out among the threads by their records.
    let shares = (0...threads).map { k in
      k == threads ? buckets.count - 1 : buckets.firstIndex { $0 >= count * k / threads }!
    }
    let shared = SharedSlots(buffer: keys)
    let spare = SharedSlots(buffer: scratch)
    DispatchQueue.concurrentPerform(iterations: threads) { k in
      for b in shares[k]..<max(shares[k], shares[k + 1]) {
        let range = buckets[b]..<buckets[b + 1]
        radix.sort(
          UnsafeMutableBufferPointer(rebasing: shared.buffer[range]),
          UnsafeMutableBufferPointer(rebasing: spare.buffer[range]))
      }
    }
  }
  return keys.map(\.id)
}

/// An MSD radix sort of `ByteOrder` records. The records are split into buckets by 8
/// to 11 bits (more for more records) of their (major, prefix0, prefix1), the bits
/// that start at the first bit in which any two of them differ (a counting sort, so
/// records keep their order within a bucket), and each bucket is split in turn. A
/// bucket of at most `small` records (a few hundred KB, in cache), or of records whose
/// three words are all equal (strings that go on past 16 bytes), is sorted by
/// `ByteOrder.less` with the library's stable sort. A split reads only the records,
/// and the bits that all its records share (a common prefix, the zero padding of short
/// strings) cost it nothing.
private struct RadixSort: @unchecked Sendable {
  let order: ByteOrder
  /// Buckets of at most this many records are sorted by comparison.
  static let small = 4096

  /// Sorts `keys`, using `scratch` (as long) for the splits.
  func sort(_ keys: UnsafeMutableBufferPointer<ByteOrder.Key>, _ scratch: UnsafeMutableBufferPointer<ByteOrder.Key>) {
    guard let starts = split(keys, scratch) else { return }
    for b in 0..<(starts.count - 1) where starts[b + 1] - starts[b] > 1 {
      let range = starts[b]..<starts[b + 1]
      sort(UnsafeMutableBufferPointer(rebasing: keys[range]), UnsafeMutableBufferPointer(rebasing: scratch[range]))
    }
  }

  /// Splits `keys` into buckets in place and returns where each starts (and one past
  /// the last); nil when it sorted them whole instead (few, or no digit left to split on).
  func split(_ keys: UnsafeMutableBufferPointer<ByteOrder.Key>, _ scratch: UnsafeMutableBufferPointer<ByteOrder.Key>)
    -> [Int]?
  {
    var keys = keys
    let n = keys.count
    if n <= Self.small {
      keys.sort { order.less($0, $1) }
      return nil
    }
    let first = keys[0]
    var differ = (UInt64(0), UInt64(0), UInt64(0))
    for key in keys {
      differ.0 |= UInt64(key.major ^ first.major) << 32
      differ.1 |= key.prefix0 ^ first.prefix0
      differ.2 |= key.prefix1 ^ first.prefix1
    }
    let bit: Int
    if differ.0 != 0 {
      bit = differ.0.leadingZeroBitCount
    } else if differ.1 != 0 {
      bit = 64 + differ.1.leadingZeroBitCount
    } else if differ.2 != 0 {
      bit = 128 + differ.2.leadingZeroBitCount
    } else {
      // Equal first 16 bytes (and majors): the rest of the bytes decide.
      keys.sort { order.less($0, $1) }
      return nil
    }
    // 16 to 32 records a bucket, up to 2,048 buckets.
    let bits = min(11, Int.bitWidth - n.leadingZeroBitCount - 5)
    let buckets = 1 << bits
    var starts = [Int](repeating: 0, count: buckets + 1)
    for key in keys { starts[Self.digit(key, at: bit, bits: bits) + 1] += 1 }
    for b in 0..<buckets { starts[b + 1] += starts[b] }
    var next = starts
    for key in keys {
      let d = Self.digit(key, at: bit, bits: bits)
      scratch[next[d]] = key
      next[d] += 1
    }
    _ = keys.update(fromContentsOf: scratch)
    return starts
  }

  /// The `bits` bits of the record's (major, prefix0, prefix1), read as one 192-bit
  /// number (`major` in the top half of the first word), from bit `at` (0 is the top
  /// bit of `major`); zeros past the end.
  @inline(__always)
  static func digit(_ key: ByteOrder.Key, at: Int, bits: Int) -> Int {
    @inline(__always) func word(_ w: Int) -> UInt64 {
      w == 0 ? UInt64(key.major) << 32 : w == 1 ? key.prefix0 : w == 2 ? key.prefix1 : 0
    }
    let w = at >> 6
    let shift = UInt64(at & 63)
    var top = word(w) &<< shift
    if shift != 0 { top |= word(w + 1) &>> (64 - shift) }
    return Int(truncatingIfNeeded: top &>> UInt64(64 - bits))
  }
}

/// The comparison `sortedByBytes` sorts by, shared by the threads that sort (they only
/// read the arena).
private struct ByteOrder: @unchecked Sendable {
  /// 24 bytes: the sort's passes move whole records.
  struct Key {
    var prefix0: UInt64
    var prefix1: UInt64
    var major: UInt32
    var id: Int32
  }
  let base: UnsafeRawPointer?
  let offsets: UnsafeBufferPointer<Int>
  let from: Int

  /// Eight bytes from `start` (fewer when `end` comes first), big-endian and
  /// zero-padded: comparing them agrees with comparing the bytes whenever they differ.
  @inline(__always) func word(_ start: Int, _ end: Int) -> UInt64 {
    guard let base, start < end else { return 0 }
    if end - start >= 8 { return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
    var value: UInt64 = 0
    for k in 0..<8 {
      value <<= 8
      if start + k < end { value |= UInt64(base.load(fromByteOffset: start + k, as: UInt8.self)) }
    }
    return value
  }

  @inline(__always) func less(_ x: Key, _ y: Key) -> Bool {
    if x.major != y.major { return x.major < y.major }
    if x.prefix0 != y.prefix0 { return x.prefix0 < y.prefix0 }
    if x.prefix1 != y.prefix1 { return x.prefix1 < y.prefix1 }
    let a = Int(x.id)
    let b = Int(y.id)
    let a0 = offsets[a] + from
    let a1 = offsets[a + 1]
    let b0 = offsets[b] + from
    let b1 = offsets[b + 1]
    let n = min(a1 - a0, b1 - b0)
    if n > 16, let base {
      let m = memcmp(base + a0 + 16, base + b0 + 16, n - 16)
      if m != 0 { return m < 0 }
    }
    return a1 - a0 < b1 - b0
  }
}

/// A fast non-cryptographic hash of short byte strings, eight bytes at a time.
public enum ByteHash {
  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A 64-bit hash of `bytes` under `seed`: a mix per 8-byte word, and one for the
  /// bytes after the last whole word, read as one word too. (The first lane of
  /// `hash64x2`; inlined, the second lane is never computed.)
  @inline(__always)
  public static func hash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
    hash64x2(bytes, seed0: seed, seed1: seed).0
  }

  /// `(hash64(bytes, seed: seed0), hash64(bytes, seed: seed1))`, in one pass whose two
  /// chains of multiplies run side by side: the order keys hash every order id twice.
  @inline(__always)
  public static func hash64x2(_ bytes: UnsafeRawBufferPointer, seed0: UInt64, seed1: UInt64) -> (UInt64, UInt64) {
    let length = UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15
    var h0 = seed0 ^ length
    var h1 = seed1 ^ length
    var i = 0
    let n = bytes.count
    guard let base = bytes.baseAddress else { return (mix(h0), mix(h1)) }
    while i + 8 <= n {
      let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      h0 = mix(h0 ^ word)
      h1 = mix(h1 ^ word)
      i += 8
    }
    if i < n {
      let word = tail(base, count: n) ^ 0xFF
      h0 = mix(h0 ^ word)
      h1 = mix(h1 ^ word)
    }
    return (mix(h0), mix(h1))
  }

  /// The bytes after the last whole word of `count` bytes at `base`, as one word: the
  /// last 8 bytes (overlapping the word before) when there are at least 8, else loads
  /// from the front and the back that overlap rather than run past the end. Together
  /// with the count (which the hash starts from), the words name the bytes uniquely.
  @inline(__always)
  static func tail(_ base: UnsafeRawPointer, count n: Int) -> UInt64 {
    func load<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ offset: Int) -> UInt64 {
      UInt64(base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
    switch n {
    case 8...: return load(UInt64.self, n - 8)
    case 4..<8: return load(UInt32.self, 0) | load(UInt32.self, n - 4) << 32
    case 2..<4: return load(UInt16.self, 0) | load(UInt16.self, n - 2) << 16
    default: return load(UInt8.self, 0)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
