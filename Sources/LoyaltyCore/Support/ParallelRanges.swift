import Dispatch

/// Splits member- or ref-sized work over threads in contiguous ranges. Every caller
/// either writes disjoint slots or returns per-chunk results that are combined in chunk
/// order afterwards, so results are identical for any thread count.
enum ParallelRanges {
  /// `0..<count` cut into `parts` contiguous ranges of near-equal length, in order.
  static func chunks(count: Int, parts: Int) -> [Range<Int>] {
    let parts = max(1, parts)
    return (0..<parts).map { p in (count * p / parts)..<(count * (p + 1) / parts) }
  }

  /// Runs `work` on each chunk of `0..<count`, on up to `threads` threads, and
  /// returns the chunk results in chunk order.
  /// Below `minimum` items (a few thousand by default: a thread costs more than it
  /// saves on small items) it runs on the calling thread alone.
  static func mapChunks<Partial: Sendable>(
    count: Int, threads: Int, minimum: Int = 4096, _ work: @Sendable (Range<Int>) -> Partial
  ) -> [Partial] {
    let parts = count < minimum ? 1 : max(1, min(threads, count))
    let ranges = chunks(count: count, parts: parts)
    if parts == 1 { return [work(ranges[0])] }
    var results = [Partial?](repeating: nil, count: parts)
    results.withUnsafeMutableBufferPointer { buffer in
      let slots = SharedSlots(buffer: buffer)
      DispatchQueue.concurrentPerform(iterations: parts) { p in
        slots.buffer[p] = work(ranges[p])
      }
    }
    return results.map { $0! }
  }

  /// `items.map(transform)`, the items split over up to `threads` threads however few
  /// they are (each is a large piece of work).
  static func map<Item: Sendable, Result: Sendable>(
    _ items: [Item], threads: Int, _ transform: @Sendable (Item) -> Result
  ) -> [Result] {
    mapChunks(count: items.count, threads: threads, minimum: 1) { range in range.map { transform(items[$0]) } }
      .flatMap { $0 }
  }
}

/// A buffer whose slots are written by different threads, each slot by exactly one.
struct SharedSlots<Element>: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Element>
}

/// A value that worker threads only read or call (a pure function over data that
/// stays as it is while they run).
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// Runs `body` with the buffers of four arrays as slots that threads may write (each
/// slot by one thread).
func withSlots<A, B, C, D, R>(
  _ a: inout [A], _ b: inout [B], _ c: inout [C], _ d: inout [D],
  _ body: (SharedSlots<A>, SharedSlots<B>, SharedSlots<C>, SharedSlots<D>) -> R
) -> R {
  a.withUnsafeMutableBufferPointer { a in
    b.withUnsafeMutableBufferPointer { b in
      c.withUnsafeMutableBufferPointer { c in
        d.withUnsafeMutableBufferPointer { d in
          body(SharedSlots(buffer: a), SharedSlots(buffer: b), SharedSlots(buffer: c), SharedSlots(buffer: d))
        }
      }
    }
  }
}

/// `withSlots` for two arrays.
func withSlots<A, B, R>(_ a: inout [A], _ b: inout [B], _ body: (SharedSlots<A>, SharedSlots<B>) -> R) -> R {
  a.withUnsafeMutableBufferPointer { a in
    b.withUnsafeMutableBufferPointer { b in body(SharedSlots(buffer: a), SharedSlots(buffer: b)) }
  }
}
