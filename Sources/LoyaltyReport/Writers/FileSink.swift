import CHints

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where `ReportFolder.writeCSV` puts a member-sized file's bytes, in order, from one
/// thread. On Linux the bytes go straight to the disk (`O_DIRECT`) when the file system
/// takes that: the file is flushed to disk before it is renamed into place anyway, so a
/// copy in the page cache only costs the copy and the fresh pages it lands in. (On the
/// benchmark machine, a 347 MB members.csv took 0.7 CPU-s through the page cache and
/// 0.1 s straight.) Direct writes need aligned memory, offsets and lengths, so the bytes
/// gather in an aligned buffer and go out a whole buffer at a time; the last part of the
/// file, shorter than the alignment, is written through the page cache. Where direct
/// writes are refused (tmpfs, macOS, a file system with other rules), every byte goes
/// through the page cache, as before. (Unchecked Sendable: `writeCSV`'s lanes hold it, but
/// only the calling thread writes.)
final class FileSink: @unchecked Sendable {
  /// The alignment of direct writes: a page, which every Linux file system that takes
  /// direct writes accepts.
  static let alignment = 4096
  /// Bytes gathered before a direct write (a multiple of `alignment`).
  static let bufferBytes = 4 << 20

  /// `write(2)`'s shape: bytes written, or -1 with errno set.
  typealias WriteFunction = (Int32, UnsafeRawPointer, Int) -> Int

  private let fd: Int32
  private let write: WriteFunction
  private(set) var isDirect = false
  private var buffer: UnsafeMutableRawPointer?
  private var pending = 0
  /// Bytes handed to the file so far.
  private(set) var offset: off_t = 0

  /// A sink for the empty file `fd`, writing straight to the disk when `direct` and the
  /// file system allows it. `write` is `write(2)` but in the tests of the fallbacks.
  init(fd: Int32, direct: Bool = true, write: @escaping WriteFunction = FileSink.systemWrite) {
    self.fd = fd
    self.write = write
    let flag = loyalty_direct_write_flag()
    if direct, flag != 0, posix_memalign(&buffer, Self.alignment, Self.bufferBytes) == 0 {
      let flags = fcntl(fd, F_GETFL)
      isDirect = flags >= 0 && fcntl(fd, F_SETFL, flags | flag) == 0
    }
    if !isDirect {
      free(buffer)
      buffer = nil
    }
  }

  deinit { free(buffer) }

  /// Appends `bytes`; false when a write failed (errno says why).
  func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var rest = bytes
    while !rest.isEmpty {
      // A refused direct write (see `writeAll`) sends the rest through the page cache.
      guard isDirect, let buffer else { return writeThrough(rest) }
      let n = min(rest.count, Self.bufferBytes - pending)
      (buffer + pending).copyMemory(from: rest.baseAddress!, byteCount: n)
      pending += n
      rest = UnsafeRawBufferPointer(rebasing: rest[n...])
      if pending == Self.bufferBytes {
        pending = 0
        guard writeAll(UnsafeRawBufferPointer(start: buffer, count: Self.bufferBytes)) else { return false }
      }
    }
    return true
  }

  /// Writes what is still gathered; false when a write failed (errno says why).
  func finish() -> Bool {
    guard isDirect, let buffer else { return true }
    let whole = pending / Self.alignment * Self.alignment
    let tail = pending - whole
    pending = 0
    guard writeAll(UnsafeRawBufferPointer(start: buffer, count: whole)) else { return false }
    guard tail > 0 else { return true }
    // The last bytes cannot make an aligned length: through the page cache.
    guard !isDirect || leaveDirect() else { return false }
    return writeAll(UnsafeRawBufferPointer(start: buffer + whole, count: tail))
  }

  /// Writes `bytes` through the page cache, and asks for their write-back to start, so
  /// that the flush at the end waits for the last ones only (a hint that changes no
  /// byte of the file).
  private func writeThrough(_ bytes: UnsafeRawBufferPointer) -> Bool {
    let start = offset
    guard writeAll(bytes) else { return false }
    #if canImport(Glibc)
      if !bytes.isEmpty { _ = posix_fadvise(fd, start, off_t(bytes.count), POSIX_FADV_DONTNEED) }
    #endif
    return true
  }

  /// Writes all of `bytes`, retrying short and interrupted writes. A direct write the
  /// file system refuses for its alignment (EINVAL), or a short one that leaves the
  /// offset unaligned, turns direct writes off and the rest goes through the page cache.
  private func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var done = 0
    while done < bytes.count {
      let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 && errno == EINTR { continue }
      if n < 0 && errno == EINVAL && isDirect {
        guard leaveDirect() else { return false }
        continue
      }
      guard n > 0 else {
        if n == 0 { errno = EIO }  // no progress, and no reason given
        return false
      }
      done += n
      offset += off_t(n)
      if isDirect && Int(offset) % Self.alignment != 0 && !leaveDirect() { return false }
    }
    return true
  }

  static func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
      Glibc.write(fd, bytes, count)
    #else
      Darwin.write(fd, bytes, count)
    #endif
  }

  /// Turns direct writes off; false (errno says why) when the file keeps them, which
  /// fails the file rather than retry the write that needed them off.
  private func leaveDirect() -> Bool {
    let flags = fcntl(fd, F_GETFL)
    guard flags >= 0, fcntl(fd, F_SETFL, flags & ~loyalty_direct_write_flag()) == 0 else { return false }
    isDirect = false
    return true
  }
}
