import ArgumentParser
import Foundation
import LoyaltyCore
import LoyaltyHistory
import LoyaltyReport

/// `loyalty history`: lists the runs stored in the monthly history.
struct HistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history",
    abstract: "List the runs stored in the monthly history database.")

  @Option(help: "The TOML configuration (for [report] history_database).")
  var config: String?

  @Option(help: "The SQLite history database.")
  var history: String?

  func run() throws {
    let loaded = try config.map { path throws(LoyaltyError) in try ConfigLoader.load(path: path) } ?? LoyaltyConfig()
    let path = history ?? loaded.report.historyDatabase
    // Listing reads: a mistyped path is an error, not a new empty database.
    guard FileManager.default.fileExists(atPath: path) else {
      throw LoyaltyError.input(
        "\(path): there is no history database here; `loyalty run` creates it when it stores its first month.")
    }
    let runs = try HistoryStore(path: path).list()
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
