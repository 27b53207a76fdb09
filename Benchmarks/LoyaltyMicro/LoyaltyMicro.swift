// Micro-benchmarks of the hot parts: the CSV stream over libcsv, money and date parsing,
// interning and union-find (ingest and identity), and the points simulation's member
// replay. Run with `scripts/bench/micro`.
// Each benchmark builds its input before the measurement starts; inputs come from a
// fixed seed, so runs compare like with like.

import Benchmark
import CSVStream
import Foundation
import LoyaltyCore

extension SplitMix64 {
  /// A number in 0..<n (the inputs need no better spread than this).
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// `count` order rows as the sample generator writes them (one quoted field per 50 rows).
func orderRows(_ count: Int) -> [UInt8] {
  var rng = SplitMix64(seed: 7)
  var text = "order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time\n"
  let channels = ["web", "app", "jd", "tmall"]
  for i in 0..<count {
    let channel = channels[rng.below(4)]
    let ref = i % 50 == 0 ? "\"c,\(rng.below(300_000))\"" : "c\(rng.below(300_000))"
    let day = 1 + rng.below(28)
    let amount = "\(rng.below(100_000)).\(10 + rng.below(90))"
    text += "\(channel)-\(i),\(channel),\(ref),2026-03-\(day < 10 ? "0" : "")\(day)T10:15:00+08:00,\(amount),paid,,\n"
  }
  return Array(text.utf8)
}

/// Texts packed back to back, with their ranges.
struct PackedTexts {
  var bytes: [UInt8] = []
  var ranges: [Range<Int>] = []
  init(_ texts: [String]) {
    for text in texts {
      let start = bytes.count
      bytes += Array(text.utf8)
      ranges.append(start..<bytes.count)
    }
  }
}

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(3), maxIterations: 200)

  let rows = orderRows(100_000)
  Benchmark("CSV stream: 100k order rows through libcsv") { benchmark in
    var fields = 0
    try rows.withUnsafeBytes { bytes in
      try CSVScanner.scan(bytes, path: "bench.csv") { record in fields += record.fieldCount }
    }
    blackHole(fields)
  }

  var rng = SplitMix64(seed: 11)
  let amounts = PackedTexts((0..<100_000).map { _ in "\(rng.below(1_000_000)).\(rng.below(10))\(rng.below(10))" })
  Benchmark("Money: parse 100k amounts to minor units") { benchmark in
    var total: Int64 = 0
    amounts.bytes.withUnsafeBytes { bytes in
      for range in amounts.ranges {
        if case .value(let v) = FieldParsers.amount(UnsafeRawBufferPointer(rebasing: bytes[range]), minorDigits: 2) {
          total &+= v
        }
      }
    }
    blackHole(total)
  }

  let times = PackedTexts(
    (0..<100_000).map { k in
      let day = 1 + rng.below(28)
      let d = day < 10 ? "0\(day)" : "\(day)"
      return k % 3 == 0 ? "2026-05-\(d)" : k % 3 == 1 ? "2026-05-\(d)T23:59:59Z" : "2026-05-\(d) 08:30:00+08:00"
    })
  Benchmark("Dates: parse 100k ISO 8601 timestamps to business days") { benchmark in
    var days = 0
    times.bytes.withUnsafeBytes { bytes in
      for range in times.ranges {
        if let t = FieldParsers.timestamp(UnsafeRawBufferPointer(rebasing: bytes[range]), businessOffsetSeconds: 28_800)
        {
          days &+= Int(t.businessDay.number)
        }
      }
    }
    blackHole(days)
  }

  let refs = PackedTexts((0..<200_000).map { _ in "web:c\(rng.below(120_000))" })
  Benchmark("Interning: 200k refs, 120k distinct") { benchmark in
    var interner = ByteInterner()
    var last: Int32 = 0
    refs.bytes.withUnsafeBytes { bytes in
      for range in refs.ranges { last = interner.intern(UnsafeRawBufferPointer(rebasing: bytes[range])) }
    }
    blackHole(last)
    blackHole(interner.count)
  }

  let nodes = 1_000_000
  let edges = (0..<nodes).map { _ in (Int32(rng.below(nodes)), Int32(rng.below(nodes))) }
  Benchmark("Union-find: 1M unions over 1M nodes, then every find") { benchmark in
    var sets = UnionFind(count: nodes)
    for (a, b) in edges { _ = sets.union(a, b) }
    var roots = 0
    for x in 0..<Int32(nodes) where sets.find(x) == x { roots += 1 }
    blackHole(roots)
  }

  // The points simulation: the sample's members (100k orders, hash linking off as in
  // scripts/bench) replayed for 10 runs on one thread, calibration and grid left out.
  // The stages before points run once, outside the measurement.
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loyalty-micro-points").path
  try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  let asOf = Day(year: 2026, month: 10, day: 31)!
  var generator = SampleGenerator(options: .init(orders: 100_000, seed: 1, end: asOf, clean: true))
  var ordersText = ""
  var mapText = ""
  generator.generate(ordersSink: { ordersText += $0 }, mapSink: { mapText += $0 })
  try? ordersText.write(toFile: folder + "/orders.csv", atomically: true, encoding: .utf8)
  try? mapText.write(toFile: folder + "/id_map.csv", atomically: true, encoding: .utf8)
  var config = LoyaltyConfig()
  config.identity.linkKeys = []
  config.input.businessTimeZone = "+08:00"
  do {
    let before = try Pipeline.run(
      RunRequest(
        ordersPaths: [folder + "/orders.csv"], idMapPath: folder + "/id_map.csv", asOf: asOf, config: config,
        threads: 1, until: .levels))
    guard let history = before.cleaning?.history, let ladder = before.levels?.ladder else { return }
    var points = config.points
    points.runs = 40
    points.targetRedemptionRate = nil
    points.sensitivityClaimRatios = []
    Benchmark("Points: 40 runs of \(history.memberCount) members, one thread") { benchmark in
      let result = try PointsStage.run(history: history, ladder: ladder, config: points, seed: 1, threads: 1)
      blackHole(result.summary.count)
    }
  } catch {
    print("points benchmark: \(error)")
  }
}
