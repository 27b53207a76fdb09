import Dispatch
import Foundation
import LoyaltyCore

/// The version written into every manifest.
public let loyaltyVersion = "0.1.0"

/// Turns a run's stage outputs into the files of a report folder (SPEC 8). Reads the
/// outputs only; computes nothing that a stage should own.
public struct ReportBuilder: Sendable {
  public let run: RunResult
  public let inputs: [InputFingerprint]
  /// The previous stored run, for the month-over-month section; nil without history.
  public let previous: RunSnapshot?
  /// False when no history is kept (`--no-history`): the section is left out.
  public let historyEnabled: Bool
  /// The history database given on the command line, when not the configured one (for
  /// the report's rerun line).
  public let historyPath: String?
  let digits: Int
  let currency: String
  /// The counted orders' first and last business dates (members.csv's date cells and
  /// the data-quality section both use them); nil before cleaning or with no order.
  let orderDays: ClosedRange<Int32>?
  /// Rows per block of the member-sized files (tests make it small).
  var rowsPerBlock = ReportBuilder.rowsPerBlock

  public init(
    run: RunResult, inputs: [InputFingerprint], previous: RunSnapshot? = nil, historyEnabled: Bool = false,
    historyPath: String? = nil
  ) {
    self.run = run
    self.inputs = inputs
    self.previous = previous
    self.historyEnabled = historyEnabled
    self.historyPath = historyPath
    digits = run.request.config.input.minorDigits
    currency = run.request.config.input.currency
    orderDays = run.cleaning?.history.dayRange()
  }

  /// Every file of the folder, in a fixed order, each whole in memory. Timings go into
  /// the manifest only when `includeTimings` is set (the one part that is not
  /// reproducible). Future orders' and later copies' records are read back from their
  /// orders files without the checks `write` makes (see `checkRejectSources`).
  public func files(includeTimings: Bool = true) -> [(name: String, contents: String)] {
    files(includeTimings: includeTimings, memberSized: true)
  }

  /// Writes the report folder `folder` whole or not at all (see `write(into:)`).
  public func write(
    to folder: String, includeTimings: Bool = true,
    beforePublishing: (() throws(LoyaltyError) -> Void)? = nil
  ) throws(LoyaltyError) {
    try write(into: StagingFolder(for: folder), includeTimings: includeTimings, beforePublishing: beforePublishing)
  }

  /// Writes the files of `files()` into `staging` and publishes it, with rejects.csv,
  /// identity.csv and members.csv written in blocks as their rows are made, so none is
  /// ever held in memory whole. `identityFile`, when given, is identity.csv already being written
  /// into `staging` (started once identity was done); it is waited for, not written
  /// again. `beforePublishing` runs once every file is written and before the folder
  /// moves into place (the run's history entry is saved there, so that a run stopped
  /// at any point leaves the report and the history as a whole, less the instant
  /// between the history's commit and the rename); when it throws, the earlier report
  /// stays.
  public func write(
    into staging: StagingFolder, identityFile: BackgroundIdentityFile? = nil, includeTimings: Bool = true,
    beforePublishing: (() throws(LoyaltyError) -> Void)? = nil
  ) throws(LoyaltyError) {
    let written = Result { () throws(LoyaltyError) in
      // The small files (the report, its charts, the manifest) are made beside the
      // member-sized ones, whose writing waits on the disk and leaves a core part idle,
      // and are written after them.
      let small = LowPriorityTask { [self] () throws(LoyaltyError) in
        files(includeTimings: includeTimings, memberSized: false)
      }
      for file in memberSizedFiles(skippingIdentity: identityFile != nil) {
        try file.write(into: staging.path, threads: run.request.threads)
      }
      try checkRejectSources()
      for file in try small.value() {
        try ReportFolder.writeFile(staging.path + "/" + file.name, file.contents)
      }
    }
    // Waited for even when the rest failed, so the first failure is the one reported.
    let background = Result { () throws(LoyaltyError) in try identityFile?.wait() }
    try written.get()
    try background.get()
    try beforePublishing?()
    try staging.publish()
  }

  /// `files()`, leaving out rejects.csv, identity.csv and members.csv when `memberSized` is false.
  func files(includeTimings: Bool, memberSized: Bool) -> [(name: String, contents: String)] {
    var files: [(String, String)] = []
    var memberSizedTexts: [String: String] = [:]
    if memberSized {
      for file in memberSizedFiles() { memberSizedTexts[file.name] = file.text }
    }
    if let rejects = memberSizedTexts["rejects.csv"] { files.append(("rejects.csv", rejects)) }
    if let identity = memberSizedTexts["identity.csv"] { files.append(("identity.csv", identity)) }
    if let rfm = run.rfm {
      if let members = memberSizedTexts["members.csv"] { files.append(("members.csv", members)) }
      files.append(("segments.csv", segmentsCSV(rfm)))
    }
    files += levelFiles()
    files += pointsFiles()
    files += charts()
    files.append(("report.md", reportMarkdown()))
    files.append(("manifest.json", manifest(includeTimings: includeTimings)))
    return files
  }

  // MARK: CSV files

  /// A file with a row per reject, ref or member: its header, a size hint for building it
  /// in memory, and its rows in blocks (`block(k, &csv)` appends block k's rows), so
  /// that several threads can make them (`ReportFolder.writeCSV`).
  struct MemberSizedFile {
    let name: String
    let header: [String]
    let reserve: Int
    let rows: Int
    let rowsPerBlock: Int
    /// Appends the rows of a range.
    let rowsIn: @Sendable (Range<Int>, inout ByteCSV) -> Void

    var blocks: Int { (rows + rowsPerBlock - 1) / rowsPerBlock }

    /// Appends block k's rows.
    @Sendable func block(_ k: Int, _ csv: inout ByteCSV) {
      rowsIn(k * rowsPerBlock..<min(rows, (k + 1) * rowsPerBlock), &csv)
    }

    /// The file as text (what `files()` holds).
    var text: String {
      var csv = ByteCSV(header: header, reserve: reserve)
      for k in 0..<blocks { block(k, &csv) }
      return csv.finish()
    }

    /// Writes the file into `folder` (see `ReportFolder.writeCSV`).
    func write(
      into folder: String, threads: Int, cancellation: ReportFolder.WriteCancellation? = nil
    ) throws(LoyaltyError) {
      try ReportFolder.writeCSV(
        folder + "/" + name, header: header, blocks: blocks, threads: threads,
        blockBytes: reserve / max(1, blocks) + 4096, cancellation: cancellation, block: block)
    }
  }

  /// Rows per block of a member-sized file: about 3.5 MB of members.csv.
  static let rowsPerBlock = 32_768

  /// rejects.csv, identity.csv (when identity ran, unless `skippingIdentity`) and
  /// members.csv (when RFM ran).
  func memberSizedFiles(skippingIdentity: Bool = false) -> [MemberSizedFile] {
    var files: [MemberSizedFile] = [rejectsFile()]
    if let identity = run.identity, !skippingIdentity {
      files.append(Self.identityFile(run.ingest.orders, identity, rowsPerBlock: rowsPerBlock))
    }
    if let rfm = run.rfm, let history = run.cleaning?.history {
      files.append(membersFile(history, rfm))
    }
    return files
  }

  /// Stops the run, once the member-sized files are written, when an orders file whose
  /// records rejects.csv reads back (see `RejectList`) has changed in place since it
  /// was read: rejects.csv's rows would not be the records read. Each block of
  /// rejects.csv asks before reading (a shorter file cannot be read safely) and leaves
  /// the records out once a file has changed.
  func checkRejectSources() throws(LoyaltyError) {
    let changed = run.ingest.rejects.changedSources()
    guard !changed.isEmpty else { return }
    let (names, verb, its, it) =
      changed.count == 1 ? (changed[0], "was", "its", "it") : (changed.joined(separator: ", "), "were", "their", "them")
    throw .input(
      "\(names) changed while the run was using \(it) (\(its) size or modification time differs from when the run read \(it)), so the records of \(its) future orders and later copies cannot be written as they \(verb) read; run again once the export is complete."
    )
  }

  /// rejects.csv: a row per reject (millions when an export runs far past as-of): the
  /// orders files' rejects (in input order, each by line), then the id map's; each
  /// list is read where it stands, not joined into a copy.
  func rejectsFile() -> MemberSizedFile {
    let orders = run.ingest.rejects
    let idMap = run.idMap.rejects
    return MemberSizedFile(
      name: "rejects.csv", header: ["file", "line", "code", "reason", "record"],
      reserve: (orders.count + idMap.count) * 160, rows: orders.count + idMap.count, rowsPerBlock: rowsPerBlock
    ) { range, csv in
      func row(
        _ file: String, _ line: Int, _ code: RejectCode, _ reason: UnsafeRawBufferPointer,
        _ record: UnsafeRawBufferPointer
      ) {
        csv.text(file)
        csv.comma()
        csv.integer(Int64(line))
        csv.comma()
        csv.plain(code.rawValue)
        csv.comma()
        csv.text(reason)
        csv.comma()
        csv.text(record)
        csv.newline()
      }
      // A file changed since it was read is not read again (the check after the
      // files are written stops the run).
      let readingFiles = range.lowerBound >= orders.count || orders.changedSources().isEmpty
      orders.forEachCells(in: range.clamped(to: 0..<orders.count), readingFiles: readingFiles, row)
      for k in range.clamped(to: orders.count..<(orders.count + idMap.count)) {
        var reject = idMap[k - orders.count]
        reject.reason.withUTF8 { reason in
          reject.record.withUTF8 { record in
            row(reject.file, reject.line, reject.code, UnsafeRawBufferPointer(reason), UnsafeRawBufferPointer(record))
          }
        }
      }
      // Records read back from the mapped files: those pages go.
      orders.releaseRecords(range.clamped(to: 0..<orders.count))
    }
  }

  static let identityHeader = ["channel", "customer_ref", "member_id", "rule"]
  static let membersHeader = [
    "member_id", "first_order_date", "last_order_date", "recency_days", "frequency", "monetary", "r_score",
    "f_score", "m_score", "rfm_cell", "value_class", "segment", "lifecycle", "power_tag", "growth_value", "level",
  ]

  /// identity.csv: a row per ref, the refs' names from `orders`.
  static func identityFile(
    _ orders: OrderTable, _ identity: IdentityResult, rowsPerBlock: Int = rowsPerBlock
  ) -> MemberSizedFile {
    // By member_id, then (channel, customer_ref): the tuple order is already sorted,
    // so a stable counting sort by member keeps it within each member.
    var start = [Int](repeating: 0, count: identity.memberCount + 1)
    for ref in identity.refsInTupleOrder { start[Int(identity.memberOfRef[Int(ref)]) + 1] += 1 }
    for m in 0..<identity.memberCount { start[m + 1] += start[m] }
    var rows = [Int32](repeating: 0, count: identity.refCount)
    for ref in identity.refsInTupleOrder {
      let m = Int(identity.memberOfRef[Int(ref)])
      rows[start[m]] = ref
      start[m] += 1
    }
    // Channels and rules repeat on every row: rendered once, copied per row.
    let channelCells = renderedCells((0..<Int32(orders.channels.count)).map { orders.channels.string($0) })
    let ruleCells = renderedCells(IdentityRule.allCases.map(\.name))  // raw values 0, 1, 2, 3
    return MemberSizedFile(
      name: "identity.csv", header: identityHeader, reserve: identity.refCount * 48, rows: rows.count,
      rowsPerBlock: rowsPerBlock
    ) { [rows] range, csv in
      // Rows by member visit refs all over their columns: what a row reads is asked for
      // `ahead` rows before (its bytes half as far ahead, once their offset is in).
      let ahead = 16
      for j in range {
        if j + ahead < range.upperBound {
          let later = rows[j + ahead]
          orders.prefetchRef(later, bytes: false)
          identity.prefetchRef(later)
        }
        if j + ahead / 2 < range.upperBound { orders.prefetchRef(rows[j + ahead / 2], bytes: true) }
        let ref = rows[j]
        csv.cell(channelCells, Int(orders.refChannel[Int(ref)]))
        csv.comma()
        orders.withCustomerRef(ref) { csv.text($0) }
        csv.comma()
        identity.memberIDs.withBytes(Int(identity.memberOfRef[Int(ref)])) { csv.text($0) }
        csv.comma()
        csv.cell(ruleCells, Int(identity.ruleOfRef[Int(ref)].rawValue))
        csv.newline()
      }
    }
  }

  /// members.csv: a row per member with a counted order.
  func membersFile(_ history: MemberHistory, _ rfm: RFMResult) -> MemberSizedFile {
    // The level columns alone, not the levels result: a row that tested `run.levels`
    // itself copied the whole optional result (a third of the formatting time).
    let hasLevels = run.levels != nil
    let growthMinor = run.levels?.growthMinor ?? []
    let levelAtAsOf = run.levels?.levelAtAsOf ?? []
    let digits = digits
    // Names and dates repeat across millions of rows: rendered once, copied per row.
    let segmentNames = renderedCells(rfm.segmentNames)
    let classNames = renderedCells(ValueClass.allCases.map(\.name))
    let lifecycleNames = renderedCells(LifecycleStage.allCases.map(\.name))
    let powerTagNames = renderedCells(PowerTag.allCases.map(\.name))
    let dates = DateCells(first: orderDays?.lowerBound ?? 0, last: orderDays?.upperBound ?? -1)
    return MemberSizedFile(
      name: "members.csv", header: Self.membersHeader, reserve: history.memberCount * 110,
      rows: history.memberCount, rowsPerBlock: rowsPerBlock
    ) { range, csv in
      for m in range {
        let orders = history.orders(of: m)
        history.memberIDs.withBytes(m) { csv.text($0) }
        csv.comma()
        csv.date(Day(number: history.day[orders.lowerBound]), from: dates)
        csv.comma()
        csv.date(Day(number: history.day[orders.upperBound - 1]), from: dates)
        csv.comma()
        csv.integer(Int64(rfm.recencyDays[m]))
        csv.comma()
        csv.integer(Int64(rfm.frequency[m]))
        csv.comma()
        csv.money(rfm.monetary[m], digits: digits)
        csv.comma()
        if rfm.r[m] > 0 {
          csv.integer(Int64(rfm.r[m]))
          csv.comma()
          csv.integer(Int64(rfm.f[m]))
          csv.comma()
          csv.integer(Int64(rfm.m[m]))
          csv.comma()
          csv.integer(Int64(rfm.r[m]) * 100 + Int64(rfm.f[m]) * 10 + Int64(rfm.m[m]))
          csv.comma()
          csv.cell(classNames, rfm.valueClass[m]!.rawValue)
          csv.comma()
          csv.cell(segmentNames, Int(rfm.segment[m]))
        } else {
          csv.plain(",,,,,")
        }
        csv.comma()
        csv.cell(lifecycleNames, rfm.lifecycle[m].rawValue)
        csv.comma()
        if let tag = rfm.powerTag[m] { csv.cell(powerTagNames, tag.rawValue) }
        csv.comma()
        if hasLevels {
          csv.money(growthMinor[m], digits: digits)
          csv.comma()
          csv.integer(Int64(levelAtAsOf[m]))
        } else {
          csv.comma()
        }
        csv.newline()
      }
    }
  }

  func segmentsCSV(_ rfm: RFMResult) -> String {
    var csv = CSVText(header: ["kind", "name", "members", "share", "orders", "revenue", "average_order_value"])
    func add(_ kind: String, _ g: GroupSummary) {
      let aov = g.orders > 0 ? plainMoney((g.revenue + Int64(g.orders) / 2) / Int64(g.orders), digits) : ""
      csv.appendRow([
        kind, CSVText.cell(g.name), String(g.members),
        plainShare(rfm.scoredCount > 0 ? Double(g.members) / Double(rfm.scoredCount) : 0),
        String(g.orders), plainMoney(g.revenue, digits), aov,
      ])
    }
    for g in rfm.classes { add("value_class", g) }
    for g in rfm.segments { add("segment", g) }
    return csv.text
  }

  // MARK: manifest

  func manifest(includeTimings: Bool) -> String {
    let request = run.request
    var counts: [(String, JSONValue)] = [
      ("records_read", .number(String(run.ingest.recordsRead))),
      ("records_accepted", .number(String(run.ingest.orders.count))),
      ("records_rejected", .number(String(run.ingest.recordsRejected))),
      ("id_map_rows", .number(String(run.idMap.rowsRead))),
      ("id_map_rejected", .number(String(run.idMap.rejects.count))),
    ]
    if let identity = run.identity {
      counts.append(("refs", .number(String(identity.refCount))))
      counts.append(("members", .number(String(identity.memberCount))))
    }
    if let cleaning = run.cleaning {
      counts.append(("counted_orders", .number(String(cleaning.quality.countedOrders))))
      counts.append(("members_with_counted_orders", .number(String(cleaning.history.memberCount))))
    }
    if let rfm = run.rfm { counts.append(("scored_members", .number(String(rfm.scoredCount)))) }
    var pairs: [(String, JSONValue)] = [
      ("tool", .string("loyalty")),
      ("version", .string(loyaltyVersion)),
      ("as_of", .string(request.asOf.description)),
      ("seed", .number(String(request.config.run.seed))),
      ("until", .string(request.until.rawValue)),
      ("config_sha256", .string(sha256Hex(request.config.settingsText))),
      ("config", .object(request.config.settings.map { ($0.key, .string($0.value)) })),
      (
        "inputs",
        .array(
          inputs.map {
            .object([
              ("role", .string($0.role)), ("path", .string($0.path)), ("bytes", .number(String($0.bytes))),
              ("sha256", .string($0.sha256)),
            ])
          })
      ),
      ("row_counts", .object(counts)),
      (
        "files",
        .array(
          run.ingest.files.map { f in
            .object([
              ("file", .string(f.file)), ("read", .number(String(f.read))), ("accepted", .number(String(f.accepted))),
              ("rejected", .number(String(f.rejected))),
            ])
          })
      ),
    ]
    if includeTimings {
      pairs.append(
        ("timings_seconds", .object(run.timings.map { ($0.stage, .number(plainDecimal($0.seconds, 3))) })))
    }
    return JSONValue.object(pairs).render() + "\n"
  }
}

extension ReportBuilder {
  /// `loyalty levels`: the levels section and its CSVs and charts.
  public func levelsOnly() -> (markdown: String, files: [(name: String, contents: String)]) {
    let md = "# Levels, as of \(run.request.asOf)\n\n" + levelsSection()
    let charts = charts().filter { $0.name == "levels_pyramid.svg" || $0.name == "pareto.svg" }
    return (md, levelFiles() + charts + [("levels.md", md)])
  }

  /// `loyalty points`: the points section and its CSVs and charts.
  public func pointsOnly() -> (markdown: String, files: [(name: String, contents: String)]) {
    let md = "# Points economics, as of \(run.request.asOf)\n\n" + pointsSection()
    return (md, pointsFiles() + pointsCharts() + [("points.md", md)])
  }
}
