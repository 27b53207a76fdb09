import CSVStream

/// The id map file (SPEC 1.3): rows `channel, customer_ref, member_id`.
public struct IdMap: Sendable {
  /// `channel`, a 0 byte, then `customer_ref`, for every ref the file names.
  var refKeys = ByteInterner(capacity: 16)
  /// The member ids the file names.
  var memberIDs = ByteInterner(capacity: 16)
  /// The accepted mappings, one per (channel, customer_ref) in order of first row:
  /// the ref (in `refKeys`) and its member id (in `memberIDs`).
  var acceptedRefs: [Int32] = []
  var acceptedMembers: [Int32] = []
  /// Rows read (header aside).
  public var rowsRead = 0
  /// Rows that repeat an earlier identical mapping (accepted, not rejected).
  public var repeatedRows = 0
  public var rejects: [Reject] = []

  public init() {}

  /// Accepted mappings, one per (channel, customer_ref), in order of first row.
  public var entryCount: Int { acceptedRefs.count }

  /// The accepted mappings as text (for tests and small maps).
  public var entries: [(channel: String, customerRef: String, memberID: String)] {
    (0..<entryCount).map { k in
      withEntry(k) { channel, ref, member in
        (
          String(decoding: channel, as: UTF8.self), String(decoding: ref, as: UTF8.self),
          String(decoding: member, as: UTF8.self)
        )
      }
    }
  }

  /// Calls `body` with the channel, customer_ref and member_id bytes of mapping `k`.
  func withEntry<R>(
    _ k: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> R
  ) -> R {
    refKeys.withBytes(acceptedRefs[k]) { key in
      let split = key.firstIndex(of: 0)!
      return memberIDs.withBytes(acceptedMembers[k]) { member in
        body(
          UnsafeRawBufferPointer(rebasing: key[..<split]), UnsafeRawBufferPointer(rebasing: key[(split + 1)...]),
          member)
      }
    }
  }

  /// Reads `path`. A row whose ref is mapped to two different member_ids by different
  /// rows makes every such row a reject (`id_map_conflict`) and leaves the ref unmapped.
  public static func read(path: String) throws(LoyaltyError) -> IdMap {
    let file: MappedFile
    do {
      file = try MappedFile(path: path)
    } catch {
      throw .input(error.description)
    }
    var map = IdMap()
    var layout: (channel: Int, ref: Int, member: Int, count: Int)? = nil
    var headerError: LoyaltyError? = nil
    var rows = MapRows()
    // Sized once for about the file's rows (no shorter than `a,b,c` and a line feed),
    // rather than grown and rehashed on the way.
    rows.reserve(rows: IngestState.estimatedRecords(file.bytes, 0..<file.bytes.count, shortest: 6))
    do {
      try CSVScanner.scan(file.bytes, path: path) { record in
        if headerError != nil { return }
        guard let columns = layout else {
          let names = (0..<record.fieldCount).map { record.string($0) }
          guard let c = names.firstIndex(of: "channel"), let r = names.firstIndex(of: "customer_ref"),
            let m = names.firstIndex(of: "member_id")
          else {
            let missing = ["channel", "customer_ref", "member_id"].first { !names.contains($0) }!
            headerError = .input(
              "\(path) line \(record.line): the id map needs the column '\(missing)' (header: channel, customer_ref, member_id)."
            )
            return
          }
          layout = (c, r, m, record.fieldCount)
          return
        }
        map.rowsRead += 1
        if record.isUnterminated {
          map.rejects.append(
            Reject(
              file: path, line: record.line, code: .unterminatedQuote,
              reason: "A quoted field opened in this record is never closed before the end of the file.",
              record: record.rawString))
          return
        }
        guard record.fieldCount == columns.count else {
          map.rejects.append(
            Reject(
              file: path, line: record.line, code: .columnCount,
              reason: "The record has \(record.fieldCount) fields but the header has \(columns.count).",
              record: record.rawString))
          return
        }
        let channel = record[columns.channel]
        let ref = record[columns.ref]
        let member = record[columns.member]
        if channel.count == 0 || ref.count == 0 || member.count == 0 {
          let name = channel.count == 0 ? "channel" : ref.count == 0 ? "customer_ref" : "member_id"
          map.rejects.append(
            Reject(
              file: path, line: record.line, code: .missingField, reason: "The required field \(name) is empty.",
              record: record.rawString))
          return
        }
        rows.add(channel: channel, ref: ref, member: member, line: record.line, offset: record.offset)
      }
      rows.flush()
    } catch {
      throw .input(error.description)
    }
    if let headerError { throw headerError }
    if layout == nil {
      throw .input("\(path): the id map is empty; it needs a header row channel, customer_ref, member_id.")
    }
    var refs = rows.refs
    var members = rows.members
    let (refFirstMember, refConflict) = (rows.refFirstMember, rows.refConflict)
    let (rowRef, rowLine, rowOffset) = (rows.rowRef, rows.rowLine, rows.rowOffset)
    rows = MapRows()
    var rowsOfRef = [Int](repeating: 0, count: refs.count)
    for ref in rowRef { rowsOfRef[Int(ref)] += 1 }
    for id in 0..<refs.count where !refConflict[id] {
      map.acceptedRefs.append(Int32(id))
      map.acceptedMembers.append(refFirstMember[id])
      map.repeatedRows += rowsOfRef[id] - 1
    }
    // Every row of a conflicting ref is rejected, naming all the member ids it got.
    if refConflict.contains(true) {
      let rawOf: (Int) -> (raw: String, member: String) = { offset in
        CSVScanner.record(file.bytes, at: offset, path: path) { record in
          (record.rawString, record.string(layout!.member))
        } ?? ("", "")
      }
      var conflictRows: [(ref: Int32, line: Int, raw: String, member: String)] = []
      for (i, ref) in rowRef.enumerated() where refConflict[Int(ref)] {
        let found = rawOf(rowOffset[i])
        conflictRows.append((ref, rowLine[i], found.raw, found.member))
      }
      // The member ids of each conflicting ref, gathered once.
      var idsOfRef: [Int32: Set<String>] = [:]
      for row in conflictRows { idsOfRef[row.ref, default: []].insert(row.member) }
      for row in conflictRows {
        let parts = refs.string(row.ref).split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
        let ids = idsOfRef[row.ref]!.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        map.rejects.append(
          Reject(
            file: path, line: row.line, code: .idMapConflict,
            reason:
              "Ref '\(parts[1])' on channel '\(parts[0])' is mapped to different member_ids (\(ids.joined(separator: ", "))); the ref stays unmapped.",
            record: row.raw))
      }
    }
    map.rejects.sort { $0.line < $1.line }
    // Identity reads the map's bytes and never looks a key up, so the hash tables go
    // (about 90 MB for 1.9M rows, held through the ingest it is read beside).
    refs.releaseLookup()
    members.releaseLookup()
    map.refKeys = refs
    map.memberIDs = members
    return map
  }
}

/// The id map's rows as `IdMap.read` takes them in: refs (channel, a 0 byte,
/// customer_ref) and member ids interned as bytes, a batch at a time (see
/// `ByteBatch`), and one row list in file order.
private struct MapRows {
  var refs = ByteInterner(capacity: 1 << 12)
  var members = ByteInterner(capacity: 1 << 12)
  /// The member id of each ref's first row, and whether a later row named another.
  var refFirstMember: [Int32] = []
  var refConflict: [Bool] = []
  var rowRef: [Int32] = []
  var rowLine: [Int] = []
  var rowOffset: [Int] = []
  private var pendingRefs = ByteBatch()
  private var pendingMembers = ByteBatch()
  private var refIDs: [Int32] = []
  private var memberIDs: [Int32] = []

  /// Makes room for about `rows` rows (each ref and member id about 16 bytes), and
  /// members for half as many: a member usually has a ref or two.
  mutating func reserve(rows: Int) {
    refs.reserve(ids: rows, bytes: rows * 16)
    members.reserve(ids: rows / 2, bytes: rows * 8)
    refFirstMember.reserveCapacity(rows)
    refConflict.reserveCapacity(rows)
    rowRef.reserveCapacity(rows)
    rowLine.reserveCapacity(rows)
    rowOffset.reserveCapacity(rows)
  }

  mutating func add(
    channel: UnsafeRawBufferPointer, ref: UnsafeRawBufferPointer, member: UnsafeRawBufferPointer, line: Int,
    offset: Int
  ) {
    pendingRefs.append(channel, separator: 0, ref)
    pendingMembers.append(member)
    rowRef.append(-1)
    rowLine.append(line)
    rowOffset.append(offset)
    if pendingRefs.isFull { flush() }
  }

  /// Interns the rows added since the last call and takes them in file order.
  mutating func flush() {
    refIDs.removeAll(keepingCapacity: true)
    memberIDs.removeAll(keepingCapacity: true)
    refs.intern(pendingRefs, into: &refIDs)
    members.intern(pendingMembers, into: &memberIDs)
    let first = rowRef.count - refIDs.count
    for k in 0..<refIDs.count {
      let (refID, memberID) = (refIDs[k], memberIDs[k])
      if Int(refID) == refFirstMember.count {
        refFirstMember.append(memberID)
        refConflict.append(false)
      } else if refFirstMember[Int(refID)] != memberID {
        refConflict[Int(refID)] = true
      }
      rowRef[first + k] = refID
    }
    pendingRefs.removeAll()
    pendingMembers.removeAll()
  }
}
