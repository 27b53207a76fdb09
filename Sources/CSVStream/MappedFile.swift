#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only file mapped into memory, so that stages can scan it without copying
/// and split it between threads.
public final class MappedFile: @unchecked Sendable {
  /// The path the file was opened with, as it appears in messages.
  public let path: String
  /// The whole file's bytes; empty for an empty file.
  public let bytes: UnsafeRawBufferPointer
  private let mapping: UnsafeMutableRawPointer?
  /// The file's device, inode, size and modification time when mapped.
  private let opened: Stamp

  /// Maps `path` read-only.
  /// - Throws: `CSVError.unreadable` when the file is missing or cannot be mapped.
  public init(path: String) throws(CSVError) {
    self.path = path
    // The kind is asked by name before the file is opened: opening a pipe waits for a
    // writer.
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    if let reason = Self.notAFile(info) { throw .unreadable(path: path, reason: reason) }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    // The mapping keeps the file; the descriptor is not needed once it is made.
    defer { close(fd) }
    guard fstat(fd, &info) == 0 else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    if let reason = Self.notAFile(info) { throw .unreadable(path: path, reason: reason) }
    opened = Stamp(info)
    let size = Int(info.st_size)
    if size == 0 {
      mapping = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    madvise(base, size, MADV_SEQUENTIAL)
    mapping = base
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  /// Why a file of `info`'s kind cannot be an input, or nil for a regular file. A pipe
  /// would map as empty, and an input is read more than once (a reject's text again,
  /// the SHA-256 for the manifest).
  static func notAFile(_ info: stat) -> String? {
    switch info.st_mode & S_IFMT {
    case S_IFREG: nil
    case S_IFDIR: "it is a directory"
    case S_IFIFO, S_IFSOCK:
      "it is a pipe, not a file; inputs are read more than once, so save the export to a file first"
    default: "it is a device, not a file"
    }
  }

  /// Tells the kernel that `range` has been read and its pages may be dropped, so
  /// resident memory stays bounded by the columns kept rather than the file size.
  public func release(_ range: Range<Int>) {
    guard let base = mapping, !range.isEmpty else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (range.lowerBound + page - 1) / page * page
    let end = range.upperBound / page * page
    guard end > start else { return }
    madvise(base + start, end - start, MADV_DONTNEED)
  }

  /// False when the file mapped has changed size or been written since it was mapped
  /// (another program rewriting the export meanwhile): its bytes are then no longer
  /// the ones read, and reading past a new, shorter end would stop the process. Asked
  /// by name, so that a run holds no descriptor a file (a run may read hundreds): when
  /// the name is gone or names another file (one moved in), the file mapped is one
  /// no other program can open by name, so it counts as unchanged.
  public func isUnchanged() -> Bool {
    var info = stat()
    guard stat(path, &info) == 0 else { return true }
    let now = Stamp(info)
    return now.device != opened.device || now.inode != opened.inode || now == opened
  }

  /// What tells a change: the file (device, inode), its size and modification time.
  private struct Stamp: Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int
    let seconds: Int
    let nanoseconds: Int

    init(_ info: stat) {
      device = UInt64(truncatingIfNeeded: info.st_dev)
      inode = UInt64(truncatingIfNeeded: info.st_ino)
      size = Int(info.st_size)
      #if canImport(Darwin)
        (seconds, nanoseconds) = (Int(info.st_mtimespec.tv_sec), Int(info.st_mtimespec.tv_nsec))
      #else
        (seconds, nanoseconds) = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
      #endif
    }
  }

  deinit {
    if let mapping { munmap(mapping, bytes.count) }
  }
}
