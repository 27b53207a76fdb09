import CHints
import Foundation
import LoyaltyCore
import TestScratch
import Testing

@testable import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The repository root, from this file's path (Tests/LoyaltyReportTests/...).
let repositoryRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

func readText(_ path: String) -> String? {
  readBytes(path).map { String(decoding: $0, as: UTF8.self) }
}

func readBytes(_ path: String) -> [UInt8]? {
  guard let file = fopen(path, "rb") else { return nil }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return bytes
}

/// `scripts/run`'s report for the sample data is committed under `Reports/sample/`
/// (written with `--no-timings`); regenerating it must give the same bytes, for any
/// thread count.
@Suite(.serialized) struct GoldenReportTests {
  func sampleReport(threads: Int) throws -> [(name: String, contents: String)] {
    try sampleBuilder(threads: threads).files(includeTimings: false)
  }

  func sampleBuilder(threads: Int) throws -> ReportBuilder {
    #expect(chdir(repositoryRoot) == 0)
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    let request = RunRequest(
      ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
      config: config, threads: threads, until: .report, configPath: "SampleData/pipeline.toml")
    let run = try Pipeline.run(request)
    let inputs = [
      try InputFingerprint.of(path: "SampleData/orders.csv", role: "orders"),
      try InputFingerprint.of(path: "SampleData/id_map.csv", role: "id_map"),
    ]
    return ReportBuilder(run: run, inputs: inputs)
  }

  /// A run up to rfm over `orders` (records under the five required columns) and an
  /// optional id map (rows under its header), with no linking keys.
  func smallRun(_ name: String, orders: [String], idMap: String? = nil) throws -> RunResult {
    let parent = TestScratch.folder(name)
    defer { ReportFolder.removeTree(parent) }
    var files = [
      ("orders.csv", (["order_id,channel,customer_ref,order_time,amount"] + orders).joined(separator: "\n") + "\n")
    ]
    if let idMap { files.append(("id_map.csv", "channel,customer_ref,member_id\n" + idMap)) }
    try ReportFolder.write(files, to: parent)
    var config = LoyaltyConfig()
    config.identity.linkKeys = []
    return try Pipeline.run(
      RunRequest(
        ordersPaths: [parent + "/orders.csv"], idMapPath: idMap.map { _ in parent + "/id_map.csv" },
        asOf: Day("2026-10-31")!, config: config, threads: 1, until: .rfm))
  }

  /// With no linking keys configured the identity section says the id map alone joins
  /// refs (it used to end on "then by shared ;").
  @Test func identityWithoutLinkingKeysSaysTheIdMapAloneJoins() throws {
    #expect(chdir(repositoryRoot) == 0)
    var config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    config.identity.linkKeys = []
    let request = RunRequest(
      ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
      config: config, threads: 1, until: .rfm)
    let section = ReportBuilder(run: try Pipeline.run(request), inputs: []).identitySection()
    #expect(section.contains("Refs are joined by the id map only (no linking keys are configured);"))
    #expect(try sampleBuilder(threads: 1).identitySection().contains("by the id map first, then by shared phone_hash"))
  }

  /// Groups made one member because they get the same member_id have a row of their
  /// own among the joins, so that refs minus the joins are the members; a run without
  /// such groups (the sample) shows no such row.
  @Test func joinsBySameMemberIdAreShownWhenThereAreAny() throws {
    let run = try smallRun(
      "same-name",
      orders: [
        "o1,web,ex1,2026-10-01,10.00", "o2,app,exc2,2026-10-01,5.00", "o3,a:b,c,2026-10-02,5.00",
        "o4,a,b:c,2026-10-03,5.00",
      ], idMap: "web,ex1,app:exc2\n")
    let section = ReportBuilder(run: run, inputs: []).identitySection()
    #expect(section.contains("4 customer refs (channel, customer_ref) form 2 members."))
    let row = section.split(separator: "\n").first { $0.contains("same member_id") }
    #expect(row?.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } == ["same member_id", "2"])
    #expect(try !sampleBuilder(threads: 1).identitySection().contains("same member_id"))
  }

  /// With `projection_months = 0` the points section says there is no projection and
  /// shows no projected table (it used to show one of zeros, "projected 0 months").
  @Test func noProjectionIsSaidSo() throws {
    #expect(chdir(repositoryRoot) == 0)
    var config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    config.points.projectionMonths = 0
    config.points.runs = 2
    let request = RunRequest(
      ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
      config: config, threads: 2, until: .points)
    let section = ReportBuilder(run: try Pipeline.run(request), inputs: []).pointsSection()
    #expect(section.contains("no projection past as-of (`projection_months = 0`)"))
    #expect(!section.contains("Projected to") && !section.contains("projected 0 months"))
  }

  /// The inputs hashed beside the pipeline are the inputs hashed after it; a failing
  /// pipeline's error comes back once the hashing thread is done. The hashing waits at
  /// its gate, which the pipeline opens once the id map is read (exactly once, with or
  /// without a thread reading it), or which is opened when the body ends without it.
  @Test(arguments: [1, 2]) func fingerprintsHashedAlongsideTheRun(threads: Int) throws {
    #expect(chdir(repositoryRoot) == 0)
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    let request = RunRequest(
      ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
      config: config, threads: threads, until: .ingest, configPath: "SampleData/pipeline.toml")
    let gate = StartGate()
    let idMapReads = Locked(0)
    let (run, inputs) = try InputFingerprint.inputs(of: request, startingAt: gate) { () throws(LoyaltyError) in
      try Pipeline.run(
        request,
        afterIdMap: {
          idMapReads.withLock { $0 += 1 }
          gate.open()
        })
    }
    #expect(idMapReads.withLock { $0 } == 1)
    #expect(inputs == (try InputFingerprint.inputs(of: request)))
    #expect(inputs.map(\.role) == ["orders", "id_map"])
    #expect(run.ingest.orders.count > 0)
    #expect(throws: LoyaltyError.input("stop")) {
      _ = try InputFingerprint.inputs(of: request) { () throws(LoyaltyError) -> Int in throw .input("stop") }
    }
    #expect(throws: LoyaltyError.input("stop")) {
      _ = try InputFingerprint.inputs(of: request, startingAt: StartGate()) { () throws(LoyaltyError) -> Int in
        throw .input("stop")
      }
    }
    let unopened = try InputFingerprint.inputs(of: request, startingAt: StartGate()) { 7 }
    #expect(unopened.0 == 7 && unopened.1 == inputs)
  }

  /// An unreadable id map stops the run with its error whether it is read beside the
  /// ingest (two threads) or after it (one); unreadable orders are reported first.
  @Test(arguments: [1, 2]) func unreadableIdMapStopsTheRun(threads: Int) throws {
    #expect(chdir(repositoryRoot) == 0)
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    func request(orders: String) -> RunRequest {
      RunRequest(
        ordersPaths: [orders], idMapPath: "SampleData/no-such-map.csv", asOf: Day("2026-10-31")!,
        config: config, threads: threads, until: .rfm, configPath: "SampleData/pipeline.toml")
    }
    #expect {
      try Pipeline.run(request(orders: "SampleData/orders.csv"))
    } throws: { error in
      (error as? LoyaltyError)?.exitCode == 2 && "\(error)".contains("no-such-map.csv")
    }
    #expect {
      try Pipeline.run(request(orders: "SampleData/no-such-orders.csv"))
    } throws: { error in
      "\(error)".contains("no-such-orders.csv")
    }
  }

  /// `loyalty run` writes identity.csv and members.csv in blocks into the staging
  /// folder, identity.csv possibly from a background thread started after identity;
  /// the folder it writes holds exactly the files, and the bytes, of `files()`.
  /// Small blocks, so the files come in many blocks, on 1 and 2 threads.
  @Test(arguments: [(1, false), (2, false), (2, true)])
  func writtenFolderHoldsTheSameFiles(threads: Int, identityInBackground: Bool) throws {
    var builder = try sampleBuilder(threads: threads)
    builder.rowsPerBlock = 7
    let folder = TestScratch.folder("streamed") + "/report"
    defer { ReportFolder.removeTree(folder) }
    let staging = try StagingFolder(for: folder)
    let identityFile =
      identityInBackground
      ? BackgroundIdentityFile(into: staging, orders: builder.run.ingest.orders, identity: builder.run.identity!) : nil
    try builder.write(into: staging, identityFile: identityFile, includeTimings: false)
    builder.rowsPerBlock = ReportBuilder.rowsPerBlock
    let files = builder.files(includeTimings: false)
    #expect(files.contains { $0.name == "members.csv" } && files.contains { $0.name == "identity.csv" })
    for file in files {
      #expect(readText(folder + "/" + file.name) == file.contents, "\(file.name) differs (threads \(threads))")
    }
    var written = 0
    if let dir = opendir(folder) {
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if !name.hasPrefix(".") { written += 1 }
      }
      closedir(dir)
    }
    #expect(written == files.count)
  }

  /// An export with no order (its header alone) and given thresholds makes a report
  /// of zeros whose summary says the levels hold no member, rather than that they form
  /// a pyramid.
  @Test func levelsWithoutMembersSayTheyHoldNoOne() throws {
    let parent = TestScratch.folder("empty")
    try ReportFolder.write([("orders.csv", "order_id,channel,customer_ref,order_time,amount\n")], to: parent)
    var config = LoyaltyConfig()
    config.levels.thresholds = [100, 200]
    let request = RunRequest(
      ordersPaths: [parent + "/orders.csv"], idMapPath: nil, asOf: Day("2026-10-31")!, config: config, threads: 1,
      until: .report)
    let summary = ReportBuilder(run: try Pipeline.run(request), inputs: []).summaryLevelsAndPoints()
    #expect(summary.contains("- Levels: 3 levels hold no member (no member has a counted order up to as-of)."))
    #expect(!summary.contains("pyramid"))
  }

  /// The data-quality section gives the counted orders' first and last dates, and asks
  /// about orders more than ten years before the as-of (a mistyped year).
  @Test func ordersFromLongAgoAreNamed() throws {
    let parent = TestScratch.folder("old")
    let orders = [
      "order_id,channel,customer_ref,order_time,amount", "o1,web,u1,2026-10-01,10.00", "o2,web,u2,0226-10-09,5.00",
      "o3,web,u2,2016-11-01,5.00", "o4,web,u3,2016-10-30,5.00",
    ]
    try ReportFolder.write([("orders.csv", orders.joined(separator: "\n") + "\n")], to: parent)
    func section(asOf: String) throws -> String {
      let request = RunRequest(
        ordersPaths: [parent + "/orders.csv"], idMapPath: nil, asOf: Day(asOf)!, config: LoyaltyConfig(), threads: 1,
        until: .rfm)
      return ReportBuilder(run: try Pipeline.run(request), inputs: []).dataQualitySection()
    }
    // 2016-11-01 is 3,651 days before 2026-10-31; 2016-10-30 is 3,653.
    #expect(
      try section(asOf: "2026-10-31").contains(
        "Counted orders are dated from 0226-10-09 to 2026-10-01 (business dates). 2 of them are dated more than ten years before the as-of, the earliest on 0226-10-09: check them for a mistyped year"
      ))
    let recent = try section(asOf: "0236-10-01")
    #expect(recent.contains("Counted orders are dated from 0226-10-09 to 0226-10-09 (business dates).\n"))
  }

  /// A stray quote that runs the next lines into one accepted record (valid CSV, so
  /// not a reject) is said in the data-quality section, with the first ref it made;
  /// the sample, which has none, says nothing.
  @Test func aLineBreakInAKeyIsSaid() throws {
    let run = try smallRun(
      "stray",
      orders: [
        "o1,web,\"u1\"x,2026-01-01,10", "o2,web,u2,2026-01-01,10", "o3,web,u3\",2026-01-01,10",
        "o4,app,a4,2026-01-02,5",
      ])
    #expect(run.ingest.files.map(\.accepted) == [2])
    let section = ReportBuilder(run: run, inputs: []).dataQualitySection()
    #expect(
      section.contains(
        "**Check**: 1 customer ref holds a line break in the channel or customer_ref (the first begins `web:u1\"x,2026-01-01,10`)."
      ))
    #expect(try !sampleBuilder(threads: 1).dataQualitySection().contains("**Check**"))
  }

  /// rejects.csv reads future orders' records back from their file: a file written to
  /// after the run read it stops the report with a sentence naming it (exit 2), and
  /// no folder is published.
  @Test func anOrdersFileChangedSinceReadStopsTheReport() throws {
    let parent = TestScratch.folder("changed")
    defer { ReportFolder.removeTree(parent) }
    try ReportFolder.write(
      [
        (
          "orders.csv",
          "order_id,channel,customer_ref,order_time,amount\no1,web,u1,2026-10-01,10.00\no2,web,u2,2026-11-02,5.00\n"
        )
      ], to: parent + "/in")
    let orders = parent + "/in/orders.csv"
    let request = RunRequest(
      ordersPaths: [orders], idMapPath: nil, asOf: Day("2026-10-31")!, config: LoyaltyConfig(), threads: 1,
      until: .rfm)
    let builder = ReportBuilder(run: try Pipeline.run(request), inputs: [])
    #expect(builder.run.ingest.rejects.map(\.record) == ["o2,web,u2,2026-11-02,5.00"])
    let file = fopen(orders, "ab")!
    fputs("o3,web,u3,2026-10-03,1.00\n", file)
    fclose(file)
    #expect {
      try builder.write(to: parent + "/report", includeTimings: false)
    } throws: { error in
      let error = error as? LoyaltyError
      return error?.exitCode == 2 && error?.description.contains("\(orders) changed while the run was using it") == true
    }
    #expect(access(parent + "/report", F_OK) != 0)
    // An orders file without future orders is not read again: a change to it after
    // the run read it does not stop the report.
    try ReportFolder.write(
      [("orders.csv", "order_id,channel,customer_ref,order_time,amount\no1,web,u1,2026-10-01,10.00\n")],
      to: parent + "/past")
    let past = parent + "/past/orders.csv"
    let pastRun = try Pipeline.run(
      RunRequest(
        ordersPaths: [past], idMapPath: nil, asOf: Day("2026-10-31")!, config: LoyaltyConfig(), threads: 1,
        until: .rfm))
    let pastFile = fopen(past, "ab")!
    fputs("o3,web,u3,2026-10-03,1.00\n", pastFile)
    fclose(pastFile)
    try ReportBuilder(run: pastRun, inputs: []).write(to: parent + "/past-report", includeTimings: false)
    #expect(readText(parent + "/past-report/members.csv")?.contains("web:u1") == true)
  }

  /// Publishing over an earlier report leaves exactly the new files in its place and
  /// nothing hidden beside it, by the one-step swap and by the two renames.
  @Test(arguments: [true, false]) func publishingReplacesTheEarlierReportWhole(exchanging: Bool) throws {
    let parent = TestScratch.folder("publish")
    defer { ReportFolder.removeTree(parent) }
    let folder = parent + "/2026-10-31"
    try ReportFolder.write([("report.md", "earlier\n"), ("members.csv", "member_id\n")], to: folder)
    let staging = try StagingFolder(for: folder)
    try ReportFolder.writeFile(staging.path + "/report.md", "later\n")
    try staging.publish(exchanging: exchanging)
    #expect(readText(folder + "/report.md") == "later\n")
    #expect(access(folder + "/members.csv", F_OK) != 0)
    #expect((try? FileManager.default.contentsOfDirectory(atPath: parent)) == ["2026-10-31"])
    // The swap was the way taken wherever this file system can swap two folders.
    let probe = ["/a", "/b"].map { parent + $0 }
    for path in probe { mkdir(path, 0o755) }
    let canSwap = loyalty_exchange_paths(probe[0], probe[1]) == 0
    #expect(staging.swapped == (exchanging && canSwap))
  }

  /// An earlier report a run left aside (stopped between the two renames of a publish
  /// that could not swap) is put back when the target is missing, and removed when a
  /// report stands there.
  @Test func anEarlierReportLeftAsideIsPutBackOrRemoved() throws {
    let parent = TestScratch.folder("aside")
    defer { ReportFolder.removeTree(parent) }
    let folder = parent + "/2026-10-31"
    try ReportFolder.write([("report.md", "earlier\n")], to: parent + "/.2026-10-31.previous-1")
    _ = try StagingFolder(for: folder)
    #expect(readText(folder + "/report.md") == "earlier\n")
    try ReportFolder.write([("report.md", "aside\n")], to: parent + "/.2026-10-31.previous-2")
    _ = try StagingFolder(for: folder)
    #expect(readText(folder + "/report.md") == "earlier\n")
    #expect((try? FileManager.default.contentsOfDirectory(atPath: parent)) == ["2026-10-31"])
  }

  @Test(arguments: [1, 2]) func sampleReportIsByteIdentical(threads: Int) throws {
    let files = try sampleReport(threads: threads)
    #expect(files.count >= 16)
    for file in files {
      let committed = readText(repositoryRoot + "/Reports/sample/" + file.name)
      #expect(committed != nil, "Reports/sample/\(file.name) is missing")
      if let committed, committed != file.contents {
        let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let b = file.contents.split(separator: "\n", omittingEmptySubsequences: false)
        let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        Issue.record("Reports/sample/\(file.name) differs at line \(first + 1) (threads \(threads))")
      }
    }
  }
}
