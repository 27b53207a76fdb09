/// The stages of a run, in order; `--until` names one of them.
public enum PipelineStage: String, Sendable, CaseIterable, Comparable {
  case ingest, identity, rfm, levels, points, report

  public static func < (a: PipelineStage, b: PipelineStage) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// What a run reads and how.
public struct RunRequest: Sendable {
  public var ordersPaths: [String]
  public var idMapPath: String?
  public var asOf: Day
  public var config: LoyaltyConfig
  /// Worker threads (at least 1).
  public var threads: Int
  public var until: PipelineStage
  /// The configuration file the settings came from, for the report's rerun line.
  public var configPath: String?

  public init(
    ordersPaths: [String], idMapPath: String?, asOf: Day, config: LoyaltyConfig, threads: Int,
    until: PipelineStage, configPath: String? = nil
  ) {
    self.configPath = configPath
    self.ordersPaths = ordersPaths
    self.idMapPath = idMapPath
    self.asOf = asOf
    self.config = config
    self.threads = max(1, threads)
    self.until = until
  }
}

/// Every stage's output; later stages are nil when `--until` stopped before them.
public struct RunResult: Sendable {
  public var request: RunRequest
  /// After a run that reached cleaning, `ingest.orders` keeps its count, refs and
  /// their parts, but its row columns are empty and its refs can no longer be looked
  /// up (see `OrderTable.releaseRowColumns`).
  public var ingest: IngestResult
  public var idMap: IdMap
  public var identity: IdentityResult?
  public var cleaning: CleaningResult?
  public var rfm: RFMResult?
  public var levels: LevelsResult?
  public var points: PointsResult?
  /// Wall time per stage in seconds, in run order (not part of the reproducible output).
  public var timings: [(stage: String, seconds: Double)] = []

}

/// Runs the stages in sequence. Each stage is a value in, value out; this type only
/// composes them and times them. `progress` receives one line per finished stage;
/// `afterIdentity` the orders and the identity as soon as identity is done (the run's
/// identity.csv can be written from there while the later stages run). `afterIdMap`
/// is called once the core that reads the id map beside the ingest is free again: when
/// that read ends, or at once when there is no such read (one thread, or no id map).
public enum Pipeline {
  public static func run(
    _ request: RunRequest, progress: (String) -> Void = { _ in },
    afterIdMap: (@Sendable () -> Void)? = nil,
    afterIdentity: ((OrderTable, IdentityResult) -> Void)? = nil
  ) throws(LoyaltyError) -> RunResult {
    let clock = ContinuousClock()
    var timings: [(String, Double)] = []
    func seconds(since start: ContinuousClock.Instant) -> Double {
      let elapsed = clock.now - start
      return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    /// Runs and times a stage; `before` is time the stage spent earlier (see the ref order).
    func timed<T>(_ name: String, before: Double = 0, _ body: () throws(LoyaltyError) -> T) throws(LoyaltyError) -> T {
      let start = clock.now
      let value = try body()
      let seconds = before + seconds(since: start)
      timings.append((name, seconds))
      progress("\(name) done in \(format3(seconds)) s")
      return value
    }
    let config = request.config
    // With more than one thread the id map is read beside the ingest, on the core that
    // the ingest's single-threaded steps leave idle; "id_map" then times the wait.
    let idMapPath = request.idMapPath
    let idMapRead =
      request.threads > 1
      ? idMapPath.map { path in
        LowPriorityTask { () throws(LoyaltyError) in
          defer { afterIdMap?() }
          return try IdMap.read(path: path)
        }
      } : nil
    if idMapRead == nil { afterIdMap?() }
    let ingest = try timed("ingest") { () throws(LoyaltyError) in
      try OrderIngest.run(
        paths: request.ordersPaths, config: config.input, linkKeys: config.identity.linkKeys, asOf: request.asOf,
        threads: request.threads)
    }
    for file in ingest.files {
      progress("\(file.file): read \(file.read) = accepted \(file.accepted) + rejected \(file.rejected)")
    }
    // Identity's ref order needs the orders alone: while the id map is still being read
    // beside, it is worked out on all threads but one, that core finishing the map (on
    // all, it would hold the map back as long as it gained); on all once the map is
    // read. Its time counts as identity's.
    var refOrder: IdentityResolution.RefOrder? = nil
    var refOrderSeconds = 0.0
    if let idMapRead, request.until >= .identity {
      let start = clock.now
      let threads = idMapRead.isFinished ? request.threads : max(1, request.threads - 1)
      refOrder = IdentityResolution.RefOrder(orders: ingest.orders, threads: threads)
      refOrderSeconds = seconds(since: start)
    }
    let idMap = try timed("id_map") { () throws(LoyaltyError) in
      if let idMapRead { return try idMapRead.value() }
      return try idMapPath.map { path throws(LoyaltyError) in try IdMap.read(path: path) } ?? IdMap()
    }
    var result = RunResult(request: request, ingest: consume ingest, idMap: idMap)
    guard request.until >= .identity else {
      result.timings = timings
      return result
    }
    let identity = try timed("identity", before: refOrderSeconds) { () throws(LoyaltyError) in
      IdentityResolution.run(
        orders: result.ingest.orders, idMap: idMap, linkKeys: config.identity.linkKeys,
        maxRefsPerKey: config.identity.maxRefsPerKey, threads: request.threads, refOrder: refOrder)
    }
    refOrder = nil
    result.identity = identity
    afterIdentity?(result.ingest.orders, identity)
    let cleaning = try timed("cleaning") { () throws(LoyaltyError) in
      Cleaning.run(
        releasing: &result.ingest.orders, identity: identity, asOf: request.asOf, minorDigits: config.input.minorDigits,
        threads: request.threads)
    }
    result.cleaning = cleaning
    guard request.until >= .rfm else {
      result.timings = timings
      return result
    }
    result.rfm = try timed("rfm") { () throws(LoyaltyError) in
      try RFMStage.run(
        history: cleaning.history, config: config.rfm, lifecycle: config.lifecycle, threads: request.threads)
    }
    guard request.until >= .levels else {
      result.timings = timings
      return result
    }
    let levels = try timed("levels") { () throws(LoyaltyError) in
      try LevelsStage.run(history: cleaning.history, config: config.levels, threads: request.threads)
    }
    result.levels = levels
    guard request.until >= .points else {
      result.timings = timings
      return result
    }
    result.points = try timed("points") { () throws(LoyaltyError) in
      try PointsStage.run(
        history: cleaning.history, ladder: levels.ladder, config: config.points, seed: config.run.seed,
        threads: request.threads)
    }
    result.timings = timings
    return result
  }
}

/// Seconds with three decimals, for progress lines.
func format3(_ x: Double) -> String {
  let ms = Int((x * 1000).rounded())
  let frac = String(ms % 1000)
  return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
