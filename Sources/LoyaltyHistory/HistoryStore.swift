import Foundation
import GRDB
import GRDBSQLite
import LoyaltyCore
import LoyaltyReport

/// One stored run, as `loyalty history` lists it.
public struct StoredRunSummary: Sendable, Equatable {
  public var asOf: Day
  public var toolVersion: String
  public var configSHA256: String
  /// Members, as the run's report counts them (every member identity formed).
  public var members: Int
  /// Headline figures by name.
  public var headline: [String: Double]
}

/// The monthly history in SQLite: each run's as-of, config hash, input hashes,
/// headline figures and a member snapshot. A rerun of the same as-of replaces it in
/// one transaction, so the history never holds half a run.
public final class HistoryStore {
  let queue: DatabaseQueue
  public let path: String

  /// What stands at a history path before it is opened: `run` makes a database where
  /// there is none (and says so), `history` refuses to. An empty file is what SQLite
  /// takes for an empty database.
  public enum FileState: Sendable { case missing, empty, present }

  public static func fileState(at path: String) -> FileState {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return .missing }
    return (attributes[.size] as? NSNumber)?.intValue == 0 ? .empty : .present
  }

  /// Opens (creating when needed) the database at `path`.
  public init(path: String) throws(LoyaltyError) {
    self.path = path
    do {
      try ReportFolder.makeDirectories(HistoryStore.parent(of: path))
      // Two runs storing at the same time take turns instead of the second failing
      // with "database is locked".
      var configuration = Configuration()
      configuration.busyMode = .timeout(60)
      queue = try DatabaseQueue(path: path, configuration: configuration)
      try queue.write { db in
        try db.execute(
          sql: """
            CREATE TABLE IF NOT EXISTS runs (
              as_of TEXT PRIMARY KEY,
              tool_version TEXT NOT NULL,
              config_sha256 TEXT NOT NULL,
              inputs TEXT NOT NULL,
              seed TEXT NOT NULL,
              minor_digits INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS run_headline (
              as_of TEXT NOT NULL REFERENCES runs(as_of) ON DELETE CASCADE,
              position INTEGER NOT NULL,
              name TEXT NOT NULL,
              value REAL NOT NULL,
              PRIMARY KEY (as_of, name)
            );
            CREATE TABLE IF NOT EXISTS member_snapshots (
              as_of TEXT NOT NULL REFERENCES runs(as_of) ON DELETE CASCADE,
              member_id TEXT NOT NULL,
              level INTEGER,
              segment TEXT,
              lifecycle TEXT NOT NULL,
              points_outstanding INTEGER,
              PRIMARY KEY (as_of, member_id)
            ) WITHOUT ROWID;
            """)
      }
    } catch let error as LoyaltyError {
      throw error
    } catch {
      throw .input("\(path): the history database cannot be opened (\(error)).")
    }
  }

  /// A headline figure read as a count of members: 0 when missing or out of range (a
  /// damaged or hand-edited database), so that no list is sized from it.
  static func count(_ figure: Double?) -> Int {
    guard let figure, figure >= 0, figure <= Double(Int32.max) else { return 0 }
    return Int(figure)
  }

  static func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
  }

  /// Stores `snapshot`, replacing any run with the same as-of, in one transaction.
  public func save(_ snapshot: RunSnapshot) throws(LoyaltyError) {
    try save(snapshot, members: snapshot.members)
  }

  /// Stores the snapshot of `run`, its member rows each made as it is stored
  /// (`RunSnapshot.members(of:)`), so that a run's members are never listed whole.
  public func save(run: RunResult, inputs: [InputFingerprint]) throws(LoyaltyError) {
    try save(RunSnapshot(run: run, inputs: inputs, withMembers: false), members: RunSnapshot.members(of: run))
  }

  /// Stores `snapshot` with `members` as its member rows. Internal and generic, so that
  /// each of the two callers above gets a copy for its own kind of list.
  func save(_ snapshot: RunSnapshot, members: some Sequence<RunSnapshot.Member>) throws(LoyaltyError) {
    do {
      try queue.write { db in
        let asOf = snapshot.asOf.description
        try db.execute(sql: "DELETE FROM member_snapshots WHERE as_of = ?", arguments: [asOf])
        try db.execute(sql: "DELETE FROM run_headline WHERE as_of = ?", arguments: [asOf])
        try db.execute(sql: "DELETE FROM runs WHERE as_of = ?", arguments: [asOf])
        try db.execute(
          sql:
            "INSERT INTO runs (as_of, tool_version, config_sha256, inputs, seed, minor_digits) VALUES (?, ?, ?, ?, ?, ?)",
          arguments: [
            asOf, snapshot.toolVersion, snapshot.configSHA256, snapshot.inputs, String(snapshot.seed),
            snapshot.minorDigits,
          ])
        let headline = try db.makeStatement(
          sql: "INSERT INTO run_headline (as_of, position, name, value) VALUES (?, ?, ?, ?)")
        for (position, figure) in snapshot.headline.enumerated() {
          try headline.execute(arguments: [asOf, position, figure.name, figure.value])
        }
        try MemberRows.insert(members, asOf: asOf, in: db)
      }
    } catch {
      throw .input("\(path): the run could not be stored in the history (\(error)); the history is unchanged.")
    }
  }

  /// The run to compare a run at `asOf` with, and its member snapshot: the latest stored
  /// month-end run strictly before `asOf`, else the latest stored run before it.
  public func previous(before asOf: Day) throws(LoyaltyError) -> RunSnapshot? {
    do {
      return try queue.read { db -> RunSnapshot? in
        // The latest earlier month-end run, as a monthly job compares month with month;
        // the latest earlier run of any date when none was at a month-end.
        let earlier = try String.fetchAll(
          db, sql: "SELECT as_of FROM runs WHERE as_of < ? ORDER BY as_of DESC", arguments: [asOf.description])
        let monthEnd = earlier.first { text in Day(text).map { $0 == $0.month.lastDay } ?? false }
        guard let chosen = monthEnd ?? earlier.first,
          let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE as_of = ?", arguments: [chosen])
        else { return nil }
        // Decoded by GRDB's throwing calls: a value of another type (a database edited by
        // hand, say) is an error with a sentence, where the subscripts stop the program.
        let date = try row.decode(String.self, forColumn: "as_of")
        let headline = try Row.fetchAll(
          db, sql: "SELECT name, value FROM run_headline WHERE as_of = ? ORDER BY position", arguments: [date]
        ).map {
          (name: try $0.decode(String.self, forColumn: "name"), value: try $0.decode(Double.self, forColumn: "value"))
        }
        // Row by row (`MemberRows.read`: a snapshot can hold tens of millions), in the
        // primary key's order, which is member_id's byte order (SQLite compares text
        // byte by byte); sorted only when that does not hold.
        // The run's headline counts its member rows (members with a counted order), so
        // the list is sized once without counting the rows in a pass of their own.
        var members: [RunSnapshot.Member] = []
        members.reserveCapacity(Self.count(headline.first { $0.name == "members_with_counted_orders" }?.value))
        let select = try db.makeStatement(
          sql:
            "SELECT member_id, level, segment, lifecycle, points_outstanding FROM member_snapshots WHERE as_of = ? ORDER BY member_id"
        )
        try MemberRows.read(asOf: date, with: select, in: db, into: &members)
        let inOrder = zip(members, members.dropFirst()).allSatisfy {
          RunSnapshot.compareMemberIDs($0.memberID, $1.memberID) < 0
        }
        if !inOrder { members.sort { RunSnapshot.compareMemberIDs($0.memberID, $1.memberID) < 0 } }
        return RunSnapshot(
          asOf: Day(date) ?? asOf, toolVersion: try row.decode(forColumn: "tool_version"),
          configSHA256: try row.decode(forColumn: "config_sha256"), inputs: try row.decode(forColumn: "inputs"),
          seed: UInt64(try row.decode(String.self, forColumn: "seed")) ?? 0,
          minorDigits: try row.decode(forColumn: "minor_digits"), headline: headline, members: members)
      }
    } catch {
      throw .input("\(path): the history could not be read (\(error)).")
    }
  }

  /// Deletes the runs stored with an as-of before `day`, with their headline figures
  /// and member rows, in one transaction; returns how many runs went. SQLite keeps the
  /// freed pages in the file and fills them with later runs (a member snapshot is
  /// about 60 bytes a member), so the file stops growing rather than shrinks.
  public func forget(before day: Day) throws(LoyaltyError) -> Int {
    do {
      return try queue.write { db in
        let date = day.description
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE as_of < ?", arguments: [date]) ?? 0
        try db.execute(sql: "DELETE FROM member_snapshots WHERE as_of < ?", arguments: [date])
        try db.execute(sql: "DELETE FROM run_headline WHERE as_of < ?", arguments: [date])
        try db.execute(sql: "DELETE FROM runs WHERE as_of < ?", arguments: [date])
        return count
      }
    } catch {
      throw .input("\(path): the runs before \(day) could not be deleted (\(error)); the history is unchanged.")
    }
  }

  /// Every stored run, oldest first.
  public func list() throws(LoyaltyError) -> [StoredRunSummary] {
    do {
      return try queue.read { db in
        try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY as_of").map { row in
          let date = try row.decode(String.self, forColumn: "as_of")
          var headline: [String: Double] = [:]
          for h in try Row.fetchAll(db, sql: "SELECT name, value FROM run_headline WHERE as_of = ?", arguments: [date])
          {
            headline[try h.decode(String.self, forColumn: "name")] = try h.decode(Double.self, forColumn: "value")
          }
          // The report's members row (every stored run reached identity), not the
          // snapshot's rows, which are the members with a counted order.
          let members = Self.count(headline["members"])
          return StoredRunSummary(
            asOf: Day(date) ?? Day(number: 0), toolVersion: try row.decode(forColumn: "tool_version"),
            configSHA256: try row.decode(forColumn: "config_sha256"), members: members, headline: headline)
        }
      }
    } catch {
      throw .input("\(path): the history could not be read (\(error)).")
    }
  }
}

/// The member rows of a snapshot, stored and read through SQLite's own calls on GRDB's
/// prepared statements: tens of millions of rows, where GRDB's arguments and rows (a
/// boxed value a column) took most of the time. The columns and values are those GRDB
/// stored, except that text keeps every byte (GRDB's ended at a NUL byte).
enum MemberRows {
  /// Rows one statement inserts: each run of a statement has a cost of its own, about
  /// as much as a row's insert.
  static let rowsPerInsert = 32

  /// Inserts `members` as the rows of the snapshot `asOf`, `rowsPerInsert` at a time.
  static func insert(_ members: some Sequence<RunSnapshot.Member>, asOf: String, in db: Database) throws {
    // (as_of, member_id, level, segment, lifecycle, points_outstanding) a row: as_of is
    // parameter 1 in every row, and row k's others are 2 + 5k to 6 + 5k.
    func statement(rows: Int) throws -> Statement {
      let values = (0..<rows).map { k in "(?1, " + (2...6).map { "?\($0 + 5 * k)" }.joined(separator: ", ") + ")" }
      let statement = try db.makeStatement(
        sql: "INSERT INTO member_snapshots (as_of, member_id, level, segment, lifecycle, points_outstanding) VALUES "
          + values.joined(separator: ", "))
      try check(bind(asOf, to: 1, of: statement.sqliteStatement), db)
      return statement
    }
    // SQLite copies each text, so the batch's rows need not outlive the binds.
    func run(_ insert: Statement, _ batch: [RunSnapshot.Member]) throws {
      let statement = insert.sqliteStatement
      for (k, m) in batch.enumerated() {
        let first = Int32(2 + 5 * k)
        try check(bind(m.memberID, to: first, of: statement), db)
        try check(bind(m.level.map(Int64.init), to: first + 1, of: statement), db)
        try check(bind(m.segment, to: first + 2, of: statement), db)
        try check(bind(m.lifecycle, to: first + 3, of: statement), db)
        try check(bind(m.pointsOutstanding, to: first + 4, of: statement), db)
      }
      let code = sqlite3_step(statement)
      sqlite3_reset(statement)
      guard code == SQLITE_DONE else { throw error(code, db) }
    }
    let full = try statement(rows: rowsPerInsert)
    var batch: [RunSnapshot.Member] = []
    batch.reserveCapacity(rowsPerInsert)
    for m in members {
      batch.append(m)
      if batch.count == rowsPerInsert {
        try run(full, batch)
        batch.removeAll(keepingCapacity: true)
      }
    }
    if !batch.isEmpty { try run(try statement(rows: batch.count), batch) }
  }

  /// Appends the rows `select` (member_id, level, segment, lifecycle,
  /// points_outstanding of the snapshot whose as_of it takes) gives to `members`.
  static func read(asOf: String, with select: Statement, in db: Database, into members: inout [RunSnapshot.Member])
    throws
  {
    let statement = select.sqliteStatement
    try check(bind(asOf, to: 1, of: statement), db)
    defer { sqlite3_reset(statement) }
    // Segment and lifecycle names repeat: each is made once and shared.
    var names: [(bytes: [UInt8], name: String)] = []
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    // A column's text as SQLite holds it (until the next step); SQLite gives no
    // pointer for a value that is not NULL only when it runs out of memory.
    func text(_ column: Int32) throws -> UnsafeRawBufferPointer {
      guard let bytes = sqlite3_column_text(statement, column) else {
        if isNull(column) { return UnsafeRawBufferPointer(start: nil, count: 0) }
        throw error(sqlite3_errcode(db.sqliteConnection), db)
      }
      return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, column)))
    }
    func name(_ column: Int32) throws -> String {
      let bytes = try text(column)
      if let known = names.first(where: { $0.bytes.elementsEqual(bytes) }) { return known.name }
      let name = String(decoding: bytes, as: UTF8.self)
      names.append((Array(bytes), name))
      return name
    }
    while true {
      let code = sqlite3_step(statement)
      if code == SQLITE_DONE { break }
      guard code == SQLITE_ROW else { throw error(code, db) }
      members.append(
        RunSnapshot.Member(
          memberID: String(decoding: try text(0), as: UTF8.self),
          level: isNull(1) ? nil : Int(sqlite3_column_int64(statement, 1)),
          segment: isNull(2) ? nil : try name(2),
          lifecycle: try name(3),
          pointsOutstanding: isNull(4) ? nil : sqlite3_column_int64(statement, 4)))
    }
  }

  /// SQLite's `SQLITE_TRANSIENT`: the bound text is copied at once.
  private static let copied = unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)

  /// Binds `text` (NULL when nil; empty text stays text).
  private static func bind(_ text: String?, to index: Int32, of statement: OpaquePointer) -> Int32 {
    guard var text else { return sqlite3_bind_null(statement, index) }
    return text.withUTF8 { bytes in
      guard let base = bytes.baseAddress, bytes.count > 0 else {
        return sqlite3_bind_text(statement, index, "", 0, copied)
      }
      return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
        sqlite3_bind_text(statement, index, $0, Int32(bytes.count), copied)
      }
    }
  }

  private static func bind(_ value: Int64?, to index: Int32, of statement: OpaquePointer) -> Int32 {
    guard let value else { return sqlite3_bind_null(statement, index) }
    return sqlite3_bind_int64(statement, index, value)
  }

  private static func check(_ code: Int32, _ db: Database) throws {
    guard code == SQLITE_OK else { throw error(code, db) }
  }

  private static func error(_ code: Int32, _ db: Database) -> DatabaseError {
    DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
  }
}
