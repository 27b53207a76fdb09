import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Folders for the tests that write files. A test process makes them all in one
/// folder of its own, `loyalty-tests-XXXXXX` in `$TMPDIR` (or `/tmp` when that is not
/// a folder), and removes it when it exits. The process holds a lock on the folder's
/// `.lock` while it lives, so the first folder a process makes also removes the
/// folders whose lock nobody holds: those of test processes killed before they could
/// remove their own.
public enum TestScratch {
  /// A new empty folder `<name>-XXXXXX` in the process's folder.
  public static func folder(_ name: String) -> String {
    makeFolder("\(root)/\(name)-XXXXXX")
  }

  static let prefix = "loyalty-tests-"

  static let root: String = {
    var parent = ProcessInfo.processInfo.environment["TMPDIR"] ?? ""
    var isFolder: ObjCBool = false
    if parent.isEmpty || !FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder) || !isFolder.boolValue
    {
      parent = "/tmp"
    }
    let manager = FileManager.default
    for name in (try? manager.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(prefix) {
      let folder = parent + "/" + name
      // No lock file yet: a process is still making the folder.
      let fd = open(folder + "/.lock", O_RDWR)
      guard fd >= 0 else { continue }
      if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? manager.removeItem(atPath: folder) }
      close(fd)
    }
    let path = makeFolder(parent + "/" + prefix + "XXXXXX")
    // Held until the process exits; the descriptor is never closed.
    let lock = open(path + "/.lock", O_RDWR | O_CREAT, 0o600)
    guard lock >= 0, flock(lock, LOCK_EX) == 0 else {
      fatalError("cannot lock the tests' folder \(path): \(String(cString: strerror(errno)))")
    }
    atexit { try? FileManager.default.removeItem(atPath: TestScratch.root) }
    return path
  }()

  private static func makeFolder(_ template: String) -> String {
    var bytes = Array(template.utf8CString)
    guard let made = bytes.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      fatalError("cannot make the test folder \(template): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
  }
}
