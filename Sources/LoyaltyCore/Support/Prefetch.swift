import CHints

extension Array {
  /// Starts loading element `i` (which must be in range) for a later read: how a loop
  /// that visits a large column in an order of its own asks for the rows ahead, so that
  /// their cache misses overlap.
  @inline(__always)
  func prefetchElement(_ i: Int) {
    withUnsafeBufferPointer { loyalty_prefetch($0.baseAddress! + i) }
  }
}
