import PropertyBased
import Testing

@testable import LoyaltyCore

/// Generates a sample export (with every malformed kind) for `seed`.
func generatedExport(orders: Int, seed: UInt64) -> (orders: String, map: String) {
  var generator = SampleGenerator(options: .init(orders: orders, seed: seed, end: Day("2026-10-31")!))
  var ordersText = ""
  var mapText = ""
  generator.generate(ordersSink: { ordersText += $0 }, mapSink: { mapText += $0 })
  return (ordersText, mapText)
}

@Suite struct ReconciliationPropertyTests {
  /// Nothing is lost and money reconciles to the cent, whatever the input.
  @Test func recordsAndMoneyReconcileOnGeneratedInput() async {
    await propertyCheck(count: 25, input: Gen.int(in: 1...1_000_000), Gen.int(in: 1...400)) { seed, size in
      let export = generatedExport(orders: size, seed: UInt64(seed))
      var config = InputConfig()
      config.maxRejectShare = 1
      let asOf = Day("2026-10-31")!
      guard
        let ingest = try? OrderIngest.run(
          paths: [temporaryFile(export.orders)], config: config, linkKeys: ["phone_hash", "email_hash"], asOf: asOf),
        let map = try? IdMap.read(path: temporaryFile(export.map, name: "id_map.csv"))
      else {
        Issue.record("ingest failed for seed \(seed)")
        return
      }
      // Nothing is lost.
      #expect(ingest.files[0].read == size)
      #expect(ingest.files[0].read == ingest.files[0].accepted + ingest.files[0].rejected)
      #expect(ingest.rejects.count == ingest.files[0].rejected)
      #expect(ingest.orders.count == ingest.files[0].accepted)

      let identity = IdentityResolution.run(
        orders: ingest.orders, idMap: map, linkKeys: ["phone_hash", "email_hash"], maxRefsPerKey: 20)
      let cleaning = Cleaning.run(orders: ingest.orders, identity: identity, asOf: asOf, minorDigits: 2)
      let q = cleaning.quality

      // Net spend from the accepted orders, computed directly.
      var expected: Int64 = 0
      var counted = 0
      let refunds = ingest.orders.refunds.columns(count: ingest.orders.count)
      // Each counted order as (instant, gross, net, refund instant), from the dense columns.
      var expectedOrders: [[Int64]] = []
      for i in 0..<ingest.orders.count {
        let status = OrderStatus(rawValue: ingest.orders.status[i])!
        let net = ingest.orders.amount[i] - refunds.amount[i]
        if status != .cancelled && status != .refunded && net > 0 {
          expected += net
          counted += 1
          expectedOrders.append([ingest.orders.instantMillis[i], ingest.orders.amount[i], net, refunds.millis[i]])
        }
      }
      let history = cleaning.history
      // The history holds each counted order's own refund (found through the refund rows).
      #expect(history.grossTotal == expectedOrders.reduce(0) { $0 + $1[1] })
      let historyOrders = (0..<history.orderCount).map {
        [
          history.instantMillis[$0], history.gross($0), history.net[$0],
          history.refund($0)?.millis ?? MemberHistory.noRefund,
        ]
      }
      #expect(
        historyOrders.sorted { $0.lexicographicallyPrecedes($1) }
          == expectedOrders.sorted { $0.lexicographicallyPrecedes($1) })
      #expect(history.net.reduce(0, +) == expected)
      #expect(q.netRevenue == expected)
      #expect(q.grossAmount - q.refundAmount == expected)
      #expect(history.orderCount == counted)
      #expect(q.cancelledOrders + q.refundedOrders + q.zeroNetOrders + q.countedOrders == q.acceptedOrders)

      // Per member and per month aggregates add up to the same cents.
      let months = MemberMonthTotals(history)
      #expect(months.net.reduce(0, +) == expected)
      #expect(Int(months.orders.reduce(0, +)) == counted)
      if let rfm = try? RFMStage.run(history: history, config: RFMConfig(), lifecycle: LifecycleConfig()) {
        let windowStart = asOf.number - 364
        let inWindow = zip(history.day, history.net).filter { $0.0 >= windowStart }.reduce(Int64(0)) { $0 + $1.1 }
        #expect(rfm.monetary.reduce(0, +) == inWindow)
        #expect(rfm.segments.reduce(0) { $0 + $1.members } == rfm.scoredCount)
      }
    }
  }
}
