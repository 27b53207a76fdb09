import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension ReportBuilder {
  /// `report.md`, in the order SPEC 8 gives.
  func reportMarkdown() -> String {
    var md = "# Loyalty report, as of \(run.request.asOf)\n\n"
    md += summarySection()
    if historyEnabled { md += monthOverMonthSection() }
    md += dataQualitySection()
    md += identitySection()
    if let rfm = run.rfm {
      md += rfmSection(rfm)
      md += lifecycleSection(rfm)
    }
    md += levelsSection()
    md += pointsSection()
    md += reproducibilitySection()
    return md
  }

  func summarySection() -> String {
    var md = "## Summary\n\n"
    let ingest = run.ingest
    md += "- As-of date: **\(run.request.asOf)** (figures count orders up to and including this day).\n"
    md +=
      "- Orders read: \(formatThousands(ingest.recordsRead)); accepted \(formatThousands(ingest.orders.count)), rejected \(formatThousands(ingest.recordsRejected)) (\(percentOf(ingest.recordsRejected, ingest.recordsRead))).\n"
    if let identity = run.identity, let cleaning = run.cleaning {
      md +=
        "- Members: \(formatThousands(identity.memberCount)) from \(formatThousands(identity.refCount)) customer refs; \(formatThousands(cleaning.history.memberCount)) with a counted order.\n"
      md +=
        "- Net revenue of counted orders (all history): \(currency) \(money(cleaning.quality.netRevenue, digits)).\n"
    }
    if let rfm = run.rfm {
      let active =
        rfm.lifecycleCounts[LifecycleStage.new.rawValue] + rfm.lifecycleCounts[LifecycleStage.active.rawValue]
      let windowRevenue = rfm.monetary.reduce(0, +)
      md +=
        "- Active members (new or active, last order within \(run.request.config.lifecycle.activeDays) days): \(formatThousands(active)) (\(percentOf(active, rfm.lifecycle.count))).\n"
      md +=
        "- Scored in the \(run.request.config.rfm.windowDays)-day RFM window: \(formatThousands(rfm.scoredCount)) members, net spend \(currency) \(money(windowRevenue, digits)).\n"
    }
    md += summaryLevelsAndPoints()
    if historyEnabled, let previous {
      let before = Dictionary(previous.headline.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
      let now = RunSnapshot.headline(of: run)
      let changes = now.compactMap { figure -> String? in
        guard ["members_with_counted_orders", "active_members", "window_revenue"].contains(figure.name),
          let was = before[figure.name], was != 0
        else { return nil }
        let delta = (figure.value - was) / abs(was)
        return "\(figure.name.replacing("_", with: " ")) \(delta >= 0 ? "+" : "")\(formatPercent(delta))"
      }
      if !changes.isEmpty { md += "- Since \(previous.asOf): \(changes.joined(separator: ", ")) (details below).\n" }
    }
    return md + "\n"
  }

  /// A line break in a channel or customer_ref is valid CSV (a quoted field may hold
  /// one), so such records are accepted as SPEC reads them; but in a key it most often
  /// means a stray quote (`"u1"x`) that ran the next lines into one record, which
  /// no reject shows. Said with the first such ref, so that it can be found.
  func lineBreaksInRefs() -> String {
    let orders = run.ingest.orders
    func hasLineBreak(_ bytes: UnsafeRawBufferPointer) -> Bool {
      guard let base = bytes.baseAddress else { return false }
      return memchr(base, 0x0A, bytes.count) != nil || memchr(base, 0x0D, bytes.count) != nil
    }
    // The channels are few: each is looked at once, not once a ref.
    let brokenChannel = (0..<Int32(orders.channels.count)).map {
      orders.channels.string($0).utf8.contains { $0 == 0x0A || $0 == 0x0D }
    }
    var count = 0
    var first: String? = nil
    for ref in 0..<Int32(orders.refs.count) {
      guard brokenChannel[Int(orders.refChannel[Int(ref)])] || orders.withCustomerRef(ref, hasLineBreak) else {
        continue
      }
      count += 1
      if first == nil {
        let (channel, customerRef) = orders.refParts(ref)
        let line = "\(channel):\(customerRef)".prefix { $0 != "\n" && $0 != "\r" }
        first = String(line.prefix(60)).replacing("`", with: "'")
      }
    }
    guard let first else { return "" }
    return
      "**Check**: \(formatThousands(count)) customer \(count == 1 ? "ref holds" : "refs hold") a line break in the channel or customer_ref (the first begins `\(first)`). CSV allows one inside quotes, so \(count == 1 ? "its records were" : "their records were") accepted, but in a key it most often means a stray quote that ran the next lines of the file into one record: check \(count == 1 ? "it" : "them") in `identity.csv`.\n\n"
  }

  func dataQualitySection() -> String {
    var md = "## Data quality\n\n"
    md += "Every record read is accepted or listed in `rejects.csv` with its file, line and reason.\n\n"
    var table = MarkdownTable([
      ("File", .left), ("Bytes", .right), ("Read", .right), ("Accepted", .right), ("Rejected", .right),
    ])
    for f in run.ingest.files {
      table.add([
        f.file, formatThousands(f.bytes), formatThousands(f.read), formatThousands(f.accepted),
        formatThousands(f.rejected),
      ])
    }
    md += table.text + "\n"
    var byCode: [RejectCode: Int] = [:]
    for f in run.ingest.files { for (c, n) in f.byCode { byCode[c, default: 0] += n } }
    if byCode.isEmpty && run.idMap.rejects.isEmpty {
      md += "No order record was rejected.\n\n"
    } else {
      var codes = MarkdownTable([("Reason code", .left), ("Order records", .right), ("Share of read", .right)])
      for code in RejectCode.allCases where (byCode[code] ?? 0) > 0 {
        codes.add([
          "`\(code.rawValue)`", formatThousands(byCode[code]!), percentOf(byCode[code]!, run.ingest.recordsRead),
        ])
      }
      md += codes.text + "\n"
      md +=
        "Future orders (after the as-of date) are listed but do not count towards the stop limit of \(formatPercent(run.request.config.input.maxRejectShare)).\n\n"
    }
    md += lineBreaksInRefs()
    if run.request.idMapPath != nil {
      md +=
        "Id map: \(formatThousands(run.idMap.rowsRead)) rows read, \(formatThousands(run.idMap.entryCount)) distinct refs accepted, \(formatThousands(run.idMap.repeatedRows)) repeated rows, \(formatThousands(run.idMap.rejects.count)) rejected (`id_map_conflict` and malformed rows).\n\n"
    }
    if let q = run.cleaning?.quality {
      var t = MarkdownTable([("Accepted orders", .left), ("Orders", .right), ("Amount", .right)])
      t.add(["All accepted", formatThousands(q.acceptedOrders), ""])
      t.add([
        "Cancelled (excluded from every figure)", formatThousands(q.cancelledOrders), money(q.cancelledAmount, digits),
      ])
      t.add(["Refunded (excluded from frequency and monetary)", formatThousands(q.refundedOrders), ""])
      t.add(["Partially refunded (counted at net)", formatThousands(q.partiallyRefundedOrders), ""])
      t.add(["Net amount 0 (not a purchase)", formatThousands(q.zeroNetOrders), ""])
      t.add(["Counted orders", formatThousands(q.countedOrders), money(q.netRevenue, digits)])
      md += t.text + "\n"
      md +=
        "Money reconciles to the cent: gross amount of accepted, not cancelled orders \(money(q.grossAmount, digits)) − refunds \(money(q.refundAmount, digits)) = net revenue of counted orders \(money(q.netRevenue, digits)) \(currency).\n\n"
    }
    if let history = run.cleaning?.history { md += orderDatesLine(history) }
    return md
  }

  /// How old an order may be before the data-quality section asks about it: ten years
  /// (3,652 days) before the as-of.
  static let oldOrderDays = 3_652

  /// The counted orders' first and last business dates, and how many fall more than
  /// `oldOrderDays` before the as-of: SPEC sets no earliest date, but a mistyped year
  /// (0226 for 2026) makes every monthly points table start from it.
  func orderDatesLine(_ history: MemberHistory) -> String {
    guard let first = orderDays?.lowerBound, let last = orderDays?.upperBound else { return "" }
    let cutoff = run.request.asOf.number - Int32(Self.oldOrderDays)
    var line = "Counted orders are dated from \(Day(number: first)) to \(Day(number: last)) (business dates)."
    let old = first < cutoff ? history.day.reduce(0) { $0 + ($1 < cutoff ? 1 : 0) } : 0
    if old > 0 {
      line +=
        " \(formatThousands(old)) of them \(old == 1 ? "is" : "are") dated more than ten years before the as-of, the earliest on \(Day(number: first)): check \(old == 1 ? "it" : "them") for a mistyped year, which makes every monthly points table start from that month."
    }
    return line + "\n\n"
  }

  func identitySection() -> String {
    guard let identity = run.identity else { return "" }
    var md = "## Identity\n\n"
    let linkKeys = run.request.config.identity.linkKeys
    let joins =
      linkKeys.isEmpty
      ? "by the id map only (no linking keys are configured)"
      : "by the id map first, then by shared \(linkKeys.joined(separator: " and "))"
    md +=
      "\(formatThousands(identity.refCount)) customer refs (channel, customer_ref) form \(formatThousands(identity.memberCount)) members. Refs are joined \(joins); every ref and its rule is in `identity.csv`.\n\n"
    var merges = MarkdownTable([("Rule", .left), ("Joins", .right)])
    for rule in [IdentityRule.idMap, .phoneHash, .emailHash] {
      merges.add([rule.name, formatThousands(identity.mergesByRule[rule] ?? 0)])
    }
    // Rare (a mapped id that reads like another group's name): shown when it happens,
    // so that refs minus the joins in the table are the members.
    if identity.sameNameJoins > 0 {
      merges.add(["same member_id", formatThousands(identity.sameNameJoins)])
    }
    md += merges.text + "\n"
    var hist = MarkdownTable([("Refs per member", .left), ("Members", .right), ("Share", .right)])
    let histogram = identity.refsPerMemberHistogram
    for (i, n) in histogram.enumerated() where i < 4 {
      hist.add([String(i + 1), formatThousands(n), percentOf(n, identity.memberCount)])
    }
    if histogram.count > 4 {
      let rest = histogram[4...].reduce(0, +)
      hist.add(["5 or more", formatThousands(rest), percentOf(rest, identity.memberCount)])
    }
    md += hist.text + "\n"
    md +=
      "- Refs mapped by the id map: \(formatThousands(identity.mappedRefs)); id map rows whose ref has no accepted order: \(formatThousands(identity.mapRowsWithoutOrders)).\n"
    md +=
      "- Link conflicts (a shared key would have joined two different mapped member_ids; not applied): \(formatThousands(identity.linkConflicts)).\n"
    md +=
      "- Hub keys skipped (shared by more than \(run.request.config.identity.maxRefsPerKey) refs): \(formatThousands(identity.hubKeys.count)).\n\n"
    if !identity.hubKeys.isEmpty {
      var hubs = MarkdownTable([("Key", .left), ("Value", .left), ("Refs", .right)])
      for hub in identity.hubKeys.prefix(20) { hubs.add([hub.key, "`\(hub.value)`", formatThousands(hub.refs)]) }
      md += hubs.text
      if identity.hubKeys.count > 20 { md += "\n(\(identity.hubKeys.count - 20) more not shown.)\n" }
      md += "\n"
    }
    return md
  }

  func reproducibilitySection() -> String {
    var md = "## Reproducibility\n\n"
    md +=
      "Same inputs, configuration, seed and history database give byte-identical files (the manifest's timings aside; `--no-timings` leaves them out, `--no-history` leaves out the comparison with earlier runs).\n\n"
    md +=
      "- Tool: loyalty \(loyaltyVersion); as-of \(run.request.asOf); seed \(run.request.config.run.seed); stages run up to `\(run.request.until.rawValue)`.\n"
    md +=
      "- Configuration SHA-256: `\(sha256Hex(run.request.config.settingsText))` (every setting is in `manifest.json`).\n"
    for input in inputs {
      md += "- \(input.role) `\(input.path)`: \(formatThousands(input.bytes)) bytes, SHA-256 `\(input.sha256)`.\n"
    }
    md += "\nRerun: `loyalty run"
    if let c = run.request.configPath { md += " --config \(c)" }
    for p in run.request.ordersPaths { md += " --orders \(p)" }
    if let m = run.request.idMapPath { md += " --id-map \(m)" }
    md += " --as-of \(run.request.asOf) --seed \(run.request.config.run.seed)"
    if run.request.until != .report { md += " --until \(run.request.until.rawValue)" }
    if !historyEnabled {
      md += " --no-history"
    } else if let historyPath {
      md += " --history \(historyPath)"
    }
    md += "`.\n"
    return md
  }
}
