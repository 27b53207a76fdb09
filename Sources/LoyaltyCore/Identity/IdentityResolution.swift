import CHints

/// How a ref came to belong to its member (SPEC 2), as `identity.csv` names it.
public enum IdentityRule: UInt8, Sendable, CaseIterable {
  /// Alone in its member.
  case single = 0
  /// Mapped by the id map.
  case idMap = 1
  /// Joined by a shared phone hash.
  case phoneHash = 2
  /// Joined by a shared email hash.
  case emailHash = 3

  public var name: String {
    switch self {
    case .single: return "single"
    case .idMap: return "id_map"
    case .phoneHash: return "phone_hash"
    case .emailHash: return "email_hash"
    }
  }
}

/// A linking key value shared by too many refs, which links nothing.
public struct HubKey: Sendable, Equatable {
  /// `phone_hash` or `email_hash`.
  public var key: String
  public var value: String
  /// Distinct refs that carry it.
  public var refs: Int
}

/// Who is who: every ref's member, and how the members were formed.
public struct IdentityResult: Sendable {
  /// Member ids in byte order; a member's index is its position here.
  public var memberIDs: ByteStrings
  /// Member index of each ref id.
  public var memberOfRef: [Int32]
  /// Rule that joined each ref.
  public var ruleOfRef: [IdentityRule]
  /// Ref ids sorted by (channel, customer_ref) bytes.
  public var refsInTupleOrder: [Int32]
  /// Unions that joined two groups, by rule (`id_map`, `phone_hash`, `email_hash`).
  public var mergesByRule: [IdentityRule: Int]
  /// Keys that linked nothing because too many refs carry them, sorted.
  public var hubKeys: [HubKey]
  /// Hash edges not applied because they would join two different mapped member_ids.
  public var linkConflicts: Int
  /// Id map rows whose ref never appears in an accepted order.
  public var mapRowsWithoutOrders: Int
  /// Refs that the id map maps.
  public var mappedRefs: Int

  /// Starts loading `memberOfRef[ref]` and `ruleOfRef[ref]`, for a loop that visits
  /// refs in an order of its own.
  @inline(__always)
  public func prefetchRef(_ ref: Int32) {
    memberOfRef.prefetchElement(Int(ref))
    ruleOfRef.prefetchElement(Int(ref))
  }

  /// Number of refs.
  public var refCount: Int { memberOfRef.count }
  /// Number of members.
  public var memberCount: Int { memberIDs.count }
  /// Groups made one member with another group because both get the same member_id:
  /// a mapped id that reads like another group's `channel:customer_ref`, or two such
  /// names alike (channel `a:b` with ref `c`, channel `a` with ref `b:c`). With the
  /// joins by rule, `members = refs - joins - sameNameJoins`.
  public var sameNameJoins: Int { refCount - mergesByRule.values.reduce(0, +) - memberCount }

  /// Members by number of refs: index i holds the members with i + 1 refs.
  public var refsPerMemberHistogram: [Int] {
    var perMember = [Int](repeating: 0, count: memberIDs.count)
    for m in memberOfRef { perMember[Int(m)] += 1 }
    var histogram: [Int] = []
    for n in perMember {
      while histogram.count < n { histogram.append(0) }
      histogram[n - 1] += 1
    }
    return histogram
  }
}

/// Stage 2 (SPEC 2): joins refs into members with the id map first, then shared
/// linking keys, by union-find.
///
/// The result depends only on the set of refs, keys and map rows: edges are applied
/// in a canonical order (map edges; then for each linking key in config order, key
/// values in byte order, each ref in (channel, customer_ref) byte order joined to the
/// first ref of its key value), never in file order, so shuffled input or any thread
/// count gives the same members.
public enum IdentityResolution {
  /// The refs in (channel, customer_ref) byte order, which the stage links and names
  /// members in. It needs the orders alone, so a run can work it out while the id map
  /// is still being read.
  public struct RefOrder: Sendable {
    /// Ref ids in tuple order.
    public var tupleOrder: [Int32]
    /// Position of each ref id in `tupleOrder`.
    public var tupleRank: [Int32]

    public init(orders: OrderTable, threads: Int = 1) {
      tupleOrder = orders.refsInTupleOrder(threads: threads)
      var rank = [Int32](repeating: 0, count: tupleOrder.count)
      for (position, ref) in tupleOrder.enumerated() { rank[Int(ref)] = Int32(position) }
      tupleRank = rank
    }
  }

  /// The stage; `refOrder`, when given, is `RefOrder(orders:)` worked out beforehand.
  public static func run(
    orders: OrderTable, idMap: IdMap, linkKeys: [String], maxRefsPerKey: Int, threads: Int = 1,
    refOrder: RefOrder? = nil
  ) -> IdentityResult {
    let refCount = orders.refs.count
    let order = refOrder ?? RefOrder(orders: orders, threads: threads)
    precondition(order.tupleOrder.count == refCount, "IdentityResolution: a ref order of other orders")
    let tupleOrder = order.tupleOrder
    let tupleRank = order.tupleRank

    // The id map, resolved to ref ids (in parallel, and in batches: each lookup is a
    // few cache misses); mapped member ids are the map's own ids.
    let refTable = orders.refs
    let channelTable = orders.channels
    let resolved = ParallelRanges.mapChunks(count: idMap.entryCount, threads: threads) { entries in
      var refs = [Int32](repeating: -1, count: entries.count)
      var batch = ByteBatch()
      var positions: [Int] = []
      var ids: [Int32] = []
      func flush() {
        ids.removeAll(keepingCapacity: true)
        refTable.lookup(batch, into: &ids)
        for (k, position) in positions.enumerated() { refs[position] = ids[k] }
        batch.removeAll()
        positions.removeAll(keepingCapacity: true)
      }
      for (position, k) in entries.enumerated() {
        idMap.withEntry(k) { channelBytes, refBytes, _ in
          // A channel no order has: the row resolves to no ref.
          guard let channel = channelTable.lookup(channelBytes) else { return }
          batch.append(channel: channel, customerRef: refBytes)
          positions.append(position)
        }
        if batch.isFull { flush() }
      }
      flush()
      return refs
    }
    var mappedOf = [Int32](repeating: -1, count: refCount)
    var mapRowsWithoutOrders = 0
    var k = 0
    for chunk in resolved {
      for ref in chunk {
        if ref >= 0 { mappedOf[Int(ref)] = idMap.acceptedMembers[k] } else { mapRowsWithoutOrders += 1 }
        k += 1
      }
    }
    let mappedIDs = idMap.memberIDs

    var sets = UnionFind(count: refCount)
    // Mapped member id of each root, -1 when none.
    var rootMapped = mappedOf
    var rule = [IdentityRule](repeating: .single, count: refCount)
    var merges: [IdentityRule: Int] = [:]
    var mappedRefs = 0

    // 1. Refs mapped to the same member_id. No edge of this step can be refused, so
    // the components and the count of joins are the same in any order: refs are taken
    // in id order, which reads `mappedOf` front to back.
    var firstRefOfMapped = [Int32](repeating: -1, count: mappedIDs.count)
    for ref in 0..<Int32(refCount) where mappedOf[Int(ref)] >= 0 {
      mappedRefs += 1
      rule[Int(ref)] = .idMap
      let id = Int(mappedOf[Int(ref)])
      if firstRefOfMapped[id] < 0 {
        firstRefOfMapped[id] = ref
      } else if sets.union(firstRefOfMapped[id], ref) != nil {
        merges[.idMap, default: 0] += 1
      }
    }
    for ref in 0..<Int32(refCount) where mappedOf[Int(ref)] >= 0 {
      rootMapped[Int(sets.find(ref))] = mappedOf[Int(ref)]
    }

    // 2. Shared linking keys.
    var hubs: [HubKey] = []
    var conflicts = 0
    for (k, keyName) in linkKeys.enumerated() {
      let keyRule: IdentityRule = keyName == "email_hash" ? .emailHash : .phoneHash
      // The refs of each value's orders, grouped by value id with a counting sort (ids
      // follow the file, so both passes read and write nearly in order) as (tuple rank,
      // ref) pairs; the groups are then taken in the values' byte order, each sorted
      // and made distinct.
      let values = orders.linkKeyValue[k]
      let valueCount = orders.linkKeys[k].count
      var groupStart = [Int](repeating: 0, count: valueCount + 1)
      for value in values where value >= 0 { groupStart[Int(value) + 1] += 1 }
      for v in 0..<valueCount { groupStart[v + 1] += groupStart[v] }
      var next = groupStart
      var entries = [UInt64](repeating: 0, count: groupStart[valueCount])
      for i in 0..<values.count where values[i] >= 0 {
        let v = Int(values[i])
        let ref = orders.ref[i]
        entries[next[v]] = UInt64(UInt32(tupleRank[Int(ref)])) << 32 | UInt64(UInt32(ref))
        next[v] += 1
      }
      next = []
      let valuesInOrder = orders.linkKeys[k].sortedIDs(from: 0, threads: threads) { _ in 0 }
      // Each value's group is sorted and made distinct in place, on all threads (the
      // groups are disjoint slices of `entries`); only the groups of two or more refs,
      // a few in a value (a ref's orders mostly repeat its own keys), are linked, one
      // after another on this thread.
      let groups = entries.withUnsafeMutableBufferPointer { buffer in
        KeyGroups.find(
          entries: SharedSlots(buffer: buffer), starts: groupStart, valuesInOrder: valuesInOrder,
          maxRefsPerKey: maxRefsPerKey, threads: threads)
      }
      for part in groups {
        for (id, refs) in part.hubs {
          hubs.append(HubKey(key: keyName, value: orders.linkKeys[k].string(id), refs: refs))
        }
      }
      entries.withUnsafeBufferPointer { entries in
        for part in groups {
          for (j, group) in part.linked.enumerated() {
            if j + 8 < part.linked.count { loyalty_prefetch(entries.baseAddress! + part.linked[j + 8].start) }
            let first = Int32(truncatingIfNeeded: entries[group.start])
            for e in (group.start + 1)..<(group.start + group.count) {
              let other = Int32(truncatingIfNeeded: entries[e])
              let ra = sets.find(first)
              let rb = sets.find(other)
              if ra == rb {
                continue
              }
              let ma = rootMapped[Int(ra)]
              let mb = rootMapped[Int(rb)]
              if ma >= 0, mb >= 0, ma != mb {
                conflicts += 1
                continue
              }
              let root = sets.union(ra, rb)!
              rootMapped[Int(root)] = max(ma, mb)
              merges[keyRule, default: 0] += 1
              if rule[Int(first)] == .single { rule[Int(first)] = keyRule }
              if rule[Int(other)] == .single { rule[Int(other)] = keyRule }
            }
          }
        }
      }
    }
    hubs.sort { a, b in
      a.key != b.key ? a.key < b.key : a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }

    var rootOfRef = [Int32](repeating: 0, count: refCount)
    for ref in 0..<refCount { rootOfRef[ref] = sets.find(Int32(ref)) }
    let (memberIDs, memberOfRef) = MemberNaming.name(
      orders: orders, tupleOrder: tupleOrder, rootOfRef: rootOfRef, rootMapped: rootMapped, mappedIDs: mappedIDs,
      threads: threads)
    return IdentityResult(
      memberIDs: memberIDs, memberOfRef: memberOfRef, ruleOfRef: rule, refsInTupleOrder: tupleOrder,
      mergesByRule: merges, hubKeys: hubs, linkConflicts: conflicts, mapRowsWithoutOrders: mapRowsWithoutOrders,
      mappedRefs: mappedRefs)
  }
}

/// The groups of one linking key's values that link or are hubs, found on a share of
/// the values in byte order: each value's (tuple rank, ref) entries sorted and made
/// distinct in place.
struct KeyGroups: Sendable {
  /// Values whose distinct refs are more than `maxRefsPerKey`: (value id, refs).
  var hubs: [(id: Int32, refs: Int)] = []
  /// Groups of two or more distinct refs (and no hub), in the values' byte order: the
  /// start of the group's distinct entries in `entries`, and their count.
  var linked: [(start: Int, count: Int)] = []

  static func find(
    entries: SharedSlots<UInt64>, starts: [Int], valuesInOrder: [Int32], maxRefsPerKey: Int, threads: Int
  ) -> [KeyGroups] {
    ParallelRanges.mapChunks(count: valuesInOrder.count, threads: threads) { share in
      var found = KeyGroups()
      // Each visit asks for the group's bounds 16 values on, and for its entries 8 on.
      for p in share {
        if p + 16 < share.upperBound { starts.prefetchElement(Int(valuesInOrder[p + 16])) }
        if p + 8 < share.upperBound {
          loyalty_prefetch(entries.buffer.baseAddress! + starts[Int(valuesInOrder[p + 8])])
        }
        let id = valuesInOrder[p]
        let range = starts[Int(id)]..<starts[Int(id) + 1]
        guard range.count > 1 else {
          if range.count > maxRefsPerKey { found.hubs.append((id, range.count)) }
          continue
        }
        let slice = UnsafeMutableBufferPointer(rebasing: entries.buffer[range])
        IdentityResolution.sortSmall(slice)
        var distinct = 1
        for j in 1..<slice.count where slice[j] != slice[distinct - 1] {
          slice[distinct] = slice[j]
          distinct += 1
        }
        if distinct > maxRefsPerKey {
          found.hubs.append((id, distinct))
        } else if distinct > 1 {
          found.linked.append((range.lowerBound, distinct))
        }
      }
      return found
    }
  }
}

extension IdentityResolution {
  /// Sorts `slice` in place: by insertion when it is short, as a value's group nearly
  /// always is (a ref's orders repeat its keys), else by the standard sort.
  static func sortSmall(_ slice: UnsafeMutableBufferPointer<UInt64>) {
    var slice = slice
    guard slice.count > 16 else {
      for j in slice.indices.dropFirst() {
        let x = slice[j]
        var i = j
        while i > 0 && slice[i - 1] > x {
          slice[i] = slice[i - 1]
          i -= 1
        }
        slice[i] = x
      }
      return
    }
    slice.sort()
  }
}

/// Names the components (SPEC 2): a component's member_id is its mapped id, else
/// channel:customer_ref of its smallest ref; components with equal names (a mapped id
/// that reads like another component's channel:customer_ref) are one member.
///
/// Two lists already in byte order are merged, instead of sorting a name per
/// component: the mapped ids in use (the id map's ids, sorted), and the unmapped
/// components' names met in tuple order of their first refs. Tuple order compares the
/// channel, then the customer_ref, which is the byte order of `channel:customer_ref`
/// unless one channel is the start of another followed by a byte below `:` (say `web`
/// and `web-2`); with such channels the unmapped names are sorted instead. With more
/// than one thread the merge is cut into parts at names (see `mergeCuts`), each merged
/// on its own thread, and the parts' members are numbered one after the other.
enum MemberNaming {
  static func name(
    orders: OrderTable, tupleOrder: [Int32], rootOfRef: [Int32], rootMapped: [Int32], mappedIDs: ByteInterner,
    threads: Int, splitMinimum: Int = 1 << 16
  ) -> (memberIDs: ByteStrings, memberOfRef: [Int32]) {
    let refCount = rootOfRef.count
    // The unmapped components' first refs in tuple order, each root's place among
    // them, and which mapped ids some component holds.
    var unmappedIndex = [Int32](repeating: -1, count: refCount)
    var firstRefs: [Int32] = []
    firstRefs.reserveCapacity(refCount)
    var mappedInUse = [Bool](repeating: false, count: mappedIDs.count)
    for (k, ref) in tupleOrder.enumerated() {
      if k + 16 < tupleOrder.count { rootOfRef.prefetchElement(Int(tupleOrder[k + 16])) }
      let root = Int(rootOfRef[Int(ref)])
      if rootMapped[root] >= 0 {
        mappedInUse[Int(rootMapped[root])] = true
      } else if unmappedIndex[root] < 0 {
        unmappedIndex[root] = Int32(firstRefs.count)
        firstRefs.append(ref)
      }
    }
    let mappedOrder = mappedIDs.sortedIDs(from: 0, threads: threads) { _ in 0 }.filter { mappedInUse[Int($0)] }
    mappedInUse = []
    // Unmapped names as (head, colon, tail): the ref's channel and customer_ref in
    // tuple order, or, when that order is not byte order, the names sorted and made
    // distinct (`sortedPosition` maps each first ref to its name).
    let (sortedNames, sortedPosition): (ByteStrings?, [Int32]) = {
      guard !channelsKeepTupleOrder(orders.channels) else { return (nil, []) }
      var names = ByteStrings()
      names.reserve(count: firstRefs.count, bytes: firstRefs.count * 16)
      for ref in firstRefs {
        orders.withRefParts(ref) { channel, customerRef in names.append(channel, ":", customerRef) }
      }
      return names.sortedDistinct(threads: threads)
    }()
    let unmapped = UnmappedNames(orders: orders, firstRefs: firstRefs, sortedNames: sortedNames)
    // The merge: equal names become one member, numbered in byte order. The two lists
    // are cut at the same names into parts, merged on their own threads.
    var memberOfMapped = [Int32](repeating: -1, count: mappedIDs.count)
    var memberOfUnmapped = [Int32](repeating: -1, count: unmapped.count)
    let cuts = mergeCuts(
      mapped: mappedOrder, mappedIDs: mappedIDs, unmapped: unmapped,
      parts: mappedOrder.count + unmapped.count >= splitMinimum ? threads : 1)
    // The first part's names become the member ids, with room for the others'.
    let nameCount = mappedOrder.count + unmapped.count
    let byteCount = orders.refs.byteCount + firstRefs.count
    var parts = memberOfMapped.withUnsafeMutableBufferPointer { ofMapped in
      memberOfUnmapped.withUnsafeMutableBufferPointer { ofUnmapped in
        let slots = (mapped: SharedSlots(buffer: ofMapped), unmapped: SharedSlots(buffer: ofUnmapped))
        return ParallelRanges.map(Array(cuts.indices.dropLast()), threads: threads) { p in
          let (mappedRange, unmappedRange) = (
            cuts[p].mapped..<cuts[p + 1].mapped, cuts[p].unmapped..<cuts[p + 1].unmapped
          )
          let share = mappedRange.count + unmappedRange.count
          return mergePart(
            mapped: mappedOrder, mappedRange, mappedIDs: mappedIDs, unmapped: unmapped, unmappedRange,
            memberOfMapped: slots.mapped, memberOfUnmapped: slots.unmapped,
            reserving: p == 0 ? (nameCount, byteCount) : (share, byteCount / max(1, nameCount) * share + share))
        }
      }
    }
    // Each part numbered its members from 0; the parts after the first move theirs on.
    let firsts = parts.indices.map { p in Int32(parts[..<p].reduce(0) { $0 + $1.count }) }
    var memberIDs = ByteStrings()
    swap(&memberIDs, &parts[0])
    for part in parts.dropFirst() { memberIDs.append(contentsOf: part) }
    memberOfMapped.withUnsafeMutableBufferPointer { ofMapped in
      memberOfUnmapped.withUnsafeMutableBufferPointer { ofUnmapped in
        let slots = (mapped: SharedSlots(buffer: ofMapped), unmapped: SharedSlots(buffer: ofUnmapped))
        _ = ParallelRanges.map(Array(firsts.indices.dropFirst()), threads: threads) { p in
          for i in cuts[p].mapped..<cuts[p + 1].mapped { slots.mapped.buffer[Int(mappedOrder[i])] += firsts[p] }
          for j in cuts[p].unmapped..<cuts[p + 1].unmapped { slots.unmapped.buffer[j] += firsts[p] }
        }
      }
    }
    var memberOfRef = [Int32](repeating: 0, count: refCount)
    memberOfRef.withUnsafeMutableBufferPointer { buffer in
      let slots = SharedSlots(buffer: buffer)
      let (ofMapped, ofUnmapped, indexOfRoot) = (memberOfMapped, memberOfUnmapped, unmappedIndex)
      _ = ParallelRanges.mapChunks(count: refCount, threads: threads, minimum: splitMinimum) { refs in
        for ref in refs {
          let root = Int(rootOfRef[ref])
          if rootMapped[root] >= 0 {
            slots.buffer[ref] = ofMapped[Int(rootMapped[root])]
          } else {
            let k = Int(indexOfRoot[root])
            slots.buffer[ref] = ofUnmapped[sortedNames == nil ? k : Int(sortedPosition[k])]
          }
        }
      }
    }
    return (memberIDs, memberOfRef)
  }

  /// The unmapped components' names in byte order: name `j` is channel:customer_ref of
  /// first ref `j` (tuple order is byte order), or element `j` of `sortedNames`.
  struct UnmappedNames: Sendable {
    let orders: OrderTable
    let firstRefs: [Int32]
    let sortedNames: ByteStrings?

    var count: Int { sortedNames?.count ?? firstRefs.count }

    /// Calls `body` with name `j` as (head, whether a `:` follows it, tail).
    func withName<R>(_ j: Int, _ body: (UnsafeRawBufferPointer, Bool, UnsafeRawBufferPointer) -> R) -> R {
      if let sortedNames {
        return sortedNames.withBytes(j) { body($0, false, UnsafeRawBufferPointer(start: nil, count: 0)) }
      }
      return orders.withRefParts(firstRefs[j]) { channel, customerRef in body(channel, true, customerRef) }
    }

    /// -1, 0 or 1 as `name` sorts before, equal to or after name `j`.
    func compare(_ name: UnsafeRawBufferPointer, _ j: Int) -> Int {
      withName(j) { head, colon, tail in compareName(name, head, colon, tail) }
    }
  }

  /// Where the merge is cut into `parts` (the first cut at the lists' starts, the last
  /// at their ends): each cut in the longer list is an even share of it, and in the
  /// other the first name not before the name cut at, so that equal names fall in one
  /// part and every name of a part sorts before the next part's.
  static func mergeCuts(mapped: [Int32], mappedIDs: ByteInterner, unmapped: UnmappedNames, parts: Int)
    -> [(mapped: Int, unmapped: Int)]
  {
    var cuts = [(mapped: 0, unmapped: 0)]
    let parts = mapped.isEmpty && unmapped.count == 0 ? 1 : parts
    /// The first index of `range` where `isAtOrAfter` holds (it holds from some index on).
    func firstIndex(in range: Range<Int>, where isAtOrAfter: (Int) -> Bool) -> Int {
      var (low, high) = (range.lowerBound, range.upperBound)
      while low < high {
        let middle = (low + high) / 2
        if isAtOrAfter(middle) { high = middle } else { low = middle + 1 }
      }
      return low
    }
    for p in 1..<max(1, parts) {
      let last = cuts[cuts.count - 1]
      if mapped.count >= unmapped.count {
        let i = mapped.count * p / parts
        let j = mappedIDs.withBytes(mapped[i]) { name in
          firstIndex(in: last.unmapped..<unmapped.count) { unmapped.compare(name, $0) <= 0 }
        }
        cuts.append((i, j))
      } else {
        let j = unmapped.count * p / parts
        let i = firstIndex(in: last.mapped..<mapped.count) { i in
          mappedIDs.withBytes(mapped[i]) { unmapped.compare($0, j) >= 0 }
        }
        cuts.append((i, j))
      }
    }
    cuts.append((mapped.count, unmapped.count))
    return cuts
  }

  /// Merges `mapped[mappedRange]` with the unmapped names `unmappedRange`: the part's
  /// member names (with room for `reserving` made first), each member numbered from 0
  /// in `memberOfMapped` (by mapped id) and `memberOfUnmapped` (by name).
  static func mergePart(
    mapped mappedOrder: [Int32], _ mappedRange: Range<Int>, mappedIDs: ByteInterner, unmapped: UnmappedNames,
    _ unmappedRange: Range<Int>, memberOfMapped: SharedSlots<Int32>, memberOfUnmapped: SharedSlots<Int32>,
    reserving: (count: Int, bytes: Int)
  ) -> ByteStrings {
    var names = ByteStrings()
    names.reserve(count: reserving.count, bytes: reserving.bytes)
    var i = mappedRange.lowerBound
    var j = unmappedRange.lowerBound
    while i < mappedRange.upperBound || j < unmappedRange.upperBound {
      // The refs ahead are read in tuple order, so their slots and bytes are fetched ahead.
      if unmapped.sortedNames == nil {
        if j + 16 < unmappedRange.upperBound { unmapped.orders.prefetchRef(unmapped.firstRefs[j + 16], bytes: false) }
        if j + 8 < unmappedRange.upperBound { unmapped.orders.prefetchRef(unmapped.firstRefs[j + 8], bytes: true) }
      }
      let member = Int32(names.count)
      let order =
        i == mappedRange.upperBound
        ? 1
        : j == unmappedRange.upperBound
          ? -1
          : mappedIDs.withBytes(mappedOrder[i]) { unmapped.compare($0, j) }
      if order <= 0 {
        mappedIDs.withBytes(mappedOrder[i]) { names.append($0) }
        memberOfMapped.buffer[Int(mappedOrder[i])] = member
        i += 1
      }
      if order >= 0 {
        if order > 0 {
          unmapped.withName(j) { head, colon, tail in
            if colon { names.append(head, ":", tail) } else { names.append(head) }
          }
        }
        memberOfUnmapped.buffer[j] = member
        j += 1
      }
    }
    return names
  }

  /// Whether tuple order (channel bytes, then customer_ref bytes) is the byte order of
  /// the names `channel:customer_ref`: it is unless a channel is the start of another
  /// whose next byte sorts at or below `:`.
  static func channelsKeepTupleOrder(_ channels: ByteInterner) -> Bool {
    let names = (0..<Int32(channels.count)).map { id in channels.withBytes(id) { Array($0) } }
    for a in names {
      for b in names where b.count > a.count && b.starts(with: a) {
        if b[a.count] <= UInt8(ascii: ":") { return false }
      }
    }
    return true
  }

  /// -1, 0 or 1 as `name` sorts before, equal to or after `head` (then `:` when
  /// `colon`) then `tail`, in byte order (a shorter prefix first): each part is
  /// compared against the next bytes of `name`.
  static func compareName(
    _ name: UnsafeRawBufferPointer, _ head: UnsafeRawBufferPointer, _ colon: Bool, _ tail: UnsafeRawBufferPointer
  ) -> Int {
    var rest = name
    /// Compares `part` with the next bytes of `rest`, and moves past them when equal.
    func next(_ part: UnsafeRawBufferPointer) -> Int {
      let n = min(rest.count, part.count)
      if n > 0 {
        let c = memcmp(rest.baseAddress!, part.baseAddress!, n)
        if c != 0 { return c < 0 ? -1 : 1 }
      }
      if rest.count < part.count { return -1 }
      rest = UnsafeRawBufferPointer(rebasing: rest[part.count...])
      return 0
    }
    var order = next(head)
    if order == 0 && colon {
      var separator = UInt8(ascii: ":")
      order = withUnsafeBytes(of: &separator) { next($0) }
    }
    if order == 0 { order = next(tail) }
    return order != 0 ? order : rest.isEmpty ? 0 : 1
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
