import Testing

@testable import LoyaltyCore

@Suite struct ByteInternerTests {
  /// Strings that share long prefixes, differ only past byte 8, are prefixes of one
  /// another or hold 0 bytes: the cases where the 8-byte prefix alone cannot decide.
  func awkwardStrings(_ count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    let stems = ["", "a", "web:cust", "web:customer-", "M0000000", "\u{0}", "a\u{0}", "\u{0}\u{0}b", "zz"]
    return (0..<count).map { _ in
      stems[Int(rng.next() % UInt64(stems.count))] + String(rng.next() % 1000)
        + (rng.next() % 4 == 0 ? "\u{0}" : "")
    }
  }

  @Test func sortedIdsFollowByteOrder() {
    var interner = ByteInterner()
    let strings = awkwardStrings(100_000, seed: 3)
    for s in strings { _ = interner.intern(s) }
    let expected = Set(strings).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    #expect(interner.sortedIDs().map { interner.string($0) } == expected)
  }
}
