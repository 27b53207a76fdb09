/// The growth value of every member at one date (SPEC 6): net spend of the member's
/// counted orders in the trailing window `[date - windowDays + 1, date]`, plus a bonus
/// per counted order in that window. Members are indexed like `MemberHistory.memberIDs`;
/// a member without an order in the window has g = 0 (and sits in level 1).
public struct GrowthValues: Sendable, Equatable {
  /// The last day of the window, inclusive.
  public var date: Day
  /// The window length in days.
  public var windowDays: Int
  /// Growth value added per counted order in the window, in minor units.
  public var bonusPerOrderMinor: Int64
  /// Growth value g per member, in minor units.
  public var growthMinor: [Int64]
  /// Net spend per member in the window, in minor units, without the bonus.
  public var windowSpendMinor: [Int64]

  /// Values measured elsewhere (e.g. merged from a cluster job), indexed by member.
  public init(
    date: Day, windowDays: Int, bonusPerOrderMinor: Int64, growthMinor: [Int64], windowSpendMinor: [Int64]
  ) {
    precondition(growthMinor.count == windowSpendMinor.count, "one growth value and one spend per member")
    self.date = date
    self.windowDays = windowDays
    self.bonusPerOrderMinor = bonusPerOrderMinor
    self.growthMinor = growthMinor
    self.windowSpendMinor = windowSpendMinor
  }

  /// Number of members.
  public var memberCount: Int { growthMinor.count }

  /// Measures every member's growth value at `date` in one pass over the orders.
  /// - Parameters:
  ///   - history: counted orders per member.
  ///   - date: the last day of the window (as-of for the level table), inclusive.
  ///   - windowDays: window length in days, >= 1.
  ///   - bonusPerOrderMinor: bonus per counted order in the window, in minor units.
  ///   - threads: worker threads (values below 1 mean 1); the result does not depend on it.
  public static func measure(
    _ history: MemberHistory, at date: Day, windowDays: Int, bonusPerOrderMinor: Int64, threads: Int = 1
  ) -> GrowthValues {
    let memberCount = history.memberCount
    let first = date.number - Int32(windowDays) + 1
    let last = date.number
    var growth = [Int64](repeating: 0, count: memberCount)
    var spend = [Int64](repeating: 0, count: memberCount)
    growth.withUnsafeMutableBufferPointer { growthBuffer in
      spend.withUnsafeMutableBufferPointer { spendBuffer in
        let growthSlots = SharedSlots(buffer: growthBuffer)
        let spendSlots = SharedSlots(buffer: spendBuffer)
        _ = ParallelRanges.mapChunks(count: memberCount, threads: threads) { members in
          history.orderStart.withUnsafeBufferPointer { orderStart in
            history.day.withUnsafeBufferPointer { day in
              history.net.withUnsafeBufferPointer { net in
                for m in members {
                  var windowSpend: Int64 = 0
                  var windowOrders: Int64 = 0
                  for i in orderStart[m]..<orderStart[m + 1] {
                    let d = day[i]
                    if d >= first && d <= last {
                      windowSpend += net[i]
                      windowOrders += 1
                    }
                  }
                  spendSlots.buffer[m] = windowSpend
                  growthSlots.buffer[m] = windowSpend + windowOrders * bonusPerOrderMinor
                }
              }
            }
          }
          return 0
        }
      }
    }
    return GrowthValues(
      date: date, windowDays: windowDays, bonusPerOrderMinor: bonusPerOrderMinor,
      growthMinor: growth, windowSpendMinor: spend)
  }
}
