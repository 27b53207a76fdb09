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
  static func mapChunks<Partial: Sendable>(
    count: Int, threads: Int, _ work: @Sendable (Range<Int>) -> Partial
  ) -> [Partial] {
    // Below a few thousand items a thread costs more than it saves.
    let parts = count < 4096 ? 1 : max(1, min(threads, count))
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
