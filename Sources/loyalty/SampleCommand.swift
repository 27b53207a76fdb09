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
    // A run reads at most Int32.max orders (rows are numbered in 32 bits).
    guard orders > 0, orders <= Int(Int32.max) else {
      throw ValidationError("--orders must be from 1 to \(Int32.max), the most orders one run reads.")
    }
    guard let endDay = Day(end) else { throw ValidationError("--end '\(end)' is not a date YYYY-MM-DD.") }
    try ReportFolder.makeDirectories(out)
    var generator = SampleGenerator(options: .init(orders: orders, seed: seed, end: endDay, clean: clean))
    let ordersPath = out + "/orders.csv"
    let mapPath = out + "/id_map.csv"
    // Written beside their names and renamed when whole; a write that falls short (a
    // full disk, say) stops the generator and removes both, instead of leaving a cut
    // file under the final name.
    guard let ordersFile = fopen(ordersPath + ".tmp", "wb") else {
      throw LoyaltyError.input("\(out): cannot write the sample files there (\(String(cString: strerror(errno)))).")
    }
    guard let mapFile = fopen(mapPath + ".tmp", "wb") else {
      fclose(ordersFile)
      unlink(ordersPath + ".tmp")
      throw LoyaltyError.input("\(out): cannot write the sample files there (\(String(cString: strerror(errno)))).")
    }
    func put(_ chunk: String, into file: UnsafeMutablePointer<FILE>, _ path: String) throws(LoyaltyError) {
      var text = chunk
      let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
      if !written {
        throw .input("\(path): cannot be written completely (\(String(cString: strerror(errno)))).")
      }
    }
    do throws(LoyaltyError) {
      try generator.generate(
        ordersSink: { chunk throws(LoyaltyError) in try put(chunk, into: ordersFile, ordersPath) },
        mapSink: { chunk throws(LoyaltyError) in try put(chunk, into: mapFile, mapPath) })
      // The last buffered bytes, and any write error the buffer met before.
      for (file, path) in [(ordersFile, ordersPath), (mapFile, mapPath)] {
        if fflush(file) != 0 || ferror(file) != 0 {
          throw .input("\(path): cannot be written completely (\(String(cString: strerror(errno)))).")
        }
      }
    } catch {
      fclose(ordersFile)
      fclose(mapFile)
      unlink(ordersPath + ".tmp")
      unlink(mapPath + ".tmp")
      throw error
    }
    guard fclose(ordersFile) == 0, fclose(mapFile) == 0, rename(ordersPath + ".tmp", ordersPath) == 0,
      rename(mapPath + ".tmp", mapPath) == 0
    else {
      unlink(ordersPath + ".tmp")
      unlink(mapPath + ".tmp")
      throw LoyaltyError.input("\(out): the sample files could not be written completely.")
    }
    print("wrote \(ordersPath) (\(orders) orders) and \(mapPath)")
  }
}
