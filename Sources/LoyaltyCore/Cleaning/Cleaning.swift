import CHints

/// Counts for the data-quality section: what cleaning excluded and why, and the
/// reconciliation of money from accepted orders to counted net spend.
public struct DataQuality: Sendable, Equatable {
  public var acceptedOrders = 0
  public var cancelledOrders = 0
  /// Amount of cancelled orders, minor units.
  public var cancelledAmount: Int64 = 0
  public var refundedOrders = 0
  public var partiallyRefundedOrders = 0
  /// Refunds of refunded and partially refunded orders, minor units.
  public var refundAmount: Int64 = 0
  /// Not cancelled and not refunded, but with a net amount of 0 (not a purchase).
  public var zeroNetOrders = 0
  public var countedOrders = 0
  /// Amount of accepted orders that are not cancelled, minor units.
  public var grossAmount: Int64 = 0
  /// Net spend of counted orders, minor units; equals grossAmount - refundAmount.
  public var netRevenue: Int64 = 0
  /// Members with accepted orders but no counted order.
  public var membersWithoutCountedOrders = 0
  /// Orders that carry a refund_time.
  public var ordersWithRefundTime = 0
}

/// What cleaning hands to the member-sized stages.
public struct CleaningResult: Sendable {
  public var history: MemberHistory
  public var quality: DataQuality
}

/// Stage 3 (SPEC 3): applies the cleaning rules and groups counted orders by member,
/// sorted by order time (then file order), into a `MemberHistory`.
public enum Cleaning {
  /// `run(releasing:)` on a copy: the caller's orders keep their row columns.
  public static func run(
    orders: OrderTable, identity: IdentityResult, asOf: Day, minorDigits: Int, threads: Int = 1
  ) -> CleaningResult {
    var copy = orders
    return run(releasing: &copy, identity: identity, asOf: asOf, minorDigits: minorDigits, threads: threads)
  }

  /// The stage on up to `threads` threads. Each of the orders' row columns is given back
  /// (`OrderTable.releaseRowColumns`) as soon as the history holds what it needs of it,
  /// so that the history's columns take the place of the orders' in memory instead of
  /// adding to them (about 300 MB less at the peak for 10M orders).
  public static func run(
    releasing orders: inout OrderTable, identity: IdentityResult, asOf: Day, minorDigits: Int, threads: Int = 1
  ) -> CleaningResult {
    // Identity has looked up every ref it needed to.
    orders.refs.releaseLookup()
    var quality = DataQuality()
    quality.acceptedOrders = orders.count
    let memberCount = identity.memberCount
    var perMember = [Int](repeating: 0, count: memberCount)
    var hasAccepted = [Bool](repeating: false, count: memberCount)
    // The member of each counted order (-1: not counted), so that the regrouping below
    // reads it in file order instead of looking it up through the ref again.
    var memberOfCounted = [Int32](repeating: -1, count: orders.count)
    let count = orders.count
    let refunds = orders.refunds
    let afterAsOf = orders.firstMillis(after: asOf)
    // The refunds are in row order, so the pass below meets them in turn.
    var nextRefund = 0
    perMember.withUnsafeMutableBufferPointer { perMember in
      identity.memberOfRef.withUnsafeBufferPointer { memberOf in
        orders.ref.withUnsafeBufferPointer { ref in
          for i in 0..<count {
            // The member of the row 32 on, and the count of the row 16 on, asked for
            // ahead: both reads are scattered over tables beyond the cache.
            if i + 32 < count { loyalty_prefetch(memberOf.baseAddress! + Int(ref[i + 32])) }
            if i + 16 < count { loyalty_prefetch(perMember.baseAddress! + Int(memberOf[Int(ref[i + 16])])) }
            let member = Int(memberOf[Int(ref[i])])
            hasAccepted[member] = true
            let status = OrderStatus(rawValue: orders.status[i])!
            var refund: Int64 = 0
            if nextRefund < refunds.count && refunds.row[nextRefund] == i {
              refund = refunds.amount[nextRefund]
              if refunds.millis[nextRefund] != MemberHistory.noRefund { quality.ordersWithRefundTime += 1 }
              nextRefund += 1
            }
            switch status {
            case .cancelled:
              quality.cancelledOrders += 1
              quality.cancelledAmount += orders.amount[i]
              continue
            case .refunded:
              quality.refundedOrders += 1
            case .partiallyRefunded:
              quality.partiallyRefundedOrders += 1
            case .paid:
              break
            }
            quality.grossAmount += orders.amount[i]
            quality.refundAmount += refund
            let net = orders.amount[i] - refund
            if status == .refunded { continue }
            if net <= 0 {
              quality.zeroNetOrders += 1
              continue
            }
            guard orders.instantMillis[i] < afterAsOf else { continue }
            memberOfCounted[i] = Int32(member)
            quality.countedOrders += 1
            quality.netRevenue += net
            perMember[member] += 1
          }
        }
      }
    }
    // Members with a counted order keep their byte order.
    var newIndex = [Int32](repeating: -1, count: memberCount)
    var memberIDs = ByteStrings()
    var orderStart: [Int] = [0]
    // Sized for every member, rather than grown by doubling (each step a copy).
    memberIDs.reserve(count: memberCount, bytes: identity.memberIDs.byteCount)
    orderStart.reserveCapacity(memberCount + 1)
    for m in 0..<memberCount {
      if perMember[m] > 0 {
        newIndex[m] = Int32(memberIDs.count)
        memberIDs.append(m, of: identity.memberIDs)
        orderStart.append(orderStart.last! + perMember[m])
      } else if hasAccepted[m] {
        quality.membersWithoutCountedOrders += 1
      }
    }
    // Counting sort by member keeps file order within a member.
    var cursor = orderStart
    var position = [Int32](repeating: 0, count: quality.countedOrders)
    cursor.withUnsafeMutableBufferPointer { cursor in
      newIndex.withUnsafeBufferPointer { newIndex in
        for i in 0..<count {
          // Two scattered reads in a chain, the first asked for 32 rows ahead, the
          // second 16.
          if i + 32 < count, memberOfCounted[i + 32] >= 0 {
            loyalty_prefetch(newIndex.baseAddress! + Int(memberOfCounted[i + 32]))
          }
          if i + 16 < count, memberOfCounted[i + 16] >= 0 {
            loyalty_prefetch(cursor.baseAddress! + Int(newIndex[Int(memberOfCounted[i + 16])]))
          }
          guard memberOfCounted[i] >= 0 else { continue }
          let m = Int(newIndex[Int(memberOfCounted[i])])
          position[cursor[m]] = Int32(i)
          cursor[m] += 1
        }
      }
    }
    // Time order within each member, ties in file order (the sort is stable); each
    // thread sorts its own range of members.
    let memberOrders = orderStart
    let times = orders.instantMillis
    position.withUnsafeMutableBufferPointer { position in
      let shared = SharedSlots(buffer: position)
      _ = ParallelRanges.mapChunks(count: memberIDs.count, threads: threads) { members in
        times.withUnsafeBufferPointer { millis in
          for m in members { Self.sortByTime(shared.buffer, memberOrders[m]..<memberOrders[m + 1], millis: millis) }
        }
      }
    }
    // The history's columns, gathered in that order.
    let sorted = position
    // Each gather runs on up to `threads` threads, every row asking for the lines of the
    // row 16 on (the reads are scattered over whole columns, so the misses overlap).
    // `row(i, out)` writes row `out` of the outputs from order `i`.
    func gather(_ prefetch: @Sendable (Int) -> Void, _ row: @Sendable (Int, Int) -> Void) {
      _ = ParallelRanges.mapChunks(count: sorted.count, threads: threads) { rows in
        sorted.withUnsafeBufferPointer { sorted in
          for out in rows {
            if out + 16 < rows.upperBound { prefetch(Int(sorted[out + 16])) }
            row(Int(sorted[out]), out)
          }
        }
      }
    }
    // Day columns are not gathered: a business date is the date of its instant in the
    // business zone (`FieldParsers.timestamp`), so they are worked out again from the
    // gathered instants, which reads nothing scattered.
    let offsetSeconds = orders.businessOffsetSeconds
    func businessDays(_ millis: [Int64]) -> [Int32] {
      [Int32](unsafeUninitializedCapacity: millis.count) { buffer, initialized in
        let out = SharedSlots(buffer: buffer)
        _ = ParallelRanges.mapChunks(count: millis.count, threads: threads) { rows in
          for row in rows {
            let t = millis[row]
            let day = FieldParsers.businessDay(instantMillis: t, offsetSeconds: offsetSeconds).number
            (out.buffer.baseAddress! + row).initialize(to: day)
          }
        }
        initialized = millis.count
      }
    }
    /// The column, left empty in its place (so that its storage goes with the caller's copy).
    func take<T>(_ column: inout [T]) -> [T] {
      let taken = column
      column = []
      return taken
    }
    /// The rows of `column` in history order; the column is given back first.
    func gathered<T: Sendable>(_ column: inout [T]) -> [T] {
      let source = take(&column)
      return [T](unsafeUninitializedCapacity: sorted.count) { buffer, initialized in
        let out = SharedSlots(buffer: buffer)
        source.withUnsafeBufferPointer { source in
          let from = UncheckedSendable(source)
          gather({ loyalty_prefetch(from.value.baseAddress! + $0) }) { i, row in
            (out.buffer.baseAddress! + row).initialize(to: from.value[i])
          }
        }
        initialized = sorted.count
      }
    }
    orders.status = []
    orders.linkKeyValue = orders.linkKeyValue.map { _ in [] }
    let instantMillis = gathered(&orders.instantMillis)
    let day = businessDays(instantMillis)
    var net = gathered(&orders.amount)
    // Net is the amount but for the refunded orders, found by their row in a bit set
    // (see `RefundRowIndex`) on a pass that reads nothing scattered but that set; they
    // keep their gross amount and refund time apart (`HistoryRefunds`).
    var historyRefunds = HistoryRefunds.Builder()
    if refunds.count > 0 {
      let refundIndex = refunds.rowIndex(count: count)
      net.withUnsafeMutableBufferPointer { net in
        let netTo = SharedSlots(buffer: net)
        let parts = ParallelRanges.mapChunks(count: sorted.count, threads: threads) { rows in
          var part = HistoryRefunds.Builder()
          for out in rows {
            guard let k = refundIndex.index(ofRow: Int(sorted[out])) else { continue }
            let gross = netTo.buffer[out]
            netTo.buffer[out] = gross - refunds.amount[k]
            let millis = refunds.millis[k]
            let day =
              millis == MemberHistory.noRefund
              ? 0 : FieldParsers.businessDay(instantMillis: millis, offsetSeconds: offsetSeconds).number
            part.append(position: out, gross: gross, millis: millis, day: day)
          }
          return part
        }
        for part in parts { historyRefunds.append(contentsOf: part) }
      }
    }
    orders.releaseRowColumns()
    let history = MemberHistory(
      memberIDs: memberIDs, orderStart: orderStart, day: day, instantMillis: instantMillis, net: net,
      refunds: historyRefunds.finish(count: sorted.count), asOf: asOf, minorDigits: minorDigits)
    return CleaningResult(history: history, quality: quality)
  }

  /// Sorts one member's order positions by time, ties in file order: insertion sort,
  /// which is stable and quick for the few orders most members have, and the
  /// library's stable sort for long histories.
  static func sortByTime(
    _ position: UnsafeMutableBufferPointer<Int32>, _ range: Range<Int>, millis: UnsafeBufferPointer<Int64>
  ) {
    guard range.count > 1 else { return }
    if range.count > 64 {
      let sorted = position[range].sorted {
        millis[Int($0)] != millis[Int($1)] ? millis[Int($0)] < millis[Int($1)] : $0 < $1
      }
      for (k, value) in sorted.enumerated() { position[range.lowerBound + k] = value }
      return
    }
    for j in (range.lowerBound + 1)..<range.upperBound {
      let value = position[j]
      let key = millis[Int(value)]
      var k = j
      // Positions within a member ascend in file order, so a strictly greater time is
      // the only reason to move an earlier entry back.
      while k > range.lowerBound, millis[Int(position[k - 1])] > key {
        position[k] = position[k - 1]
        k -= 1
      }
      position[k] = value
    }
  }
}

/// Counted orders and net spend per member and calendar month: the mergeable
/// aggregate a cluster job can produce instead of the order history.
public struct MemberMonthTotals: Sendable, Equatable {
  public var member: [Int32] = []
  public var month: [Int32] = []
  public var orders: [Int32] = []
  /// Net spend in minor units.
  public var net: [Int64] = []

  /// Builds the totals from the history (rows sorted by member, then month).
  public init(_ history: MemberHistory) {
    for m in 0..<history.memberCount {
      var current: Int32 = -1
      for i in history.orders(of: m) {
        let month = Day(number: history.day[i]).month.index
        if month != current {
          member.append(Int32(m))
          self.month.append(month)
          orders.append(0)
          net.append(0)
          current = month
        }
        orders[orders.count - 1] += 1
        net[net.count - 1] += history.net[i]
      }
    }
  }
}
