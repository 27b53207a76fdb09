import ArgumentParser
import Logging
import LoyaltyCore
import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How log lines look on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
  case plain, json
}

/// One JSON object per line on stderr: `{"time":...,"level":...,"label":...,"message":...}`.
struct JSONLogHandler: LogHandler {
  let label: String
  var logLevel: Logger.Level = .info
  var metadata: Logger.Metadata = [:]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    let level = event.level
    let message = event.message
    let extra = event.metadata
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var fields = [
      ("time", "\(now.tv_sec).\(String(now.tv_nsec / 1_000_000).leftPadded(3))"), ("level", level.rawValue),
      ("label", label), ("message", message.description),
    ]
    for (key, value) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
      fields.append((key, value.description))
    }
    // The same string escaping as manifest.json.
    let body = fields.map { JSONValue.string($0.0).render() + ":" + JSONValue.string($0.1).render() }
      .joined(separator: ",")
    printError("{" + body + "}")
  }
}

extension String {
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}

/// Options every subcommand shares for its logs.
struct LogOptions: ParsableArguments {
  @Option(name: .customLong("log-format"), help: "Log lines on stderr: plain or json.")
  var logFormat: LogFormat = .plain

  @Flag(name: .customLong("quiet"), help: "Log warnings and errors only.")
  var quiet = false

  /// Installs the handler once per process.
  func bootstrap() {
    let level: Logger.Level = quiet ? .warning : .info
    let format = logFormat
    LoggingSystem.bootstrap { label in
      switch format {
      case .plain:
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
      case .json:
        var handler = JSONLogHandler(label: label)
        handler.logLevel = level
        return handler
      }
    }
  }
}

/// True when stderr is a terminal, so a progress line may be redrawn in place.
var stderrIsTerminal: Bool { isatty(2) != 0 }

/// For the commands that print a report on stdout (`levels`, `points`): each orders
/// file's `read = accepted + rejected` on stderr, as a warning when records were
/// rejected (`loyalty run` lists them in rejects.csv), so that no reject goes unsaid.
func logIngestCounts(_ result: RunResult) {
  let logger = Logger(label: "loyalty")
  for file in result.ingest.files {
    let line = "\(file.file): read \(file.read) = accepted \(file.accepted) + rejected \(file.rejected)"
    if file.rejected > 0 {
      logger.warning("\(line); `loyalty run` lists each reject with its line and reason in rejects.csv")
    } else {
      logger.info("\(line)")
    }
  }
}
