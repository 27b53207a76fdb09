import LoyaltyCore

extension ReportBuilder {
  /// "Since last month": headline changes, the level migration and segment flows
  /// between the previous stored run and this one.
  func monthOverMonthSection() -> String {
    guard let previous else {
      return
        "## Since the previous run\n\nNo earlier run is stored in the history, so there is nothing to compare with yet.\n\n"
    }
    let current = RunSnapshot(run: run, inputs: inputs)
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
      func show(_ x: Double) -> String {
        isShare
          ? formatPercent(x)
          : formatDecimal(x, decimals: name.contains("revenue") || name.contains("liability") ? 2 : 0)
      }
      let change =
        isShare
        ? formatDecimal((now - was) * 100, decimals: 1) + " pp"
        : (was != 0 ? formatPercent((now - was) / abs(was)) : "–")
      t.add([name.replacing("_", with: " "), show(was), show(now), change])
    }
    md += t.text + "\n"
    // Members in both snapshots, joined by member_id (both are in byte order).
    var i = 0
    var j = 0
    var both: [(RunSnapshot.Member, RunSnapshot.Member)] = []
    var joined = 0
    var left = 0
    while i < previous.members.count || j < current.members.count {
      if i < previous.members.count, j < current.members.count,
        previous.members[i].memberID == current.members[j].memberID
      {
        both.append((previous.members[i], current.members[j]))
        i += 1
        j += 1
      } else if j >= current.members.count
        || (i < previous.members.count
          && previous.members[i].memberID.utf8.lexicographicallyPrecedes(current.members[j].memberID.utf8))
      {
        left += 1
        i += 1
      } else {
        joined += 1
        j += 1
      }
    }
    md +=
      "\(formatThousands(both.count)) members appear in both runs; \(formatThousands(joined)) are new since \(previous.asOf) and \(formatThousands(left)) are no longer listed.\n\n"
    let levelPairs = both.compactMap { a, b -> (Int, Int)? in
      guard let x = a.level, let y = b.level else { return nil }
      return (x, y)
    }
    if levelPairs.isEmpty && both.contains(where: { $0.1.level != nil }) {
      md += "The previous run has no levels, so no level migration is shown.\n\n"
    }
    if !levelPairs.isEmpty {
      let k = levelPairs.reduce(0) { max($0, $1.0, $1.1) }
      var matrix = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
      for (x, y) in levelPairs { matrix[x - 1][y - 1] += 1 }
      md += "Level migration (rows \(previous.asOf), columns \(run.request.asOf)):\n\n"
      var mx = MarkdownTable([("From \\ to", .left)] + (1...k).map { ("L\($0)", .right) })
      for (r, row) in matrix.enumerated() { mx.add(["L\(r + 1)"] + row.map { formatThousands($0) }) }
      md += mx.text + "\n"
    }
    var flows: [String: Int] = [:]
    for (a, b) in both where a.segment != b.segment {
      flows["\(a.segment ?? "not scored") → \(b.segment ?? "not scored")", default: 0] += 1
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
