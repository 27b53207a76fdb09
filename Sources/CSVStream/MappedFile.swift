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

  /// Maps `path` read-only.
  /// - Throws: `CSVError.unreadable` when the file is missing or cannot be mapped.
  public init(path: String) throws(CSVError) {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      throw .unreadable(path: path, reason: "it is a directory")
    }
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

  deinit {
    if let mapping { munmap(mapping, bytes.count) }
  }
}
