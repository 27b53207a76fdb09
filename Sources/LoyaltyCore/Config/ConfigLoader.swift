import TOMLKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a TOML configuration over the defaults. Unknown keys are errors, so that a
/// typo never silently falls back to a default.
public enum ConfigLoader {
  /// Loads `path`; throws `.input` with one sentence naming the file and key.
  public static func load(path: String) throws(LoyaltyError) -> LoyaltyConfig {
    guard let bytes = readBytes(path) else {
      throw .input("\(path): the configuration file cannot be read.")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw .input("\(path): the configuration file is not UTF-8 text, which TOML requires.")
    }
    return try parse(text, source: path)
  }

  /// Parses TOML text over the defaults.
  public static func parse(_ text: String, source: String) throws(LoyaltyError) -> LoyaltyConfig {
    if let (line, reason) = unparseable(text) {
      throw .input("\(source) line \(line): not valid TOML (\(reason)).")
    }
    let root: TOMLTable
    do {
      root = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw .input("\(source) line \(error.source.begin.line): not valid TOML (\(error.description)).")
    } catch {
      throw .input("\(source): not valid TOML.")
    }
    var config = LoyaltyConfig()
    let lines = ConfigLines(text)
    func at(_ table: String, _ key: String) -> String { lines.place(source, table, key) }
    func section(_ table: TOMLTable, _ name: String) -> Section {
      Section(table: table, name: name, source: source, lines: lines)
    }
    var top = section(root, "")
    if let t = try top.table("input") {
      var s = section(t, "input")
      try s.read("business_time_zone", &config.input.businessTimeZone)
      guard FieldParsers.utcOffset(config.input.businessTimeZone) != nil else {
        throw .input(
          "\(at("input", "business_time_zone")): [input] business_time_zone must be a fixed offset such as +08:00 (got '\(config.input.businessTimeZone)')."
        )
      }
      try s.read("minor_digits", &config.input.minorDigits, in: 0...4)
      try s.read("currency", &config.input.currency)
      try s.read("max_reject_share", &config.input.maxRejectShare, in: 0...1)
      if let c = try s.table("columns") {
        var cs = section(c, "input.columns")
        try cs.read("order_id", &config.input.columns.orderID)
        try cs.read("channel", &config.input.columns.channel)
        try cs.read("customer_ref", &config.input.columns.customerRef)
        try cs.read("order_time", &config.input.columns.orderTime)
        try cs.read("amount", &config.input.columns.amount)
        try cs.read("status", &config.input.columns.status)
        try cs.read("refund_amount", &config.input.columns.refundAmount)
        try cs.read("refund_time", &config.input.columns.refundTime)
        try cs.read("phone_hash", &config.input.columns.phoneHash)
        try cs.read("email_hash", &config.input.columns.emailHash)
        try cs.finish()
      }
      try s.finish()
    }
    if let t = try top.table("identity") {
      var s = section(t, "identity")
      try s.read("link_keys", &config.identity.linkKeys)
      for key in config.identity.linkKeys where key != "phone_hash" && key != "email_hash" {
        throw .input(
          "\(at("identity", "link_keys")): [identity] link_keys may hold phone_hash and email_hash only (got '\(key)')."
        )
      }
      try s.read("max_refs_per_key", &config.identity.maxRefsPerKey, in: 1...1_000_000)
      try s.finish()
    }
    if let t = try top.table("rfm") {
      var s = section(t, "rfm")
      try s.read("window_days", &config.rfm.windowDays, in: 1...3650)
      try s.read("bins", &config.rfm.bins, in: 2...9)
      try s.readEnum("method", &config.rfm.method)
      try s.read("fixed_recency_days", &config.rfm.fixedRecency)
      try s.read("fixed_frequency", &config.rfm.fixedFrequency)
      for (key, values) in [
        ("fixed_recency_days", config.rfm.fixedRecency), ("fixed_frequency", config.rfm.fixedFrequency),
      ]
      where values.contains(where: { $0 < 0 }) {
        throw .input("\(at("rfm", key)): [rfm] \(key) needs whole numbers of at least 0 (got \(values.min()!)).")
      }
      let scale = Double(Money.pow10(config.input.minorDigits))
      var monetary = config.rfm.fixedMonetary.map { Double($0) / scale }
      if try s.read("fixed_monetary", &monetary) {
        // Money in minor units, no more than one run's money totals hold.
        let most = IngestState.amountTotalLimit
        if let bad = monetary.first(where: { !($0 >= 0 && $0 * scale <= Double(most)) }) {
          throw .input(
            "\(at("rfm", "fixed_monetary")): [rfm] fixed_monetary needs amounts from 0 to \(Money.format(most, minorDigits: config.input.minorDigits)) (got \(bad))."
          )
        }
        config.rfm.fixedMonetary = monetary.map { min(most, Int64(($0 * scale).rounded())) }
      }
      try s.read("power_tag_shares", &config.rfm.powerTagShares)
      if let rules = try s.tableArray("segments") {
        config.rfm.segments = try rules.enumerated().map { (i, rule) throws(LoyaltyError) in
          var r = section(rule, "rfm.segments[\(i + 1)]")
          var name = ""
          var rr = [1, config.rfm.bins]
          var ff = rr
          var mm = rr
          try r.read("name", &name)
          try r.read("r", &rr)
          try r.read("f", &ff)
          try r.read("m", &mm)
          try r.finish()
          for range in [rr, ff, mm] where range.count != 2 || range[0] > range[1] {
            throw .input(
              "\(at("rfm.segments[\(i + 1)]", "")): [[rfm.segments]] '\(name)' needs ranges like r = [4, 5] with low <= high."
            )
          }
          return SegmentRule(name, r: rr[0]...rr[1], f: ff[0]...ff[1], m: mm[0]...mm[1])
        }
      }
      try s.finish()
      let breakpoints = config.rfm.bins - 1
      func ascending<T: Comparable>(_ xs: [T]) -> Bool { zip(xs, xs.dropFirst()).allSatisfy { $0 < $1 } }
      if config.rfm.method == .fixed,
        config.rfm.fixedRecency.count != breakpoints || config.rfm.fixedFrequency.count != breakpoints
          || config.rfm.fixedMonetary.count != breakpoints || !ascending(config.rfm.fixedRecency)
          || !ascending(config.rfm.fixedFrequency) || !ascending(config.rfm.fixedMonetary)
      {
        throw .input(
          "\(at("rfm", "method")): [rfm] method = \"fixed\" needs \(breakpoints) strictly ascending breakpoints in each of fixed_recency_days, fixed_frequency and fixed_monetary."
        )
      }
      let shares = config.rfm.powerTagShares
      if shares.count != 4 || shares != shares.sorted() || !shares.allSatisfy({ (0...1).contains($0) }) {
        throw .input(
          "\(at("rfm", "power_tag_shares")): [rfm] power_tag_shares needs 4 ascending shares from 0 to 1 (extremely_high, high, medium, general)."
        )
      }
    }
    if let t = try top.table("lifecycle") {
      var s = section(t, "lifecycle")
      try s.read("new_days", &config.lifecycle.newDays, in: 1...3650)
      try s.read("active_days", &config.lifecycle.activeDays, in: 1...3650)
      try s.read("silent_days", &config.lifecycle.silentDays, in: 1...3650)
      try s.read("sleeping_days", &config.lifecycle.sleepingDays, in: 1...3650)
      try s.read("milestone_days", &config.lifecycle.milestoneDays, in: 1...3650)
      try s.finish()
      let l = config.lifecycle
      guard l.activeDays < l.silentDays, l.silentDays < l.sleepingDays else {
        throw .input("\(at("lifecycle", "")): [lifecycle] needs active_days < silent_days < sleeping_days.")
      }
    }
    if let t = try top.table("levels") {
      var s = section(t, "levels")
      try s.read("count", &config.levels.count, in: 2...10)
      try s.read("ratio", &config.levels.ratio, in: 0.01...0.99)
      try s.read("shares", &config.levels.shares)
      try s.read("step", &config.levels.step, in: 1...10_000_000)
      try s.read("window_days", &config.levels.windowDays, in: 1...3650)
      try s.read("bonus_per_order", &config.levels.bonusPerOrder, in: 0...1_000_000)
      try s.read("thresholds", &config.levels.thresholds)
      try s.readEnum("policy", &config.levels.policy)
      try s.read("reviews", &config.levels.reviews, in: 1...120)
      try s.finish()
    }
    try validateLevels(config.levels, source: source, lines: lines)
    if let t = try top.table("points") {
      var s = section(t, "points")
      let p = config.points
      var points = p
      try s.read("earn_rate", &points.earnRate, in: 0...1_000)
      try s.read("level_multipliers", &points.levelMultipliers)
      try s.read("claim_ratio", &points.claimRatio, in: 0...1)
      try s.read("p_redeem", &points.redeemProbability, in: 0...1)
      try s.read("min_redeem", &points.minRedeem, in: 0...100_000_000)
      try s.read("redeem_fraction", &points.redeemFraction, in: 0...1)
      try s.readEnum("expiry", &points.expiry)
      try s.read("expiry_months", &points.expiryMonths, in: 1...120)
      var target = -1.0
      if try s.read("target_redemption_rate", &target, in: 0...1) { points.targetRedemptionRate = target }
      try s.read("point_value", &points.pointValue, in: 0...1_000)
      try s.read("cost_ratio", &points.costRatio, in: 0...10)
      try s.read("mall_premium", &points.mallPremium, in: 0...10)
      try s.read("projection_months", &points.projectionMonths, in: 0...60)
      try s.read("runs", &points.runs, in: 1...100_000)
      try s.read("daily_cap", &points.dailyCap, in: 1...1_000_000_000)
      try s.read("expected_redemption_rate", &points.expectedRedemptionRate, in: 0...1)
      try s.read("sensitivity_claim_ratios", &points.sensitivityClaimRatios)
      try s.read("sensitivity_redemption_rates", &points.sensitivityRedemptionRates)
      try s.finish()
      config.points = points
    }
    if let t = try top.table("report") {
      var s = section(t, "report")
      try s.read("out_dir", &config.report.outDir)
      try s.read("history_database", &config.report.historyDatabase)
      try s.finish()
    }
    if let t = try top.table("run") {
      var s = section(t, "run")
      var seed = Int(config.run.seed)
      try s.read("seed", &seed, in: 0...Int.max)
      config.run.seed = UInt64(seed)
      try s.read("threads", &config.run.threads, in: 0...256)
      try s.finish()
    }
    try top.finish()
    return config
  }

  /// Checks the level settings that flags can also change; `lines`, when the settings
  /// come from a file, names the line of the key at fault. `flags` are the keys a
  /// command's flags set: a failure of one of them names the flag (`--ratio`), and their
  /// ranges, which reading a file checks key by key, are checked here too. With
  /// thresholds given, K is their count + 1 and `count` is ignored.
  public static func validateLevels(
    _ levels: LevelsConfig, source: String, lines: ConfigLines? = nil, flags: Set<String> = []
  ) throws(LoyaltyError) {
    func at(_ key: String) -> String {
      flags.contains(key) ? "--\(key)" : lines?.place(source, "levels", key) ?? source
    }
    if flags.contains("count") && levels.thresholds.isEmpty {
      guard (2...10).contains(levels.count) else {
        throw .input("\(at("count")): [levels] count must be from 2 to 10 (got \(levels.count)).")
      }
    }
    if flags.contains("ratio") {
      guard (0.01...0.99).contains(levels.ratio) else {
        throw .input("\(at("ratio")): [levels] ratio must be from 0.01 to 0.99 (got \(levels.ratio)).")
      }
    }
    if flags.contains("step") {
      guard (1...10_000_000).contains(levels.step) else {
        throw .input("\(at("step")): [levels] step must be from 1 to 10000000 (got \(levels.step)).")
      }
    }
    if !levels.thresholds.isEmpty {
      guard (1...9).contains(levels.thresholds.count),
        zip(levels.thresholds, levels.thresholds.dropFirst()).allSatisfy({ $0 < $1 }),
        levels.thresholds[0] > 0
      else {
        throw .input(
          "\(at("thresholds")): [levels] thresholds needs 1 to 9 positive, strictly ascending values (K = their count + 1 levels; count is then ignored)."
        )
      }
    }
    if !levels.shares.isEmpty {
      guard levels.sharesFit else {
        throw .input(
          "\(at("shares")): [levels] shares needs \(levels.levelCount) positive shares, level 1 first, each below the one before."
        )
      }
    }
  }

  /// What TOMLKit's parser (toml++) must not be handed, with its line (1-based): a
  /// control character TOML allows nowhere (U+0000 to U+001F but tab and line feed, a
  /// carriage return not before a line feed, U+007F), and a table header whose first
  /// key starts with neither a bare key character nor a quote (`[#levels]`, `[.rfm]`,
  /// `[` alone). On the headers, and on some of the characters, the parser stops the
  /// program with an assertion instead of failing the parse (found by scripts/fuzz);
  /// a NUL would end its text early. Lines inside multi-line strings are not headers;
  /// a line of a multi-line array that starts with a nested array whose first value is
  /// neither a bare word, a number nor a string (`[+1, 2]`, `[{ a = 1 }]`) is taken for
  /// one, and no key of the configuration holds nested arrays.
  static func unparseable(_ text: String) -> (line: Int, reason: String)? {
    let bytes = Array(text.utf8)
    var line = 1
    var start = 0
    // The quote byte of the multi-line string open at the start of the line, if any.
    var openQuote: UInt8? = nil
    while start <= bytes.count {
      let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
      let content = bytes[start..<end]
      for (k, byte) in zip(content.indices, content) {
        let isLoneCR = byte == 0x0D && k != end - 1
        if isLoneCR || (byte < 0x20 && byte != 0x09 && byte != 0x0D) || byte == 0x7F {
          return (
            line,
            "the control character U+\(hexDigits(byte, width: 4, uppercase: true)); TOML allows none but tab and line ends"
          )
        }
      }
      if end == bytes.count, content.last == 0x0D {
        return (line, "the control character U+000D; TOML allows none but tab and line ends")
      }
      if openQuote == nil, let problem = headerProblem(content) { return (line, problem) }
      openQuote = quoteOpen(after: content, openQuote)
      line += 1
      start = end + 1
    }
    return nil
  }

  /// Why `content`, a line that is a table header (`[` or `[[` after blanks), cannot be
  /// handed to the parser: its first key starts with neither a bare key character
  /// (letters, digits, `_`, `-`) nor a quote; nil for other lines.
  private static func headerProblem(_ content: ArraySlice<UInt8>) -> String? {
    func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    guard var i = content.firstIndex(where: { !isBlank($0) }), content[i] == UInt8(ascii: "[") else { return nil }
    i += 1
    if i < content.endIndex && content[i] == UInt8(ascii: "[") { i += 1 }
    while i < content.endIndex && isBlank(content[i]) { i += 1 }
    guard i < content.endIndex && content[i] != 0x0D else {
      return "a table header ends before its name"
    }
    switch content[i] {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"),
      UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
      return nil
    default:
      let shown = String(decoding: content[i...].prefix { !isBlank($0) && $0 != UInt8(ascii: "]") }, as: UTF8.self)
      return "a table header's name starts with '\(shown)'; a name is letters, digits, _ and - or a quoted string"
    }
  }

  /// The quote byte of the multi-line string open after `content`, which begins with
  /// `open` open: triple quotes of one kind open and close one, in turn; quotes inside a
  /// one-line string or after a comment's `#` count for nothing.
  private static func quoteOpen(after content: ArraySlice<UInt8>, _ open: UInt8?) -> UInt8? {
    let quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
    var open = open
    var i = content.startIndex
    func isTriple(_ byte: UInt8, at k: Int) -> Bool {
      k + 2 < content.endIndex && content[k] == byte && content[k + 1] == byte && content[k + 2] == byte
    }
    while i < content.endIndex {
      let byte = content[i]
      if let kind = open {
        // Inside a multi-line string: an escaped byte in a basic one, or its close.
        if kind == quote && byte == backslash {
          i += 2
        } else if isTriple(kind, at: i) {
          open = nil
          i += 3
        } else {
          i += 1
        }
      } else if byte == UInt8(ascii: "#") {
        return nil
      } else if (byte == quote || byte == apostrophe) && isTriple(byte, at: i) {
        open = byte
        i += 3
      } else if byte == quote || byte == apostrophe {
        // A one-line string: to its closing quote (past escapes in a basic one).
        i += 1
        while i < content.endIndex && content[i] != byte {
          i += byte == quote && content[i] == backslash ? 2 : 1
        }
        i += 1
      } else {
        i += 1
      }
    }
    return open
  }

  static func readBytes(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = fread(&buffer, 1, buffer.count, file)
      if n <= 0 { break }
      bytes.append(contentsOf: buffer[0..<n])
    }
    return ferror(file) == 0 ? bytes : nil
  }
}

/// The line where each key of a configuration text is set, by table and key, so that a
/// message names the line as well as the key (TOMLKit keeps no positions). Tables are
/// named as `Section` names them: `input.columns`, and `rfm.segments[2]` for the second
/// `[[rfm.segments]]`; the key "" is a table's header line. The first line that sets a
/// key wins. A key set through a dotted name or an inline table is not found: the
/// table's header line stands for it, or, with no header, the message names the file
/// alone. A line inside a multi-line string that reads like a header or a key is
/// taken for one.
public struct ConfigLines: Sendable {
  private var lineOf: [String: Int] = [:]

  /// Indexes `text` (LF or CRLF line ends).
  public init(_ text: String) {
    var table = ""
    var arrays: [String: Int] = [:]
    func record(_ key: String, _ line: Int) {
      if lineOf[table + "\u{0}" + key] == nil { lineOf[table + "\u{0}" + key] = line }
    }
    // "\r\n" is one Character, so lines are split on any line break, not on "\n".
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.drop { $0 == " " || $0 == "\t" }
      if line.hasPrefix("[["), let end = line.firstRange(of: "]]") {
        let name = String(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound]).trimmed
        arrays[name, default: 0] += 1
        table = "\(name)[\(arrays[name]!)]"
        record("", index + 1)
      } else if line.hasPrefix("["), let end = line.firstIndex(of: "]") {
        table = String(line[line.index(after: line.startIndex)..<end]).trimmed
        record("", index + 1)
      } else if !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") {
        var key = String(line[..<equals]).trimmed
        if key.count >= 2, key.first == "\"", key.last == "\"" { key = String(key.dropFirst().dropLast()) }
        record(key, index + 1)
      }
    }
  }

  /// The line (1-based) where `key` of `table` is set, else the table's header line.
  public func line(_ table: String, _ key: String) -> Int? {
    lineOf[table + "\u{0}" + key] ?? lineOf[table + "\u{0}"]
  }

  /// `source line N` for that line, or `source` when there is none: how a message
  /// names its place.
  public func place(_ source: String, _ table: String, _ key: String) -> String {
    line(table, key).map { "\(source) line \($0)" } ?? source
  }
}

extension String {
  fileprivate var trimmed: String {
    String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
  }
}

/// One TOML table being read: remembers the keys used so leftovers can be reported.
private struct Section {
  let table: TOMLTable
  let name: String
  let source: String
  let lines: ConfigLines
  var used: Set<String> = []

  init(table: TOMLTable, name: String, source: String, lines: ConfigLines) {
    self.table = table
    self.name = name
    self.source = source
    self.lines = lines
  }

  /// The file, the line of `key` when found, and the table.
  private func place(_ key: String) -> String {
    let file = lines.place(source, name, key)
    return name.isEmpty ? "\(file):" : "\(file): [\(name)]"
  }

  private func wrong(_ key: String, _ expected: String) -> LoyaltyError {
    .input("\(place(key)) \(key) must be \(expected).")
  }

  mutating func table(_ key: String) throws(LoyaltyError) -> TOMLTable? {
    guard let value = table[key] else { return nil }
    used.insert(key)
    guard let t = value.table else { throw wrong(key, "a table") }
    return t
  }

  mutating func tableArray(_ key: String) throws(LoyaltyError) -> [TOMLTable]? {
    guard let value = table[key] else { return nil }
    used.insert(key)
    guard let array = value.array else { throw wrong(key, "an array of tables") }
    var tables: [TOMLTable] = []
    for element in array {
      guard let t = element.table else { throw wrong(key, "an array of tables") }
      tables.append(t)
    }
    return tables
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout String) throws(LoyaltyError) -> Bool {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let s = value.string else { throw wrong(key, "a string") }
    target = s
    return true
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout Int, in range: ClosedRange<Int>? = nil) throws(LoyaltyError) -> Bool
  {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let i = value.int else { throw wrong(key, "a whole number") }
    if let range, !range.contains(i) { throw wrong(key, "between \(range.lowerBound) and \(range.upperBound)") }
    target = i
    return true
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout Double, in range: ClosedRange<Double>? = nil) throws(LoyaltyError)
    -> Bool
  {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let d = value.double ?? value.int.map(Double.init) else { throw wrong(key, "a number") }
    if let range, !range.contains(d) { throw wrong(key, "between \(range.lowerBound) and \(range.upperBound)") }
    target = d
    return true
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout [Int]) throws(LoyaltyError) -> Bool {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let array = value.array else { throw wrong(key, "an array of whole numbers") }
    var out: [Int] = []
    for element in array {
      guard let i = element.int else { throw wrong(key, "an array of whole numbers") }
      out.append(i)
    }
    target = out
    return true
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout [Double]) throws(LoyaltyError) -> Bool {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let array = value.array else { throw wrong(key, "an array of numbers") }
    var out: [Double] = []
    for element in array {
      guard let d = element.double ?? element.int.map(Double.init) else { throw wrong(key, "an array of numbers") }
      out.append(d)
    }
    target = out
    return true
  }

  @discardableResult
  mutating func read(_ key: String, _ target: inout [String]) throws(LoyaltyError) -> Bool {
    guard let value = table[key] else { return false }
    used.insert(key)
    guard let array = value.array else { throw wrong(key, "an array of strings") }
    var out: [String] = []
    for element in array {
      guard let s = element.string else { throw wrong(key, "an array of strings") }
      out.append(s)
    }
    target = out
    return true
  }

  mutating func readEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ target: inout E) throws(LoyaltyError)
  where E.RawValue == String {
    var raw = target.rawValue
    guard try read(key, &raw) else { return }
    guard let e = E(rawValue: raw) else {
      throw wrong(key, "one of " + E.allCases.map { $0.rawValue }.joined(separator: ", ") + " (got '\(raw)')")
    }
    target = e
  }

  func finish() throws(LoyaltyError) {
    for key in table.keys.sorted() where !used.contains(key) {
      throw .input("\(place(key)) has an unknown key '\(key)'; see SampleData/pipeline.toml for the keys.")
    }
  }
}
