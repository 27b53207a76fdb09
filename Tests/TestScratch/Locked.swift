import Foundation

/// A value shared between a test and the threads it starts, read and written under a
/// lock (the Synchronization module's `Mutex` needs macOS 15; the package supports 13).
public final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  public init(_ value: Value) { self.value = value }

  public func withLock<R>(_ body: (inout Value) -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}
