import ArgumentParser
import Foundation
import LoyaltyCore
import LoyaltyHistory
import LoyaltyReport

/// `loyalty history`: lists the runs stored in the monthly history, after deleting the
/// ones before `--forget-before` when given (each month stores a row per member).
struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "List the runs stored in the monthly history database.")

  @Option(help: "The TOML configuration (for [report] history_database).")
  var config: String?

  @Option(help: "The SQLite history database.")
  var history: String?

  @Option(
    help: ArgumentHelp(
      "Delete the runs stored with an as-of before this date (YYYY-MM-DD), with their member rows, then list the rest.",
      valueName: "date"))
  var forgetBefore: String?

  func run() throws {
    let loaded = try config.map { path throws(LoyaltyError) in try ConfigLoader.load(path: path) } ?? LoyaltyConfig()
    let path = history ?? loaded.report.historyDatabase
    // Listing reads: a mistyped path is an error, not a new empty database.
    guard HistoryStore.fileState(at: path) != .missing else {
      throw LoyaltyError.input(
        "\(path): there is no history database here; `loyalty run` creates it when it stores its first month.")
    }
    // A date that is none is refused before the database is opened.
    let forgetDay = try forgetBefore.map { text throws(LoyaltyError) in
      guard let day = Day(text) else {
        throw LoyaltyError.input("--forget-before: '\(text)' is not a date; give it as YYYY-MM-DD.")
      }
      return day
    }
    let store = try HistoryStore(path: path)
    if let forgetDay {
      let forgotten = try store.forget(before: forgetDay)
      print("Deleted \(forgotten) run(s) stored with an as-of before \(forgetDay).")
    }
    let runs = try store.list()
    guard !runs.isEmpty else {
      print("No runs stored in \(path) yet.")
      return
    }
    var table = MarkdownTable([
      ("as_of", .left), ("members", .right), ("net revenue", .right), ("cost % revenue", .right), ("config", .left),
      ("version", .left),
    ])
    for run in runs {
      table.add([
        run.asOf.description, formatThousands(run.members),
        run.headline["net_revenue"].map { formatDecimal($0, decimals: 2) } ?? "–",
        run.headline["cost_share_of_revenue"].map { formatPercent($0, decimals: 2) } ?? "–",
        String(run.configSHA256.prefix(12)), run.toolVersion,
      ])
    }
    print(table.text, terminator: "")
  }
}
