import LoyaltyCore
import LoyaltyHistory
import Testing

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
    var template = Array("/tmp/loyalty-history-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
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
  }
}
