import CHints

/// A list of byte strings (member ids) held back to back in one arena: millions of
/// ids cost two allocations, not one `String` each, and writers copy their bytes
/// straight into the output. Reading an element gives it as a `String`.
public struct ByteStrings: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
  /// All bytes, back to back.
  @usableFromInline private(set) var arena: [UInt8] = []
  /// Element `i` is `arena[offsets[i] ..< offsets[i + 1]]`.
  @usableFromInline private(set) var offsets: [Int] = [0]

  public init() {}

  public init(_ strings: some Sequence<String>) {
    for string in strings { append(string) }
  }

  public init(arrayLiteral elements: String...) {
    self.init(elements)
  }

  /// Bytes of all elements together.
  public var byteCount: Int { arena.count }

  public var startIndex: Int { 0 }
  public var endIndex: Int { offsets.count - 1 }

  public subscript(position: Int) -> String {
    withBytes(position) { String(decoding: $0, as: UTF8.self) }
  }

  /// Calls `body` with the bytes of element `i`. Inlinable, so that writers in other
  /// modules get it specialised, not as a generic call per cell.
  @inlinable @inline(__always)
  public func withBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    arena.withUnsafeBytes { base in body(UnsafeRawBufferPointer(rebasing: base[offsets[i]..<offsets[i + 1]])) }
  }

  /// Makes room for `count` more elements of `bytes` bytes in all.
  public mutating func reserve(count: Int, bytes: Int) {
    arena.reserveCapacity(arena.count + bytes)
    offsets.reserveCapacity(offsets.count + count)
  }

  @inline(__always)
  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    arena.append(contentsOf: bytes)
    offsets.append(arena.count)
  }

  public mutating func append(_ string: String) {
    var copy = string
    copy.withUTF8 { append(UnsafeRawBufferPointer($0)) }
  }

  /// Appends `first`, `separator` and `second` as one element.
  @inline(__always)
  public mutating func append(
    _ first: UnsafeRawBufferPointer, _ separator: Unicode.Scalar, _ second: UnsafeRawBufferPointer
  ) {
    arena.append(contentsOf: first)
    arena.append(UInt8(ascii: separator))
    arena.append(contentsOf: second)
    offsets.append(arena.count)
  }

  /// The distinct elements in byte order, and for each element the position of its
  /// bytes among them. The elements are read in sorted order, a gather through the
  /// arena, so the next ones are prefetched a few steps ahead.
  public func sortedDistinct(threads: Int = 1) -> (distinct: ByteStrings, positionOf: [Int32]) {
    let order = sortedIndexes(threads: threads)
    var distinct = ByteStrings()
    distinct.reserve(count: count, bytes: byteCount)
    var positionOf = [Int32](repeating: 0, count: count)
    arena.withUnsafeBytes { arena in
      offsets.withUnsafeBufferPointer { offsets in
        for p in order.indices {
          if let base = arena.baseAddress {
            if p + 16 < order.count { loyalty_prefetch(offsets.baseAddress! + Int(order[p + 16])) }
            if p + 8 < order.count { loyalty_prefetch(base + offsets[Int(order[p + 8])]) }
          }
          let i = Int(order[p])
          let bytes = UnsafeRawBufferPointer(rebasing: arena[offsets[i]..<offsets[i + 1]])
          if distinct.isEmpty || !distinct.lastIs(bytes) { distinct.append(bytes) }
          positionOf[i] = Int32(distinct.count - 1)
        }
      }
    }
    return (distinct, positionOf)
  }

  /// Whether the last element's bytes are `bytes`.
  @inline(__always)
  private func lastIs(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let start = offsets[offsets.count - 2]
    guard arena.count - start == bytes.count else { return false }
    guard bytes.count > 0 else { return true }
    return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, bytes.baseAddress!, bytes.count) == 0 }
  }

  /// The element indexes in byte order of their elements (equal elements side by side).
  public func sortedIndexes(threads: Int = 1) -> [Int32] {
    arena.withUnsafeBytes { arena in
      offsets.withUnsafeBufferPointer { offsets in
        sortedByBytes(arena: arena, offsets: offsets, from: 0, threads: threads) { _ in 0 }
      }
    }
  }

  /// Appends element `i` of `other`.
  @inline(__always)
  public mutating func append(_ i: Int, of other: ByteStrings) {
    other.withBytes(i) { append($0) }
  }

  /// Appends every element of `other`, in order.
  public mutating func append(contentsOf other: ByteStrings) {
    let shift = arena.count
    arena += other.arena
    offsets += other.offsets.dropFirst().lazy.map { $0 + shift }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
