import Testing

@testable import LoyaltyCore

private let header =
  "order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time,phone_hash,email_hash\n"

private func resolve(_ rows: [String], map: String? = nil, maxRefs: Int = 20) throws -> (IdentityResult, OrderTable) {
  let orders = try OrderIngest.run(
    paths: [temporaryFile(header + rows.joined(separator: "\n") + "\n")], config: InputConfig(),
    linkKeys: ["phone_hash", "email_hash"], asOf: Day("2026-10-31")!)
  let idMap =
    try map.map { try IdMap.read(path: temporaryFile("channel,customer_ref,member_id\n" + $0, name: "map.csv")) }
    ?? IdMap()
  let identity = IdentityResolution.run(
    orders: orders.orders, idMap: idMap, linkKeys: ["phone_hash", "email_hash"], maxRefsPerKey: maxRefs)
  return (identity, orders.orders)
}

/// member_id of each ref, keyed "channel:ref", sorted.
private func membership(_ r: (IdentityResult, OrderTable)) -> [String] {
  (0..<Int32(r.1.refs.count)).map { ref in
    let p = r.1.refParts(ref)
    return
      "\(p.channel):\(p.customerRef)=\(r.0.memberIDs[Int(r.0.memberOfRef[Int(ref)])])/\(r.0.ruleOfRef[Int(ref)].name)"
  }.sorted()
}

@Suite struct IdentityResolutionTests {
  @Test func sharedPhoneJoinsRefsAndSmallestRefNamesTheMember() throws {
    let r = try resolve([
      "1,web,w2,2026-01-01,1,,,,p1,", "2,app,a1,2026-01-01,1,,,,p1,", "3,web,w9,2026-01-01,1,,,,,",
    ])
    #expect(membership(r) == ["app:a1=app:a1/phone_hash", "web:w2=app:a1/phone_hash", "web:w9=web:w9/single"])
    #expect(r.0.mergesByRule[.phoneHash] == 1)
    #expect(r.0.sameNameJoins == 0)
  }

  /// Groups that get the same member_id are one member: a mapped id that reads like
  /// another group's `channel:customer_ref`, or two such names alike. Each such join is
  /// counted, so refs minus all joins are the members.
  @Test(arguments: [1, 2]) func groupsWithTheSameMemberIdAreOneMemberAndCounted(threads: Int) throws {
    func run(_ rows: [String], map: String) throws -> (IdentityResult, OrderTable) {
      let orders = try OrderIngest.run(
        paths: [temporaryFile(header + rows.joined(separator: "\n") + "\n")], config: InputConfig(),
        linkKeys: ["phone_hash", "email_hash"], asOf: Day("2026-10-31")!)
      let idMap = try IdMap.read(path: temporaryFile("channel,customer_ref,member_id\n" + map, name: "map.csv"))
      let identity = IdentityResolution.run(
        orders: orders.orders, idMap: idMap, linkKeys: ["phone_hash", "email_hash"], maxRefsPerKey: 20,
        threads: threads)
      return (identity, orders.orders)
    }
    // web,ex1 is mapped to app:exc2, the name of the group {app:exc2, web:exc1} (joined
    // by a phone); a:b,c and a,b:c are both named a:b:c.
    let r = try run(
      [
        "1,web,ex1,2026-01-01,1,,,,,", "2,app,exc2,2026-01-01,1,,,,p1,", "3,web,exc1,2026-01-01,1,,,,p1,",
        "4,a:b,c,2026-01-01,1,,,,,", "5,a,b:c,2026-01-01,1,,,,,", "6,jd,j1,2026-01-01,1,,,,,",
      ], map: "web,ex1,app:exc2\n")
    #expect(
      membership(r) == [
        "a:b:c=a:b:c/single", "a:b:c=a:b:c/single", "app:exc2=app:exc2/phone_hash", "jd:j1=jd:j1/single",
        "web:ex1=app:exc2/id_map", "web:exc1=app:exc2/phone_hash",
      ])
    #expect(r.0.memberCount == 3)
    #expect(r.0.mergesByRule[.phoneHash] == 1)
    #expect(r.0.sameNameJoins == 2)
    #expect(r.0.refCount - r.0.mergesByRule.values.reduce(0, +) - r.0.sameNameJoins == r.0.memberCount)
  }

  @Test func aKeysRefsAreSortedAndMadeDistinctAtAnyGroupSize() throws {
    var rng = SplitMix64(seed: 11)
    for count in 0..<40 {
      var values = (0..<count).map { _ in UInt64(rng.below(8)) }
      let expected = values.sorted()
      values.withUnsafeMutableBufferPointer { IdentityResolution.sortSmall($0) }
      #expect(values == expected)
    }
    // 18 refs on one phone, two orders each, in reverse byte order (36 entries, past
    // the insertion sort): one member, named after the smallest ref; a hub at 17.
    let rows = (0..<18).reversed().flatMap { k in
      ["\(k)a,web,w\(k + 10),2026-01-01,1,,,,p1,", "\(k)b,web,w\(k + 10),2026-01-02,1,,,,p1,"]
    }
    let r = try resolve(rows)
    #expect(Set(membership(r).map { $0.split(separator: "=")[1] }) == ["web:w10/phone_hash"])
    #expect(r.0.mergesByRule[.phoneHash] == 17)
    #expect(r.0.hubKeys.isEmpty)
    let hub = try resolve(rows, maxRefs: 17)
    #expect(hub.0.hubKeys.map(\.refs) == [18])
    #expect(Set(membership(hub).map { $0.hasSuffix("/single") }) == [true])
  }

  @Test func mappedIdWinsAndMapEdgesComeFirst() throws {
    let r = try resolve(
      ["1,web,w1,2026-01-01,1,,,,,", "2,app,a1,2026-01-01,1,,,,,e1", "3,jd,j1,2026-01-01,1,,,,,e1"],
      map: "web,w1,M2\napp,a1,M2\n")
    #expect(membership(r) == ["app:a1=M2/id_map", "jd:j1=M2/email_hash", "web:w1=M2/id_map"])
  }

  @Test func linkBetweenTwoMappedMembersIsAConflict() throws {
    let r = try resolve(
      ["1,web,w1,2026-01-01,1,,,,p,", "2,app,a1,2026-01-01,1,,,,p,"], map: "web,w1,M1\napp,a1,M2\n")
    #expect(r.0.linkConflicts == 1)
    #expect(r.0.memberCount == 2)
  }

  /// With more values than one thread's share (the groups are then found on both),
  /// conflicts, hubs and joins are counted the same on two threads as on one: pairs
  /// of refs mapped to different members share a phone (a conflict each), triples of
  /// unmapped refs share one (two joins each), and four refs share a counter phone.
  @Test func linkingCountsTheSameOnTwoThreadsAsOnOne() throws {
    var rows: [String] = []
    var map = ""
    for i in 0..<6000 { rows.append("s\(i),web,single\(i),2026-01-01,1,,,,own\(i),") }
    for i in 0..<50 {
      rows.append("c\(i)a,web,ca\(i),2026-01-01,1,,,,shared\(i),")
      rows.append("c\(i)b,app,cb\(i),2026-01-02,1,,,,shared\(i),")
      map += "web,ca\(i),MA\(i)\napp,cb\(i),MB\(i)\n"
    }
    for i in 0..<70 {
      for k in 0..<3 { rows.append("t\(i)-\(k),jd,t\(i)-\(k),2026-01-03,1,,,,trio\(i),") }
    }
    for k in 0..<4 { rows.append("h\(k),web,h\(k),2026-01-04,1,,,,counter,") }
    let orders = try OrderIngest.run(
      paths: [temporaryFile(header + rows.shuffled().joined(separator: "\n") + "\n")], config: InputConfig(),
      linkKeys: ["phone_hash", "email_hash"], asOf: Day("2026-10-31")!)
    let idMap = try IdMap.read(path: temporaryFile("channel,customer_ref,member_id\n" + map, name: "map.csv"))
    for threads in [1, 2] {
      let r = IdentityResolution.run(
        orders: orders.orders, idMap: idMap, linkKeys: ["phone_hash", "email_hash"], maxRefsPerKey: 3,
        threads: threads)
      #expect(r.linkConflicts == 50)
      #expect(r.mergesByRule[.phoneHash] == 140)
      #expect(r.hubKeys == [HubKey(key: "phone_hash", value: "counter", refs: 4)])
      #expect(r.memberCount == 6000 + 100 + 70 + 4)
    }
  }

  @Test func hubKeysLinkNothing() throws {
    let rows = (0..<4).map { "\($0),web,w\($0),2026-01-01,1,,,,counter," }
    let r = try resolve(rows, maxRefs: 3)
    #expect(r.0.memberCount == 4)
    #expect(r.0.hubKeys == [HubKey(key: "phone_hash", value: "counter", refs: 4)])
  }

  @Test func conflictingMapRowsAreRejectedAndTheRefStaysUnmapped() throws {
    let map = try IdMap.read(
      path: temporaryFile("channel,customer_ref,member_id\nweb,w1,M1\nweb,w1,M2\nweb,w2,M3\nweb,w2,M3\n", name: "m.csv")
    )
    #expect(map.rejects.map(\.code) == [.idMapConflict, .idMapConflict])
    #expect(map.rejects.map(\.line) == [2, 3])
    #expect(map.rejects.map(\.record) == ["web,w1,M1", "web,w1,M2"])
    #expect(map.rejects.allSatisfy { $0.reason.contains("M1") && $0.reason.contains("M2") })
    #expect(map.entries.count == 1)
    #expect(map.repeatedRows == 1)
  }

  @Test func memberIdsDoNotDependOnRecordOrder() throws {
    var rng = SplitMix64(seed: 42)
    var rows: [String] = []
    for i in 0..<300 {
      let phone = rng.below(4) == 0 ? "" : "p\(rng.below(60))"
      let email = rng.below(3) == 0 ? "e\(rng.below(80))" : ""
      rows.append("o\(i),\(["web", "app", "jd"][rng.below(3)]),r\(rng.below(120)),2026-01-01,1,,,,\(phone),\(email)")
    }
    let map = "web,r1,M9\napp,r2,M1\njd,r3,M9\nweb,r4,M5\n"
    let base = membership(try resolve(rows, map: map, maxRefs: 6))
    for _ in 0..<5 {
      rows.shuffle(using: &rng)
      var mapRows = map.split(separator: "\n").map(String.init)
      mapRows.shuffle(using: &rng)
      #expect(membership(try resolve(rows, map: mapRows.joined(separator: "\n") + "\n", maxRefs: 6)) == base)
    }
  }

  /// Channels where one is the start of another (`a`, `a-b`, `a:b`), refs holding `:`
  /// and mapped ids that read like `channel:customer_ref`: every member is named as
  /// SPEC 2 says (its mapped id, else channel:customer_ref), equal names are one member,
  /// and the ids come out distinct and in byte order, whichever way the names were
  /// put in order.
  @Test(arguments: [["a", "a-b", "a:b", "ab", "b"], ["web", "app", "jd", "webx"]])
  func membersAreNamedAndSortedWithChannelsThatStartOthers(channels: [String]) throws {
    var rng = SplitMix64(seed: 7)
    let refs = ["x", "b:x", "-b:x", "y", "x:y", "z"]
    var rows: [String] = []
    var refsSeen = Set<[String]>()
    for i in 0..<120 {
      let channel = channels[rng.below(channels.count)]
      let ref = refs[rng.below(refs.count)]
      rows.append("o\(i),\(channel),\(ref),2026-01-01,1,,,,,")
      refsSeen.insert([channel, ref])
    }
    let ids = ["M1", "a:b:x", "ab:y", "web:z", "b:-b:x"]
    var mapped: [[String]: String] = [:]
    var map = ""
    for (k, pair) in refsSeen.sorted(by: { $0.lexicographicallyPrecedes($1) }).enumerated() where k % 3 == 0 {
      let id = ids[rng.below(ids.count)]
      map += "\(pair[0]),\(pair[1]),\(id)\n"
      mapped[pair] = id
    }
    let orders = try OrderIngest.run(
      paths: [temporaryFile(header + rows.joined(separator: "\n") + "\n")], config: InputConfig(), linkKeys: [],
      asOf: Day("2026-10-31")!)
    let idMap = try IdMap.read(path: temporaryFile("channel,customer_ref,member_id\n" + map, name: "map.csv"))
    #expect(MemberNaming.channelsKeepTupleOrder(orders.orders.channels) == !channels.contains("a-b"))
    for threads in [1, 2] {
      let identity = IdentityResolution.run(
        orders: orders.orders, idMap: idMap, linkKeys: [], maxRefsPerKey: 20, threads: threads)
      var expected: [String] = []
      for ref in 0..<Int32(orders.orders.refs.count) {
        let (channel, customerRef) = orders.orders.refParts(ref)
        let name = mapped[[channel, customerRef]] ?? "\(channel):\(customerRef)"
        expected.append(name)
        #expect(identity.memberIDs[Int(identity.memberOfRef[Int(ref)])] == name)
      }
      let distinct = Set(expected).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      #expect(Array(identity.memberIDs) == distinct)
    }
  }

  /// The merge that names members is cut into parts (one a thread) at a name, in the
  /// longer of the two lists (mapped ids, unmapped names) and at the first name not
  /// before it in the other: any number of parts names each ref's member as SPEC 2
  /// says, with components of several refs, unused mapped ids, and mapped ids equal to
  /// an unmapped component's name (one member), whichever list is the longer. Up to 64
  /// parts, so that some cuts fall on such equal names.
  @Test(arguments: [["a", "a-b", "a:b", "ab", "b"], ["web", "app", "jd", "webx"]])
  func membersAreNamedAlikeWhereverTheMergeIsCut(channels: [String]) throws {
    var rng = SplitMix64(seed: 21)
    var rows: [String] = []
    for i in 0..<600 {
      rows.append("o\(i),\(channels[rng.below(channels.count)]),r\(rng.below(120)),2026-01-01,1,,,,,")
    }
    let orders = try OrderIngest.run(
      paths: [temporaryFile(header + rows.joined(separator: "\n") + "\n")], config: InputConfig(), linkKeys: [],
      asOf: Day("2026-10-31")!
    ).orders
    let refCount = orders.refs.count
    let tupleOrder = orders.refsInTupleOrder()
    let names = (0..<Int32(refCount)).map { ref in
      let (channel, customerRef) = orders.refParts(ref)
      return "\(channel):\(customerRef)"
    }
    for mappedPercent in [100, 90, 75, 50, 20, 0] {
      // Components: a ref joins the component of a ref before it, one in three.
      var rootOfRef = (0..<Int32(refCount)).map { $0 }
      for ref in 1..<refCount where rng.below(3) == 0 { rootOfRef[ref] = rootOfRef[rng.below(ref)] }
      var mappedIDs = ByteInterner()
      var rootMapped = [Int32](repeating: -1, count: refCount)
      for root in 0..<refCount where rootOfRef[root] == Int32(root) && rng.below(100) < mappedPercent {
        // A third of the mapped ids read like a ref's channel:customer_ref.
        let id = rng.below(3) == 0 ? names[rng.below(refCount)] : "\(channels[rng.below(channels.count)]):M\(root)"
        rootMapped[root] = mappedIDs.intern(id)
      }
      _ = mappedIDs.intern("unused")
      // SPEC 2: the mapped id, else channel:customer_ref of the component's smallest ref.
      var smallest = [Int32](repeating: -1, count: refCount)
      for ref in tupleOrder where smallest[Int(rootOfRef[Int(ref)])] < 0 { smallest[Int(rootOfRef[Int(ref)])] = ref }
      let expected = (0..<refCount).map { ref in
        let root = Int(rootOfRef[ref])
        return rootMapped[root] >= 0 ? mappedIDs.string(rootMapped[root]) : names[Int(smallest[root])]
      }
      let members = Set(expected).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      #expect(members.count < Set(rootOfRef).count || mappedPercent == 0)
      for parts in Array(1...8) + [13, 29, 64] {
        let (memberIDs, memberOfRef) = MemberNaming.name(
          orders: orders, tupleOrder: tupleOrder, rootOfRef: rootOfRef, rootMapped: rootMapped,
          mappedIDs: mappedIDs, threads: parts, splitMinimum: 0)
        #expect(Array(memberIDs) == members, "\(parts) parts, \(mappedPercent)% mapped")
        #expect((0..<refCount).map { memberIDs[Int(memberOfRef[$0])] } == expected)
      }
    }
  }

  /// Large enough that the id map, the sorts and cleaning split over threads.
  @Test func twoThreadsOrAnEarlyRefOrderGiveTheMembersAndHistoryOfOne() throws {
    let export = generatedExport(orders: 200_000, seed: 11)
    var config = InputConfig()
    config.maxRejectShare = 1
    let asOf = Day("2026-10-31")!
    let keys = ["phone_hash", "email_hash"]
    let ingest = try OrderIngest.run(paths: [temporaryFile(export.orders)], config: config, linkKeys: keys, asOf: asOf)
    let map = try IdMap.read(path: temporaryFile(export.map, name: "id_map.csv"))
    #expect(ingest.orders.refs.count >= 1 << 16)
    #expect(map.entryCount >= 4096)
    // Enough values that a key's groups are found on both threads, hubs among them.
    #expect(ingest.orders.linkKeys[0].count >= 4096)
    let one = IdentityResolution.run(orders: ingest.orders, idMap: map, linkKeys: keys, maxRefsPerKey: 20, threads: 1)
    let two = IdentityResolution.run(orders: ingest.orders, idMap: map, linkKeys: keys, maxRefsPerKey: 20, threads: 2)
    // The ref order worked out beforehand, as a run does while the id map is read.
    let early = IdentityResolution.run(
      orders: ingest.orders, idMap: map, linkKeys: keys, maxRefsPerKey: 20, threads: 2,
      refOrder: .init(orders: ingest.orders, threads: 1))
    for other in [two, early] {
      #expect(one.memberIDs == other.memberIDs)
      #expect(one.memberOfRef == other.memberOfRef)
      #expect(one.ruleOfRef == other.ruleOfRef)
      #expect(one.refsInTupleOrder == other.refsInTupleOrder)
      #expect(one.mapRowsWithoutOrders == other.mapRowsWithoutOrders)
      #expect(one.mergesByRule == other.mergesByRule)
      #expect(one.hubKeys == other.hubKeys)
      #expect(one.linkConflicts == other.linkConflicts)
    }
    #expect(!one.hubKeys.isEmpty)
    #expect(one.mergesByRule[.phoneHash, default: 0] > 0 && one.mergesByRule[.emailHash, default: 0] > 0)
    #expect(one.memberIDs.count == Set(one.memberIDs).count)
    #expect(zip(one.memberIDs, one.memberIDs.dropFirst()).allSatisfy { $0.utf8.lexicographicallyPrecedes($1.utf8) })

    let kept = Cleaning.run(orders: ingest.orders, identity: one, asOf: asOf, minorDigits: 2, threads: 1)
    var orders = ingest.orders
    let released = Cleaning.run(releasing: &orders, identity: one, asOf: asOf, minorDigits: 2, threads: 2)
    // Three parts of rows, each with a refund cursor of its own that starts mid-list.
    let three = Cleaning.run(orders: ingest.orders, identity: one, asOf: asOf, minorDigits: 2, threads: 3)
    for (a, b) in [(kept.history, released.history), (kept.history, three.history)] {
      #expect(a.memberIDs == b.memberIDs)
      #expect(a.orderStart == b.orderStart)
      #expect(a.day == b.day)
      #expect(a.instantMillis == b.instantMillis)
      #expect(a.net == b.net)
      #expect(a.refunds == b.refunds)
    }
    #expect(kept.quality == released.quality)
    #expect(kept.quality == three.quality)
    let quality = kept.quality
    #expect(quality.cancelledOrders > 0 && quality.refundedOrders > 0 && quality.partiallyRefundedOrders > 0)
    #expect(quality.ordersWithRefundTime > 0 && quality.countedOrders < quality.acceptedOrders)
    // The released table keeps its refs and count, not its row columns.
    #expect(orders.count == ingest.orders.count)
    #expect(orders.amount.isEmpty && orders.instantMillis.isEmpty && orders.status.isEmpty)
    #expect(ingest.orders.amount.count == ingest.orders.count)
  }

  /// The history's dates are worked out again from its instants in the business zone;
  /// they are the dates ingest gave each order and refund, across midnight, in zones
  /// on both sides of UTC and before 1970.
  @Test(arguments: ["+08:00", "-05:30", "+00:00"])
  func historyDatesAreTheOrdersBusinessDates(zone: String) throws {
    var config = InputConfig()
    config.businessTimeZone = zone
    let times = [
      "2026-03-01", "2026-03-01T00:00", "2026-02-28T23:59:59.999", "2026-03-01T07:59Z", "2026-03-01T08:00+0000",
      "2026-02-28T18:29:59-05:30", "2026-02-28 18:30:00.5-05:30", "1969-12-31T23:59:59.999Z", "1969-12-31",
      "1965-03-01T12:00+14:00",
    ]
    var rows: [String] = []
    for (k, time) in times.enumerated() {
      rows.append("p\(k),web,m\(k),\(time),5,,,,,")
      rows.append("r\(k),web,m\(k),1960-01-01,5,partially_refunded,1,\(time),,")
    }
    let ingest = try OrderIngest.run(
      paths: [temporaryFile(header + rows.joined(separator: "\n") + "\n")], config: config, linkKeys: [],
      asOf: Day("2026-10-31")!)
    let identity = IdentityResolution.run(orders: ingest.orders, idMap: IdMap(), linkKeys: [], maxRefsPerKey: 20)
    let history = Cleaning.run(
      orders: ingest.orders, identity: identity, asOf: Day("2026-10-31")!, minorDigits: 2, threads: 2
    ).history
    #expect(history.orderCount == 2 * times.count)
    for m in 0..<history.memberCount {
      // Member "web:m<k>": its refund order (1960) first, then its order at time k.
      let k = Int(history.memberIDs[m].dropFirst("web:m".count))!
      let expected = Array(times[k].utf8).withUnsafeBytes {
        FieldParsers.timestamp($0, businessOffsetSeconds: config.businessOffsetSeconds)!
      }
      let orders = history.orders(of: m)
      #expect(history.refund(orders.lowerBound)?.day == expected.businessDay.number)
      #expect(history.refund(orders.lowerBound)?.millis == expected.instantMillis)
      #expect(history.day[orders.upperBound - 1] == expected.businessDay.number)
      #expect(history.day[orders.lowerBound] == Day("1960-01-01")!.number)
      #expect(history.refund(orders.upperBound - 1) == nil)
    }
  }

  @Test(arguments: [1, 2]) func cleaningWithNoCountedOrderGivesAnEmptyHistory(threads: Int) throws {
    let (identity, orders) = try resolve(
      (0..<40).map { "o\($0),web,r\($0 % 7),2026-01-01,1,\($0 % 2 == 0 ? "cancelled" : "refunded"),,,," })
    let cleaning = Cleaning.run(
      orders: orders, identity: identity, asOf: Day("2026-10-31")!, minorDigits: 2, threads: threads)
    #expect(cleaning.history.memberCount == 0)
    #expect(cleaning.history.net.isEmpty)
    #expect(cleaning.quality.countedOrders == 0)
    #expect(cleaning.quality.membersWithoutCountedOrders == 7)
  }
}
