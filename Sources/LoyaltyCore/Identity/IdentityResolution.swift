/// How a ref came to belong to its member (SPEC 2), as `identity.csv` names it.
public enum IdentityRule: UInt8, Sendable {
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

  /// Number of refs.
  public var refCount: Int { memberOfRef.count }
  /// Number of members.
  public var memberCount: Int { memberIDs.count }

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
  public static func run(
    orders: OrderTable, idMap: IdMap, linkKeys: [String], maxRefsPerKey: Int, threads: Int = 1
  ) -> IdentityResult {
    let refCount = orders.refs.count
    let tupleOrder = orders.refsInTupleOrder(threads: threads)
    var tupleRank = [Int32](repeating: 0, count: refCount)
    for (position, ref) in tupleOrder.enumerated() { tupleRank[Int(ref)] = Int32(position) }

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

    // 1. Refs mapped to the same member_id.
    var firstRefOfMapped = [Int32](repeating: -1, count: mappedIDs.count)
    for ref in tupleOrder where mappedOf[Int(ref)] >= 0 {
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
      let valuesInOrder = orders.linkKeys[k].sortedIDs()
      var valueRank = [Int32](repeating: 0, count: valuesInOrder.count)
      for (position, id) in valuesInOrder.enumerated() { valueRank[Int(id)] = Int32(position) }
      // (value rank, ref tuple rank) pairs, packed for one sort.
      var pairs: [UInt64] = []
      let values = orders.linkKeyValue[k]
      pairs.reserveCapacity(values.count)
      for i in 0..<values.count where values[i] >= 0 {
        pairs.append(UInt64(UInt32(valueRank[Int(values[i])])) << 32 | UInt64(UInt32(tupleRank[Int(orders.ref[i])])))
      }
      pairs.sort()
      var start = 0
      while start < pairs.count {
        let value = pairs[start] >> 32
        var end = start
        var group: [Int32] = []
        while end < pairs.count, pairs[end] >> 32 == value {
          let ref = tupleOrder[Int(UInt32(truncatingIfNeeded: pairs[end]))]
          if group.last != ref { group.append(ref) }
          end += 1
        }
        if group.count > maxRefsPerKey {
          hubs.append(
            HubKey(key: keyName, value: orders.linkKeys[k].string(valuesInOrder[Int(value)]), refs: group.count))
        } else if group.count > 1 {
          let first = group[0]
          for other in group.dropFirst() {
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
        start = end
      }
    }
    hubs.sort { a, b in
      a.key != b.key ? a.key < b.key : a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }

    // Member id of each component: its mapped id, else channel:customer_ref of its
    // smallest ref (the first in tuple order). The names are written once per
    // component, walking the refs in id order (so the refs' bytes are read front to
    // back), then sorted by bytes; components with equal names (a mapped id that reads
    // like another component's channel:customer_ref) are one member.
    var rootOfRef = [Int32](repeating: 0, count: refCount)
    for ref in 0..<refCount { rootOfRef[ref] = sets.find(Int32(ref)) }
    // The tuple rank of each component's first ref, kept at its root.
    var firstRank = [Int32](repeating: Int32.max, count: refCount)
    for ref in 0..<refCount {
      let root = Int(rootOfRef[ref])
      firstRank[root] = min(firstRank[root], tupleRank[ref])
    }
    var componentOfRoot = [Int32](repeating: -1, count: refCount)
    var names = ByteStrings()
    names.reserve(count: refCount, bytes: orders.refs.byteCount + refCount)
    for ref in 0..<refCount {
      let root = Int(rootOfRef[ref])
      guard tupleRank[ref] == firstRank[root] else { continue }
      componentOfRoot[root] = Int32(names.count)
      if rootMapped[root] >= 0 {
        mappedIDs.withBytes(rootMapped[root]) { names.append($0) }
      } else {
        orders.withRefParts(Int32(ref)) { channel, customerRef in names.append(channel, ":", customerRef) }
      }
    }
    let (memberIDs, memberOfComponent) = names.sortedDistinct(threads: threads)
    var memberOfRef = [Int32](repeating: 0, count: refCount)
    for ref in 0..<refCount {
      memberOfRef[ref] = memberOfComponent[Int(componentOfRoot[Int(rootOfRef[ref])])]
    }
    return IdentityResult(
      memberIDs: memberIDs, memberOfRef: memberOfRef, ruleOfRef: rule, refsInTupleOrder: tupleOrder,
      mergesByRule: merges, hubKeys: hubs, linkConflicts: conflicts, mapRowsWithoutOrders: mapRowsWithoutOrders,
      mappedRefs: mappedRefs)
  }
}
