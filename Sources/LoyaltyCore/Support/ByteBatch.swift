import CHints
import CSVStream

/// A few byte strings gathered to be interned or looked up together (`ByteInterner`'s
/// batch methods). One at a time, each lookup in a table far larger than the cache
/// waits for up to three misses in a row (its slot, its id's offset, its bytes); a
/// batch asks for the lines of all its strings first, so the misses overlap.
struct ByteBatch {
  /// How many strings a batch takes before it is handed to the interner.
  static let capacity = 32

  /// The strings, back to back: the first `used` bytes of `bytes`, which is kept at
  /// least that long (what stands past `used` is not read), so that a string is copied
  /// into place rather than appended (`Array.append(contentsOf:)` costs more than the copy of a short ref,
  /// and every order's ref passes through here).
  private var bytes: [UInt8]
  private var used = 0
  /// End of string `k` in `bytes`.
  private(set) var ends: [Int] = []
  /// Hash of string `k` (the interner's).
  private(set) var hashes: [UInt64] = []

  init() {
    bytes = [UInt8](repeating: 0, count: Self.capacity * 32)
    ends.reserveCapacity(Self.capacity)
    hashes.reserveCapacity(Self.capacity)
  }

  var count: Int { ends.count }
  var isFull: Bool { ends.count >= Self.capacity }

  /// Makes `bytes` long enough for `extra` more bytes.
  @inline(__always)
  private mutating func makeRoom(_ extra: Int) {
    if used + extra > bytes.count { bytes += repeatElement(0, count: max(bytes.count, used + extra - bytes.count)) }
  }

  /// Adds `string`.
  @inline(__always)
  mutating func append(_ string: UnsafeRawBufferPointer) {
    makeRoom(string.count)
    let start = used
    bytes.withUnsafeMutableBytes { storage in
      if let source = string.baseAddress {
        FieldBytes.copy(source, to: storage.baseAddress! + start, count: string.count)
      }
    }
    used += string.count
    ends.append(used)
    hashes.append(ByteInterner.hash(string))
  }

  /// Adds `first`, the byte `separator`, then `second`, as one string.
  @inline(__always)
  mutating func append(_ first: UnsafeRawBufferPointer, separator: UInt8, _ second: UnsafeRawBufferPointer) {
    let length = first.count + 1 + second.count
    makeRoom(length)
    let start = used
    let hash = bytes.withUnsafeMutableBytes { storage in
      let target = storage.baseAddress! + start
      if let source = first.baseAddress { FieldBytes.copy(source, to: target, count: first.count) }
      target.storeBytes(of: separator, toByteOffset: first.count, as: UInt8.self)
      if let source = second.baseAddress { FieldBytes.copy(source, to: target + first.count + 1, count: second.count) }
      return ByteInterner.hash(UnsafeRawBufferPointer(rebasing: storage[start..<(start + length)]))
    }
    used += length
    ends.append(used)
    hashes.append(hash)
  }

  /// Adds the ref key of (`channel`, `customerRef`) (see `RefKey`).
  @inline(__always)
  mutating func append(channel: Int32, customerRef: UnsafeRawBufferPointer) {
    let length = RefKey.channelBytes + customerRef.count
    makeRoom(length)
    let start = used
    let hash = bytes.withUnsafeMutableBytes { storage in
      RefKey.write(channel: channel, customerRef: customerRef, to: storage.baseAddress! + start)
      return ByteInterner.hash(UnsafeRawBufferPointer(rebasing: storage[start..<(start + length)]))
    }
    used += length
    ends.append(used)
    hashes.append(hash)
  }

  mutating func removeAll() {
    used = 0
    ends.removeAll(keepingCapacity: true)
    hashes.removeAll(keepingCapacity: true)
  }

  /// Calls `body` with string `k` and its hash.
  @inline(__always)
  func withString<R>(_ k: Int, _ body: (UnsafeRawBufferPointer, UInt64) -> R) -> R {
    let start = k == 0 ? 0 : ends[k - 1]
    return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[k]]), hashes[k]) }
  }
}

extension ByteInterner {
  /// Appends to `ids` the id of each string of `batch`, interning the new ones: the
  /// same ids, in the same order, as `intern` called on each in turn.
  mutating func intern(_ batch: ByteBatch, into ids: inout [Int32]) {
    prefetch(batch)
    for k in 0..<batch.count {
      ids.append(batch.withString(k) { string, hash in intern(string, hash: hash) })
    }
  }

  /// Appends to `ids` the id of each string of `batch`, -1 for those not interned.
  func lookup(_ batch: ByteBatch, into ids: inout [Int32]) {
    prefetch(batch)
    for k in 0..<batch.count {
      ids.append(batch.withString(k) { string, hash in probe(string, hash: hash).id ?? -1 })
    }
  }

  /// Asks for the cache lines a probe of each string will read, stage by stage: every
  /// string's slot, then the offset of the id found there, then that id's bytes. Only
  /// the first slot is followed; a probe that goes on past it finds its way as usual.
  private func prefetch(_ batch: ByteBatch) {
    guard !slots.isEmpty else { return }
    slots.withUnsafeBufferPointer { slots in
      offsets.withUnsafeBufferPointer { offsets in
        arena.withUnsafeBufferPointer { arena in
          batch.hashes.withUnsafeBufferPointer { hashes in
            for hash in hashes { loyalty_prefetch(slots.baseAddress! + (Int(truncatingIfNeeded: hash) & mask)) }
            for hash in hashes {
              let entry = slots[Int(truncatingIfNeeded: hash) & mask]
              if entry != 0 && entry & Self.tagBits == hash & Self.tagBits {
                loyalty_prefetch(offsets.baseAddress! + Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1)
              }
            }
            guard let base = arena.baseAddress else { return }
            for hash in hashes {
              let entry = slots[Int(truncatingIfNeeded: hash) & mask]
              if entry != 0 && entry & Self.tagBits == hash & Self.tagBits {
                loyalty_prefetch(base + offsets[Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1])
              }
            }
          }
        }
      }
    }
  }
}
