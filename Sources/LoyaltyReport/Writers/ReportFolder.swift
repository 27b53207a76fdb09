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
  /// `alsoWrite`, when given, writes further files into the staging folder (its
  /// argument) before the folder is moved into place.
  public static func write(
    _ files: [(name: String, contents: String)], to path: String,
    alsoWrite: ((String) throws(LoyaltyError) -> Void)? = nil
  ) throws(LoyaltyError) {
    let parent = parentDirectory(path)
    try makeDirectories(parent)
    let staging = parent + "/." + lastComponent(path) + ".partial-\(getpid())"
    removeStale(prefix: "." + lastComponent(path) + ".partial-", in: parent)
    removeTree(staging)
    guard mkdir(staging, 0o755) == 0 else {
      throw .input("\(staging): cannot create the staging folder (\(String(cString: strerror(errno)))).")
    }
    for file in files {
      try writeFile(staging + "/" + file.name, file.contents)
    }
    if let alsoWrite { try alsoWrite(staging) }
    let previous = parent + "/." + lastComponent(path) + ".previous-\(getpid())"
    var moved = false
    if access(path, F_OK) == 0 {
      guard rename(path, previous) == 0 else {
        throw .input("\(path): cannot replace the earlier report (\(String(cString: strerror(errno)))).")
      }
      moved = true
    }
    guard rename(staging, path) == 0 else {
      let reason = String(cString: strerror(errno))
      if moved { _ = rename(previous, path) }
      throw .input("\(path): cannot move the new report into place (\(reason)).")
    }
    if moved { removeTree(previous) }
  }

  /// Writes one file atomically (temporary file, fsync, rename).
  public static func writeFile(_ path: String, _ contents: String) throws(LoyaltyError) {
    var text = contents
    try writeAtomically(path) { fd in text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) } }
  }

  /// Writes one CSV file atomically as its rows are made: `rows` fills a streaming
  /// `ByteCSV` (header written) whose parts go straight to the file. Each part is handed
  /// to the disk as soon as it is written (on Linux), so the fsync at the end waits for
  /// the last parts only, not the whole file.
  static func streamCSV(_ path: String, header: [String], rows: (inout ByteCSV) -> Void) throws(LoyaltyError) {
    try writeAtomically(path) { fd in
      var written: off_t = 0
      var csv = ByteCSV(header: header) { part in
        guard writeAll(fd, part) else { return false }
        #if canImport(Glibc)
          // Starts write-back of the part now; a hint that changes no byte of the file.
          _ = posix_fadvise(fd, written, off_t(part.count), POSIX_FADV_DONTNEED)
        #endif
        written += off_t(part.count)
        return true
      }
      rows(&csv)
      return csv.flush()
    }
  }

  /// Creates a temporary file beside `path`, lets `fill` write it (false: it failed,
  /// errno says why), then fsyncs, closes and renames it to `path`; on any failure the
  /// temporary file is removed and the first failure's reason thrown.
  private static func writeAtomically(_ path: String, _ fill: (Int32) -> Bool) throws(LoyaltyError) {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw .input("\(path): cannot be written (\(String(cString: strerror(errno)))).")
    }
    // The reason is read where the first failure happens, before later calls reset errno.
    var reason: String? = fill(fd) ? nil : String(cString: strerror(errno))
    if fsync(fd) != 0 { reason = reason ?? String(cString: strerror(errno)) }
    if close(fd) != 0 { reason = reason ?? String(cString: strerror(errno)) }
    if reason == nil && rename(temporary, path) != 0 { reason = String(cString: strerror(errno)) }
    if let reason {
      unlink(temporary)
      throw .input("\(path): cannot be written completely (\(reason)).")
    }
  }

  /// Writes all of `bytes` to `fd`, retrying short and interrupted writes.
  private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
      #if canImport(Glibc)
        let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      #else
        let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      #endif
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      offset += n
    }
    return true
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
    guard let dir = opendir(parent) else { return }
    var stale: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name.hasPrefix(prefix) { stale.append(parent + "/" + name) }
    }
    closedir(dir)
    for path in stale { removeTree(path) }
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
