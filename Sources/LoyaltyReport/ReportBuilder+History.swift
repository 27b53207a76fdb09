import LoyaltyCore

extension ReportBuilder {
  /// "Since last month": headline changes, the level migration and segment flows
  /// between the previous stored run and this one.
  func monthOverMonthSection() -> String {
    guard let previous else {
      return
        "## Since the previous run\n\nNo earlier run is stored in the history, so there is nothing to compare with yet.\n\n"
    }
    let current = RunSnapshot(run: run, inputs: inputs, withMembers: false)
    var md = "## Since the previous run (\(previous.asOf))\n\n"
    // What makes the two runs not like for like, said before any figure.
    var changed: [String] = []
    if previous.configSHA256 != current.configSHA256 {
      changed.append(
        "the configuration (SHA-256 `\(previous.configSHA256.prefix(12))…` then, `\(current.configSHA256.prefix(12))…` now)"
      )
    }
    if previous.seed != current.seed { changed.append("the seed (\(previous.seed) then, \(current.seed) now)") }
    if previous.minorDigits != current.minorDigits {
      changed.append("the currency's minor digits (\(previous.minorDigits) then, \(current.minorDigits) now)")
    }
    if previous.toolVersion != current.toolVersion {
      changed.append("the tool version (\(previous.toolVersion) then, \(current.toolVersion) now)")
    }
    if let inputsChange = Self.inputFilesChange(then: previous.inputs, now: current.inputs) {
      changed.append(inputsChange)
    }
    if !changed.isEmpty {
      md +=
        "**Not like for like**: \(changed.joined(separator: "; ")) changed since the previous run, so the changes below may come from that alone.\n\n"
    }
    let previousNames = Set(previous.headline.map(\.name))
    let missing = current.headline.map(\.name).filter { !previousNames.contains($0) }
    if !missing.isEmpty {
      md +=
        "The previous run has no \(missing.map { $0.replacing("_", with: " ") }.joined(separator: ", ")) (it stopped at an earlier stage), so they are not compared.\n\n"
    }
    var t = MarkdownTable([
      ("Figure", .left), (previous.asOf.description, .right), (run.request.asOf.description, .right),
      ("Change", .right),
    ])
    let before = Dictionary(previous.headline.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    for (name, now) in current.headline {
      guard let was = before[name] else { continue }
      let isShare = name.contains("share") || name.contains("rate")
      // Shares to two decimals: a cost share of revenue moves by hundredths of a point.
      func show(_ x: Double) -> String {
        isShare
          ? formatPercent(x, decimals: 2)
          : formatDecimal(x, decimals: name.contains("revenue") || name.contains("liability") ? 2 : 0)
      }
      let change =
        isShare
        ? formatDecimal((now - was) * 100, decimals: 2) + " pp"
        : (was != 0 ? formatPercent((now - was) / abs(was)) : "–")
      t.add([name.replacing("_", with: " "), show(was), show(now), change])
    }
    md += t.text + "\n"
    // Members in both snapshots, joined by member_id (both are in byte order), counted
    // as they are met rather than gathered in pairs: at tens of millions of members the
    // pairs, and a flow's name made for every member that moved, would cost gigabytes.
    var i = 0
    var j = 0
    var inBoth = 0
    var joined = 0
    var left = 0
    var levelCount = 0
    var maxLevel = 0
    var levelInBothNow = false
    // matrix[from][to] for levels 1...10 (the levels stage allows at most 10).
    var matrix = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 10)
    var flowCounts: [SegmentFlow: Int] = [:]
    let old = previous.members
    let now = RunSnapshot.members(of: run)
    // This run's member j, made once as the join reaches it.
    var next = now.isEmpty ? nil : now[0]
    while i < old.count || j < now.count {
      // Both lists are in member_id byte order: this run's member j comes before the
      // previous run's member i (new), is it (in both), or comes after it (gone).
      let order: Int
      if let b = next {
        order = i < old.count ? RunSnapshot.compareMemberIDs(b.memberID, old[i].memberID) : -1
      } else {
        order = 1
      }
      if order == 0, let b = next {
        let a = old[i]
        inBoth += 1
        if b.level != nil { levelInBothNow = true }
        if let x = a.level, let y = b.level, (1...10).contains(x), (1...10).contains(y) {
          levelCount += 1
          maxLevel = max(maxLevel, x, y)
          matrix[x - 1][y - 1] += 1
        }
        if a.segment != b.segment { flowCounts[SegmentFlow(from: a.segment, to: b.segment), default: 0] += 1 }
        i += 1
        j += 1
        next = j < now.count ? now[j] : nil
      } else if order < 0 {
        joined += 1
        j += 1
        next = j < now.count ? now[j] : nil
      } else {
        left += 1
        i += 1
      }
    }
    md +=
      "\(formatThousands(inBoth)) members appear in both runs; \(formatThousands(joined)) are new since \(previous.asOf) and \(formatThousands(left)) are no longer listed.\n\n"
    if levelCount == 0 && levelInBothNow {
      md += "The previous run has no levels, so no level migration is shown.\n\n"
    }
    if levelCount > 0 {
      let k = maxLevel
      md += "Level migration (rows \(previous.asOf), columns \(run.request.asOf)):\n\n"
      var mx = MarkdownTable([("From \\ to", .left)] + (1...k).map { ("L\($0)", .right) })
      for r in 0..<k { mx.add(["L\(r + 1)"] + matrix[r].prefix(k).map { formatThousands($0) }) }
      md += mx.text + "\n"
    }
    var flows: [String: Int] = [:]
    for (flow, n) in flowCounts {
      flows["\(flow.from ?? "not scored") → \(flow.to ?? "not scored")", default: 0] += n
    }
    if !flows.isEmpty {
      md += "Largest segment flows:\n\n"
      var f = MarkdownTable([("From → to", .left), ("Members", .right)])
      for (name, n) in flows.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }).prefix(12) {
        f.add([name, formatThousands(n)])
      }
      md += f.text + "\n"
    }
    return md
  }
}

extension ReportBuilder {
  /// What changed in the input files between two stored runs (`RunSnapshot.inputs`,
  /// a line `role path sha256` a file), or nil: the number of orders files, their
  /// names with digits left out (so `orders_2026-10.csv` follows `orders_2026-09.csv`),
  /// and whether an id map was read. A missing channel export shows here rather than
  /// as a fall in revenue alone. Nil when the earlier run stored no inputs.
  static func inputFilesChange(then: String, now: String) -> String? {
    func files(_ inputs: String) -> (orders: [String], idMap: [String]) {
      var orders: [String] = []
      var idMap: [String] = []
      for line in inputs.split(separator: "\n") {
        // The path may hold spaces; the role is the first word, the hash the last.
        guard let first = line.firstIndex(of: " "), let last = line.lastIndex(of: " "), first < last else { continue }
        let path = line[line.index(after: first)..<last]
        let name = String(path.split(separator: "/").last ?? path)
        if line[..<first] == "orders" { orders.append(name) } else if line[..<first] == "id_map" { idMap.append(name) }
      }
      return (orders.sorted(), idMap)
    }
    let (before, after) = (files(then), files(now))
    guard !before.orders.isEmpty else { return nil }
    var parts: [String] = []
    let withoutDigits = { (names: [String]) in names.map { $0.filter { !$0.isNumber } }.sorted() }
    if before.orders.count != after.orders.count || withoutDigits(before.orders) != withoutDigits(after.orders) {
      parts.append(
        "the orders files (\(before.orders.count) then: \(before.orders.joined(separator: ", ")); \(after.orders.count) now: \(after.orders.joined(separator: ", ")))"
      )
    }
    if before.idMap.isEmpty != after.idMap.isEmpty {
      parts.append("the id map (\(before.idMap.first ?? "none") then, \(after.idMap.first ?? "none") now)")
    }
    return parts.isEmpty ? nil : parts.joined(separator: "; ")
  }
}

/// A member's move from one named segment to another between two runs (nil: not scored).
private struct SegmentFlow: Hashable {
  var from: String?
  var to: String?
}
