import CHints
import CSVStream
import Dispatch
import Foundation

/// What ingest hands to identity: the accepted orders, every reject, and the counts
/// per file (`read = accepted + rejected` for each).
public struct IngestResult: Sendable {
  public var orders: OrderTable
  public var files: [FileCounts]
  public var rejects: RejectList

  /// Records read over all files.
  public var recordsRead: Int { files.reduce(0) { $0 + $1.read } }
  /// Records rejected over all files (future orders included).
  public var recordsRejected: Int { files.reduce(0) { $0 + $1.rejected } }
}

/// Stage 1 (SPEC 1.1, 1.2): reads the orders CSV files in the order given, as one
/// input, and accepts or rejects every record.
///
/// Checks run in a fixed order and the first failing one names the reject:
/// `unterminated_quote`, `column_count`, `missing_field`, `bad_date`, `bad_amount` /
/// `negative_amount`, `bad_status`, `bad_refund`, `duplicate_order`, `future_order`.
public enum OrderIngest {
  /// Reads `paths`. Throws `.input` (exit 2) when a whole file cannot be used, and
  /// `.dataQuality` (exit 3) when rejects exceed `config.maxRejectShare`.
  public static func run(
    paths: [String], config: InputConfig, linkKeys: [String], asOf: Day, threads: Int = 1
  ) throws(LoyaltyError) -> IngestResult {
    try run(paths: paths, config: config, linkKeys: linkKeys, asOf: asOf, threads: threads, chunkThreshold: 4 << 20)
  }

  /// `chunkThreshold`: files at least this large are split between threads (tests
  /// lower it to exercise the split on small files). `stopCheckEvery`: how many
  /// rejects a chunk holds between two asks whether the stop is already certain (see
  /// `CertainStop`; tests lower it).
  static func run(
    paths: [String], config: InputConfig, linkKeys: [String], asOf: Day, threads: Int, chunkThreshold: Int,
    stopCheckEvery: Int = 1 << 20
  ) throws(LoyaltyError) -> IngestResult {
    guard !paths.isEmpty else { throw .input("No orders file given; pass --orders FILE.") }
    var state = IngestState(config: config, linkKeys: linkKeys, asOf: asOf, threads: threads)
    state.chunkThreshold = chunkThreshold
    state.certainStop = CertainStop(limit: config.maxRejectShare, paths: paths, checkEvery: stopCheckEvery)
    for (index, path) in paths.enumerated() {
      try state.read(path: path, fileIndex: index, isLast: index == paths.count - 1)
    }
    let result = IngestResult(orders: state.table, files: state.files, rejects: state.rejects)
    try checkRejectShare(result, limit: config.maxRejectShare)
    return result
  }

  /// Stops the run when rejected records (future orders aside) exceed `limit` of
  /// the records read.
  public static func checkRejectShare(_ result: IngestResult, limit: Double) throws(LoyaltyError) {
    let read = result.recordsRead
    let errors = result.files.reduce(0) { $0 + $1.rejectedErrors }
    guard read > 0, Double(errors) > limit * Double(read) else { return }
    var byCode: [RejectCode: Int] = [:]
    for file in result.files {
      for (code, n) in file.byCode where code.isError { byCode[code, default: 0] += n }
    }
    let share = Double(errors) / Double(read) * 100
    throw .dataQuality(
      "\(errors) of \(read) order records (\(fmt1(share))%) were rejected, over the limit of \(fmt1(limit * 100))% (max_reject_share); most common: \(mostCommon(byCode)).\(firstError(result.rejects))"
    )
  }

  /// The stop of a scan that found it certain (see `CertainStop`): `rejects` are the
  /// chunk's, all errors, at least that many of at most `mostRecords` records.
  static func certainStopError(_ rejects: RejectList, mostRecords: Int, limit: Double) -> LoyaltyError {
    var byCode: [RejectCode: Int] = [:]
    for k in rejects.indices { byCode[rejects.code(k), default: 0] += 1 }
    // A lower bound, so rounded down.
    let share = (Double(rejects.count) / Double(mostRecords) * 1000).rounded(.down) / 10
    return .dataQuality(
      "At least \(rejects.count) of at most \(mostRecords) order records (\(fmt1(share))% or more) are rejected, over the limit of \(fmt1(limit * 100))% (max_reject_share), so the run stopped before reading them all; most common so far: \(mostCommon(byCode)).\(firstError(rejects))"
    )
  }

  /// The three codes rejected most, with their counts.
  static func mostCommon(_ byCode: [RejectCode: Int]) -> String {
    byCode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .prefix(3).map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
  }

  /// " First: FILE line N: REASON" for the first reject that is an error, or nothing.
  static func firstError(_ rejects: RejectList) -> String {
    rejects.indices.first { rejects.code($0).isError }.map { rejects[$0] }
      .map { " First: \($0.file) line \($0.line): \($0.reason)" } ?? ""
  }
}

func fmt1(_ x: Double) -> String {
  let scaled = (x * 10).rounded()
  let whole = Int(scaled) / 10
  let tenth = abs(Int(scaled) % 10)
  return (scaled < 0 && whole == 0 ? "-" : "") + "\(whole).\(tenth)"
}

/// Column positions of one file's header.
struct ColumnLayout: Sendable {
  var count = 0
  var orderID = -1
  var channel = -1
  var customerRef = -1
  var orderTime = -1
  var amount = -1
  var status = -1
  var refundAmount = -1
  var refundTime = -1
  var linkKeys: [Int] = []
  var names: [String] = []
}

/// Reads the files one after another into one table. Within a file, large files are
/// split at line feeds into one chunk per thread; each chunk validates its records
/// into its own columns and interners. Duplicates (first copy kept, in file order,
/// against every earlier file too) are then decided for the whole file at once, and
/// the chunks merged in file order, where duplicates and future orders become
/// rejects. The result is the same for any thread count.
struct IngestState {
  let config: InputConfig
  let linkKeyNames: [String]
  let asOf: Day
  let threads: Int
  var table: OrderTable
  var files: [FileCounts] = []
  var rejects = RejectList()
  var orderKeys = PartitionedKeySet()
  /// The amounts of the orders accepted so far, in minor units.
  var amountTotal: Int64 = 0

  /// The most the accepted amounts of a run may add up to, in minor units: 2^62 - 1
  /// (46,116,860,184,273,879.03 with two minor digits), so that every money total, and
  /// a growth value with its order bonus (held below 2^62 as well), stays in `Int64`.
  static let amountTotalLimit: Int64 = (1 << 62) - 1

  init(config: InputConfig, linkKeys: [String], asOf: Day, threads: Int) {
    self.config = config
    self.asOf = asOf
    self.threads = max(1, threads)
    linkKeyNames = linkKeys
    table = OrderTable(linkKeyCount: linkKeys.count, businessOffsetSeconds: config.businessOffsetSeconds)
  }

  /// Files smaller than this are read by one thread.
  var chunkThreshold = 4 << 20
  /// Stops the scan once the reject-share stop is certain (nil: never).
  var certainStop: CertainStop? = nil

  /// Reads one orders file; `isLast` when no file follows, so that the order keys
  /// (which only later files are checked against) can go once this file's are in.
  mutating func read(path: String, fileIndex: Int, isLast: Bool) throws(LoyaltyError) {
    let file: MappedFile
    do {
      file = try MappedFile(path: path)
    } catch {
      throw .input(error.description)
    }
    let bytes = file.bytes
    var counts = FileCounts(file: path)
    counts.bytes = bytes.count

    // The header: the first record.
    var layout: ColumnLayout? = nil
    var headerError: LoyaltyError? = nil
    var headerEnd = bytes.count
    let probe = ChunkState(config: config, linkKeyNames: linkKeyNames, layout: ColumnLayout())
    do {
      // Scan up to the line feed after the first line that is not blank (blank lines
      // are skipped, as everywhere); a header spanning lines (quoted line breaks) makes
      // the whole file one chunk.
      var firstLineEnd = 0
      while firstLineEnd < bytes.count {
        let lineStart = firstLineEnd
        firstLineEnd =
          memchr(bytes.baseAddress! + lineStart, 0x0A, bytes.count - lineStart).map {
            UnsafeRawPointer($0) - bytes.baseAddress! + 1
          } ?? bytes.count
        // The byte order mark the scanner skips is no text either.
        let bom = lineStart == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let line = UnsafeRawBufferPointer(rebasing: bytes[(lineStart + bom)..<firstLineEnd])
        if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A }) { break }
      }
      var records = 0
      let closed = try CSVScanner.scan(bytes, range: 0..<firstLineEnd, path: path) { record in
        records += 1
        if layout == nil && headerError == nil {
          do throws(LoyaltyError) {
            layout = try probe.header(record, path: path)
          } catch {
            headerError = error
          }
        }
      }
      // Records after the header on its line (a lone CR ends a record) are read with
      // the rest, from the start.
      headerEnd = closed.endedBetweenRecords && records <= 1 ? firstLineEnd : 0
    } catch {
      throw .input(error.description)
    }
    if let headerError { throw headerError }
    if headerEnd == 0 {
      // A header with a quoted line break, or with records after it on its line (a
      // lone CR as a line end): read everything in one chunk.
      layout = nil
    } else if layout == nil {
      throw .input(
        "\(path): the file is empty; an orders file needs a header row (order_id, channel, customer_ref, order_time, amount, ...)."
      )
    }

    // Chunk boundaries: just after a line feed.
    var bounds = [headerEnd]
    let chunkCount = bytes.count - headerEnd >= chunkThreshold && layout != nil ? threads : 1
    for k in 1..<chunkCount {
      let nominal = headerEnd + (bytes.count - headerEnd) * k / chunkCount
      guard nominal > bounds.last!, let hit = memchr(bytes.baseAddress! + nominal, 0x0A, bytes.count - nominal) else {
        continue
      }
      let boundary = UnsafeRawPointer(hit) - bytes.baseAddress! + 1
      if boundary > bounds.last!, boundary < bytes.count { bounds.append(boundary) }
    }
    bounds.append(bytes.count)
    // Pages are given back behind each pass over the file, so resident memory holds
    // the columns built rather than the file.
    let release: @Sendable (Range<Int>) -> Void = { file.release($0) }
    var chunks = try scanChunks(bytes, bounds: bounds, layout: layout, path: path, release: release)
    if chunks.contains(where: { !$0.scanned.endedBetweenRecords }) && bounds.count > 2 {
      // A quoted field runs across a boundary: read the file in one chunk instead.
      chunks = try scanChunks(bytes, bounds: [headerEnd, bytes.count], layout: layout, path: path, release: release)
    }
    if let stopped = chunks.first(where: \.stopped), let certainStop {
      throw OrderIngest.certainStopError(
        stopped.rejects, mostRecords: certainStop.mostRecords(), limit: certainStop.limit)
    }
    // The file's pages are not needed for the merge (a reject's raw text is read
    // again from the page cache), so they leave resident memory before the merge's
    // own tables arrive.
    file.release(0..<bytes.count)
    // The merge only reads the later chunks' refs as bytes (their lookup tables would
    // sit beside the order keys' tables at the ingest's peak); only the first chunk may
    // become the file's table and go on interning (see `merge`).
    for k in chunks.indices.dropFirst() { chunks[k].table.refs.releaseLookup() }
    if let error = chunks.compactMap(\.headerError).first { throw error }
    if layout == nil, chunks.first?.needsHeader ?? true {
      throw .input(
        "\(path): the file is empty; an orders file needs a header row (order_id, channel, customer_ref, order_time, amount, ...)."
      )
    }
    var fileRejects = RejectList()
    var lineCursor = LineCursor(release: release)
    // Duplicates are decided for the whole file at once, chunk after chunk; the keys
    // are handed over, so that they are given back once inserted.
    var keys = chunks.map(\.keys)
    for k in chunks.indices { chunks[k].keys = OrderKeyBuckets(expectedKeys: 0) }
    var firstCopies = orderKeys.insert(taking: &keys, threads: threads, keeping: !isLast)
    // Chunks leave the list as they are merged, so each one's columns are freed
    // before the next one's are copied.
    chunks.reverse()
    firstCopies.reverse()
    var isFirstChunk = true
    let rowsBefore = table.count
    while var chunk = chunks.popLast(), let firstCopy = firstCopies.popLast() {
      counts.read += chunk.read
      counts.rejected += chunk.rejects.count
      for k in chunk.rejects.indices { counts.byCode[chunk.rejects.code(k), default: 0] += 1 }
      fileRejects.append(contentsOf: chunk.rejects)
      merge(
        &chunk, firstCopy: firstCopy, mayBecomeTable: isFirstChunk, file: file, path: path, counts: &counts,
        rejects: &fileRejects, lineCursor: &lineCursor)
      isFirstChunk = false
    }
    counts.accepted = counts.read - counts.rejected
    for amount in table.amount[rowsBefore...] {
      amountTotal += amount
      if amountTotal > Self.amountTotalLimit {
        throw .input(
          "\(path): the accepted orders' amounts add up to more than \(Money.format(Self.amountTotalLimit, minorDigits: config.minorDigits)), the most one run's money totals hold; split the export over several runs (a run per period, say)."
        )
      }
    }
    fileRejects.sortByLine()
    rejects.append(contentsOf: fileRejects)
    files.append(counts)
  }

  /// Validates `bytes` chunk by chunk, in parallel when there are several.
  func scanChunks(
    _ bytes: UnsafeRawBufferPointer, bounds: [Int], layout: ColumnLayout?, path: String,
    release: @escaping @Sendable (Range<Int>) -> Void
  )
    throws(LoyaltyError)
    -> [ChunkState]
  {
    let count = bounds.count - 1
    let shared = SharedBytes(bytes: bytes)
    // The first chunk starts after the header; the others count their lines from 1
    // and are moved to their place in the file once the chunks before them are read.
    let firstLine = 1 + CSVScanner.countLineFeeds(bytes, 0..<bounds[0])
    let config = self.config
    let linkKeyNames = self.linkKeyNames
    let certainStop = self.certainStop
    // The first chunk of the first file usually becomes the table (see `merge`).
    let firstTable = table.count == 0
    var outcomes = [Result<ChunkState, CSVError>?](repeating: nil, count: count)
    outcomes.withUnsafeMutableBufferPointer { buffer in
      let results = SharedSlots(buffer: buffer)
      let work: @Sendable (Int) -> Void = { k in
        var chunk = ChunkState(config: config, linkKeyNames: linkKeyNames, layout: layout ?? ColumnLayout())
        chunk.needsHeader = layout == nil
        chunk.businessOffset = config.businessOffsetSeconds
        chunk.certainStop = certainStop
        let rows = Self.estimatedRecords(shared.bytes, bounds[k]..<bounds[k + 1], shortest: Self.shortestOrder)
        chunk.reserve(rows: rows, tableRows: k == 0 && firstTable ? rows * count : rows)
        do throws(CSVError) {
          chunk.scanned = try CSVScanner.scan(
            shared.bytes, range: bounds[k]..<bounds[k + 1], firstLine: k == 0 ? firstLine : 1, path: path,
            release: release
          ) { record in chunk.consume(record, path: path) }
          chunk.flushAll()
          results.buffer[k] = .success(chunk)
        } catch {
          results.buffer[k] = .failure(error)
        }
      }
      if count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: work) }
    }
    var chunks: [ChunkState] = []
    var nextLine = firstLine
    for (k, outcome) in outcomes.enumerated() {
      guard case .success(var chunk) = outcome! else {
        // A chunk before this one ended inside quotes, so this one began inside a
        // quoted field and its error is not the file's: the caller reads the file
        // again in one chunk.
        if chunks.contains(where: { !$0.scanned.endedBetweenRecords }) { return chunks }
        // Bytes that are not UTF-8 win over a broken record before them, as they do
        // within one chunk: the first chunk from here on that holds such bytes names
        // them, else this one's error stands.
        let named =
          (k..<count).first { j in
            if case .failure(.notUTF8) = outcomes[j]! { true } else { false }
          } ?? k
        guard case .failure(let error) = outcomes[named]! else { preconditionFailure("a failed chunk") }
        let before = named == 0 ? 0 : firstLine - 1 + CSVScanner.countLineFeeds(bytes, bounds[0]..<bounds[named])
        throw .input(error.shiftingLines(by: before).description)
      }
      if k > 0 { chunk.rejects.shiftLines(by: nextLine - 1) }
      nextLine += chunk.scanned.lineFeeds
      chunks.append(chunk)
    }
    return chunks
  }

  /// About how many records `bytes[range]` holds, from the line length of its first
  /// 64 KiB, so that columns are sized once instead of grown by doubling; never more
  /// than records of `shortest` bytes would make, so that blank lines at the start (a
  /// byte a line) do not size the columns for a record per byte of the file.
  static func estimatedRecords(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, shortest: Int) -> Int {
    let probe = range.lowerBound..<min(range.upperBound, range.lowerBound + (64 << 10))
    let lines = CSVScanner.countLineFeeds(bytes, probe)
    guard lines > 0 else { return 0 }
    return range.count / max(shortest, probe.count / lines) + 16
  }

  /// The fewest bytes an accepted order takes: five required fields of one byte but
  /// the order time (a date, ten), their four commas and a line feed. The estimate
  /// sizes the columns of accepted orders.
  static let shortestOrder = 1 + 1 + 1 + 10 + 1 + 4 + 1

  /// Appends a chunk's valid rows to the table in order; a row whose `firstCopy` is
  /// false repeats an earlier (channel, order_id) and, like a future order, becomes a
  /// reject. Only a file's first chunk (`mayBecomeTable`) may become the table itself:
  /// the later chunks' interners have given back their lookup tables.
  mutating func merge(
    _ chunk: inout ChunkState, firstCopy: [Bool], mayBecomeTable: Bool, file: MappedFile, path: String,
    counts: inout FileCounts, rejects: inout RejectList, lineCursor: inout LineCursor
  ) {
    // Duplicates and future orders become rejects; the other rows are kept.
    var kept: [Int] = []
    var keptAll = true
    let futureFrom = chunk.table.firstMillis(after: asOf)
    // Where this chunk's rejects go in the list, found at its first reject; and their
    // counts by code, added to the file's once.
    var target: RejectList.ReadBackTarget? = nil
    var laterCopies = 0
    var futureOrders = 0
    for i in 0..<chunk.table.count {
      let isNew = firstCopy[i]
      let future = chunk.table.instantMillis[i] >= futureFrom
      if isNew && !future {
        if !keptAll { kept.append(i) }
        continue
      }
      if keptAll {
        keptAll = false
        kept = Array(0..<i)
        kept.reserveCapacity(chunk.table.count)
        let source = RejectList.RecordSource(
          file: file, asOf: asOf, orderIDColumn: chunk.layout.orderID, channelColumn: chunk.layout.channel)
        target = rejects.readBackTarget(file: path, source: source)
      }
      let start = chunk.rawStart[i]
      let line = lineCursor.line(at: start, in: file.bytes)
      if isNew {
        rejects.appendReadBack(code: .futureOrder, to: target!, line: line, start: start, day: chunk.table.day(i))
        futureOrders += 1
      } else {
        rejects.appendReadBack(code: .duplicateOrder, to: target!, line: line, start: start)
        laterCopies += 1
      }
    }
    counts.rejected += laterCopies + futureOrders
    if laterCopies > 0 { counts.byCode[.duplicateOrder, default: 0] += laterCopies }
    if futureOrders > 0 { counts.byCode[.futureOrder, default: 0] += futureOrders }
    // The rejected rows leave the chunk's columns, and the refs that only they had
    // leave its refs, so that such refs never become nodes.
    if !keptAll { chunk.table.keepRows(kept) }
    if mayBecomeTable && table.count == 0 && table.refs.count == 0 && table.channels.count == 0
      && table.linkKeys.allSatisfy({ $0.count == 0 })
    {
      // The first chunk: the table is the chunk's (moved, not shared, so that the next
      // chunks append in place). Its channels and linking key values are the ones the
      // merge below would intern, in the same order; its refs are numbered in the order
      // they were first met on any row rather than on a kept row, which nothing reads
      // (ids are never an output's order).
      swap(&table, &chunk.table)
      return
    }
    let local = chunk.table
    // The linking keys' values are interned into tables of their own, apart from the
    // refs': with two threads, on the core the merge leaves idle, meanwhile.
    let keyTables = Handoff(table.linkKeys)
    table.linkKeys = []
    let localKeys = local.linkKeys
    let keyTask =
      threads > 1 && !localKeys.isEmpty
      ? LowPriorityTask { Self.intern(localKeys, into: keyTables.take(replacingWith: [])) } : nil

    let channelMap = (0..<Int32(local.channels.count)).map { id in
      local.channels.withBytes(id) { table.channels.intern($0) }
    }
    table.reserveAdditional(local.count)
    table.refs.reserve(ids: local.refs.count, bytes: local.refs.arena.count)
    table.refChannel.reserveCapacity(table.refChannel.count + local.refs.count)
    // Every ref of the chunk has a row (`keepRows` dropped the others): they are
    // interned in their local id order, as the first chunk's were numbered, in batches
    // (see `ByteBatch`), after which each row takes its ref's id from `refMap`.
    var refMap = [Int32](repeating: -1, count: local.refs.count)
    var batch = ByteBatch()
    var batchRefs: [Int32] = []
    var batchIDs: [Int32] = []
    func flush() {
      batchIDs.removeAll(keepingCapacity: true)
      table.refs.intern(batch, into: &batchIDs)
      for k in 0..<batchIDs.count {
        let localRef = Int(batchRefs[k])
        if Int(batchIDs[k]) == table.refChannel.count {
          table.refChannel.append(channelMap[Int(local.refChannel[localRef])])
        }
        refMap[localRef] = batchIDs[k]
      }
      batch.removeAll()
      batchRefs.removeAll(keepingCapacity: true)
    }
    for localRef in 0..<Int32(local.refs.count) {
      let channel = channelMap[Int(local.refChannel[Int(localRef)])]
      local.withCustomerRef(localRef) { batch.append(channel: channel, customerRef: $0) }
      batchRefs.append(localRef)
      if batch.isFull { flush() }
    }
    flush()
    let keyMaps: [[Int32]]
    if let keyTask {
      do {
        (table.linkKeys, keyMaps) = try keyTask.take()
      } catch {
        preconditionFailure("interning the linking keys throws nothing")
      }
    } else {
      (table.linkKeys, keyMaps) = Self.intern(localKeys, into: keyTables.take(replacingWith: []))
    }
    table.ref += local.ref.lazy.map { refMap[Int($0)] }
    table.status += local.status
    table.instantMillis += local.instantMillis
    let firstRow = table.amount.count
    table.amount += local.amount
    for k in 0..<local.refunds.count {
      table.refunds.append(local.refunds, k, asRow: firstRow + local.refunds.row[k])
    }
    for k in 0..<keyMaps.count {
      table.linkKeyValue[k] += local.linkKeyValue[k].lazy.map { $0 >= 0 ? keyMaps[k][Int($0)] : -1 }
    }
  }

  /// Interns every value of each of a chunk's linking key tables `local` into the
  /// matching table of `tables`, in batches (see `ByteBatch`); returns the tables and
  /// each local id's id there.
  static func intern(_ local: [ByteInterner], into tables: consuming [ByteInterner]) -> ([ByteInterner], [[Int32]]) {
    var batch = ByteBatch()
    let maps = local.indices.map { k in
      var ids: [Int32] = []
      ids.reserveCapacity(local[k].count)
      for id in 0..<Int32(local[k].count) {
        local[k].withBytes(id) { batch.append($0) }
        if batch.isFull {
          tables[k].intern(batch, into: &ids)
          batch.removeAll()
        }
      }
      tables[k].intern(batch, into: &ids)
      batch.removeAll()
      return ids
    }
    return (tables, maps)
  }

}

/// Watches a run's scan for a reject-share stop that is already certain, so that an
/// export whose records are nearly all malformed (a field too many on every row, say)
/// stops once the stop is sure rather than after holding every reject: about 250
/// bytes each with its reason and record, tens of GB at 100M records. A chunk asks
/// every `checkEvery` rejects of its own (all errors); the stop is certain when they
/// alone are more than `limit` of the most records the run's files can hold (a
/// record ends at a line feed, a lone CR or the end of a file), counted once, on the
/// first ask, which reads every orders file once more.
final class CertainStop: @unchecked Sendable {
  let limit: Double
  let paths: [String]
  let checkEvery: Int
  private let lock = NSLock()
  private var counted: Int? = nil

  init(limit: Double, paths: [String], checkEvery: Int) {
    self.limit = limit
    self.paths = paths
    self.checkEvery = max(1, checkEvery)
  }

  func isCertain(errors: Int) -> Bool {
    limit < 1 && Double(errors) > limit * Double(mostRecords())
  }

  /// The line feeds and carriage returns of every orders file, and one a file; as
  /// good as no limit (`Int.max`) when a file cannot be read (its error comes when
  /// the run reaches it).
  func mostRecords() -> Int {
    lock.lock()
    defer { lock.unlock() }
    if let counted { return counted }
    var total = 0
    for path in paths {
      guard let file = try? MappedFile(path: path) else {
        counted = Int.max
        return Int.max
      }
      total += 1
      for part in CSVScanner.releaseParts(0..<file.bytes.count) {
        total += CSVScanner.count(0x0A, in: file.bytes, part) + CSVScanner.count(0x0D, in: file.bytes, part)
        file.release(part)
      }
    }
    counted = total
    return total
  }
}

/// Finds the lines of the merge's rejects by counting line feeds on from the last one
/// looked up, and gives the file's pages back behind the count: with rejects spread
/// through the file, the count reads all of it once more, and those pages would
/// otherwise stay resident until the file is closed (7 GB at 100M orders).
struct LineCursor {
  private(set) var offset = 0
  private(set) var line = 1
  private var released = 0
  private let release: (Range<Int>) -> Void

  init(release: @escaping (Range<Int>) -> Void) { self.release = release }

  /// The line of the record that starts at `start`, at or after the last one asked for.
  mutating func line(at start: Int, in bytes: UnsafeRawBufferPointer) -> Int {
    line += CSVScanner.countLineFeeds(bytes, offset..<start)
    offset = start
    if offset - released >= 64 << 20 {
      release(released..<offset)
      released = offset
    }
    return line
  }
}

/// A value handed to another thread whole: the receiver takes it out, so that it holds
/// the only reference and its first write copies nothing.
final class Handoff<Value>: @unchecked Sendable {
  private var value: Value
  init(_ value: Value) { self.value = value }

  /// The value, leaving `empty` in its place; called once, by the one receiver.
  func take(replacingWith empty: Value) -> Value {
    var taken = empty
    swap(&taken, &value)
    return taken
  }
}

/// The mapped file, read by several threads at once (read-only).
struct SharedBytes: @unchecked Sendable {
  let bytes: UnsafeRawBufferPointer
}

/// The columns of a few accepted rows, written in place until `moveOut` appends them
/// to the chunk's arrays a batch at a time: an array's append checks that its buffer is
/// unique and has room, a call or two each time, and a row went into eight of them.
/// Holds `ByteBatch.capacity` rows, the refs `ChunkState` interns together.
final class StagedRows {
  static let capacity = ByteBatch.capacity
  private(set) var count = 0
  let keyA = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
  let keyB = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
  let rawStart = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
  let channel = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
  let status = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
  let instantMillis = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
  let amount = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)

  deinit {
    keyA.deallocate()
    keyB.deallocate()
    rawStart.deallocate()
    channel.deallocate()
    status.deallocate()
    instantMillis.deallocate()
    amount.deallocate()
  }

  /// Adds a row; the caller moves the rows out before `capacity` is passed.
  @inline(__always)
  func append(
    keyA a: UInt64, keyB b: UInt64, rawStart start: Int, channel c: Int32, status s: UInt8, instantMillis t: Int64,
    amount m: Int64
  ) {
    let k = count
    precondition(k < Self.capacity)
    keyA[k] = a
    keyB[k] = b
    rawStart[k] = start
    channel[k] = c
    status[k] = s
    instantMillis[k] = t
    amount[k] = m
    count = k + 1
  }

  /// Appends the rows to the chunk's order keys and offsets and to `table`'s status,
  /// instant and amount columns (its refs are the caller's), and empties the stage.
  func moveOut(keys: OrderKeyBuckets, rawStart r: inout [Int], into table: inout OrderTable) {
    for k in 0..<count { keys.add(keyA[k], keyB[k]) }
    r.append(contentsOf: UnsafeBufferPointer(start: rawStart, count: count))
    table.status.append(contentsOf: UnsafeBufferPointer(start: status, count: count))
    table.instantMillis.append(contentsOf: UnsafeBufferPointer(start: instantMillis, count: count))
    table.amount.append(contentsOf: UnsafeBufferPointer(start: amount, count: count))
    count = 0
  }
}

/// One chunk's validated rows, in its own columns and interners.
struct ChunkState: @unchecked Sendable {
  let config: InputConfig
  var layout: ColumnLayout
  var table: OrderTable
  var needsHeader = false
  var headerError: LoyaltyError? = nil
  var businessOffset = 0
  /// How the chunk's scan ended: whether between records, and its line feeds.
  var scanned = CSVScanner.ScanEnd(endedBetweenRecords: true, lineFeeds: 0)
  var read = 0
  var rejects = RejectList()
  /// Asked whether the reject-share stop is certain; `stopped` once it is, after which
  /// the records are no longer read (see `CertainStop`).
  var certainStop: CertainStop? = nil
  var stopped = false
  /// 128-bit hash of (channel bytes, order_id) per valid row, grouped by partition.
  var keys = OrderKeyBuckets(expectedKeys: 0)
  /// Offset of each valid row's record in the file.
  var rawStart: [Int] = []
  /// Refs of the latest accepted rows, waiting to be interned together; `batchIDs`
  /// takes the ids they get.
  var pendingRefs = ByteBatch()
  var batchIDs: [Int32] = []
  /// The other columns of the rows whose refs wait, in step with `pendingRefs`.
  let staged = StagedRows()
  /// Linking key values of the latest accepted rows, one batch a key, waiting to be
  /// interned together like the refs, with the rows that take their ids.
  var pendingValues: [ByteBatch]
  var pendingValueRows: [[Int]]
  /// The two hash seeds of each local channel id, for the order keys.
  var channelSeeds: [(UInt64, UInt64)] = []
  /// The ids of the first channels met (up to 8, of at most 16 bytes), found without
  /// hashing.
  var knownChannels = ShortStringIDs()
  let linkKeyColumns: [String]

  init(config: InputConfig, linkKeyNames: [String], layout: ColumnLayout) {
    self.config = config
    self.layout = layout
    linkKeyColumns = linkKeyNames.map { key in
      key == "phone_hash" ? config.columns.phoneHash : key == "email_hash" ? config.columns.emailHash : key
    }
    table = OrderTable(linkKeyCount: linkKeyNames.count, businessOffsetSeconds: config.businessOffsetSeconds)
    pendingValues = linkKeyNames.map { _ in ByteBatch() }
    pendingValueRows = linkKeyNames.map { _ in [] }
  }

  /// Sizes the per-row lists for about `rows` records, and the table's columns for
  /// about `tableRows` (refs for a third of them): the first chunk's table becomes the
  /// file's, so it is sized for the whole file and the later chunks append to it in place.
  mutating func reserve(rows: Int, tableRows: Int) {
    table.reserveAdditional(tableRows)
    keys = OrderKeyBuckets(expectedKeys: rows)
    rawStart.reserveCapacity(rows)
    table.refs.reserve(ids: tableRows / 3, bytes: tableRows / 3 * 16)
    table.refChannel.reserveCapacity(tableRows / 3)
  }

  mutating func consume(_ record: CSVRecord, path: String) {
    if needsHeader {
      needsHeader = false
      do throws(LoyaltyError) {
        layout = try header(record, path: path)
      } catch {
        headerError = error
      }
      return
    }
    if headerError != nil || stopped { return }
    read += 1
    if let (code, reason) = accept(record) {
      rejects.append(file: path, line: record.line, code: code, reason: reason, record: record.raw)
      // Every reject of the scan is an error (future orders and later copies are
      // found in the merge).
      if let certainStop, rejects.count % certainStop.checkEvery == 0 {
        stopped = certainStop.isCertain(errors: rejects.count)
      }
    }
  }

  func header(_ record: CSVRecord, path: String) throws(LoyaltyError) -> ColumnLayout {
    var layout = ColumnLayout()
    layout.count = record.fieldCount
    layout.names = (0..<record.fieldCount).map { record.string($0) }
    func find(_ name: String, required: Bool) throws(LoyaltyError) -> Int {
      if let i = layout.names.firstIndex(of: name) { return i }
      if required {
        throw .input(
          "\(path) line \(record.line): the required column '\(name)' is missing from the header; rename it in the file or map it under [input.columns] in the config."
        )
      }
      return -1
    }
    let c = config.columns
    layout.orderID = try find(c.orderID, required: true)
    layout.channel = try find(c.channel, required: true)
    layout.customerRef = try find(c.customerRef, required: true)
    layout.orderTime = try find(c.orderTime, required: true)
    layout.amount = try find(c.amount, required: true)
    layout.status = try find(c.status, required: false)
    layout.refundAmount = try find(c.refundAmount, required: false)
    layout.refundTime = try find(c.refundTime, required: false)
    layout.linkKeys = []
    for name in linkKeyColumns { layout.linkKeys.append(try find(name, required: false)) }
    return layout
  }

  /// Accepts the record into the table, or returns why not.
  /// Reads the columns through `self.layout` rather than a copy: a copy would retain
  /// the layout's arrays once per record.
  mutating func accept(_ r: CSVRecord) -> (RejectCode, String)? {
    if r.isUnterminated {
      return (.unterminatedQuote, "A quoted field opened in this record is never closed before the end of the file.")
    }
    guard r.fieldCount == layout.count else {
      return (.columnCount, "The record has \(r.fieldCount) fields but the header has \(layout.count).")
    }
    if let name = emptyRequiredField(r) {
      return (.missingField, "The required field \(name) is empty.")
    }
    let offset = businessOffset
    guard let time = FieldParsers.timestamp(r[layout.orderTime], businessOffsetSeconds: offset) else {
      return (
        .badDate,
        "order_time '\(r.string(layout.orderTime))' is not an ISO 8601 date or date-time on a business date from 0000-01-01 to 9999-12-31."
      )
    }
    let amount: Int64
    switch FieldParsers.amount(r[layout.amount], minorDigits: config.minorDigits) {
    case .value(let v): amount = v
    case .negative: return (.negativeAmount, "amount '\(r.string(layout.amount))' is below zero.")
    case .invalid:
      return (
        .badAmount,
        "amount '\(r.string(layout.amount))' is not a plain decimal with 1 to 15 digits \(config.minorDigits == 0 ? "and no decimal point" : "before the point and at most \(config.minorDigits) after it")."
      )
    }
    var status = OrderStatus.paid
    if layout.status >= 0, r[layout.status].count > 0 {
      guard let s = Self.status(r[layout.status]) else {
        return (
          .badStatus, "status '\(r.string(layout.status))' is not one of paid, refunded, partially_refunded, cancelled."
        )
      }
      status = s
    }
    var refund: Int64 = 0
    var refundMillis = MemberHistory.noRefund
    if status != .cancelled {
      var given: Int64? = nil
      if layout.refundAmount >= 0, r[layout.refundAmount].count > 0 {
        switch FieldParsers.amount(r[layout.refundAmount], minorDigits: config.minorDigits) {
        case .value(let v): given = v
        case .negative, .invalid:
          return (
            .badRefund, "refund_amount '\(r.string(layout.refundAmount))' is not a plain decimal of at least zero."
          )
        }
      }
      switch status {
      case .paid:
        if let given, given != 0 {
          return (.badRefund, "refund_amount is \(r.string(layout.refundAmount)) but the status is paid.")
        }
      case .partiallyRefunded:
        guard let given else {
          return (.badRefund, "A partially_refunded order needs refund_amount.")
        }
        guard given > 0, given < amount else {
          return (
            .badRefund,
            "refund_amount '\(r.string(layout.refundAmount))' must be above zero and below amount '\(r.string(layout.amount))' for a partially_refunded order."
          )
        }
        refund = given
      case .refunded:
        if let given, given > amount {
          return (
            .badRefund, "refund_amount '\(r.string(layout.refundAmount))' is above amount '\(r.string(layout.amount))'."
          )
        }
        refund = amount
      case .cancelled:
        break
      }
      if layout.refundTime >= 0, r[layout.refundTime].count > 0 {
        guard let t = FieldParsers.timestamp(r[layout.refundTime], businessOffsetSeconds: offset) else {
          return (
            .badDate,
            "refund_time '\(r.string(layout.refundTime))' is not an ISO 8601 date or date-time on a business date from 0000-01-01 to 9999-12-31."
          )
        }
        if status == .paid {
          return (.badRefund, "refund_time is set but the status is paid.")
        }
        if t.instantMillis < time.instantMillis {
          return (
            .badRefund,
            "refund_time '\(r.string(layout.refundTime))' is before order_time '\(r.string(layout.orderTime))'."
          )
        }
        refundMillis = t.instantMillis
      }
    }
    let channelBytes = r[layout.channel]
    let channelID: Int32
    if let known = knownChannels.id(of: channelBytes) {
      channelID = known
    } else {
      channelID = table.channels.intern(channelBytes)
      if Int(channelID) == channelSeeds.count { channelSeeds.append(KeyHashSet.seeds(channel: channelBytes)) }
      knownChannels.add(channelBytes, id: channelID)
    }
    let key = KeyHashSet.key(seeds: channelSeeds[Int(channelID)], orderID: r[layout.orderID])
    // The row waits in `staged` while its ref is interned with the next few
    // (`flushRefs`).
    let row = table.count + staged.count
    staged.append(
      keyA: key.0, keyB: key.1, rawStart: r.offset, channel: channelID, status: status.rawValue,
      instantMillis: time.instantMillis, amount: amount)
    pendingRefs.append(channel: channelID, customerRef: r[layout.customerRef])
    // Only refunded and partially refunded orders carry a refund (a paid order with a
    // refund amount other than 0 or a refund time is refused above, a cancelled one's
    // are not read).
    if status == .refunded || status == .partiallyRefunded {
      table.refunds.append(row: row, amount: refund, millis: refundMillis)
    }
    // A value is interned with the next few of its key (`flushValues`); its row waits
    // with -1, as an absent value's stays.
    for k in 0..<layout.linkKeys.count {
      let column = layout.linkKeys[k]
      table.linkKeyValue[k].append(-1)
      if column >= 0, r[column].count > 0 {
        pendingValues[k].append(r[column])
        pendingValueRows[k].append(table.linkKeyValue[k].count - 1)
        if pendingValues[k].isFull { flushValues(k) }
      }
    }
    if pendingRefs.isFull { flushRefs() }
    return nil
  }

  /// Interns the waiting values of linking key `k` together and fills in their rows.
  mutating func flushValues(_ k: Int) {
    guard pendingValues[k].count > 0 else { return }
    batchIDs.removeAll(keepingCapacity: true)
    table.linkKeys[k].intern(pendingValues[k], into: &batchIDs)
    for (j, row) in pendingValueRows[k].enumerated() { table.linkKeyValue[k][row] = batchIDs[j] }
    pendingValues[k].removeAll()
    pendingValueRows[k].removeAll(keepingCapacity: true)
  }

  /// Interns the refs of the rows accepted since the last call, together, and appends
  /// those rows to the columns. The scan calls it once more at the end of the chunk.
  mutating func flushRefs() {
    guard pendingRefs.count > 0 else { return }
    batchIDs.removeAll(keepingCapacity: true)
    table.refs.intern(pendingRefs, into: &batchIDs)
    for k in 0..<batchIDs.count where Int(batchIDs[k]) == table.refChannel.count {
      table.refChannel.append(staged.channel[k])
    }
    table.ref.append(contentsOf: batchIDs)
    staged.moveOut(keys: keys, rawStart: &rawStart, into: &table)
    pendingRefs.removeAll()
  }

  /// Interns every waiting ref and linking key value: the end of the chunk.
  mutating func flushAll() {
    flushRefs()
    for k in pendingValues.indices { flushValues(k) }
  }

  /// The first required field that is empty, in the order the checks name them.
  /// Inlined: called on a copy of the chunk state otherwise.
  @inline(__always)
  func emptyRequiredField(_ r: CSVRecord) -> String? {
    if r[layout.orderID].count == 0 { return "order_id" }
    if r[layout.channel].count == 0 { return "channel" }
    if r[layout.customerRef].count == 0 { return "customer_ref" }
    if r[layout.orderTime].count == 0 { return "order_time" }
    if r[layout.amount].count == 0 { return "amount" }
    return nil
  }

  /// The status word, ASCII case-insensitive, without allocating.
  static func status(_ bytes: UnsafeRawBufferPointer) -> OrderStatus? {
    func matches(_ word: StaticString) -> Bool {
      guard bytes.count == word.utf8CodeUnitCount else { return false }
      let expected = word.utf8Start
      for k in 0..<bytes.count {
        let b = bytes[k]
        if (b >= 65 && b <= 90 ? b + 32 : b) != expected[k] { return false }
      }
      return true
    }
    if matches("paid") { return .paid }
    if matches("refunded") { return .refunded }
    if matches("partially_refunded") { return .partiallyRefunded }
    if matches("cancelled") { return .cancelled }
    return nil
  }
}

/// The ids of a few short byte strings (a file's channels: web, app, tmall, ...), found
/// by comparing a word or two instead of hashing and probing an interner: every order
/// names its channel, and a file has a handful. Holds up to `capacity` strings of at most
/// 16 bytes; others are not found, and their callers intern them as usual.
struct ShortStringIDs {
  static let capacity = 8
  /// A string as (length, first word, second word): the loads of `ByteHash.tail`, which
  /// with the length name the bytes uniquely.
  private var keys: [(Int, UInt64, UInt64)] = []
  private var ids: [Int32] = []

  @inline(__always) private static func key(_ bytes: UnsafeRawBufferPointer) -> (Int, UInt64, UInt64)? {
    let n = bytes.count
    guard n > 0, n <= 16, let base = bytes.baseAddress else { return nil }
    if n <= 8 { return (n, ByteHash.tail(base, count: n), 0) }
    return (n, base.loadUnaligned(as: UInt64.self), base.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
  }

  /// The id added for `bytes`, if any.
  @inline(__always) func id(of bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let key = Self.key(bytes) else { return nil }
    for k in keys.indices where keys[k] == key { return ids[k] }
    return nil
  }

  /// Remembers `id` for `bytes` while there is room and `bytes` is short.
  mutating func add(_ bytes: UnsafeRawBufferPointer, id: Int32) {
    guard keys.count < Self.capacity, let key = Self.key(bytes) else { return }
    keys.append(key)
    ids.append(id)
  }
}

/// The order keys seen so far, split by hash into partitions that threads fill side by
/// side. Each partition takes its keys in file order, so which copy of a key counts as
/// the first does not depend on the thread count.
///
/// The partitions are many and small (1,024: about 256 KB of table each at 10M
/// orders), and each list's keys come grouped by partition (`OrderKeyBuckets`), so
/// that a worker fills one partition at a time in cache: inserted in list order, each
/// key was a miss in a table of a few hundred MB.
struct PartitionedKeySet {
  static let partitionBits = 10
  private var partitions = [KeyHashSet](repeating: KeyHashSet(), count: 1 << partitionBits)

  @inline(__always) static func partition(_ a: UInt64) -> Int { Int(truncatingIfNeeded: a >> (64 - partitionBits)) }

  /// Inserts the keys of each list in turn, in order; element i of the k-th result is
  /// true when the k-th list's key i was new. Each worker takes its partitions one at
  /// a time, each with the keys of every list in list order. The lists are handed over
  /// and freed once inserted.
  ///
  /// Unless `keeping` (the keys of the last file, which no later file is checked
  /// against), a partition that holds no key yet is filled in a table of the worker's
  /// own, emptied and used again for its next partition: the keys' tables stay in the
  /// cache, and the hundreds of MB of fresh pages a kept table per partition needs at
  /// 10M orders are never touched. The set is then empty.
  mutating func insert(taking lists: inout [OrderKeyBuckets], threads: Int, keeping: Bool = true) -> [[Bool]] {
    let groups = lists
    lists = []
    _ = ParallelRanges.map(groups, threads: threads) { $0.seal() }
    let workers = max(1, min(threads, partitions.count))
    // Each worker writes flags of its own, or'ed together below: workers writing
    // neighbouring bytes of one list would fight over its cache lines.
    var flags = [[[UInt64]]?](repeating: nil, count: workers)
    partitions.withUnsafeMutableBufferPointer { sets in
      flags.withUnsafeMutableBufferPointer { flags in
        let shared = SharedKeyWork(sets: sets, flags: flags)
        let work: @Sendable (Int) -> Void = { w in
          // One bit per key: workers times keys bits, not bytes, with many threads.
          var isNew = groups.map { [UInt64](repeating: 0, count: ($0.count + 63) / 64) }
          var scratch = KeyHashSet()
          for p in stride(from: w, to: shared.sets.count, by: workers) {
            // The partition is moved out of the shared list while the worker fills it:
            // each insert updates its count, next to the neighbours other workers fill.
            var set = (shared.sets.baseAddress! + p).move()
            let usesScratch = !keeping && set.isEmpty
            if usesScratch {
              scratch.removeAll()
              swap(&set, &scratch)
            }
            defer {
              if usesScratch { swap(&set, &scratch) }
              (shared.sets.baseAddress! + p).initialize(to: set)
            }
            set.reserve(adding: groups.reduce(0) { $0 + $1.count(inPartition: p) })
            for k in groups.indices {
              isNew[k].withUnsafeMutableBufferPointer { isNew in
                groups[k].forEach(inPartition: p) { a, b, row in
                  if set.insert((a, b)) { isNew[row >> 6] |= 1 << UInt64(row & 63) }
                }
              }
            }
          }
          shared.flags[w] = isNew
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
      }
    }
    if !keeping { self = Self() }
    var bits = flags[0]!
    for w in 1..<workers {
      for k in groups.indices {
        for word in bits[k].indices { bits[k][word] |= flags[w]![k][word] }
      }
      flags[w] = nil
    }
    return groups.indices.map { k in
      bits[k].withUnsafeBufferPointer { bits in
        (0..<groups[k].count).map { i in bits[i >> 6] & (1 << UInt64(i & 63)) != 0 }
      }
    }
  }
}

/// One list's order keys (a chunk's, in row order), grouped by partition as they are
/// added: each partition's keys fill a region of their own, sized from the keys
/// expected (a quarter more than an even share), and the keys past a full region wait
/// in an overflow list, grouped by partition once all are in (`seal`). Grouping as the
/// keys come spares the pass that grouped two columns of keys after the scan, and those
/// columns; the unused tails of the regions are never touched, so take no memory.
final class OrderKeyBuckets: @unchecked Sendable {
  static let partitions = 1 << PartitionedKeySet.partitionBits
  /// The keys each partition's region holds.
  let regionCapacity: Int
  /// The regions, one after another: keys' two halves and rows.
  private let pages: (a: PageBuffer<UInt64>, b: PageBuffer<UInt64>, row: PageBuffer<Int32>)
  private let a: UnsafeMutablePointer<UInt64>
  private let b: UnsafeMutablePointer<UInt64>
  private let row: UnsafeMutablePointer<Int32>
  /// The keys in each partition's region.
  private let fill: UnsafeMutablePointer<Int32>
  /// How many keys were added.
  private(set) var count = 0
  private var overflowA: [UInt64] = []
  private var overflowB: [UInt64] = []
  private var overflowRow: [Int32] = []
  /// Where each partition's overflow starts, once sealed; one more entry than partitions.
  private var overflowStart: [Int] = []

  /// Buckets for about `expectedKeys` keys; `regionCapacity` overrides the size of a
  /// partition's region (for tests that make keys overflow).
  init(expectedKeys: Int, regionCapacity: Int? = nil) {
    self.regionCapacity = max(1, regionCapacity ?? expectedKeys / Self.partitions * 5 / 4 + 4)
    let slots = Self.partitions * self.regionCapacity
    pages = (PageBuffer(count: slots), PageBuffer(count: slots), PageBuffer(count: slots))
    (a, b, row) = (pages.a.base, pages.b.base, pages.row.base)
    fill = .allocate(capacity: Self.partitions)
    fill.initialize(repeating: 0, count: Self.partitions)
  }

  deinit {
    pages.a.free()
    pages.b.free()
    pages.row.free()
    fill.deallocate()
  }

  /// Adds the key (`keyA`, `keyB`) of the next row.
  @inline(__always)
  func add(_ keyA: UInt64, _ keyB: UInt64) {
    let p = PartitionedKeySet.partition(keyA)
    let f = Int(fill[p])
    if f < regionCapacity {
      let slot = p * regionCapacity + f
      a[slot] = keyA
      b[slot] = keyB
      row[slot] = Int32(count)
      fill[p] = Int32(f + 1)
    } else {
      overflowA.append(keyA)
      overflowB.append(keyB)
      overflowRow.append(Int32(count))
    }
    count += 1
  }

  /// Groups the overflow by partition (a stable counting sort), keeping each
  /// partition's keys in row order; call it once, after the last `add`.
  func seal() {
    var start = [Int](repeating: 0, count: Self.partitions + 1)
    for key in overflowA { start[PartitionedKeySet.partition(key) + 1] += 1 }
    for p in 1..<start.count { start[p] += start[p - 1] }
    if !overflowA.isEmpty {
      var cursor = start
      var groupedA = overflowA
      var groupedB = overflowB
      var groupedRow = overflowRow
      for i in overflowA.indices {
        let p = PartitionedKeySet.partition(overflowA[i])
        let c = cursor[p]
        cursor[p] = c + 1
        groupedA[c] = overflowA[i]
        groupedB[c] = overflowB[i]
        groupedRow[c] = overflowRow[i]
      }
      (overflowA, overflowB, overflowRow) = (groupedA, groupedB, groupedRow)
    }
    overflowStart = start
  }

  /// The keys of partition `p`.
  func count(inPartition p: Int) -> Int {
    Int(fill[p]) + overflowStart[p + 1] - overflowStart[p]
  }

  /// Calls `body` with each key of partition `p` and its row, in row order: those of
  /// its region, then those that overflowed it (all later rows).
  @inline(__always)
  func forEach(inPartition p: Int, _ body: (UInt64, UInt64, Int) -> Void) {
    let first = p * regionCapacity
    for slot in first..<(first + Int(fill[p])) { body(a[slot], b[slot], Int(row[slot])) }
    for i in overflowStart[p]..<overflowStart[p + 1] { body(overflowA[i], overflowB[i], Int(overflowRow[i])) }
  }
}

/// A large buffer in pages of its own (`mmap`), so that freeing it gives the pages back
/// at once: from the heap, a freed buffer below glibc's mmap threshold (which rises to
/// 32 MiB as large buffers are freed) stays in the process. A small buffer, or one the
/// system will not map, comes from the heap; `free` gives it back the way it came.
struct PageBuffer<Element>: @unchecked Sendable {
  /// The size from which a buffer is mapped.
  static var threshold: Int { 1 << 20 }
  /// `count` elements, not initialized.
  let base: UnsafeMutablePointer<Element>
  /// The bytes mapped, or 0 for a buffer from the heap.
  let mappedBytes: Int

  init(count: Int) {
    let bytes = count * MemoryLayout<Element>.stride
    if bytes >= Self.threshold,
      let pages = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), pages != MAP_FAILED
    {
      base = pages.bindMemory(to: Element.self, capacity: count)
      mappedBytes = bytes
    } else {
      base = .allocate(capacity: max(1, count))
      mappedBytes = 0
    }
  }

  /// Gives the buffer back; call it once.
  func free() {
    if mappedBytes > 0 {
      munmap(UnsafeMutableRawPointer(base), mappedBytes)
    } else {
      base.deallocate()
    }
  }
}

/// What the workers of `PartitionedKeySet.insert` share: the partitions (each worker
/// takes only its own) and a slot for each worker's flags.
private struct SharedKeyWork: @unchecked Sendable {
  let sets: UnsafeMutableBufferPointer<KeyHashSet>
  let flags: UnsafeMutableBufferPointer<[[UInt64]]?>
}

/// A set of order keys held as 128-bit hashes (order_id hashed under two seeds that
/// come from the channel's bytes): 16 bytes per order instead of its text. A false duplicate
/// needs a 128-bit collision, about 1 in 10^21 for 10^8 orders.
struct KeyHashSet {
  private var slots: [UInt64]
  private var used = 0
  private var mask: Int

  init() {
    slots = Array(repeating: 0, count: 2 * 16)
    mask = 15
  }

  var isEmpty: Bool { used == 0 }

  /// Removes every key, keeping the table's size.
  mutating func removeAll() {
    guard used > 0 else { return }
    slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    used = 0
  }

  /// The seeds of a channel's order keys: the channel's bytes hashed under two seeds.
  static func seeds(channel: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
    (
      ByteHash.hash64(channel, seed: 0x243F_6A88_85A3_08D3),
      ByteHash.hash64(channel, seed: 0x1319_8A2E_0370_7344)
    )
  }

  /// The key of (channel, order_id): order_id hashed under each of the channel's seeds.
  @inline(__always)
  static func key(seeds: (UInt64, UInt64), orderID: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
    var (a, b) = ByteHash.hash64x2(orderID, seed0: seeds.0, seed1: seeds.1)
    if a == 0 && b == 0 { a = 1 }
    return (a, b)
  }

  /// Whether `keys` keys fit in `size` slots: a load of at most 0.7, where linear
  /// probing still finds a key or an empty slot within a few neighbouring slots.
  @inline(__always) static func fits(_ keys: Int, _ size: Int) -> Bool { keys * 10 <= size * 7 }

  /// Grows the table ahead so that `extra` more keys fit without rehashing on the way.
  mutating func reserve(adding extra: Int) {
    var size = mask + 1
    while !Self.fits(used + extra, size) { size *= 2 }
    if size > mask + 1 { grow(to: size) }
  }

  /// Inserts `key`; false when it was already there.
  mutating func insert(_ key: (UInt64, UInt64)) -> Bool {
    var slot = Int(truncatingIfNeeded: key.1) & mask
    while true {
      let a = slots[2 * slot]
      let b = slots[2 * slot + 1]
      if a == 0 && b == 0 { break }
      if a == key.0 && b == key.1 { return false }
      slot = (slot + 1) & mask
    }
    slots[2 * slot] = key.0
    slots[2 * slot + 1] = key.1
    used += 1
    if !Self.fits(used, mask + 1) { grow(to: (mask + 1) * 2) }
    return true
  }

  private mutating func grow(to size: Int) {
    let old = slots
    slots = Array(repeating: 0, count: 2 * size)
    mask = size - 1
    for i in stride(from: 0, to: old.count, by: 2) where old[i] != 0 || old[i + 1] != 0 {
      var slot = Int(truncatingIfNeeded: old[i + 1]) & mask
      while slots[2 * slot] != 0 || slots[2 * slot + 1] != 0 { slot = (slot + 1) & mask }
      slots[2 * slot] = old[i]
      slots[2 * slot + 1] = old[i + 1]
    }
  }
}
