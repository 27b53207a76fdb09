import ArgumentParser
import LoyaltyCore
import LoyaltyReport

/// `loyalty levels`: fit or evaluate level thresholds without the points stage.
struct LevelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "levels",
    abstract: "Fit level thresholds to a pyramid, or evaluate given ones (what-if).",
    discussion: """
      Prints the level table. Examples:
        loyalty levels --orders SampleData/orders.csv --as-of 2026-10-31 --count 5 --ratio 0.4
        loyalty levels --orders SampleData/orders.csv --as-of 2026-10-31 --thresholds 500,1500,3000,6000
      """)

  @OptionGroup var options: PipelineOptions
  @OptionGroup var log: LogOptions

  @Option(help: "Thresholds t1 < ... < t(K-1) in major units, comma-separated: evaluate instead of fitting.")
  var thresholds: String?

  @Option(help: "Number of levels K (2...10) to fit.")
  var count: Int?

  @Option(help: "Geometric ratio of the target shares.")
  var ratio: Double?

  @Option(help: "Explicit target shares, comma-separated, level 1 first.")
  var shares: String?

  @Option(help: "Candidate threshold step in major units.")
  var step: Int?

  @Option(help: "Relegation policy: full or one_step.")
  var policy: String?

  @Option(help: "Also write levels.md, levels.csv, migration.csv and the charts into this folder.")
  var out: String?

  func run() throws {
    log.bootstrap()
    var request = try options.request(until: .levels)
    var levels = request.config.levels
    if let thresholds {
      levels.thresholds = try parseList(thresholds, flag: "--thresholds", kind: "a whole number") { Int($0) }
    }
    if let count { levels.count = count }
    if let ratio { levels.ratio = ratio }
    if let shares { levels.shares = try parseList(shares, flag: "--shares") { Double($0) } }
    if let step { levels.step = step }
    if let policy {
      guard let p = RelegationPolicy(rawValue: policy) else {
        throw LoyaltyError.input("--policy must be full or one_step, not '\(policy)'.")
      }
      levels.policy = p
    }
    let flags: [(String, Bool)] = [
      ("thresholds", thresholds != nil), ("count", count != nil), ("ratio", ratio != nil), ("shares", shares != nil),
      ("step", step != nil),
    ]
    try ConfigLoader.validateLevels(
      levels, source: request.configPath ?? "the default configuration",
      flags: Set(flags.filter(\.1).map(\.0)))
    request.config.levels = levels
    // Held from the start, as `loyalty run` does, so no two commands write one folder.
    let lock = try out.map { folder throws(LoyaltyError) in try OutputLock(folder: folder) }
    let result = try Pipeline.run(request)
    logIngestCounts(result)
    let report = ReportBuilder(run: result, inputs: []).levelsOnly()
    print(report.markdown, terminator: "")
    if let out { try ReportFolder.write(report.files, to: out) }
    withExtendedLifetime(lock) {}
  }
}

/// The comma-separated values of `flag`, each read by `parse`; a value it refuses is
/// named as not being `kind`.
func parseList<T>(_ text: String, flag: String, kind: String = "a number", _ parse: (String) -> T?) throws -> [T] {
  var values: [T] = []
  for (k, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
    let trimmed = part.trimmingCharacters(in: " ")
    guard !trimmed.isEmpty else {
      throw LoyaltyError.input("\(flag) '\(text)': value \(k + 1) is empty; separate the values by single commas.")
    }
    guard let value = parse(trimmed) else {
      throw LoyaltyError.input("\(flag) '\(text)': '\(trimmed)' is not \(kind).")
    }
    values.append(value)
  }
  return values
}

extension StringProtocol {
  func trimmingCharacters(in set: Character) -> String {
    String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
  }
}
