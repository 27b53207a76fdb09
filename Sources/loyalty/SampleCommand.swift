import ArgumentParser
import LoyaltyCore
import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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
    guard orders > 0 else { throw ValidationError("--orders must be at least 1.") }
    guard let endDay = Day(end) else { throw ValidationError("--end '\(end)' is not a date YYYY-MM-DD.") }
    try ReportFolder.makeDirectories(out)
    var generator = SampleGenerator(options: .init(orders: orders, seed: seed, end: endDay, clean: clean))
    let ordersPath = out + "/orders.csv"
    let mapPath = out + "/id_map.csv"
    guard let ordersFile = fopen(ordersPath + ".tmp", "wb"), let mapFile = fopen(mapPath + ".tmp", "wb") else {
      throw LoyaltyError.input("\(out): cannot write the sample files there.")
    }
    generator.generate(
      ordersSink: { chunk in
        var text = chunk
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, ordersFile) }
      },
      mapSink: { chunk in
        var text = chunk
        text.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, mapFile) }
      })
    guard fclose(ordersFile) == 0, fclose(mapFile) == 0, rename(ordersPath + ".tmp", ordersPath) == 0,
      rename(mapPath + ".tmp", mapPath) == 0
    else {
      throw LoyaltyError.input("\(out): the sample files could not be written completely.")
    }
    print("wrote \(ordersPath) (\(orders) orders) and \(mapPath)")
  }
}
