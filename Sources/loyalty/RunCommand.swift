import ArgumentParser
import Logging
import LoyaltyCore
import LoyaltyHistory
import LoyaltyReport

/// `loyalty run`: the whole pipeline, writing one report folder and storing the run
/// in the monthly history.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the pipeline and write the report folder.",
    discussion: """
      Writes <out_dir>/<as_of>/ (or --out DIR) whole or not at all: report.md, charts and CSVs,
      compares with the previous run stored in the history database and stores this one.
      --until stops after a stage and writes what the stages so far own
      (with rfm: rejects.csv, identity.csv, members.csv and segments.csv); such a run
      compares with the history but is not stored in it.

      Monthly, unattended (as-of defaults to the last day of the previous month):
        loyalty run --config pipeline.toml --orders exports/web.csv --orders exports/app.csv --id-map id_map.csv
      """)

  @OptionGroup var options: PipelineOptions
  @OptionGroup var log: LogOptions

  @Option(help: "The report folder to write (default: <report.out_dir>/<as_of>).")
  var out: String?

  @Option(help: "Last stage to run: ingest, identity, rfm, levels, points, report.")
  var until: PipelineStage = .report

  @Option(help: "The SQLite history database (default: [report] history_database).")
  var history: String?

  @Flag(help: "Neither read nor write the monthly history.")
  var noHistory = false

  @Flag(help: "Leave stage timings out of manifest.json, so that the whole folder is byte-identical across runs.")
  var noTimings = false

  func run() throws {
    log.bootstrap()
    let logger = Logger(label: "loyalty")
    let request = try options.request(until: until)
    let folder = out ?? request.config.report.outDir + "/" + request.asOf.description
    let lock = try OutputLock(folder: folder)
    logger.info("as-of \(request.asOf), \(request.ordersPaths.count) orders file(s), \(request.threads) thread(s)")
    let staging = try StagingFolder(for: folder)
    // An earlier report of another as-of is replaced too (`--out Reports/latest` each
    // month), but said: `--out` given last month's folder by mistake loses it.
    if let earlier = ReportFolder.reportAsOf(folder), earlier != request.asOf.description {
      logger.warning("\(folder) holds the report of as-of \(earlier); this run's, as-of \(request.asOf), replaces it")
    }
    // With more than one thread, identity.csv is written beside cleaning and RFM.
    var identityFile: BackgroundIdentityFile?
    // The inputs are hashed once the id map is read (see `StartGate`).
    let hashingGate = StartGate()
    let (result, inputs) = try InputFingerprint.inputs(of: request, startingAt: hashingGate) {
      () throws(LoyaltyError) in
      try Pipeline.run(request) { line in
        if stderrIsTerminal && log.logFormat == .plain {
          printError("\u{1B}[2K\r… " + line)
        } else {
          logger.info("\(line)")
        }
      } afterIdMap: {
        hashingGate.open()
      } afterIdentity: { orders, identity in
        if request.threads > 1 {
          identityFile = BackgroundIdentityFile(into: staging, orders: orders, identity: identity)
        }
      }
    }
    let historyPath = history ?? request.config.report.historyDatabase
    // A missing or empty file starts the history afresh: said, since a wrong working
    // directory or path does the same.
    let state = noHistory ? .present : HistoryStore.fileState(at: historyPath)
    if state != .present {
      logger.warning(
        "no history database at \(historyPath)\(state == .empty ? " (the file is empty)" : ""): a new one is made, and nothing is compared this time"
      )
    }
    let store = noHistory ? nil : try HistoryStore(path: historyPath)
    let previous = try store?.previous(before: request.asOf)
    let builder = ReportBuilder(
      run: result, inputs: inputs, previous: previous, historyEnabled: store != nil,
      historyPath: history.flatMap { $0 == request.config.report.historyDatabase ? nil : $0 })
    // The history entry is saved just before the report moves into place, not after:
    // a run stopped between the two would otherwise publish a report the history lacks.
    try builder.write(into: staging, identityFile: identityFile, includeTimings: !noTimings) {
      () throws(LoyaltyError) in
      // Only a whole run is a month's record: a run stopped early by --until would
      // replace that month's stored run with one that lacks its levels and points.
      if let store {
        if until == .report {
          try store.save(run: result, inputs: inputs)
          logger.info("run stored in \(store.path)")
        } else {
          logger.info("run not stored in \(store.path): it stopped after \(until.rawValue)")
        }
      }
    }
    withExtendedLifetime(lock) {}
    for file in result.ingest.files {
      print("\(file.file): read \(file.read) = accepted \(file.accepted) + rejected \(file.rejected)")
    }
    print("report written to \(folder)/report.md")
  }
}
