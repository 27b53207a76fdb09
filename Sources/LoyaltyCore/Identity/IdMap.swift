import CSVStream

/// The id map file (SPEC 1.3): rows `channel, customer_ref, member_id`.
public struct IdMap: Sendable {
  /// Accepted mappings, one per (channel, customer_ref), in file order.
  public var entries: [(channel: String, customerRef: String, memberID: String)] = []
  /// Rows read (header aside).
  public var rowsRead = 0
  /// Rows that repeat an earlier identical mapping (accepted, not rejected).
  public var repeatedRows = 0
  public var rejects: [Reject] = []

  public init() {}

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
    // Rows per ref, in order: (line, member id, raw).
    var rows: [String: [(line: Int, member: String, raw: String)]] = [:]
    var refOrder: [(String, String)] = []
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
        let channel = record.string(columns.channel)
        let ref = record.string(columns.ref)
        let member = record.string(columns.member)
        if channel.isEmpty || ref.isEmpty || member.isEmpty {
          let name = channel.isEmpty ? "channel" : ref.isEmpty ? "customer_ref" : "member_id"
          map.rejects.append(
            Reject(
              file: path, line: record.line, code: .missingField, reason: "The required field \(name) is empty.",
              record: record.rawString))
          return
        }
        let key = channel + "\u{0}" + ref
        if rows[key] == nil { refOrder.append((channel, ref)) }
        rows[key, default: []].append((record.line, member, record.rawString))
      }
    } catch {
      throw .input(error.description)
    }
    if let headerError { throw headerError }
    if layout == nil {
      throw .input("\(path): the id map is empty; it needs a header row channel, customer_ref, member_id.")
    }
    for (channel, ref) in refOrder {
      let list = rows[channel + "\u{0}" + ref]!
      let first = list[0].member
      if list.allSatisfy({ $0.member == first }) {
        map.entries.append((channel, ref, first))
        map.repeatedRows += list.count - 1
      } else {
        let ids = Set(list.map(\.member)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for row in list {
          map.rejects.append(
            Reject(
              file: path, line: row.line, code: .idMapConflict,
              reason:
                "Ref '\(ref)' on channel '\(channel)' is mapped to different member_ids (\(ids.joined(separator: ", "))); the ref stays unmapped.",
              record: row.raw))
        }
      }
    }
    map.rejects.sort { $0.line < $1.line }
    return map
  }
}
