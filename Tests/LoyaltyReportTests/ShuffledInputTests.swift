import LoyaltyCore
import TestScratch
import Testing

@testable import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

private func writeTemporary(_ text: String, _ name: String) -> String {
  let dir = TestScratch.folder("shuffle")
  let path = dir + "/" + name
  let file = fopen(path, "wb")!
  var copy = text
  copy.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
  fclose(file)
  return path
}

/// members.csv and identity.csv must not depend on the order of the records.
@Suite struct ShuffledInputTests {
  func report(orders: String, map: String) throws -> [String: String] {
    var config = LoyaltyConfig()
    config.input.maxRejectShare = 1
    config.points.runs = 3
    let request = RunRequest(
      ordersPaths: [writeTemporary(orders, "orders.csv")], idMapPath: writeTemporary(map, "id_map.csv"),
      asOf: Day("2026-10-31")!, config: config, threads: 2, until: .levels)
    let run = try Pipeline.run(request)
    var files: [String: String] = [:]
    for f in ReportBuilder(run: run, inputs: []).files(includeTimings: false) { files[f.name] = f.contents }
    return files
  }

  @Test func shuffledInputGivesIdenticalMembers() throws {
    var generator = SampleGenerator(options: .init(orders: 3000, seed: 11, end: Day("2026-10-31")!))
    var ordersText = ""
    var mapText = ""
    generator.generate(ordersSink: { ordersText += $0 }, mapSink: { mapText += $0 })
    var lines = ordersText.split(separator: "\n").map(String.init)
    let header = lines.removeFirst()
    // Keep one row per order key, so that "the first copy is kept" cannot pick a
    // different row once shuffled.
    var seen: [Substring: Int] = [:]
    for line in lines {
      seen[line.split(separator: ",", maxSplits: 2).prefix(2).joined(separator: ",")[...], default: 0] += 1
    }
    lines = lines.filter {
      !$0.hasPrefix("\"") && seen[$0.split(separator: ",", maxSplits: 2).prefix(2).joined(separator: ",")[...]] == 1
    }
    let base = try report(orders: header + "\n" + lines.joined(separator: "\n") + "\n", map: mapText)
    var rng = SplitMix64(seed: 3)
    var mapLines = mapText.split(separator: "\n").map(String.init)
    let mapHeader = mapLines.removeFirst()
    lines.shuffle(using: &rng)
    mapLines.shuffle(using: &rng)
    let shuffled = try report(
      orders: header + "\n" + lines.joined(separator: "\n") + "\n",
      map: mapHeader + "\n" + mapLines.joined(separator: "\n") + "\n")
    #expect(base["members.csv"] == shuffled["members.csv"])
    #expect(base["identity.csv"] == shuffled["identity.csv"])
    #expect(base["segments.csv"] == shuffled["segments.csv"])
    #expect(base["levels.csv"] == shuffled["levels.csv"])
    #expect((base["members.csv"] ?? "").split(separator: "\n").count > 500)
  }
}

/// rejects.csv lists each orders file's rejects by line, the files in the order given,
/// then the id map's, with every cell guarded and quoted as text cells are.
@Test func rejectsFileListsOrdersFilesThenTheIdMap() throws {
  let header = "order_id,channel,customer_ref,order_time,amount\n"
  let first = writeTemporary(
    header
      + "o1,web,w1,2026-01-01,10\no2,web,w2,2027-01-01,1\n\"=o3\",web,w3,2026-13-01,1\no4,web,\"w,4\",2026-02-01,x\n",
    "a.csv")
  let second = writeTemporary(header + "o1,web,w1,2026-03-01,5\no5,app,Zoë 张,2026-03-01,-1\n", "b.csv")
  let map = writeTemporary("channel,customer_ref,member_id\nweb,w1,M1\nweb,w1,M2\n", "id_map.csv")
  var config = LoyaltyConfig()
  config.input.maxRejectShare = 1
  let run = try Pipeline.run(
    RunRequest(
      ordersPaths: [first, second], idMapPath: map, asOf: Day("2026-10-31")!, config: config, threads: 2,
      until: .ingest))
  let text = ReportBuilder(run: run, inputs: []).files(includeTimings: false).first { $0.name == "rejects.csv" }!
    .contents
  let rows = text.split(separator: "\n").map { row in row.split(separator: ",").prefix(3).joined(separator: ",") }
  #expect(
    rows == [
      "file,line,code",
      "\(first),3,future_order", "\(first),4,bad_date", "\(first),5,bad_amount",
      "\(second),2,duplicate_order", "\(second),3,negative_amount",
      "\(map),2,id_map_conflict", "\(map),3,id_map_conflict",
    ])
  #expect(text.contains(",\"\"\"=o3\"\",web,w3,2026-13-01,1\"\n"))
  #expect(text.contains("\"o4,web,\"\"w,4\"\",2026-02-01,x\"\n"))
  #expect(text.contains(",\"o5,app,Zoë 张,2026-03-01,-1\"\n"))
  #expect(text.hasSuffix(",\"web,w1,M2\"\n"))
}
