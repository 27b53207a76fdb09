import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Splits member-sized points work over threads. Chunk boundaries depend only on the
/// number of items, never on the thread count; each chunk writes its own slot (or
/// disjoint per-member slots), and callers merge the slots in chunk order. Every merged
/// quantity is an integer sum, so results are identical for any thread count.
enum PointsParallel {
  /// Items per chunk: at least 256, and at most about 256 chunks in all.
  static func chunkSize(items: Int) -> Int { max(256, (items + 255) / 256) }

  /// The chunk ranges of `0..<items`, in order.
  static func chunks(items: Int) -> [Range<Int>] {
    let size = chunkSize(items: items)
    return stride(from: 0, to: items, by: size).map { $0..<min(items, $0 + size) }
  }

  /// The worker count for `threads` (0 or less: one per online core).
  static func workers(threads: Int) -> Int {
    if threads > 0 { return threads }
    let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    return max(1, Int(online))
  }

  /// Computes `work(chunk)` for every chunk of `0..<items` on up to `threads` threads
  /// (worker w takes chunks w, w + T, w + 2T, ...) and returns the results in chunk order.
  static func mapChunks<Partial: Sendable>(
    items: Int, threads: Int, _ work: @Sendable (Range<Int>) -> Partial
  ) -> [Partial] {
    let ranges = chunks(items: items)
    let workerCount = max(1, min(workers(threads: threads), ranges.count))
    if workerCount == 1 { return ranges.map(work) }
    var results = [Partial?](repeating: nil, count: ranges.count)
    results.withUnsafeMutableBufferPointer { buffer in
      let slots = SharedSlots(buffer: buffer)
      DispatchQueue.concurrentPerform(iterations: workerCount) { w in
        var c = w
        while c < ranges.count {
          slots.buffer[c] = work(ranges[c])
          c += workerCount
        }
      }
    }
    return results.map { $0! }
  }
}
