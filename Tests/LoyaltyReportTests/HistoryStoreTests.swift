import Foundation
import LoyaltyCore
import TestScratch
import Testing

@testable import LoyaltyHistory
@testable import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Two consecutive monthly runs give a month-over-month section; a rerun of an as-of
/// replaces it.
@Suite(.serialized) struct HistoryStoreTests {
  func run(_ asOf: String) throws -> RunResult {
    #expect(chdir(repositoryRoot) == 0)
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    return try Pipeline.run(
      RunRequest(
        ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day(asOf)!,
        config: config, threads: 2, until: .levels))
  }

  @Test func consecutiveRunsCompareAndRerunsReplace() throws {
    let dir = TestScratch.folder("history")
    let store = try HistoryStore(path: dir + "/history.sqlite")
    let september = try run("2026-09-30")
    #expect(try store.previous(before: Day("2026-09-30")!) == nil)
    try store.save(RunSnapshot(run: september, inputs: []))
    try store.save(RunSnapshot(run: september, inputs: []))
    #expect(try store.list().count == 1)

    let october = try run("2026-10-31")
    let previous = try store.previous(before: Day("2026-10-31")!)
    #expect(previous?.asOf == Day("2026-09-30"))
    #expect(previous?.members.count == september.cleaning!.history.memberCount)
    #expect(previous == RunSnapshot(run: september, inputs: []))
    let report = ReportBuilder(run: october, inputs: [], previous: previous, historyEnabled: true).reportMarkdown()
    #expect(report.contains("## Since the previous run (2026-09-30)"))
    #expect(report.contains("Level migration (rows 2026-09-30, columns 2026-10-31)"))
    #expect(report.contains("- Since 2026-09-30: members with counted orders +"))
    try store.save(RunSnapshot(run: october, inputs: []))
    #expect(try store.list().map(\.asOf) == [Day("2026-09-30")!, Day("2026-10-31")!])
    // The listing counts members as the report does: every member, not only those with
    // a counted order (the snapshot's rows).
    #expect(try store.list().map(\.members) == [september.identity!.memberCount, october.identity!.memberCount])
    #expect(september.identity!.memberCount > september.cleaning!.history.memberCount)
    #expect(!report.contains("Not like for like"))
  }

  /// The month-over-month counts agree with a plain join of the two snapshots by
  /// member_id: members in both, new and gone, the level migration and the largest
  /// segment flow.
  @Test func theMemberJoinAgreesWithAPlainJoin() throws {
    let september = RunSnapshot(run: try run("2026-09-30"), inputs: [])
    let octoberRun = try run("2026-10-31")
    let october = RunSnapshot(run: octoberRun, inputs: [])
    let before = Dictionary(uniqueKeysWithValues: september.members.map { ($0.memberID, $0) })
    let pairs = october.members.compactMap { m in before[m.memberID].map { ($0, m) } }
    let report = ReportBuilder(run: octoberRun, inputs: [], previous: september, historyEnabled: true)
      .reportMarkdown()
    let lines = report.split(separator: "\n").map(String.init)
    #expect(
      lines.contains(
        "\(formatThousands(pairs.count)) members appear in both runs; \(formatThousands(october.members.count - pairs.count)) are new since 2026-09-30 and \(formatThousands(september.members.count - pairs.count)) are no longer listed."
      ))
    func cells(_ line: String) -> [String] {
      line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    }
    let k = pairs.map { max($0.0.level!, $0.1.level!) }.max()!
    let table = lines.drop { !$0.hasPrefix("Level migration") }
    for from in 1...k {
      let row = table.first { $0.hasPrefix("| L\(from) ") }.map(cells) ?? []
      let expected = (1...k).map { to in pairs.filter { $0.0.level == from && $0.1.level == to }.count }
      #expect(row.dropFirst().map { Int($0.replacing(",", with: "")) } == expected.map { Optional($0) })
    }
    var flows: [String: Int] = [:]
    for (a, b) in pairs where a.segment != b.segment {
      flows["\(a.segment ?? "not scored") → \(b.segment ?? "not scored")", default: 0] += 1
    }
    let top = flows.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!
    let flowRows = lines.drop { $0 != "Largest segment flows:" }.filter { $0.hasPrefix("| ") }.map(cells)
    #expect(flowRows.dropFirst(2).first == [top.key, formatThousands(top.value)])
  }

  /// Member rows come back from the store as they went in: nulls, ids with commas,
  /// quotes, a NUL byte and two spellings of one accented letter, level 0, the largest
  /// and smallest balances, in member_id byte order; and a run's rows, stored as they are made,
  /// come back as the snapshot's own list.
  @Test func memberRowsComeBackAsStored() throws {
    let dir = TestScratch.folder("rows")
    defer { ReportFolder.removeTree(dir) }
    let store = try HistoryStore(path: dir + "/history.sqlite")
    let members: [RunSnapshot.Member] = [
      .init(memberID: "web:a,\"b\"", level: nil, segment: nil, lifecycle: "lost", pointsOutstanding: nil),
      .init(memberID: "Zo\u{EB}", level: 10, segment: "Champions", lifecycle: "active", pointsOutstanding: .max),
      .init(memberID: "Zoe\u{308}", level: 1, segment: "Champions", lifecycle: "active", pointsOutstanding: -7),
      .init(memberID: "M1", level: 3, segment: "Need Attention", lifecycle: "new", pointsOutstanding: 0),
      .init(memberID: "M10", level: nil, segment: "", lifecycle: "new", pointsOutstanding: nil),
      .init(memberID: "M1\u{0}x", level: 0, segment: "Champions", lifecycle: "new", pointsOutstanding: .min),
      .init(memberID: "M1\u{0}y", level: 0, segment: nil, lifecycle: "new", pointsOutstanding: .min),
    ]
    try store.save(
      RunSnapshot(
        asOf: Day("2026-09-30")!, toolVersion: "t", configSHA256: "c", inputs: "", seed: 1, minorDigits: 2,
        headline: [], members: members))
    let back = try #require(try store.previous(before: Day("2026-10-31")!)).members
    let byBytes = members.sorted { Array($0.memberID.utf8).lexicographicallyPrecedes(Array($1.memberID.utf8)) }
    // `==` on strings takes the two spellings of ë for one, so the bytes are compared too.
    #expect(back == byBytes)
    #expect(back.map { Array($0.memberID.utf8) } == byBytes.map { Array($0.memberID.utf8) })

    let september = try run("2026-09-30")
    try store.save(run: september, inputs: [])
    let stored = RunSnapshot(run: september, inputs: [])
    #expect(stored.members.count > 3 * MemberRows.rowsPerInsert)
    #expect(try store.previous(before: Day("2026-10-31")!) == stored)

    // A row SQLite refuses (a member twice) fails the save whole: the run stored before
    // stays as it was.
    var twice = stored
    twice.members.insert(twice.members[40], at: 41)
    #expect(throws: LoyaltyError.self) { try store.save(twice) }
    #expect(try store.previous(before: Day("2026-10-31")!) == stored)
  }

  /// A run has member rows from RFM on: one a member with a counted order; none when
  /// it stopped at identity.
  @Test func membersOfARunStartWithRFM() throws {
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    for (until, scored) in [(PipelineStage.identity, false), (.rfm, true)] {
      let run = try Pipeline.run(
        RunRequest(
          ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
          config: config, threads: 1, until: until))
      #expect(RunSnapshot.members(of: run).count == (scored ? run.cleaning!.history.memberCount : 0))
    }
  }

  /// The month-over-month join matches members by their id's bytes: the two spellings
  /// of ë are two members, one gone and one new.
  @Test func theJoinMatchesMemberIDsByBytes() throws {
    let dir = TestScratch.folder("join")
    defer { ReportFolder.removeTree(dir) }
    try ReportFolder.writeFile(
      dir + "/orders.csv",
      "order_id,channel,customer_ref,order_time,amount,status\nO1,web,w1,2026-10-02T10:00:00,10.00,paid\n")
    try ReportFolder.writeFile(dir + "/id_map.csv", "channel,customer_ref,member_id\nweb,w1,Zoe\u{308}\n")
    let config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    let october = try Pipeline.run(
      RunRequest(
        ordersPaths: [dir + "/orders.csv"], idMapPath: dir + "/id_map.csv", asOf: Day("2026-10-31")!,
        config: config, threads: 1, until: .rfm))
    #expect(RunSnapshot.members(of: october).map(\.memberID) == ["Zoe\u{308}"])
    let september = RunSnapshot(
      asOf: Day("2026-09-30")!, toolVersion: "t", configSHA256: "c", inputs: "", seed: 1, minorDigits: 2,
      headline: [],
      members: [.init(memberID: "Zo\u{EB}", level: nil, segment: nil, lifecycle: "active", pointsOutstanding: nil)])
    let report = ReportBuilder(run: october, inputs: [], previous: september, historyEnabled: true).reportMarkdown()
    #expect(report.contains("0 members appear in both runs; 1 are new since 2026-09-30 and 1 are no longer listed."))
  }

  /// Member ids order and match by their bytes: a shorter prefix first, and two
  /// spellings of one accented letter are two members.
  @Test func memberIDsCompareByBytes() {
    #expect(RunSnapshot.compareMemberIDs("M1", "M10") == -1)
    #expect(RunSnapshot.compareMemberIDs("M10", "M1") == 1)
    #expect(RunSnapshot.compareMemberIDs("M2", "M10") == 1)
    #expect(RunSnapshot.compareMemberIDs("", "") == 0)
    #expect(RunSnapshot.compareMemberIDs("", "a") == -1)
    #expect(RunSnapshot.compareMemberIDs("Zo\u{EB}", "Zo\u{EB}") == 0)
    #expect("Zo\u{EB}" == "Zoe\u{308}")
    #expect(RunSnapshot.compareMemberIDs("Zo\u{EB}", "Zoe\u{308}") == 1)
  }

  /// Runs before a date are deleted whole, with their member rows; the later ones stay
  /// and are still compared with.
  @Test func runsBeforeADateAreForgotten() throws {
    let dir = TestScratch.folder("forget")
    defer { ReportFolder.removeTree(dir) }
    let store = try HistoryStore(path: dir + "/history.sqlite")
    func month(_ asOf: String, _ ids: [String]) -> RunSnapshot {
      RunSnapshot(
        asOf: Day(asOf)!, toolVersion: "t", configSHA256: "c", inputs: "", seed: 1, minorDigits: 2,
        headline: [("members", Double(ids.count))],
        members: ids.map { .init(memberID: $0, level: 1, segment: nil, lifecycle: "active", pointsOutstanding: 5) })
    }
    for (asOf, ids) in [("2026-08-31", ["A", "B"]), ("2026-09-30", ["A", "C"]), ("2026-10-31", ["C", "D", "E"])] {
      try store.save(month(asOf, ids))
    }
    #expect(try store.forget(before: Day("2026-09-30")!) == 1)
    #expect(try store.list().map(\.asOf) == [Day("2026-09-30")!, Day("2026-10-31")!])
    #expect(try store.previous(before: Day("2026-09-30")!) == nil)
    #expect(try store.previous(before: Day("2026-10-31")!) == month("2026-09-30", ["A", "C"]))
    #expect(try store.forget(before: Day("2026-09-30")!) == 0)
    #expect(try store.forget(before: Day("2027-01-01")!) == 2)
    #expect(try store.list().isEmpty)
  }

  /// A history edited or damaged outside the program stops the run with a sentence
  /// rather than the program: a headline figure beyond what an Int holds (it trapped
  /// while sizing the member list), and a value of another type (GRDB's subscripts
  /// trap on it; the store decodes with its throwing calls).
  @Test func aDamagedHistoryIsAnErrorNotACrash() throws {
    let dir = TestScratch.folder("damaged")
    defer { ReportFolder.removeTree(dir) }
    let store = try HistoryStore(path: dir + "/history.sqlite")
    let member = RunSnapshot.Member(
      memberID: "A", level: 1, segment: nil, lifecycle: "active", pointsOutstanding: 5)
    let huge = RunSnapshot(
      asOf: Day("2026-09-30")!, toolVersion: "t", configSHA256: "c", inputs: "", seed: 1, minorDigits: 2,
      headline: [("members_with_counted_orders", 1e300), ("members", -1e300)], members: [member])
    try store.save(huge)
    #expect(try store.previous(before: Day("2026-10-31")!) == huge)
    #expect(try store.list().map(\.members) == [0])
    try store.queue.write { try $0.execute(sql: "UPDATE run_headline SET value = 'many' WHERE name = 'members'") }
    #expect(throws: LoyaltyError.self) { try store.previous(before: Day("2026-10-31")!) }
    #expect(throws: LoyaltyError.self) { try store.list() }
    try store.queue.write {
      try $0.execute(sql: "UPDATE run_headline SET value = 1; UPDATE runs SET minor_digits = 'x'")
    }
    do {
      _ = try store.previous(before: Day("2026-10-31")!)
      Issue.record("a minor_digits of text was read")
    } catch {
      #expect(error.description.hasPrefix(dir + "/history.sqlite: the history could not be read ("))
    }
  }

  /// Two runs storing into one history at the same time take turns: the second waits
  /// for the first's transaction instead of failing with "database is locked".
  @Test func aSecondWriterWaitsForTheFirst() throws {
    let dir = TestScratch.folder("history")
    let first = try HistoryStore(path: dir + "/history.sqlite")
    let second = try HistoryStore(path: dir + "/history.sqlite")
    let snapshot = RunSnapshot(run: try run("2026-09-30"), inputs: [])
    let holding = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let firstQueue = first.queue
    Thread {
      try? firstQueue.write { _ in
        holding.signal()
        usleep(400_000)
      }
      done.signal()
    }.start()
    #expect(holding.wait(timeout: .now() + 30) == .success, "the first writer never began its transaction")
    try second.save(snapshot)
    _ = done.wait(timeout: .now() + 30)
    #expect(try first.list().map(\.asOf) == [Day("2026-09-30")!])
  }

  /// A month-end run compares with the last month-end run before it, not with a run
  /// made mid-month in between; with no month-end run before it, the latest run.
  @Test func theRunComparedWithIsTheLastMonthEnd() throws {
    let dir = TestScratch.folder("history")
    let store = try HistoryStore(path: dir + "/history.sqlite")
    try store.save(RunSnapshot(run: try run("2026-09-15"), inputs: []))
    #expect(try store.previous(before: Day("2026-10-31")!)?.asOf == Day("2026-09-15"))
    try store.save(RunSnapshot(run: try run("2026-08-31"), inputs: []))
    try store.save(RunSnapshot(run: try run("2026-10-15"), inputs: []))
    #expect(try store.previous(before: Day("2026-10-31")!)?.asOf == Day("2026-08-31"))
  }

  /// Where the reports and the history go, and the seed (named on its own), are not a
  /// change of configuration between two runs (moving them said "not like for like");
  /// a setting that shapes the figures is.
  @Test func movingTheFilesIsNotAChangeOfConfiguration() throws {
    let base = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    var moved = base
    moved.report.outDir = "./Reports"
    moved.report.historyDatabase = "/var/lib/loyalty/history.sqlite"
    moved.run.seed = 7
    #expect(moved.settingsText != base.settingsText)
    #expect(moved.comparedSettingsText == base.comparedSettingsText)
    var changed = base
    changed.levels.count = 5
    #expect(changed.comparedSettingsText != base.comparedSettingsText)
    #expect(!base.comparedSettingsText.contains("report.") && !base.comparedSettingsText.contains("run.seed"))
  }

  /// A changed set of input files is said before the figures (a missing channel export
  /// showed only as a fall in revenue): the number of orders files, their names with
  /// digits left out, and whether an id map was read. Month-stamped names of the same
  /// exports are like for like; an earlier run that stored no inputs says nothing.
  @Test func changedInputFilesAreSaid() throws {
    func inputs(_ orders: [String], idMap: String? = "/x/id_map.csv") -> String {
      (orders.map { "orders \($0) \(String(repeating: "a", count: 64))" }
        + (idMap.map { ["id_map \($0) \(String(repeating: "b", count: 64))"] } ?? [])).joined(separator: "\n")
    }
    let september = inputs(["/x/web.csv", "/x/app.csv", "/x/jd.csv", "/x/tmall.csv"])
    #expect(
      ReportBuilder.inputFilesChange(then: september, now: inputs(["/x/web.csv", "/x/app.csv", "/x/tmall.csv"]))
        == "the orders files (4 then: app.csv, jd.csv, tmall.csv, web.csv; 3 now: app.csv, tmall.csv, web.csv)")
    #expect(
      ReportBuilder.inputFilesChange(
        then: september, now: inputs(["/y/tmall.csv", "/y/jd.csv", "/y/app.csv", "/y/web.csv"]))
        == nil)
    #expect(
      ReportBuilder.inputFilesChange(
        then: inputs(["/e/2026-09/web_202609.csv"]), now: inputs(["/e/2026-10/web_202610.csv"])) == nil)
    #expect(
      ReportBuilder.inputFilesChange(then: inputs(["/x/web.csv"]), now: inputs(["/x/app.csv"]))
        == "the orders files (1 then: web.csv; 1 now: app.csv)")
    #expect(
      ReportBuilder.inputFilesChange(then: inputs(["/x/my web.csv"]), now: inputs(["/x/my web.csv"], idMap: nil))
        == "the id map (id_map.csv then, none now)")
    #expect(ReportBuilder.inputFilesChange(then: "", now: september) == nil)
  }

  /// Shares in the comparison keep two decimals, and their change is in points to two
  /// decimals: a cost share going from 1.32% to 1.27% showed as 1.3%, 1.3%, 0.0 pp.
  @Test func sharesAreComparedToTwoDecimals() throws {
    let september = RunSnapshot(run: try run("2026-09-30"), inputs: [])
    var earlier = september
    earlier.headline = earlier.headline.map { ($0.name, $0.name == "top_level_share" ? $0.value + 0.0004 : $0.value) }
    let october = try run("2026-10-31")
    let current = RunSnapshot(run: october, inputs: [], withMembers: false)
    let now = try #require(current.headline.first { $0.name == "top_level_share" }?.value)
    let was = try #require(earlier.headline.first { $0.name == "top_level_share" }?.value)
    let report = ReportBuilder(run: october, inputs: [], previous: earlier, historyEnabled: true).reportMarkdown()
    let row = try #require(report.split(separator: "\n").first { $0.hasPrefix("| top level share") })
    let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    #expect(
      cells == [
        "top level share", formatPercent(was, decimals: 2), formatPercent(now, decimals: 2),
        formatDecimal((now - was) * 100, decimals: 2) + " pp",
      ])
    #expect(cells[1].split(separator: ".").last?.count == 3)  // "12.34%"
  }

  /// A change of configuration or seed since the previous run is said before the
  /// figures, and figures the previous run did not reach are named as not compared.
  @Test func aChangedConfigurationIsSaidBeforeTheFigures() throws {
    let september = RunSnapshot(run: try run("2026-09-30"), inputs: [])
    var config = try ConfigLoader.load(path: "SampleData/pipeline.toml")
    config.run.seed = 99
    config.levels.count = 5
    let october = try Pipeline.run(
      RunRequest(
        ordersPaths: ["SampleData/orders.csv"], idMapPath: "SampleData/id_map.csv", asOf: Day("2026-10-31")!,
        config: config, threads: 2, until: .levels))
    var earlier = september
    earlier.configSHA256 = String(repeating: "0", count: 64)
    earlier.headline.removeAll { $0.name.contains("level") }
    for k in earlier.members.indices { earlier.members[k].level = nil }
    let report = ReportBuilder(run: october, inputs: [], previous: earlier, historyEnabled: true).reportMarkdown()
    #expect(report.contains("**Not like for like**: the configuration (SHA-256 `000000000000…` then"))
    #expect(report.contains("the seed (20260101 then, 99 now)"))
    #expect(report.contains("The previous run has no levels, so no level migration is shown."))
    #expect(report.contains("(it stopped at an earlier stage), so they are not compared."))
  }
}
