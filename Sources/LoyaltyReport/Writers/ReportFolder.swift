import CHints
import Foundation
import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a report folder whole or not at all (SPEC 8): every file goes into a
/// hidden folder beside the target, is flushed to disk, and the folder is then
/// renamed into place. A run that dies midway leaves the previous report untouched.
public enum ReportFolder {
  /// Writes `files` (name, contents) as the folder `path`, replacing an earlier one.
  public static func write(_ files: [(name: String, contents: String)], to path: String) throws(LoyaltyError) {
    let staging = try StagingFolder(for: path)
    for file in files {
      try writeFile(staging.path + "/" + file.name, file.contents)
    }
    try staging.publish()
  }

  /// The names of the files a report folder holds (SPEC 8, and `levels.md` and
  /// `points.md` of the `levels` and `points` commands); charts are `.svg` files.
  static let reportFileNames: Set<String> = [
    "report.md", "manifest.json", "members.csv", "levels.csv", "points_summary.csv", "rejects.csv", "segments.csv",
    "migration.csv", "points_monthly.csv", "points_sensitivity.csv", "identity.csv", "levels.md", "points.md",
  ]

  /// Whether `name` is the name of a file a report folder holds.
  static func isReportFileName(_ name: String) -> Bool {
    reportFileNames.contains(name) || (name.hasSuffix(".svg") && !name.hasPrefix("."))
  }

  /// Writes one file atomically (temporary file, fsync, rename).
  public static func writeFile(_ path: String, _ contents: String) throws(LoyaltyError) {
    var text = contents
    try writeAtomically(path) { fd in
      text.withUTF8 { FileSink(fd: fd, direct: false).append(UnsafeRawBufferPointer($0)) }
    }
  }

  /// Writes one CSV file atomically with its rows made on up to `threads` threads. The
  /// rows come in `blocks` blocks in file order (`block(k, &csv)` appends block k's).
  /// Lane t makes blocks t, t + threads, ... into buffers of its own, and one thread
  /// writes every block, in order, so the file holds the bytes one writer would make and
  /// at most two blocks per lane are in memory at a time. With one lane, the calling
  /// thread makes and writes; with more, it only writes, so that no lane stops making
  /// blocks while a write waits for the disk. (Writes come from one thread only: on the
  /// machine this was measured on, a second thread's writes to the same file took four
  /// to six times as long.)
  /// Once `cancellation` is set the file is given up (the temporary file removed) at
  /// the next block. The bytes go straight to the disk where the file system allows it,
  /// unless `direct` is false (see `FileSink`).
  static func writeCSV(
    _ path: String, header: [String], blocks: Int, threads: Int, blockBytes: Int,
    cancellation: WriteCancellation? = nil, direct: Bool = true,
    block: @escaping @Sendable (Int, inout ByteCSV) -> Void
  ) throws(LoyaltyError) {
    let handover = BlockHandover(
      blocks: blocks, lanes: max(1, min(threads, blocks)), blockBytes: blockBytes, cancellation: cancellation)
    try writeAtomically(path) { fd in
      let sink = FileSink(fd: fd, direct: direct)
      let head = ByteCSV(header: header, reserve: 0)
      guard head.withText({ sink.append($0) }) else { return false }
      let lanes = handover.lanes
      let writerLane = lanes > 1 ? 1 : 0
      onThreads(lanes + writerLane) { thread in
        if thread < writerLane { return handover.write(through: blocks - 1, to: sink) }
        let lane = thread - writerLane
        for k in stride(from: lane, to: blocks, by: lanes) {
          handover.make(k, block)
          // A lone lane writes what it has made before it makes more.
          if writerLane == 0 { handover.write(through: k, to: sink) }
        }
      }
      handover.write(through: blocks - 1, to: sink)
      if let failure = handover.failure {
        errno = failure
        return false
      }
      return sink.finish()
    }
  }

  /// Runs `work(0)` on the calling thread and `work(1)`, ... on threads of their own,
  /// all at once (a thread may wait for another, which a thread pool would not
  /// promise to run), and returns when all are done.
  private static func onThreads(_ count: Int, _ work: @escaping @Sendable (Int) -> Void) {
    let done = DispatchSemaphore(value: 0)
    for k in 1..<max(1, count) {
      Thread {
        work(k)
        done.signal()
      }.start()
    }
    work(0)
    for _ in 1..<max(1, count) { done.wait() }
  }

  /// The blocks of `writeCSV` on their way from the threads that make them to the one
  /// that writes them. Block k goes into the buffer that block k - 2 × lanes used, once
  /// that one is written.
  private final class BlockHandover: @unchecked Sendable {
    let blocks: Int
    let lanes: Int
    private let buffers: [BlockBuffer]
    private let condition = NSCondition()
    private var made: [Bool]
    /// Blocks 0 ..< written are written (or skipped, after a failure).
    private var written = 0
    private var firstFailure: Int32?

    private let cancellation: WriteCancellation?

    init(blocks: Int, lanes: Int, blockBytes: Int, cancellation: WriteCancellation?) {
      self.blocks = blocks
      self.lanes = lanes
      self.cancellation = cancellation
      buffers = (0..<2 * lanes).map { _ in BlockBuffer(reserve: blockBytes) }
      made = Array(repeating: false, count: blocks)
    }

    /// The errno of the first failed write.
    var failure: Int32? {
      condition.lock()
      defer { condition.unlock() }
      return firstFailure
    }

    private func buffer(_ k: Int) -> BlockBuffer { buffers[k % lanes * 2 + k / lanes % 2] }

    /// Makes block k once its buffer is free (nothing, after a failed write).
    func make(_ k: Int, _ block: (Int, inout ByteCSV) -> Void) {
      condition.lock()
      while written <= k - 2 * lanes { condition.wait() }
      let skip = firstFailure != nil
      condition.unlock()
      if !skip { block(k, &buffer(k).csv) }
      condition.lock()
      made[k] = true
      condition.broadcast()
      condition.unlock()
    }

    /// Writes blocks `written ... last` in order, waiting for each to be made.
    func write(through last: Int, to sink: FileSink) {
      while true {
        condition.lock()
        let k = written
        while k <= last && !made[k] { condition.wait() }
        if firstFailure == nil && cancellation?.isCancelled == true { firstFailure = ECANCELED }
        let skip = firstFailure != nil
        condition.unlock()
        guard k <= last else { return }
        let text = buffer(k)
        let reason: Int32? = skip || text.csv.count == 0 || text.csv.withText({ sink.append($0) }) ? nil : errno
        text.csv.removeAll()
        condition.lock()
        if firstFailure == nil { firstFailure = reason }
        written = k + 1
        condition.broadcast()
        condition.unlock()
      }
    }
  }

  /// A request to give up a file that `writeCSV` is writing.
  final class WriteCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    func cancel() {
      lock.lock()
      cancelled = true
      lock.unlock()
    }

    var isCancelled: Bool {
      lock.lock()
      defer { lock.unlock() }
      return cancelled
    }
  }

  /// One block's text (see `writeCSV`).
  private final class BlockBuffer: @unchecked Sendable {
    var csv: ByteCSV
    init(reserve: Int) { csv = ByteCSV(reserve: reserve) }
  }

  /// Creates a temporary file beside `path`, lets `fill` write it (false: it failed,
  /// errno says why), then fsyncs, closes and renames it to `path` (see `AtomicFile`).
  private static func writeAtomically(_ path: String, _ fill: (Int32) -> Bool) throws(LoyaltyError) {
    let file = try AtomicFile(path)
    file.fill(fill)
    try file.commit()
  }

  static func parentDirectory(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  static func lastComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }

  /// `mkdir -p`.
  public static func makeDirectories(_ path: String) throws(LoyaltyError) {
    if path.isEmpty || path == "." || path == "/" || access(path, F_OK) == 0 { return }
    try makeDirectories(parentDirectory(path))
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw .input("\(path): cannot create the folder (\(String(cString: strerror(errno)))).")
    }
  }

  /// Removes staging folders a killed run left behind (their owner is gone: the
  /// output lock is held while this runs).
  static func removeStale(prefix: String, in parent: String) {
    for path in entries(prefix: prefix, in: parent) { removeTree(path) }
  }

  /// The paths in `parent` whose names start with `prefix`, in name order.
  static func entries(prefix: String, in parent: String) -> [String] {
    guard let dir = opendir(parent) else { return [] }
    var found: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasPrefix(prefix) { found.append(parent + "/" + name) }
    }
    closedir(dir)
    return found.sorted()
  }

  /// `rm -rf` for the folders this type creates (flat: files only).
  static func removeTree(_ path: String) {
    guard let dir = opendir(path) else {
      unlink(path)
      return
    }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      let child = path + "/" + name
      if unlink(child) != 0 { removeTree(child) }
    }
    closedir(dir)
    rmdir(path)
  }

  /// The as-of date of the report in `folder` (its manifest's `as_of`), or nil when
  /// it holds no readable manifest.
  public static func reportAsOf(_ folder: String) -> String? {
    guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
      let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return manifest["as_of"] as? String
  }
}

/// A report folder being written: a hidden folder beside the target that takes the
/// files, then moves into place whole (`publish()`). One that is never published is
/// removed when the value goes, so a failed run leaves the earlier report as it was.
public final class StagingFolder {
  /// The hidden folder the files are written into.
  public let path: String
  /// The report folder it becomes.
  public let target: String
  private var published = false
  /// Whether `publish` swapped the folders in one step (for the tests).
  private(set) var swapped = false

  /// Creates the staging folder for `target`, removing any a killed run left behind.
  /// Hold the target's `OutputLock` first.
  public init(for target: String) throws(LoyaltyError) {
    let parent = ReportFolder.parentDirectory(target)
    // A run stopped between the two renames of `publish` (where the folders could not
    // be swapped) left the earlier report aside: it is put back when the target is
    // missing, and removed otherwise.
    for previous in ReportFolder.entries(prefix: "." + ReportFolder.lastComponent(target) + ".previous-", in: parent) {
      if access(target, F_OK) != 0 && rename(previous, target) == 0 { continue }
      ReportFolder.removeTree(previous)
    }
    try Self.checkReplaceable(target)
    try ReportFolder.makeDirectories(parent)
    self.target = target
    path = parent + "/." + ReportFolder.lastComponent(target) + ".partial-\(getpid())"
    ReportFolder.removeStale(prefix: "." + ReportFolder.lastComponent(target) + ".partial-", in: parent)
    guard mkdir(path, 0o755) == 0 else {
      throw .input("\(path): cannot create the staging folder (\(String(cString: strerror(errno)))).")
    }
  }

  /// Throws unless `target` is absent or a folder that holds only files a loyalty
  /// report has (an earlier report of `run`, `levels` or `points`, or nothing):
  /// publishing replaces the folder whole, so any other file there would be lost.
  static func checkReplaceable(_ target: String) throws(LoyaltyError) {
    var info = stat()
    guard lstat(target, &info) == 0 else { return }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw .input("\(target): exists and is not a folder; give --out a new folder or an earlier report's.")
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
    let foreign = entries.sorted().first { !ReportFolder.isReportFileName($0) }
    if let foreign {
      throw .input(
        "\(target): the folder holds '\(foreign)', which is not a file of a loyalty report, and a run replaces the folder whole; give --out a new folder or an earlier report's."
      )
    }
  }

  /// Moves the folder into place, replacing an earlier report (which is kept when the
  /// move fails). Over an earlier report the two folders are swapped in one step where
  /// the system can (`loyalty_exchange_paths`), so no instant is without a report; the
  /// earlier report then sits under the staging name and is removed (a stop before
  /// that leaves it to the next run's clean-up of staging folders). Elsewhere, or with
  /// `exchanging` false, the earlier report is renamed aside first.
  public func publish(exchanging: Bool = true) throws(LoyaltyError) {
    if exchanging && access(target, F_OK) == 0 && loyalty_exchange_paths(path, target) == 0 {
      published = true
      swapped = true
      ReportFolder.removeTree(path)
      return
    }
    let previous =
      ReportFolder.parentDirectory(target) + "/." + ReportFolder.lastComponent(target) + ".previous-\(getpid())"
    var moved = false
    if access(target, F_OK) == 0 {
      guard rename(target, previous) == 0 else {
        throw .input("\(target): cannot replace the earlier report (\(String(cString: strerror(errno)))).")
      }
      moved = true
    }
    guard rename(path, target) == 0 else {
      let reason = String(cString: strerror(errno))
      if moved { _ = rename(previous, target) }
      throw .input("\(target): cannot move the new report into place (\(reason)).")
    }
    published = true
    if moved { ReportFolder.removeTree(previous) }
  }

  deinit {
    if !published { ReportFolder.removeTree(path) }
  }
}

/// An exclusive lock on an output folder, so that two runs never write the same
/// report at once. Released when the process ends, even on a crash.
public final class OutputLock {
  let fd: Int32
  public let path: String

  /// Takes the lock `<folder>.lock` beside the folder, or throws when another run holds it.
  public init(folder: String) throws(LoyaltyError) {
    let parent = ReportFolder.parentDirectory(folder)
    try ReportFolder.makeDirectories(parent)
    path = parent + "/." + ReportFolder.lastComponent(folder) + ".lock"
    fd = open(path, O_CREAT | O_RDWR, 0o644)
    guard fd >= 0 else {
      throw .input("\(path): cannot create the lock file (\(String(cString: strerror(errno)))).")
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      close(fd)
      throw .input("\(folder): another loyalty run is writing this report now; wait for it to finish.")
    }
  }

  deinit {
    flock(fd, LOCK_UN)
    close(fd)
  }
}
