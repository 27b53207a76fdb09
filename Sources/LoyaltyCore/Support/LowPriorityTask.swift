import CHints
import Dispatch
import Foundation

/// Work on a thread of its own at a low priority (nice 19, which Linux keeps per
/// thread, or below it: see `BackgroundPriority`): it takes the core that the caller's
/// single-threaded steps leave idle and gives way while every core is busy. The
/// pipeline reads the id map this way beside the ingest, and `loyalty run` hashes its
/// inputs beside the pipeline (at `.idle`, and behind a `StartGate` until the id map
/// is read).
public final class LowPriorityTask<Value: Sendable>: @unchecked Sendable {
  private var outcome: Result<Value, LoyaltyError>?
  private let done = DispatchSemaphore(value: 0)
  private var waited = false

  /// Starts `work` at once, or once `gate` is open.
  public init(
    priority: BackgroundPriority = .low, after gate: StartGate? = nil,
    _ work: @escaping @Sendable () throws(LoyaltyError) -> Value
  ) {
    let thread = Thread { [self] in
      #if os(Linux)
        if priority == .low || loyalty_run_when_idle() != 0 {
          _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        }
      #endif
      gate?.wait()
      outcome = Result { () throws(LoyaltyError) in try work() }
      done.signal()
    }
    thread.start()
  }

  /// Waits for the work to finish; its value, or its error thrown. Call it from one
  /// thread (the one that started the task). The semaphore orders the worker's write
  /// of the outcome before this read.
  public func value() throws(LoyaltyError) -> Value {
    waitOnce()
    return try outcome!.get()
  }

  /// Waits, then moves the value out, so that the task (which its thread keeps alive
  /// until the thread has exited) holds no second reference to it: the caller's first
  /// write then copies nothing. Call it once, instead of `value()`.
  public func take() throws(LoyaltyError) -> Value {
    waitOnce()
    let taken = outcome!
    outcome = nil
    return try taken.get()
  }

  /// Whether the work has finished, without waiting for it. Call it from the thread
  /// that calls `value()` or `take()`.
  public var isFinished: Bool {
    if !waited && done.wait(timeout: .now()) == .success { waited = true }
    return waited
  }

  /// Waits for the work to finish, the first time only.
  private func waitOnce() {
    if !waited {
      done.wait()
      waited = true
    }
  }
}

/// Holds a `LowPriorityTask` back until it is opened: for work that would otherwise
/// take cycles from another background task that is waited for sooner (Linux's
/// SCHED_IDLE is no strict floor: against a nice-19 thread it gets about a sixth of
/// the core). Opening it again does nothing.
public final class StartGate: @unchecked Sendable {
  private let condition = NSCondition()
  private var isOpen = false

  public init() {}

  /// Lets every task waiting at the gate start.
  public func open() {
    condition.lock()
    isOpen = true
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until the gate is open.
  func wait() {
    condition.lock()
    while !isOpen { condition.wait() }
    condition.unlock()
  }
}

/// How low a `LowPriorityTask` runs: `low` is nice 19; `idle` is below it (Linux's
/// SCHED_IDLE; nice 19 where there is none), for work wanted only at the end of the run
/// while a `low` task's result is waited for sooner. An idle thread that is stopped
/// while it holds a lock another thread needs (the allocator's, or the kernel's for
/// the process's mappings, when it maps its file or gives pages back) delays that
/// thread until a core is free for it; the input hashing takes such locks only between
/// 16 MB steps.
public enum BackgroundPriority: Sendable {
  case low
  case idle
}
