import ArgumentParser
import LoyaltyCore
import LoyaltyReport

/// `loyalty sample`: deterministic sample orders and id map.
struct SampleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "Write a deterministic sample orders.csv and id_map.csv.")

  @Option(help: "Number of order records to write.")
  var orders: Int

  @Option(help: "Random seed; the same seed gives the same files.")
  var seed: UInt64 = 7

  @Option(help: "The folder that receives orders.csv and id_map.csv.")
  var out: String

  @Option(help: "Last business date of regular orders, YYYY-MM-DD.")
  var end: String = "2026-10-31"

  @Flag(help: "No malformed records, hub keys or linking hashes (for benchmarks against SQL).")
  var clean = false

  func run() throws {
    // A run reads at most Int32.max orders (rows are numbered in 32 bits).
    guard orders > 0, orders <= Int(Int32.max) else {
      throw ValidationError("--orders must be from 1 to \(Int32.max), the most orders one run reads.")
    }
    guard let endDay = Day(end) else { throw ValidationError("--end '\(end)' is not a date YYYY-MM-DD.") }
    try ReportFolder.makeDirectories(out)
    var generator = SampleGenerator(options: .init(orders: orders, seed: seed, end: endDay, clean: clean))
    let ordersPath = out + "/orders.csv"
    let mapPath = out + "/id_map.csv"
    // Written beside their names and renamed when both are whole: a write that falls
    // short (a full disk, say) stops the generator and removes both, instead of leaving
    // a cut file under the final name.
    let ordersFile = try AtomicFile(ordersPath)
    let mapFile = try AtomicFile(mapPath)
    try generator.generate(
      ordersSink: { chunk throws(LoyaltyError) in try ordersFile.append(chunk) },
      mapSink: { chunk throws(LoyaltyError) in try mapFile.append(chunk) })
    try AtomicFile.commit([ordersFile, mapFile])
    print("wrote \(ordersPath) (\(orders) orders) and \(mapPath)")
  }
}
