import ArgumentParser
import CHints
import Logging
import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `loyalty` command: staged batch jobs over order exports.
@main
struct Loyalty: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loyalty",
    abstract: "Segment members, fit membership levels and cost a points programme from order exports.",
    discussion: """
      Examples:
        loyalty run --config SampleData/pipeline.toml --orders SampleData/orders.csv --id-map SampleData/id_map.csv --as-of 2026-10-31
        loyalty levels --orders SampleData/orders.csv --thresholds 500,1500,3000,6000,12000,30000
        loyalty points --orders SampleData/orders.csv --target-redemption-rate 0.3
        loyalty sample --orders 50000 --seed 7 --out SampleData

      Exit codes: 0 success, 1 internal error, 2 bad usage or unreadable input, 3 data-quality stop.
      """,
    version: "0.1.0",
    subcommands: [RunCommand.self, LevelsCommand.self, PointsCommand.self, HistoryCommand.self, SampleCommand.self],
    defaultSubcommand: nil)

  /// Maps every failure to SPEC 9's exit codes: 2 for bad usage (argument-parser's
  /// own usage errors included), the error's own code for pipeline failures.
  static func main() {
    keepFreedMemoryForReuse()
    loyalty_stop_on_sigbus(wantsJSONLogs ? 1 : 0)
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as LoyaltyError {
      reportFailure(error.description, plain: "loyalty: " + error.description)
      Glibc.exit(error.exitCode)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Glibc.exit(0)
      }
      reportFailure(fullMessage(for: error))
      Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
    }
  }

  /// True when the command line asks for JSON logs (read before any parsing, so that
  /// a usage error is a JSON line too).
  static var wantsJSONLogs: Bool {
    let arguments = Array(CommandLine.arguments.dropFirst())
    return zip(arguments, arguments.dropFirst()).contains { $0 == ("--log-format", "json") }
      || arguments.contains("--log-format=json")
  }

  /// The sentence a failed run ends with, on stderr: a JSON log line when the command
  /// line asks for JSON logs (a log collector then keeps the one line that matters,
  /// usage errors included), else plain text.
  static func reportFailure(_ message: String, plain: String? = nil) {
    if wantsJSONLogs {
      Logger(label: "loyalty") { JSONLogHandler(label: $0) }.error("\(message)")
    } else {
      printError(plain ?? message)
    }
  }
}

/// Asks glibc to keep the memory a stage frees for the stages after it. The stages hold
/// columns of tens to hundreds of MB, each stage freeing some and allocating others. By
/// default glibc maps every block over 32 MiB on its own and unmaps it when freed, so
/// that the next stage's columns take fresh pages, each faulted in and zeroed again
/// (at 10M orders about 1.2 s of system time on the bench machine, a virtual machine
/// where a page the kernel has not used lately costs about 2 µs). With no block mapped
/// on its own and one arena for all threads, freed columns are reused from the heap:
/// 10M ingest -> rfm 0.94 of the time for about 9% more peak memory. The per-row loops
/// allocate nothing; the parallel stages allocate a few arrays per member or per part,
/// and the 1M full run, whose points stage does so on both threads, took the same time.
func keepFreedMemoryForReuse() {
  loyalty_keep_freed_memory()
}

func printError(_ text: String) {
  let line = text + "\n"
  _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}
