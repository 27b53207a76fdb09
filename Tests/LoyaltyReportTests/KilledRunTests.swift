import Foundation
import LoyaltyCore
import LoyaltyHistory
import TestScratch
import Testing

@testable import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `loyalty` binary built beside this test bundle.
private var loyaltyBinary: String {
  var buffer = [CChar](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
  let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
  var parts = exe.split(separator: "/", omittingEmptySubsequences: false)
  while let last = parts.last, !last.hasSuffix(".xctest") && parts.count > 1 { parts.removeLast() }
  parts.removeLast()
  return parts.joined(separator: "/") + "/loyalty"
}

/// Starts `program` (the loyalty binary unless given) with `arguments`, its error
/// output into `stderr` (else dropped); returns its pid.
private func spawn(_ arguments: [String], stderr: String = "/dev/null", program: String = loyaltyBinary) -> pid_t {
  var pid: pid_t = 0
  let argv = ([program] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  defer { posix_spawn_file_actions_destroy(&actions) }
  let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
  #expect(rc == 0, "cannot start \(program)")
  return pid
}

/// Waits for `pid`; true when a signal ended it.
private func waitKilled(_ pid: pid_t) -> (killed: Bool, status: Int32) {
  var status: Int32 = 0
  waitpid(pid, &status, 0)
  let signalled = (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
  return (signalled, (status >> 8) & 0xFF)
}

/// A fresh folder (`TestScratch.folder(name)`) for a test that runs the binary, or
/// nil (recorded as an issue) when the binary is not built.
private func binaryAndFolder(_ name: String) -> String? {
  guard access(loyaltyBinary, X_OK) == 0 else {
    Issue.record("the loyalty binary is not built at \(loyaltyBinary)")
    return nil
  }
  return TestScratch.folder(name)
}

/// A run killed midway leaves the previous report and history intact.
@Suite(.serialized) struct KilledRunTests {
  @Test func killedRunLeavesPreviousReportAndHistoryIntact() throws {
    guard let dir = binaryAndFolder("kill") else { return }
    let root = repositoryRoot
    func arguments(seed: Int) -> [String] {
      [
        "run", "--config", root + "/SampleData/pipeline.toml", "--orders", root + "/SampleData/orders.csv",
        "--id-map", root + "/SampleData/id_map.csv", "--as-of", "2026-10-31", "--out", dir + "/report",
        "--history", dir + "/history.sqlite", "--seed", String(seed), "--no-timings",
      ]
    }
    let first = waitKilled(spawn(arguments(seed: 1)))
    #expect(!first.killed && first.status == 0)
    let names = [
      "report.md", "members.csv", "points_summary.csv", "manifest.json", "levels.csv", "rejects.csv", "identity.csv",
    ]
    let before = names.map { readText(dir + "/report/" + $0) }
    #expect(before.allSatisfy { $0 != nil })
    let historyBefore = try HistoryStore(path: dir + "/history.sqlite").list()
    #expect(historyBefore.count == 1)

    var killedMidway = 0
    for delay in [150_000, 400_000, 800_000, 1_200_000] as [UInt32] {
      let pid = spawn(arguments(seed: 2))
      usleep(delay)
      kill(pid, SIGKILL)
      let outcome = waitKilled(pid)
      guard outcome.killed else { continue }  // it finished first: nothing to check
      killedMidway += 1
      let after = names.map { readText(dir + "/report/" + $0) }
      #expect(after == before, "the report changed after a kill at \(delay / 1000) ms")
      let historyAfter = try HistoryStore(path: dir + "/history.sqlite").list()
      #expect(historyAfter == historyBefore)
    }
    #expect(killedMidway > 0)
    // The next run cleans up and completes.
    let last = waitKilled(spawn(arguments(seed: 2)))
    #expect(!last.killed && last.status == 0)
    #expect(readText(dir + "/report/points_summary.csv") != before[2])
  }

  /// `loyalty levels --out` and `loyalty points` take the folder's lock too: while
  /// another writer holds it they stop with exit code 2 and write nothing.
  @Test func levelsAndPointsRefuseALockedFolder() throws {
    guard let dir = binaryAndFolder("lock") else { return }
    defer { ReportFolder.removeTree(dir) }
    let root = repositoryRoot
    let common = [
      "--config", root + "/SampleData/pipeline.toml", "--orders", root + "/SampleData/orders.csv", "--id-map",
      root + "/SampleData/id_map.csv", "--as-of", "2026-10-31", "--out", dir + "/out",
    ]
    let lock = try OutputLock(folder: dir + "/out")
    for command in [["levels"], ["points", "--runs", "2"]] {
      let refused = waitKilled(spawn(command + common))
      #expect(!refused.killed && refused.status == 2, "\(command[0])")
      #expect(access(dir + "/out", F_OK) != 0, "\(command[0]) wrote the locked folder")
    }
    withExtendedLifetime(lock) {}
  }

  /// Flags meet the checks the configuration file meets: a ratio, count or step out of
  /// range, thresholds out of order, shares that do not match K and an empty list value
  /// stop `loyalty levels` with exit code 2, and the message names the flag; a setting
  /// that only clashes with a flag is named by the file. Thresholds set K (count is then
  /// ignored), and shares for those K levels run.
  @Test func levelFlagsAreCheckedAsTheConfigIs() throws {
    guard let dir = binaryAndFolder("flags") else { return }
    defer { ReportFolder.removeTree(dir) }
    let root = repositoryRoot
    let config = dir + "/shares.toml"
    try ReportFolder.writeFile(config, "[levels]\ncount = 3\nshares = [0.6, 0.3, 0.1]\n")
    let common = ["levels", "--orders", root + "/SampleData/orders.csv", "--as-of", "2026-10-31"]
    for (bad, named) in [
      (["--ratio", "1.5"], "--ratio"), (["--count", "11"], "--count"), (["--step", "0"], "--step"),
      (["--thresholds", "300,,800"], "value 2 is empty"), (["--thresholds", "800,300"], "--thresholds"),
      (["--shares", "0.5,0.3"], "--shares"), (["--config", config, "--count", "4"], config + ": [levels] shares"),
      (["--count", "3", "--shares", "1,2,3"], "--shares"), (["--count", "3", "--shares", "1,1,1"], "--shares"),
    ] {
      let errors = dir + "/stderr.txt"
      let outcome = waitKilled(spawn(common + bad, stderr: errors))
      #expect(!outcome.killed && outcome.status == 2, "\(bad)")
      #expect(readText(errors)?.contains(named) == true, "\(bad): \(readText(errors) ?? "")")
    }
    for good in [
      ["--ratio", "0.6", "--thresholds", "300, 800"], ["--thresholds", "500,1500", "--shares", "0.6,0.3,0.1"],
      ["--config", config, "--thresholds", "500,1500", "--count", "11"],
    ] {
      let outcome = waitKilled(spawn(common + good))
      #expect(!outcome.killed && outcome.status == 0, "\(good)")
    }
  }

  /// Only a whole run is stored in the history: a run stopped early with `--until`
  /// leaves the month's stored run as it was (it replaced it, levels and points gone).
  /// A missing database is made with a warning; the report's rerun line names the
  /// history given and the stage stopped at.
  @Test func aRunStoppedEarlyIsNotStored() throws {
    guard let dir = binaryAndFolder("until-history") else { return }
    defer { ReportFolder.removeTree(dir) }
    let root = repositoryRoot
    func arguments(_ extra: [String]) -> [String] {
      [
        "run", "--config", root + "/SampleData/pipeline.toml", "--orders", root + "/SampleData/orders.csv",
        "--id-map", root + "/SampleData/id_map.csv", "--as-of", "2026-10-31", "--history", dir + "/history.sqlite",
        "--no-timings",
      ] + extra
    }
    let full = waitKilled(spawn(arguments(["--out", dir + "/full"]), stderr: dir + "/full.log"))
    #expect(!full.killed && full.status == 0)
    #expect(readText(dir + "/full.log")?.contains("no history database at \(dir)/history.sqlite") == true)
    let stored = try HistoryStore(path: dir + "/history.sqlite").list()
    #expect(stored.count == 1 && stored[0].headline["outstanding"] != nil)
    let partial = waitKilled(
      spawn(arguments(["--out", dir + "/partial", "--until", "rfm"]), stderr: dir + "/partial.log"))
    #expect(!partial.killed && partial.status == 0)
    #expect(try HistoryStore(path: dir + "/history.sqlite").list() == stored)
    #expect(readText(dir + "/partial.log")?.contains("no history database") == false)
    #expect(
      readText(dir + "/partial/report.md")?.contains(
        "--as-of 2026-10-31 --seed 20260101 --until rfm --history \(dir)/history.sqlite`") == true)
    // A report of another as-of in the folder given is replaced, and said.
    let september = waitKilled(
      spawn(
        arguments(["--out", dir + "/partial", "--until", "rfm"]).map { $0 == "2026-10-31" ? "2026-09-30" : $0 },
        stderr: dir + "/september.log"))
    #expect(!september.killed && september.status == 0)
    #expect(
      readText(dir + "/september.log")?.contains(
        "\(dir)/partial holds the report of as-of 2026-10-31; this run's, as-of 2026-09-30, replaces it") == true)
    #expect(readText(dir + "/partial.log")?.contains("holds the report of as-of") == false)
    // An empty file (which SQLite takes for an empty database) is said too.
    try ReportFolder.writeFile(dir + "/empty.sqlite", "")
    var empty = arguments(["--out", dir + "/empty", "--until", "rfm"])
    empty[empty.firstIndex(of: dir + "/history.sqlite")!] = dir + "/empty.sqlite"
    let fresh = waitKilled(spawn(empty, stderr: dir + "/empty.log"))
    #expect(!fresh.killed && fresh.status == 0)
    #expect(
      readText(dir + "/empty.log")?.contains("no history database at \(dir)/empty.sqlite (the file is empty)") == true)
  }

  /// SIGBUS, which a mapped input raises when it is cut short while read, ends the run
  /// with exit 2 and a sentence instead of a crash (exit 135), and publishes nothing.
  /// The signal is sent, as truncating a file at the right instant cannot be timed.
  @Test func aBusErrorIsASentenceAndExitTwo() throws {
    guard let dir = binaryAndFolder("sigbus") else { return }
    defer { ReportFolder.removeTree(dir) }
    let root = repositoryRoot
    var stopped = 0
    for (k, delay) in ([100_000, 300_000, 600_000] as [UInt32]).enumerated() {
      let out = dir + "/report\(k)"
      let pid = spawn(
        [
          "run", "--config", root + "/SampleData/pipeline.toml", "--orders", root + "/SampleData/orders.csv",
          "--id-map", root + "/SampleData/id_map.csv", "--as-of", "2026-10-31", "--out", out, "--no-history",
        ], stderr: dir + "/err\(k).log")
      usleep(delay)
      kill(pid, SIGBUS)
      let outcome = waitKilled(pid)
      #expect(!outcome.killed)
      guard outcome.status != 0 else { continue }  // it finished first
      stopped += 1
      #expect(outcome.status == 2)
      #expect(
        readText(dir + "/err\(k).log")?.contains(
          "loyalty: an input file could not be read where it was mapped (SIGBUS)") == true)
      #expect(access(out, F_OK) != 0)
    }
    #expect(stopped > 0)
  }

  /// Under `--log-format json` the sentence a failed run ends with is a JSON log line
  /// too (it was plain text among JSON lines); plain logs keep the plain sentence.
  @Test func aFailureIsAJSONLineUnderJSONLogs() throws {
    guard let dir = binaryAndFolder("json-error") else { return }
    defer { ReportFolder.removeTree(dir) }
    let missing = dir + "/none.csv"
    for format in ["json", "plain"] {
      let outcome = waitKilled(
        spawn(
          ["run", "--orders", missing, "--no-history", "--out", dir + "/out", "--log-format", format],
          stderr: dir + "/\(format).log"))
      #expect(!outcome.killed && outcome.status == 2)
      let lines = (readText(dir + "/\(format).log") ?? "").split(separator: "\n")
      let last = String(lines.last ?? "")
      if format == "json" {
        #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
        #expect(last.contains("\"level\":\"error\"") && last.contains(missing))
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: String]
        #expect(object?["message"]?.contains(missing) == true)
      } else {
        #expect(last.hasPrefix("loyalty: ") && last.contains(missing))
      }
    }
  }

  /// `loyalty history` lists a database; a path with none is an error (exit 2), and no
  /// empty database is left there.
  @Test func historyOfAMissingDatabaseIsAnError() throws {
    guard let dir = binaryAndFolder("nohistory") else { return }
    defer { ReportFolder.removeTree(dir) }
    let outcome = waitKilled(spawn(["history", "--history", dir + "/typo.sqlite"]))
    #expect(!outcome.killed && outcome.status == 2)
    #expect(access(dir + "/typo.sqlite", F_OK) != 0)
    // A date that is none is bad usage too, and deletes nothing.
    let store = try HistoryStore(path: dir + "/history.sqlite")
    try store.save(
      RunSnapshot(
        asOf: Day("2026-09-30")!, toolVersion: "t", configSHA256: "c", inputs: "", seed: 1, minorDigits: 2,
        headline: [], members: []))
    let badDate = waitKilled(spawn(["history", "--history", dir + "/history.sqlite", "--forget-before", "2026-13-01"]))
    #expect(!badDate.killed && badDate.status == 2)
    #expect(try store.list().count == 1)
  }

  /// `loyalty sample` onto a full disk stops with exit 2 and a sentence, and leaves
  /// neither file: it said "wrote" with exit 0 over a cut orders.csv and an empty
  /// id_map.csv. The disk is /dev/full, behind the name the orders are written to first.
  @Test func aSampleThatCannotBeWrittenWholeLeavesNoFiles() throws {
    guard let dir = binaryAndFolder("fullsample") else { return }
    defer { ReportFolder.removeTree(dir) }
    func names() -> [String] {
      ReportFolder.entries(prefix: "", in: dir + "/out").map(ReportFolder.lastComponent).filter {
        $0 != "." && $0 != ".."
      }
    }
    // Files of at most 8 KiB, and the signal that limit sends ignored, so that the
    // write past it fails (EFBIG) as a write to a full disk does.
    let script = "trap '' XFSZ; ulimit -f 16; exec \"$0\" sample --orders 20000 --out \"$1\""
    let full = waitKilled(
      spawn(["-c", script, loyaltyBinary, dir + "/out"], stderr: dir + "/stderr.txt", program: "/bin/sh"))
    #expect(!full.killed && full.status == 2)
    #expect(readText(dir + "/stderr.txt")?.contains("orders.csv: cannot be written completely (File too large") == true)
    #expect(names().isEmpty, "a file is left: \(names())")
    // The same files written whole, for contrast.
    let whole = waitKilled(spawn(["sample", "--orders", "20000", "--out", dir + "/out"]))
    #expect(!whole.killed && whole.status == 0)
    #expect(names() == ["id_map.csv", "orders.csv"])
    // Beyond what one run reads: bad usage, nothing written.
    let huge = waitKilled(spawn(["sample", "--orders", "3000000000", "--out", dir]))
    #expect(!huge.killed && huge.status == 2)
    #expect(access(dir + "/orders.csv", F_OK) != 0)
  }
}

/// A run replaces an earlier report whole, so it refuses a target that holds anything
/// else: a plain file, or a folder with a file no report has. The refused target is
/// left as it was.
@Suite struct ReportTargetTests {
  func folder() -> String {
    TestScratch.folder("target")
  }

  @Test func aFolderWithOtherFilesOrAPlainFileIsNotReplaced() throws {
    let dir = folder()
    let keep = dir + "/keep"
    mkdir(keep, 0o755)
    try ReportFolder.writeFile(keep + "/important.txt", "x")
    #expect(throws: LoyaltyError.self) { try ReportFolder.write([("report.md", "new")], to: keep) }
    #expect(access(keep + "/important.txt", F_OK) == 0)
    #expect(access(keep + "/report.md", F_OK) != 0)
    try ReportFolder.writeFile(dir + "/plain", "y")
    #expect(throws: LoyaltyError.self) { try ReportFolder.write([("report.md", "new")], to: dir + "/plain") }
    #expect(access(dir + "/plain", F_OK) == 0)
  }

  @Test func anEarlierReportOrAnEmptyFolderIsReplaced() throws {
    let dir = folder()
    mkdir(dir + "/empty", 0o755)
    try ReportFolder.write([("report.md", "one")], to: dir + "/empty")
    try ReportFolder.write(
      [("levels.md", "two"), ("levels.csv", "a\n"), ("pyramid.svg", "<svg/>")], to: dir + "/empty")
    #expect(access(dir + "/empty/levels.md", F_OK) == 0)
    #expect(access(dir + "/empty/report.md", F_OK) != 0)
  }

  /// Every file of the sample report is one the guard knows as a report's.
  @Test func everyFileOfTheSampleReportIsAReportFile() throws {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/Reports/sample")) ?? []
    #expect(names.count >= 16)
    #expect(names.allSatisfy(ReportFolder.isReportFileName))
  }
}
