import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One file written whole or not at all. Its bytes go to a temporary file beside it
/// (`NAME.tmp-PID`), which `commit` flushes to disk and renames to the file's name. A
/// failure anywhere, `discard`, or letting go of an uncommitted file removes the
/// temporary file and leaves whatever the name held before.
public final class AtomicFile {
  public let path: String
  private let temporary: String
  /// The temporary file's descriptor while it is written; -2 once `commit` has closed
  /// it, -1 once it is renamed into place or given up.
  private var fd: Int32
  /// Writes the temporary file through the page cache, retrying short writes.
  private let sink: FileSink
  /// The first failure's reason, read where it happened (later calls reset errno).
  private var failure: String?

  /// Creates the temporary file.
  public init(_ path: String) throws(LoyaltyError) {
    self.path = path
    temporary = path + ".tmp-\(getpid())"
    fd = open(temporary, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw .input("\(path): cannot be written (\(String(cString: strerror(errno)))).")
    }
    sink = FileSink(fd: fd, direct: false)
  }

  deinit { discard() }

  /// Appends `text`; a write that fails removes the temporary file and throws.
  public func append(_ text: String) throws(LoyaltyError) {
    guard fd >= 0 else { throw .input("\(path): cannot be written completely (it was already given up).") }
    var text = text
    let written = text.withUTF8 { sink.append(UnsafeRawBufferPointer($0)) }
    if !written {
      let reason = String(cString: strerror(errno))
      discard()
      throw .input("\(path): cannot be written completely (\(reason)).")
    }
  }

  /// Lets `body` write the temporary file through its descriptor; false from `body`
  /// means it failed, errno saying why, and `commit` then throws that reason.
  func fill(_ body: (Int32) -> Bool) {
    guard fd >= 0, failure == nil else { return }
    if !body(fd) { failure = String(cString: strerror(errno)) }
  }

  /// Flushes the file to disk and renames it into place; on any failure the temporary
  /// file is removed and the first failure's reason thrown.
  public func commit() throws(LoyaltyError) {
    try Self.commit([self])
  }

  /// Commits `files` together: each is flushed to disk and closed first, and only when
  /// all of them are whole are they renamed into place, in order. A failure before the
  /// renames removes every temporary file and leaves every name as it was.
  public static func commit(_ files: [AtomicFile]) throws(LoyaltyError) {
    for file in files {
      guard file.fd >= 0 else {
        files.forEach { $0.discard() }
        throw .input("\(file.path): cannot be written completely (it was already given up).")
      }
      var reason = file.failure
      if fsync(file.fd) != 0 { reason = reason ?? String(cString: strerror(errno)) }
      if close(file.fd) != 0 { reason = reason ?? String(cString: strerror(errno)) }
      file.fd = -2
      if let reason {
        files.forEach { $0.discard() }
        throw .input("\(file.path): cannot be written completely (\(reason)).")
      }
    }
    for file in files {
      if rename(file.temporary, file.path) != 0 {
        let reason = String(cString: strerror(errno))
        files.forEach { $0.discard() }
        throw .input("\(file.path): cannot be written completely (\(reason)).")
      }
      file.fd = -1
    }
  }

  /// Gives the file up: the temporary file is removed (nothing, once committed).
  public func discard() {
    guard fd != -1 else { return }
    if fd >= 0 { close(fd) }
    fd = -1
    unlink(temporary)
  }
}
