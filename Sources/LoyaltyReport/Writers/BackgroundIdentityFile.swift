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
    var names = OrderTable(linkKeyCount: 0)
    names.refs = orders.refs
    names.refs.releaseLookup()
    names.channels = orders.channels
    names.refChannel = orders.refChannel
    self.staging = staging
    let path = staging.path + "/identity.csv"
    let cancellation = cancellation
    task = LowPriorityTask { [names] () throws(LoyaltyError) in
      let file = ReportBuilder.identityFile(names, identity)
      try ReportFolder.writeCSV(
        path, header: file.header, blocks: file.blocks, threads: 1, blockBytes: 1 << 20, cancellation: cancellation,
        block: file.block)
    }
  }

  /// Waits for the file; throws when it could not be written.
  public func wait() throws(LoyaltyError) { try task.value() }

  deinit {
    cancellation.cancel()
    _ = try? task.value()
  }
}
