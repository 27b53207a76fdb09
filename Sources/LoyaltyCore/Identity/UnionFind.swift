/// Disjoint sets over dense `Int32` ids, with path halving and union by size.
public struct UnionFind: Sendable {
  private var parent: [Int32]
  private var size: [Int32]

  public init(count: Int) {
    parent = (0..<Int32(count)).map { $0 }
    size = Array(repeating: 1, count: count)
  }

  /// The representative of `x`'s set.
  @inline(__always)
  public mutating func find(_ x: Int32) -> Int32 {
    var x = x
    while parent[Int(x)] != x {
      let grand = parent[Int(parent[Int(x)])]
      parent[Int(x)] = grand
      x = grand
    }
    return x
  }

  /// Joins the sets of `a` and `b`; returns the new root, or nil when already joined.
  @discardableResult
  public mutating func union(_ a: Int32, _ b: Int32) -> Int32? {
    var ra = find(a)
    var rb = find(b)
    if ra == rb { return nil }
    if size[Int(ra)] < size[Int(rb)] { swap(&ra, &rb) }
    parent[Int(rb)] = ra
    size[Int(ra)] += size[Int(rb)]
    return ra
  }
}
