import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the monthly history keeps of one run: the headline figures and one row per
/// member, enough to say next month what changed.
public struct RunSnapshot: Sendable, Equatable {
  /// One member's state at as-of.
  public struct Member: Sendable, Equatable {
    public var memberID: String
    /// Level at as-of, nil when the levels stage did not run.
    public var level: Int?
    /// Named segment, nil when not scored.
    public var segment: String?
    public var lifecycle: String
    /// Points balance at as-of in simulation run 0, nil without the points stage.
    public var pointsOutstanding: Int64?

    public init(memberID: String, level: Int?, segment: String?, lifecycle: String, pointsOutstanding: Int64?) {
      self.memberID = memberID
      self.level = level
      self.segment = segment
      self.lifecycle = lifecycle
      self.pointsOutstanding = pointsOutstanding
    }
  }

  public var asOf: Day
  public var toolVersion: String
  /// SHA-256 of the settings that make figures comparable (`comparedSettingsText`: not
  /// `[report]`, not the seed), unlike the manifest's hash of every setting.
  public var configSHA256: String
  /// `role path sha256` per input, one per line.
  public var inputs: String
  public var seed: UInt64
  public var minorDigits: Int
  /// Headline figures by name (money in major units, shares as fractions), in report order.
  public var headline: [(name: String, value: Double)]
  /// Members in member_id byte order.
  public var members: [Member]

  public static func == (a: RunSnapshot, b: RunSnapshot) -> Bool {
    a.asOf == b.asOf && a.configSHA256 == b.configSHA256 && a.inputs == b.inputs && a.members == b.members
      && a.headline.map(\.name) == b.headline.map(\.name) && a.headline.map(\.value) == b.headline.map(\.value)
  }

  public init(
    asOf: Day, toolVersion: String, configSHA256: String, inputs: String, seed: UInt64, minorDigits: Int,
    headline: [(name: String, value: Double)], members: [Member]
  ) {
    self.asOf = asOf
    self.toolVersion = toolVersion
    self.configSHA256 = configSHA256
    self.inputs = inputs
    self.seed = seed
    self.minorDigits = minorDigits
    self.headline = headline
    self.members = members
  }

  /// The snapshot of a finished run; with `withMembers` false its member list is left
  /// empty, for callers that read the members one at a time from `members(of:)` (tens
  /// of millions of members are gigabytes as a list).
  public init(run: RunResult, inputs: [InputFingerprint], withMembers: Bool = true) {
    let config = run.request.config
    asOf = run.request.asOf
    toolVersion = loyaltyVersion
    configSHA256 = sha256Hex(config.comparedSettingsText)
    self.inputs = inputs.map { "\($0.role) \($0.path) \($0.sha256)" }.joined(separator: "\n")
    seed = config.run.seed
    minorDigits = config.input.minorDigits
    headline = RunSnapshot.headline(of: run)
    members = withMembers ? Array(RunSnapshot.members(of: run)) : []
  }

  /// -1, 0 or 1 as member id `a` sorts before, is, or sorts after `b` in byte order
  /// (UTF-8 bytes, a shorter prefix first), the order of the snapshot's members: equal
  /// means the same bytes, where `==` on strings would also join two spellings of one
  /// accented letter.
  public static func compareMemberIDs(_ a: String, _ b: String) -> Int {
    var a = a
    var b = b
    return a.withUTF8 { x in
      b.withUTF8 { y in
        let n = min(x.count, y.count)
        if n > 0 {
          let c = memcmp(x.baseAddress!, y.baseAddress!, n)
          if c != 0 { return c < 0 ? -1 : 1 }
        }
        return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
      }
    }
  }

  /// The members of a finished run in member_id byte order, each made when read.
  public static func members(of run: RunResult) -> LazyMapCollection<Range<Int>, Member> {
    guard let history = run.cleaning?.history, let rfm = run.rfm else {
      // A run that stopped before RFM has no member rows.
      return (0..<0).lazy.map { _ in
        Member(memberID: "", level: nil, segment: nil, lifecycle: "", pointsOutstanding: nil)
      }
    }
    return (0..<history.memberCount).lazy.map { m in
      Member(
        memberID: history.memberIDs[m], level: run.levels.map { Int($0.levelAtAsOf[m]) },
        segment: rfm.segment[m] >= 0 ? rfm.segmentNames[Int(rfm.segment[m])] : nil,
        lifecycle: rfm.lifecycle[m].name,
        pointsOutstanding: run.points.flatMap { $0.memberOutstanding.isEmpty ? nil : $0.memberOutstanding[m] })
    }
  }

  /// The headline figures of the report's summary.
  public static func headline(of run: RunResult) -> [(name: String, value: Double)] {
    let scale = Double(Money.pow10(run.request.config.input.minorDigits))
    var out: [(String, Double)] = [
      ("records_read", Double(run.ingest.recordsRead)),
      ("records_rejected", Double(run.ingest.recordsRejected)),
    ]
    if let identity = run.identity { out.append(("members", Double(identity.memberCount))) }
    if let cleaning = run.cleaning {
      out.append(("members_with_counted_orders", Double(cleaning.history.memberCount)))
      out.append(("counted_orders", Double(cleaning.quality.countedOrders)))
      out.append(("net_revenue", Double(cleaning.quality.netRevenue) / scale))
    }
    if let rfm = run.rfm {
      let active =
        rfm.lifecycleCounts[LifecycleStage.new.rawValue] + rfm.lifecycleCounts[LifecycleStage.active.rawValue]
      out.append(("active_members", Double(active)))
      out.append(("scored_members", Double(rfm.scoredCount)))
      out.append(("window_revenue", Double(rfm.monetary.reduce(0, +)) / scale))
    }
    if let levels = run.levels {
      out.append(("pareto_top20_share", levels.paretoTopShare))
      if let top = levels.rows.last { out.append(("top_level_share", top.share)) }
    }
    if let points = run.points {
      for name in ["cost_share_of_revenue", "redemption_rate", "liability_accrued_cost", "outstanding"] {
        if let m = points.summary.first(where: { $0.name == name }) { out.append((name, m.mean)) }
      }
    }
    return out
  }
}
