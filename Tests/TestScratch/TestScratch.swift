import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Folders for the tests that write files. A test process makes all of its in one
/// folder, `loyalty-tests-<pid>` in `$TMPDIR` (else `/tmp`), and removes that folder
/// when it exits; its first folder also removes the folders of test processes that
/// are gone (killed before they could remove their own). A test run leaves nothing
/// behind.
public enum TestScratch {
  /// A new empty folder `<name>-XXXXXX` in the process's folder.
  public static func folder(_ name: String) -> String {
    var template = Array("\(root)/\(name)-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      fatalError("cannot make a test folder in \(root): \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
  }

  static let prefix = "loyalty-tests-"

  static let root: String = {
    let parent = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    let manager = FileManager.default
    for name in (try? manager.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = pid_t(name.dropFirst(prefix.count)), pid != getpid() else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { try? manager.removeItem(atPath: parent + "/" + name) }
    }
    let path = parent + "/" + prefix + String(getpid())
    if mkdir(path, 0o700) != 0 && errno != EEXIST {
      fatalError("cannot make the tests' folder \(path): \(String(cString: strerror(errno)))")
    }
    atexit { try? FileManager.default.removeItem(atPath: TestScratch.root) }
    return path
  }()
}
