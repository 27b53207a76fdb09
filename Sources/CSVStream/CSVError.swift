/// A reason a whole CSV file cannot be read. Record-level problems are not errors:
/// they are reported to the consumer, which decides whether to reject the record.
public enum CSVError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file is missing, is a directory, or cannot be opened or mapped.
  case unreadable(path: String, reason: String)
  /// The file holds bytes that are not UTF-8, first at `line`.
  case notUTF8(path: String, line: Int)
  /// A quoted field opened at `line` runs past the size limit; most likely a stray quote.
  case recordTooLong(path: String, line: Int, limit: Int)
  /// libcsv failed (out of memory).
  case parser(path: String, message: String)

  /// The same error with its line `shift` lines on: for a part of a file read with
  /// its lines counted from 1.
  public func shiftingLines(by shift: Int) -> CSVError {
    switch self {
    case .notUTF8(let path, let line): return .notUTF8(path: path, line: line + shift)
    case .recordTooLong(let path, let line, let limit):
      return .recordTooLong(path: path, line: line + shift, limit: limit)
    case .unreadable, .parser: return self
    }
  }

  public var description: String {
    switch self {
    case .unreadable(let path, let reason):
      return "\(path): cannot be read (\(reason))."
    case .notUTF8(let path, let line):
      return "\(path) line \(line): the file is not UTF-8 text; export it as UTF-8."
    case .recordTooLong(let path, let line, let limit):
      return
        "\(path) line \(line): a record starting here runs past \(limit / 1024) KiB; a quoted field is probably not closed (check for a stray double quote)."
    case .parser(let path, let message):
      return "\(path): the CSV parser failed (\(message))."
    }
  }
}
