import Dispatch
import Foundation
import TestScratch
import Testing

@testable import LoyaltyCore

@Suite struct LowPriorityTaskTests {
  /// `isFinished` does not wait: false while the work is held, true once it is done,
  /// and the value is the work's after either.
  @Test func isFinishedTellsWithoutWaiting() throws {
    let gate = DispatchSemaphore(value: 0)
    let task = LowPriorityTask { () throws(LoyaltyError) -> Int in
      gate.wait()
      return 42
    }
    #expect(!task.isFinished)
    gate.signal()
    let deadline = DispatchTime.now() + .seconds(30)
    while !task.isFinished && DispatchTime.now() < deadline { usleep(1000) }
    #expect(task.isFinished)
    #expect(try task.value() == 42)
    #expect(try task.take() == 42)
  }

  /// A task behind a gate starts only once the gate is open: it sees what was written
  /// before the opening, and it has not finished while the gate is shut.
  @Test func aGatedTaskWaitsForItsGate() throws {
    let gate = StartGate()
    let seen = Locked(0)
    let task = LowPriorityTask(after: gate) { () throws(LoyaltyError) -> Int in seen.withLock { $0 } }
    usleep(50_000)
    #expect(!task.isFinished)
    seen.withLock { $0 = 42 }
    gate.open()
    gate.open()
    #expect(try task.value() == 42)
  }

  /// A failed task's error comes out of `value()`, after `isFinished` as before it.
  @Test func aFailedTaskThrowsItsError() {
    let task = LowPriorityTask { () throws(LoyaltyError) -> Int in throw .input("no such file") }
    let deadline = DispatchTime.now() + .seconds(30)
    while !task.isFinished && DispatchTime.now() < deadline { usleep(1000) }
    #expect(task.isFinished)
    #expect(throws: LoyaltyError.self) { try task.value() }
  }
}
