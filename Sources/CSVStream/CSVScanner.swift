import CLibCSV

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Streams CSV records (RFC 4180: quoted fields with commas, doubled quotes and line
/// breaks; LF or CRLF line ends) out of a byte range with libcsv, and knows the
/// physical line where each record starts and its raw bytes.
///
/// libcsv reports fields and record ends but not positions, so the scanner feeds it
/// one physical line at a time: the line where a record's first byte falls is its
/// start line, and the line on which libcsv closes it is its last.
public enum CSVScanner {
  /// The largest record, in bytes, before the file is judged broken (an unclosed quote
  /// would otherwise swallow the rest of the file).
  public static let recordLimit = 1 << 20

  /// Calls `body` for every record in `bytes[range]`, in order.
  ///
  /// The bytes are checked to be UTF-8 a little ahead of the parse (in steps of
  /// `checkStep` that end after a line feed, so that each step is parsed while it is
  /// still in cache); a range that is not UTF-8 anywhere fails with `.notUTF8`, even
  /// when the parse meets a broken record before the bad bytes.
  ///
  /// - Parameters:
  ///   - bytes: the whole file (a leading UTF-8 BOM is skipped when `range` starts at 0).
  ///   - range: where to scan; must start at a record boundary.
  ///   - firstLine: the physical line number of `range.lowerBound`.
  ///   - path: the file's name, for errors.
  ///   - release: when given, called with ranges of `bytes` the parse has read, behind
  ///     the record being parsed (every `releaseStep` bytes or so). `MappedFile.release`
  ///     on a file mapping lets those pages leave resident memory.
  /// - Returns: whether the range ended between records (false means a quoted field
  ///   ran on past the end of the range, so the range did not end at a record boundary)
  ///   and how many line feeds it holds.
  @discardableResult
  public static func scan(
    _ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil, firstLine: Int = 1,
    path: String, release: ((Range<Int>) -> Void)? = nil, body: (CSVRecord) -> Void
  ) throws(CSVError) -> ScanEnd {
    var range = range ?? 0..<bytes.count
    guard let base = bytes.baseAddress, !range.isEmpty else { return ScanEnd(endedBetweenRecords: true, lineFeeds: 0) }
    if range.lowerBound == 0, range.count >= 3,
      base.load(as: UInt8.self) == 0xEF, base.load(fromByteOffset: 1, as: UInt8.self) == 0xBB,
      base.load(fromByteOffset: 2, as: UInt8.self) == 0xBF
    {
      range = 3..<range.upperBound
    }
    return try withoutActuallyEscaping(body) { escapable throws(CSVError) -> ScanEnd in
      let state = ScanState(base: base.assumingMemoryBound(to: UInt8.self), body: escapable)
      state.release = release
      state.checksUTF8 = true
      defer { state.free() }
      return try state.run(range: range, firstLine: firstLine, path: path)
    }
  }

  /// How a scan ended (see `scan`).
  public struct ScanEnd: Equatable, Sendable {
    /// False when a quoted field ran on past the end of the range.
    public var endedBetweenRecords: Bool
    /// The line feeds in the range: the physical line after it is `firstLine` plus this.
    public var lineFeeds: Int

    public init(endedBetweenRecords: Bool, lineFeeds: Int) {
      self.endedBetweenRecords = endedBetweenRecords
      self.lineFeeds = lineFeeds
    }
  }

  /// How far the UTF-8 check runs ahead of the parse, at least (see `scan`).
  static let checkStep = 256 << 10

  /// Calls `body` with the record that starts at offset `start` of `bytes` and returns
  /// what it returns, parsing no further than that record's end: how a reject found by
  /// its offset is quoted again. `start` must be a record boundary of a range that
  /// `scan` has already read (so its bytes are known to be UTF-8; they are not checked
  /// again). Nil when nothing is left from `start` (blank lines there are skipped, as
  /// `scan` skips them).
  public static func record<R>(
    _ bytes: UnsafeRawBufferPointer, at start: Int, path: String, _ body: (CSVRecord) -> R
  ) -> R? {
    RecordReader().record(bytes, at: start, path: path, body)
  }

  /// Reads records back by their offsets, as `record(_:at:path:_:)` does, with one
  /// libcsv parser and one set of field buffers for all of them: for a record of a line
  /// or two, making and freeing those costs more than the parse. (A record whose spaces
  /// libcsv trimmed is read once more with a parser of its own, as the scan does.) One
  /// reader serves one thread at a time, and not from within its own `body`.
  public final class RecordReader {
    /// The body of the record being read back; the state's own body (fixed for the
    /// scan's sake, see `ScanState.body`) hands each record on to it.
    private final class Relay {
      var body: (CSVRecord) -> Void = { _ in }
    }
    private let relay: Relay
    private let state: ScanState

    public init() {
      let relay = Relay()
      self.relay = relay
      state = ScanState(base: UnsafePointer(bitPattern: 1)!) { relay.body($0) }
      state.stopAfterFirst = true
    }

    deinit { state.free() }

    /// `CSVScanner.record(bytes, at: start, path: path, body)`.
    public func record<R>(
      _ bytes: UnsafeRawBufferPointer, at start: Int, path: String, _ body: (CSVRecord) -> R
    ) -> R? {
      var result: R? = nil
      _ = withRecord(bytes, at: start, path: path) { result = body($0) }
      return result
    }

    /// Calls `body` with the record at `start`, as `record` does; false when there is
    /// none (and `body` is not called).
    public func withRecord(
      _ bytes: UnsafeRawBufferPointer, at start: Int, path: String, _ body: (CSVRecord) -> Void
    ) -> Bool {
      guard let base = bytes.baseAddress, start >= 0, start < bytes.count else { return false }
      return withoutActuallyEscaping(body) { body in
        state.base = base.assumingMemoryBound(to: UInt8.self)
        relay.body = body
        defer { relay.body = { _ in } }
        _ = try? state.run(range: start..<min(bytes.count, start + recordLimit), firstLine: 1, path: path)
        return state.emitted > 0
      }
    }
  }

  /// Calls `body` with the raw bytes of the record at `start`, as `record(at:)` would
  /// give them (`CSVRecord.raw`, no more than `recordLimit` bytes on): a line with no
  /// quote in it is the whole record, up to its first CR or LF (a CR ends a record), so
  /// only a line with a quote is handed to libcsv to find where its record ends,
  /// through `reader` when one is given.
  public static func withRawRecord<R>(
    _ bytes: UnsafeRawBufferPointer, at start: Int, path: String, reader: RecordReader? = nil,
    _ body: (UnsafeRawBufferPointer) -> R
  ) -> R? {
    guard let base = bytes.baseAddress, start >= 0, start < bytes.count else { return nil }
    // No further than `record(at:)` reads.
    let limit = min(bytes.count, start + recordLimit)
    let end = memchr(base + start, 0x0A, limit - start).map { UnsafeRawPointer($0) - base } ?? limit
    let rawEnd = memchr(base + start, 0x0D, end - start).map { UnsafeRawPointer($0) - base } ?? end
    let line = UnsafeRawBufferPointer(start: base + start, count: rawEnd - start)
    let plain =
      !line.isEmpty && memchr(base + start, 0x22, line.count) == nil
      && line.contains { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
    if plain { return body(line) }
    return (reader ?? RecordReader()).record(bytes, at: start, path: path) { body($0.raw) }
  }

  /// Whether a space or tab of `raw` stands where libcsv drops one: at either end, or
  /// next to a comma, a quote or a line break. A trimmed run of spaces always has one
  /// end there; a space inside a field (`2026-03-01 07:59`, quoted or not) does not.
  /// Each space and each tab is found with `memchr`: every record with a quoted field
  /// is asked, and most hold few of them.
  static func mayBeTrimmed(_ raw: UnsafeRawBufferPointer) -> Bool {
    guard let base = raw.baseAddress else { return false }
    func isEdge(_ byte: UInt8) -> Bool { byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D }
    let n = raw.count
    func trimmable(_ blank: Int32) -> Bool {
      var from = 0
      while from < n, let hit = memchr(base + from, blank, n - from) {
        let i = UnsafeRawPointer(hit) - base
        if i == 0 || i == n - 1 || isEdge(raw[i - 1]) || isEdge(raw[i + 1]) { return true }
        from = i + 1
      }
      return false
    }
    return trimmable(0x20) || trimmable(0x09)
  }

  /// How far a pass that releases what it read goes between releases.
  public static let releaseStep = 16 << 20

  /// The end of the step from `start`: just after the first line feed at least `step`
  /// bytes on (or `end`). A step so cut never ends inside a UTF-8 sequence.
  static func stepEnd(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int, step: Int) -> Int {
    guard end - start > step else { return end }
    let nominal = start + step
    guard let hit = memchr(base + nominal, 0x0A, end - nominal) else { return end }
    return UnsafeRawPointer(hit) - UnsafeRawPointer(base) + 1
  }

  /// `range` cut into parts of `releaseStep` bytes (the last one shorter), in order:
  /// how a pass that gives back what it has read walks a file.
  public static func releaseParts(_ range: Range<Int>) -> [Range<Int>] {
    stride(from: range.lowerBound, to: range.upperBound, by: releaseStep).map {
      $0..<min(range.upperBound, $0 + releaseStep)
    }
  }

  /// Counts line feeds in `bytes[range]`.
  public static func countLineFeeds(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
    count(0x0A, in: bytes, range)
  }

  /// Counts the bytes equal to `byte` in `bytes[range]`.
  public static func count(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int {
    guard let base = bytes.baseAddress else { return 0 }
    var count = 0
    var position = range.lowerBound
    while position < range.upperBound {
      guard let hit = memchr(base + position, Int32(byte), range.upperBound - position) else { break }
      count += 1
      position = UnsafeRawPointer(hit) - base + 1
    }
    return count
  }
}

/// The mutable state libcsv's callbacks write into. A class, so that the C callbacks
/// can reach it through one opaque pointer.
private final class ScanState {
  var base: UnsafePointer<UInt8>
  /// Fixed, so that calling it for each record borrows its context instead of
  /// retaining and releasing it.
  let body: (CSVRecord) -> Void
  let parser = UnsafeMutablePointer<csv_parser>.allocate(capacity: 1)
  /// Whether `parser` holds an initialized libcsv parser: from the first `run` on, and
  /// again after each run that ended with `csv_fini` (a failed run's is freed).
  var parserReady = false
  var data: UnsafeMutablePointer<UInt8>
  var dataCapacity = 4096
  var dataCount = 0
  var ends: UnsafeMutablePointer<Int>
  var endsCapacity = 64
  var fieldCount = 0

  var pending = false
  var recordLine = 0
  var recordStart = 0
  var lineNumber = 0
  var lineStart = 0
  var lineEnd = 0
  var unterminated = false
  /// The current record's place among the records that start on its line (more than
  /// one only when a lone CR ends a record).
  var recordInLine = 0
  /// Called with the ranges read behind the current record (see `CSVScanner.scan`).
  var release: ((Range<Int>) -> Void)?
  /// Stops at the end of the line where the first record ends, and hands on no other
  /// record (see `CSVScanner.record(at:)`).
  var stopAfterFirst = false
  var emitted = 0
  /// Checks the bytes to be UTF-8 ahead of the parse (see `CSVScanner.scan`).
  var checksUTF8 = false
  /// Takes no byte for a space, so that libcsv keeps the spaces and tabs around
  /// unquoted fields (see `readUntrimmed`); such a scan reads no record again.
  var keepsSpaces = false

  init(base: UnsafePointer<UInt8>, body: @escaping (CSVRecord) -> Void) {
    self.base = base
    self.body = body
    data = .allocate(capacity: dataCapacity)
    ends = .allocate(capacity: endsCapacity)
  }

  func free() {
    if parserReady { csv_free(parser) }
    parser.deallocate()
    data.deallocate()
    ends.deallocate()
  }

  /// Parses `bytes[range]`; the state may run again after (see `CSVScanner.RecordReader`).
  func run(range: Range<Int>, firstLine: Int, path: String) throws(CSVError) -> CSVScanner.ScanEnd {
    pending = false
    fieldCount = 0
    dataCount = 0
    unterminated = false
    emitted = 0
    if !parserReady {
      guard csv_init(parser, 0) == 0 else {
        throw .parser(path: path, message: "out of memory")
      }
      if keepsSpaces { csv_set_space_func(parser, noSpace) }
      parserReady = true
    }
    do {
      return try parse(range: range, firstLine: firstLine, path: path)
    } catch {
      // The parser stopped inside a record; a next run starts from a new one.
      csv_free(parser)
      parserReady = false
      throw error
    }
  }

  private func parse(range: Range<Int>, firstLine: Int, path: String) throws(CSVError) -> CSVScanner.ScanEnd {
    let context = Unmanaged.passUnretained(self).toOpaque()
    lineNumber = firstLine
    var position = range.lowerBound
    let end = range.upperBound
    var released = position
    var checked = position
    var lineFeeds = 0
    // The next CR at or after `position` (`end` when none): searched again only once
    // the scan has passed it, so a file without CRs is searched once.
    var nextCR = position - 1
    // A broken record does not hide bytes that are not UTF-8 further on.
    func failing(_ error: CSVError) -> CSVError {
      guard checksUTF8 else { return error }
      return notUTF8(range.lowerBound..<end, from: checked, firstLine: firstLine, path: path) ?? error
    }
    while position < end {
      if let release, position - released >= CSVScanner.releaseStep {
        // Nothing before the record being read is read again.
        let keep = pending ? recordStart : position
        release(released..<keep)
        released = keep
      }
      let newline = memchr(base + position, 0x0A, end - position)
      var next = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) + 1 } ?? end
      // A CR that no LF follows ends a record as a line feed does (libcsv's rule): the
      // line is fed up to it, so that every record starts where a feed starts (its
      // offset and raw bytes are its own, and a file of such line ends is read in
      // one pass), while line numbers still count line feeds only.
      if nextCR < position {
        nextCR =
          memchr(base + position, 0x0D, end - position).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
          ?? end
      }
      var endsLine = true
      if nextCR + 1 < next, newline == nil || nextCR + 2 != next {
        next = nextCR + 1
        endsLine = false
      }
      while checksUTF8 && next > checked {
        let step = CSVScanner.stepEnd(base, from: checked, to: end, step: CSVScanner.checkStep)
        if let error = notUTF8(range.lowerBound..<step, from: checked, firstLine: firstLine, path: path) { throw error }
        checked = step
      }
      lineStart = position
      lineEnd = next
      if !pending && isBlank(position..<next) {
        // libcsv skips blank lines; so do we, without taking them for a record start.
      } else {
        if !pending {
          pending = true
          recordLine = lineNumber
          recordStart = position
          recordInLine = 0
        } else if position - recordStart > CSVScanner.recordLimit {
          throw failing(.recordTooLong(path: path, line: recordLine, limit: CSVScanner.recordLimit))
        }
        let fed = csv_parse(parser, base + position, next - position, fieldCallback, recordCallback, context)
        if fed != next - position {
          throw failing(.parser(path: path, message: String(cString: csv_strerror(csv_error(parser)))))
        }
      }
      if endsLine {
        if newline != nil { lineFeeds += 1 }
        lineNumber += 1
      }
      position = next
      if stopAfterFirst && emitted > 0 { break }
    }
    // libcsv's own strict check needs CSV_STRICT, which would also refuse stray quotes
    // inside unquoted fields; read its state instead: a field begun inside quotes.
    let insideQuotes = pending && parser.pointee.pstate == 2 && parser.pointee.quoted != 0
    if insideQuotes { unterminated = true }
    csv_fini(parser, fieldCallback, recordCallback, context)
    return CSVScanner.ScanEnd(endedBetweenRecords: !insideQuotes, lineFeeds: lineFeeds)
  }

  /// `.notUTF8` for the first bad byte of `range` at or after `from` (the bytes before
  /// it are known to be UTF-8), with its line counted from the range's start.
  private func notUTF8(_ range: Range<Int>, from: Int, firstLine: Int, path: String) -> CSVError? {
    guard from < range.upperBound,
      let bad = UTF8Check.firstInvalidOffset(UnsafeRawBufferPointer(start: base + from, count: range.upperBound - from))
    else { return nil }
    let bytes = UnsafeRawBufferPointer(start: base, count: from + bad)
    return .notUTF8(path: path, line: firstLine + CSVScanner.countLineFeeds(bytes, range.lowerBound..<(from + bad)))
  }

  private func isBlank(_ range: Range<Int>) -> Bool {
    for i in range {
      switch base[i] {
      case 0x20, 0x09, 0x0D, 0x0A: continue
      default: return false
      }
    }
    return true
  }

  func appendField(_ bytes: UnsafeRawPointer?, _ count: Int) {
    if !pending {
      // A second record on one physical line (a lone CR as a line end).
      pending = true
      recordLine = lineNumber
      recordStart = lineStart
      recordInLine += 1
    }
    // `FieldBytes.wordCount` bytes stay free past the field, for `copyWords`.
    if dataCount + count + FieldBytes.wordCount > dataCapacity {
      let capacity = max(dataCapacity * 2, dataCount + count + FieldBytes.wordCount)
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
      grown.update(from: data, count: dataCount)
      data.deallocate()
      data = grown
      dataCapacity = capacity
    }
    if let bytes {
      let target = UnsafeMutableRawPointer(data + dataCount)
      // libcsv hands each field from the start of its entry buffer, whose size its
      // struct states: a short or empty field is then copied as whole words, past its
      // end but inside that buffer, with no branch on its length to mispredict.
      if count <= FieldBytes.wordCount, UnsafeRawPointer(parser.pointee.entry_buf) == bytes,
        parser.pointee.entry_size >= FieldBytes.wordCount
      {
        FieldBytes.copyWords(bytes, to: target)
      } else if count > 0 {
        FieldBytes.copy(bytes, to: target, count: count)
      }
    }
    dataCount += count
    if fieldCount == endsCapacity {
      let grown = UnsafeMutablePointer<Int>.allocate(capacity: endsCapacity * 2)
      grown.update(from: ends, count: fieldCount)
      ends.deallocate()
      ends = grown
      endsCapacity *= 2
    }
    ends[fieldCount] = dataCount
    fieldCount += 1
  }

  func emit() {
    var rawEnd = lineEnd
    while rawEnd > recordStart, base[rawEnd - 1] == 0x0A || base[rawEnd - 1] == 0x0D { rawEnd -= 1 }
    let raw = UnsafeRawBufferPointer(start: base + recordStart, count: rawEnd - recordStart)
    // libcsv drops spaces and tabs around unquoted fields (and after a closing quote).
    // The fields and their commas add up to the raw record exactly when no byte was
    // dropped (by trimming or by quoting); otherwise, when a space or tab stands where
    // libcsv drops one, the record is read again without trimming.
    if !keepsSpaces, dataCount + max(0, fieldCount - 1) != raw.count, CSVScanner.mayBeTrimmed(raw) {
      readUntrimmed(recordStart..<rawEnd, record: recordInLine)
    }
    let record = CSVRecord(
      line: recordLine, fieldCount: fieldCount, offset: recordStart, raw: raw, isUnterminated: unterminated,
      data: data, ends: ends)
    if !stopAfterFirst || emitted == 0 { body(record) }
    emitted += 1
    pending = false
    fieldCount = 0
    dataCount = 0
    unterminated = false
  }
}

extension ScanState {
  /// Replaces the record's fields with those of record `index` of `bytes[range]` (its
  /// place among the records that start on its line: more than one when a lone CR ends
  /// one), read by a scan that keeps spaces and tabs. The fields stay as libcsv read
  /// them when that scan does not end between records or does not count the same
  /// fields: a space after a closing quote (`"q" ,x`) reopens the quoted field for it,
  /// and a space before a quote (` "a,b"`) makes the field unquoted for it.
  func readUntrimmed(_ range: Range<Int>, record index: Int) {
    var fields: [[UInt8]] = []
    var seen = 0
    let exact = ScanState(base: base) { record in
      if seen == index { fields = (0..<record.fieldCount).map { Array(record[$0]) } }
      seen += 1
    }
    exact.keepsSpaces = true
    defer { exact.free() }
    guard let end = try? exact.run(range: range, firstLine: 1, path: ""), end.endedBetweenRecords,
      fields.count == fieldCount
    else { return }
    fieldCount = 0
    dataCount = 0
    for field in fields { field.withUnsafeBytes { appendField($0.baseAddress, $0.count) } }
  }
}

private func noSpace(_: UInt8) -> Int32 { 0 }

/// Copies of field bytes (see `copy`); ingest copies its refs with it too.
public enum FieldBytes {
  /// The bytes `copyWords` copies.
  public static let wordCount = 32

  /// Copies `wordCount` bytes, whatever the field's length: both `source` and
  /// `target` must have that many bytes to read and write.
  @inlinable @inline(__always)
  public static func copyWords(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer) {
    for offset in stride(from: 0, to: wordCount, by: 8) {
      target.storeBytes(
        of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
    }
  }

  /// `memcpy` for the short fields CSV is made of: most are under 32 bytes, where a
  /// call costs more than the copy. Words from the front and the back overlap rather
  /// than loop (`source` and `target` never overlap).
  @inlinable @inline(__always)
  public static func copy(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, count: Int) {
    @inline(__always) func move<T: FixedWidthInteger>(_: T.Type, at offset: Int) {
      target.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: T.self), toByteOffset: offset, as: T.self)
    }
    switch count {
    case 16...32:
      move(UInt64.self, at: 0)
      move(UInt64.self, at: 8)
      move(UInt64.self, at: count - 16)
      move(UInt64.self, at: count - 8)
    case 8..<16:
      move(UInt64.self, at: 0)
      move(UInt64.self, at: count - 8)
    case 4..<8:
      move(UInt32.self, at: 0)
      move(UInt32.self, at: count - 4)
    case 2..<4:
      move(UInt16.self, at: 0)
      move(UInt16.self, at: count - 2)
    case 1:
      move(UInt8.self, at: 0)
    default:
      target.copyMemory(from: source, byteCount: count)
    }
  }
}

private func fieldCallback(_ bytes: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
  Unmanaged<ScanState>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.appendField(bytes, count) }
}

private func recordCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
  Unmanaged<ScanState>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.emit() }
}
