import Testing

@testable import LoyaltyCore

@Suite struct ByteInternerTests {
  /// Strings that share long prefixes, differ only past byte 8 or byte 16, are prefixes
  /// of one another or hold 0 bytes: the cases where the 16-byte prefix alone cannot
  /// decide.
  func awkwardStrings(_ count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    let stems = [
      "", "a", "web:cust", "web:customer-", "M0000000", "channel:customer-ref-", "\u{0}", "a\u{0}", "\u{0}\u{0}b", "zz",
    ]
    return (0..<count).map { _ in
      stems[Int(rng.next() % UInt64(stems.count))] + String(rng.next() % 1000)
        + (rng.next() % 4 == 0 ? "\u{0}" : "")
    }
  }

  @Test func theHashSeesEveryByteOfEveryLength() {
    // Every length up to three words and a bit, every byte position changed in turn:
    // the tail is read as overlapping words, so no byte may fall outside them.
    for n in 0...27 {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: 31 &* $0 &+ 7) }
      let base = bytes.withUnsafeBytes { ByteHash.hash64($0, seed: 42) }
      #expect(Array(bytes).withUnsafeBytes { ByteHash.hash64($0, seed: 42) } == base)
      var seen: Set<UInt64> = [base]
      for k in 0..<n {
        var changed = bytes
        changed[k] ^= 0x01
        seen.insert(changed.withUnsafeBytes { ByteHash.hash64($0, seed: 42) })
      }
      #expect(seen.count == n + 1, "length \(n)")
      // A zero byte more is another string.
      #expect((bytes + [0]).withUnsafeBytes { ByteHash.hash64($0, seed: 42) } != base)
    }
  }

  @Test func thePairedHashIsTwoHashes() {
    for n in 0...27 {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: 57 &* $0 &+ 3) }
      bytes.withUnsafeBytes { raw in
        let pair = ByteHash.hash64x2(raw, seed0: 7, seed1: 0x1319_8A2E_0370_7344)
        #expect(pair.0 == ByteHash.hash64(raw, seed: 7), "length \(n)")
        #expect(pair.1 == ByteHash.hash64(raw, seed: 0x1319_8A2E_0370_7344), "length \(n)")
      }
    }
  }

  /// Channels found by their words: every short length, strings that differ in one byte
  /// or only in length (a zero byte more), and strings too long or too many to hold.
  @Test func shortStringIdsFindWhatWasAddedAndNothingElse() {
    var known = ShortStringIDs()
    var added: [[UInt8]] = []
    for n in [1, 2, 3, 4, 7, 8] {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: 97 + $0) }
      bytes.withUnsafeBytes { known.add($0, id: Int32(n)) }
      added.append(bytes)
    }
    // Room for two more: 9 and 16 bytes; the third is not kept.
    for n in [9, 16, 12] {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: 65 + $0) }
      bytes.withUnsafeBytes { known.add($0, id: Int32(100 + n)) }
    }
    for bytes in added {
      #expect(bytes.withUnsafeBytes { known.id(of: $0) } == Int32(bytes.count))
      for k in bytes.indices {
        var changed = bytes
        changed[k] ^= 0x01
        #expect(changed.withUnsafeBytes { known.id(of: $0) } == nil)
      }
      #expect((bytes + [0]).withUnsafeBytes { known.id(of: $0) } == nil)
      // One byte shorter: found only as the string of that length added itself.
      let shorter = bytes.count - 1
      let expected: Int32? = [1, 2, 3, 4, 7].contains(shorter) ? Int32(shorter) : nil
      #expect(Array(bytes.dropLast()).withUnsafeBytes { known.id(of: $0) } == expected)
    }
    for n in [9, 16] {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: 65 + $0) }
      #expect(bytes.withUnsafeBytes { known.id(of: $0) } == Int32(100 + n))
      var changed = bytes
      changed[n - 1] ^= 0x01
      #expect(changed.withUnsafeBytes { known.id(of: $0) } == nil)
    }
    #expect((0..<12).map { UInt8(65 + $0) }.withUnsafeBytes { known.id(of: $0) } == nil)
    #expect((0..<17).map { UInt8(65 + $0) }.withUnsafeBytes { known.id(of: $0) } == nil)
    #expect([UInt8]().withUnsafeBytes { known.id(of: $0) } == nil)
  }

  @Test func sortedIdsFollowByteOrder() {
    var interner = ByteInterner()
    let strings = awkwardStrings(100_000, seed: 3)
    for s in strings { _ = interner.intern(s) }
    let expected = Set(strings).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    #expect(interner.sortedIDs().map { interner.string($0) } == expected)
  }

  @Test func bothThreadsSortLikeOne() {
    var interner = ByteInterner()
    for (i, s) in awkwardStrings(150_000, seed: 4).enumerated() { _ = interner.intern(s + String(i % 90_000)) }
    #expect(interner.count >= 1 << 16)
    let one = interner.sortedIDs(from: 0, threads: 1) { UInt32($0 % 3) }
    #expect(interner.sortedIDs(from: 0, threads: 2) { UInt32($0 % 3) } == one)
    #expect(interner.sortedIDs(from: 2, threads: 2) { _ in 0 } == interner.sortedIDs(from: 2, threads: 1) { _ in 0 })
  }

  /// The radix sort against a comparison sort of (major, bytes, index): majors far
  /// apart and close, repeated strings (which keep index order), strings equal in
  /// their first 16 bytes, prefixes of one another and 0 bytes; splits inside the
  /// second word and across the two (tens of thousands sharing 13 bytes, differing at
  /// bytes 7, 8 and 15), on bytes of 0x80 and above at the start of either word (a
  /// digit that starts on a word's first bit); on one to five threads.
  @Test func sortedByBytesMatchesAComparisonSort() {
    var rng = SplitMix64(seed: 11)
    var strings = awkwardStrings(90_000, seed: 12)
    for i in 0..<3_000 { strings.append("customer-reference-" + String(i % 700)) }
    for i in 0..<40_000 {
      let a = Character(UnicodeScalar(UInt8(48 + i % 7)))
      let b = Character(UnicodeScalar(UInt8(48 + i / 7 % 11)))
      let c = Character(UnicodeScalar(UInt8(48 + i / 77 % 13)))
      strings.append("custome\(a)\(b)-refer\(c)" + (i % 3 == 0 ? "x" : ""))
    }
    for i in 0..<6_000 { strings.append((i % 2 == 0 ? "é" : "\u{7F}") + "abcdé" + String(i % 1_500)) }
    for i in 0..<24_000 { strings.append("prefix08" + (i % 2 == 0 ? "é" : "a") + String(i % 5_000)) }
    let bytes = strings.map { Array($0.utf8) }
    var arena: [UInt8] = []
    var offsets = [0]
    for b in bytes {
      arena += b
      offsets.append(arena.count)
    }
    let majors = strings.indices.map { _ in
      rng.next() % 7 == 0 ? UInt32.max - UInt32(rng.next() % 2) : UInt32(rng.next() % 4)
    }
    let expected = strings.indices.sorted { a, b in
      if majors[a] != majors[b] { return majors[a] < majors[b] }
      if bytes[a] != bytes[b] { return bytes[a].lexicographicallyPrecedes(bytes[b]) }
      return a < b
    }.map(Int32.init)
    for threads in [1, 2, 3, 5] {
      let sorted = arena.withUnsafeBytes { arena in
        offsets.withUnsafeBufferPointer { offsets in
          sortedByBytes(arena: arena, offsets: offsets, from: 0, threads: threads) { majors[Int($0)] }
        }
      }
      // The first place where they differ, rather than two arrays of 163,000 in a failure.
      #expect(sorted.count == expected.count)
      #expect(sorted.indices.first { sorted[$0] != expected[$0] } == nil)
    }
  }

  @Test func byteStringsSortWithEqualElementsSideBySide() {
    let strings = awkwardStrings(120_000, seed: 5)
    let list = ByteStrings(strings)
    #expect(list.count == strings.count)
    #expect(list[7] == strings[7])
    let expected = strings.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    for threads in [1, 2] {
      let order = list.sortedIndexes(threads: threads)
      #expect(order.map { list[Int($0)] } == expected)
      // The distinct strings in byte order, each element pointing at its own.
      let (distinct, positionOf) = list.sortedDistinct(threads: threads)
      #expect(Array(distinct) == Set(strings).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
      #expect(strings.indices.allSatisfy { distinct[Int(positionOf[$0])] == strings[$0] })
    }
    let none = ByteStrings().sortedDistinct(threads: 2)
    #expect(none.distinct.isEmpty && none.positionOf.isEmpty)
    let empties = ByteStrings(["", "", "b", ""]).sortedDistinct()
    #expect(Array(empties.distinct) == ["", "b"] && empties.positionOf == [0, 0, 1, 0])
  }

  /// Dropping ids keeps the others' bytes and order, with ids from 0 on: each kept
  /// string is found under its new id, a dropped one is not found and is interned anew
  /// after the rest, and the table takes more strings as before.
  @Test func removingIdsKeepsTheRestInOrder() {
    var interner = ByteInterner(capacity: 4)
    let strings = (0..<300).map { "s\($0)" + String(repeating: "x", count: $0 % 23) }
    for s in strings { _ = interner.intern(s) }
    let keep = strings.indices.map { $0 % 3 != 1 && $0 != 0 }
    let newID = interner.removeAll(except: keep)
    let kept = strings.indices.filter { keep[$0] }.map { strings[$0] }
    #expect(interner.count == kept.count)
    #expect((0..<Int32(kept.count)).map { interner.string($0) } == kept)
    for (old, s) in strings.enumerated() {
      #expect(interner.lookup(s) == (keep[old] ? newID[old] : nil))
      #expect(newID[old] == (keep[old] ? Int32(kept.firstIndex(of: s)!) : -1))
    }
    #expect(interner.intern(strings[1]) == Int32(kept.count))
    for s in (0..<2000).map({ "more\($0)" }) { _ = interner.intern(s) }
    #expect(interner.count == kept.count + 2001)
    #expect(interner.lookup(strings[2]) == 0)
    // Dropping nothing changes nothing; dropping everything empties it.
    var all = ByteInterner()
    for s in strings { _ = all.intern(s) }
    #expect(all.removeAll(except: strings.map { _ in true }) == (0..<Int32(300)).map { $0 })
    #expect(all.removeAll(except: strings.map { _ in false }) == Array(repeating: -1, count: 300))
    #expect(all.count == 0 && all.byteCount == 0 && all.lookup(strings[5]) == nil)
  }

  @Test func batchesGiveTheIdsOfOneAtATime() {
    // Starts small, so that batches grow the table on the way; repeats and new strings
    // are mixed within batches, and some strings come twice in one batch.
    let strings = awkwardStrings(40_000, seed: 6)
    var single = ByteInterner(capacity: 4)
    let expected = strings.map { single.intern($0) }
    var batched = ByteInterner(capacity: 4)
    var batch = ByteBatch()
    var ids: [Int32] = []
    for s in strings {
      var copy = s
      copy.withUTF8 { batch.append(UnsafeRawBufferPointer($0)) }
      if batch.isFull {
        batched.intern(batch, into: &ids)
        batch.removeAll()
      }
    }
    batched.intern(batch, into: &ids)
    #expect(ids == expected)
    #expect(batched.count == single.count)
    #expect((0..<Int32(batched.count)).allSatisfy { batched.string($0) == single.string($0) })

    // Look-ups: interned strings give their ids, others -1.
    var probe = ByteBatch()
    for s in ["web:customer-17", strings[5], "not there", strings[39_999]] {
      var copy = s
      copy.withUTF8 { probe.append(UnsafeRawBufferPointer($0)) }
    }
    var found: [Int32] = []
    batched.lookup(probe, into: &found)
    #expect(found == [single.lookup("web:customer-17") ?? -1, expected[5], -1, expected[39_999]])
  }

  /// Strings far longer than a batch's first room (up to 40 KB in one batch), among
  /// short and empty ones, and a batch used again after `removeAll`.
  @Test func batchesTakeLongStrings() {
    var rng = SplitMix64(seed: 12)
    let strings = (0..<300).map { k -> [UInt8] in
      let length = k % 7 == 0 ? 0 : Int(rng.next() % (k % 3 == 0 ? 40_000 : 40))
      return (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next() % 5 + 97) }
    }
    var single = ByteInterner(capacity: 4)
    let expected = strings.map { bytes in bytes.withUnsafeBytes { single.intern($0) } }
    var batched = ByteInterner(capacity: 4)
    var batch = ByteBatch()
    var ids: [Int32] = []
    for bytes in strings {
      bytes.withUnsafeBytes { batch.append($0) }
      if batch.isFull {
        batched.intern(batch, into: &ids)
        batch.removeAll()
      }
    }
    batched.intern(batch, into: &ids)
    #expect(ids == expected)
  }

  @Test func refKeysInABatchAreTheChannelIdThenTheRef() {
    // The layout the ref readers rely on: 4 bytes of channel id, little-endian, then
    // customer_ref (read from offset 4).
    var interner = ByteInterner()
    let withRef = ([3, 0, 0, 0] + Array("w1-0".utf8)).withUnsafeBytes { interner.intern($0) }
    let empty = [UInt8]([3, 0, 0, 0]).withUnsafeBytes { interner.intern($0) }
    var batch = ByteBatch()
    var ref = "w1-0"
    ref.withUTF8 { batch.append(channel: 3, customerRef: UnsafeRawBufferPointer($0)) }
    batch.append(channel: 3, customerRef: UnsafeRawBufferPointer(start: nil, count: 0))
    var ids: [Int32] = []
    interner.intern(batch, into: &ids)
    #expect(ids == [withRef, empty])
    #expect(interner.count == 2)
    #expect(interner.string(withRef, from: 4) == "w1-0")
  }
}
