/// A failure that ends a run, with one human sentence and the exit code SPEC 9 fixes.
public enum LoyaltyError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Bad usage or unreadable/invalid input: exit 2.
  case input(String)
  /// The reject share exceeded the limit: exit 3.
  case dataQuality(String)
  /// A bug or an environment failure: exit 1.
  case `internal`(String)

  public var exitCode: Int32 {
    switch self {
    case .input: return 2
    case .dataQuality: return 3
    case .internal: return 1
    }
  }

  public var description: String {
    switch self {
    case .input(let s), .dataQuality(let s), .internal(let s): return s
    }
  }
}
