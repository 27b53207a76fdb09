import ArgumentParser
import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The input options shared by `run`, `levels` and `points` (SPEC 9).
struct PipelineOptions: ParsableArguments {
  @Option(help: "The TOML configuration; without it SPEC's defaults apply.")
  var config: String?

  @Option(name: .customLong("orders"), help: "An orders CSV; repeat for one file per channel export.")
  var orders: [String] = []

  @Option(name: .customLong("id-map"), help: "The id map CSV (channel, customer_ref, member_id).")
  var idMap: String?

  @Option(
    name: .customLong("as-of"), help: "The as-of date YYYY-MM-DD, inclusive (default: last day of the previous month).")
  var asOf: String?

  @Option(help: "Random seed of the simulation (overrides [run] seed).")
  var seed: UInt64?

  @Option(help: "Worker threads, 0 for one per core (overrides [run] threads). Results do not depend on it.")
  var threads: Int?

  /// The configuration file with flags applied.
  func loadConfig() throws(LoyaltyError) -> LoyaltyConfig {
    var loaded = try config.map { path throws(LoyaltyError) in try ConfigLoader.load(path: path) } ?? LoyaltyConfig()
    if let seed { loaded.run.seed = seed }
    if let threads {
      guard threads >= 0 else { throw .input("--threads must be 0 (one per core) or more, not \(threads).") }
      loaded.run.threads = threads
    }
    return loaded
  }

  /// The as-of date: the flag, or the last day of the previous month in the business zone.
  func resolveAsOf(_ config: LoyaltyConfig) throws(LoyaltyError) -> Day {
    if let asOf {
      guard let day = Day(asOf) else {
        throw .input("--as-of '\(asOf)' is not a date in the form YYYY-MM-DD.")
      }
      return day
    }
    let now = Int64(time(nil)) + Int64(config.input.businessOffsetSeconds)
    let today = Day(number: Int32(now / 86_400))
    return Day.lastDayOfPreviousMonth(today: today)
  }

  func request(until: PipelineStage) throws(LoyaltyError) -> RunRequest {
    let config = try loadConfig()
    guard !orders.isEmpty else {
      throw .input("No orders file given; pass --orders FILE (repeat it for several files).")
    }
    let threads = config.run.threads == 0 ? max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) : config.run.threads
    return RunRequest(
      ordersPaths: orders, idMapPath: idMap, asOf: try resolveAsOf(config), config: config, threads: threads,
      until: until, configPath: self.config)
  }
}

extension PipelineStage: ExpressibleByArgument {}
