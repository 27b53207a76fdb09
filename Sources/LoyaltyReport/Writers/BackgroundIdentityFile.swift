import LoyaltyCore

/// identity.csv written on a low-priority thread while cleaning and RFM run: all it
/// needs is known once identity is done, and those stages leave a core idle in their
/// single-threaded steps. The file is the one `ReportBuilder` would write, byte for byte;
/// `ReportBuilder.write(into:identityFile:)` waits for it before publishing the folder.
/// It holds on to its staging folder; when it goes unwaited (a run that failed after
/// identity) it stops the thread at the next block and waits for it, so the folder is
/// removed only once nothing writes into it.
public final class BackgroundIdentityFile {
  private let task: LowPriorityTask<Void>
  private let staging: StagingFolder
  private let cancellation = ReportFolder.WriteCancellation()

  /// Starts writing `staging`'s identity.csv. Only the refs' names are kept from
  /// `orders` (not its row columns or lookup table, which cleaning gives back).
  public init(into staging: StagingFolder, orders: OrderTable, identity: IdentityResult) {
    var names = orders
    names.releaseRowColumns()
    self.staging = staging
    let folder = staging.path
    let cancellation = cancellation
    task = LowPriorityTask { [names] () throws(LoyaltyError) in
      try ReportBuilder.identityFile(names, identity).write(into: folder, threads: 1, cancellation: cancellation)
    }
  }

  /// Waits for the file; throws when it could not be written.
  public func wait() throws(LoyaltyError) { try task.value() }

  deinit {
    cancellation.cancel()
    _ = try? task.value()
  }
}
