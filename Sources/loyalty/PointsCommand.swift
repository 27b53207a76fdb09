import ArgumentParser
import LoyaltyCore
import LoyaltyReport

/// `loyalty points`: the points simulation only, for finance.
struct PointsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "points",
    abstract: "Simulate points cost and liability and write the points section and CSVs.",
    discussion: """
      Writes points.md, points_summary.csv, points_monthly.csv, points_sensitivity.csv and
      points_monthly.svg into --out (default: <report.out_dir>/<as_of>-points). Example:
        loyalty points --orders SampleData/orders.csv --as-of 2026-10-31 --target-redemption-rate 0.3 --runs 200
      """)

  @OptionGroup var options: PipelineOptions
  @OptionGroup var log: LogOptions

  @Option(help: "Monte Carlo runs.")
  var runs: Int?

  @Option(name: .customLong("claim-ratio"), help: "Share of counted orders whose points are claimed (0...1).")
  var claimRatio: Double?

  @Option(name: .customLong("p-redeem"), help: "Monthly redemption probability (0...1).")
  var pRedeem: Double?

  @Option(name: .customLong("target-redemption-rate"), help: "Calibrate p_redeem to hit this redemption rate (0...1).")
  var targetRedemptionRate: Double?

  @Option(help: "Expiry rule: rolling, annual or none.")
  var expiry: String?

  @Option(help: "The folder to write.")
  var out: String?

  func run() throws {
    log.bootstrap()
    var request = try options.request(until: .points)
    // The flags meet the ranges the config file's keys meet, named as flags.
    for (flag, value) in [
      ("--claim-ratio", claimRatio), ("--p-redeem", pRedeem), ("--target-redemption-rate", targetRedemptionRate),
    ] {
      if let value, !(0...1).contains(value) {
        throw LoyaltyError.input("\(flag) must be between 0 and 1 (got \(value)).")
      }
    }
    if let runs, !(1...100_000).contains(runs) {
      throw LoyaltyError.input("--runs must be from 1 to 100000 (got \(runs)).")
    }
    var points = request.config.points
    if let runs { points.runs = runs }
    if let claimRatio { points.claimRatio = claimRatio }
    if let pRedeem { points.redeemProbability = pRedeem }
    if let targetRedemptionRate { points.targetRedemptionRate = targetRedemptionRate }
    if let expiry {
      guard let rule = ExpiryRule(rawValue: expiry) else {
        throw LoyaltyError.input("--expiry must be rolling, annual or none, not '\(expiry)'.")
      }
      points.expiry = rule
    }
    request.config.points = points
    let folder = out ?? request.config.report.outDir + "/" + request.asOf.description + "-points"
    // Held from the start, as `loyalty run` does, so no two commands write one folder.
    let lock = try OutputLock(folder: folder)
    let result = try Pipeline.run(request)
    logIngestCounts(result)
    let report = ReportBuilder(run: result, inputs: []).pointsOnly()
    try ReportFolder.write(report.files, to: folder)
    withExtendedLifetime(lock) {}
    print(report.markdown, terminator: "")
    print("points written to \(folder)/")
  }
}
