import ArgumentParser
import Logging
import LoyaltyCore
import LoyaltyReport

/// `loyalty run`: the whole pipeline, writing one report folder.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the pipeline and write the report folder.",
    discussion: """
      Writes <out_dir>/<as_of>/ (or --out DIR) whole or not at all: report.md, charts and CSVs.
      --until stops after a stage and writes what the stages so far own
      (with rfm: rejects.csv, identity.csv, members.csv and segments.csv).
      """)

  @OptionGroup var options: PipelineOptions

  @Option(help: "The report folder to write (default: <report.out_dir>/<as_of>).")
  var out: String?

  @Option(help: "Last stage to run: ingest, identity, rfm, levels, points, report.")
  var until: PipelineStage = .report

  @Flag(help: "Leave stage timings out of manifest.json, so that the whole folder is byte-identical across runs.")
  var noTimings = false

  func run() throws {
    let logger = Logger(label: "loyalty")
    let request = try options.request(until: until)
    let folder = out ?? request.config.report.outDir + "/" + request.asOf.description
    logger.info("as-of \(request.asOf), \(request.ordersPaths.count) orders file(s), \(request.threads) thread(s)")
    let result = try Pipeline.run(request) { line in logger.info("\(line)") }
    var inputs: [InputFingerprint] = []
    for path in request.ordersPaths { inputs.append(try InputFingerprint.of(path: path, role: "orders")) }
    if let idMap = request.idMapPath { inputs.append(try InputFingerprint.of(path: idMap, role: "id_map")) }
    let files = ReportBuilder(run: result, inputs: inputs).files(includeTimings: !noTimings)
    try ReportFolder.write(files, to: folder)
    for file in result.ingest.files {
      print("\(file.file): read \(file.read) = accepted \(file.accepted) + rejected \(file.rejected)")
    }
    print("report written to \(folder)/\(until >= .report ? "report.md" : "")")
  }
}
