import CSVStream
import Crypto
import LoyaltyCore

/// Size and SHA-256 of one input file.
public struct InputFingerprint: Sendable, Equatable {
  public var path: String
  public var role: String
  public var bytes: Int
  public var sha256: String

  /// Hashes the file at `path`.
  public static func of(path: String, role: String) throws(LoyaltyError) -> InputFingerprint {
    let file: MappedFile
    do { file = try MappedFile(path: path) } catch { throw .input(error.description) }
    var hasher = SHA256()
    // In steps whose pages are given back once hashed, so that hashing beside the
    // pipeline does not hold the file in resident memory.
    for part in CSVScanner.releaseParts(0..<file.bytes.count) {
      hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: file.bytes[part]))
      file.release(part)
    }
    let hex = hasher.finalize().map { hexDigits($0, width: 2) }.joined()
    return InputFingerprint(path: path, role: role, bytes: file.bytes.count, sha256: hex)
  }

  /// The fingerprints of a run's inputs: the orders files in order, then the id map.
  public static func inputs(of request: RunRequest) throws(LoyaltyError) -> [InputFingerprint] {
    var inputs: [InputFingerprint] = []
    for path in request.ordersPaths { inputs.append(try of(path: path, role: "orders")) }
    if let idMap = request.idMapPath { inputs.append(try of(path: idMap, role: "id_map")) }
    return inputs
  }

  /// `inputs(of:)` hashed on a `LowPriorityTask` while `body` runs, when the request
  /// has more than one thread: hashing reads every input byte once more (about 0.4 s
  /// for 10M orders), and the pipeline leaves a core idle in its single-threaded steps.
  /// The hashing starts once `gate` is open (at once without one), and at the latest
  /// when `body` is done.
  public static func inputs<R>(
    of request: RunRequest, startingAt gate: StartGate? = nil, alongside body: () throws(LoyaltyError) -> R
  ) throws(LoyaltyError) -> (R, [InputFingerprint]) {
    guard request.threads > 1 else {
      let result = try body()
      return (result, try inputs(of: request))
    }
    // Below everything else: the hashes are wanted only at the end.
    let hashing = LowPriorityTask(priority: .idle, after: gate) { () throws(LoyaltyError) in try inputs(of: request) }
    let result = Result { () throws(LoyaltyError) in try body() }
    gate?.open()
    let hashes = Result { () throws(LoyaltyError) in try hashing.value() }
    // The body's error, when it failed, before the hashing's.
    return (try result.get(), try hashes.get())
  }
}

/// SHA-256 of a text, in hex.
public func sha256Hex(_ text: String) -> String {
  SHA256.hash(data: Array(text.utf8)).map { hexDigits($0, width: 2) }.joined()
}

/// A tiny JSON writer with keys in the order given, so the manifest is byte-stable.
public indirect enum JSONValue {
  case string(String)
  case number(String)
  case object([(String, JSONValue)])
  case array([JSONValue])

  public func render(indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .string(let s): return JSONValue.escape(s)
    case .number(let n): return n
    case .object(let pairs):
      if pairs.isEmpty { return "{}" }
      return "{\n"
        + pairs.map { inner + JSONValue.escape($0.0) + ": " + $0.1.render(indent: inner) }.joined(separator: ",\n")
        + "\n" + indent + "}"
    case .array(let values):
      if values.isEmpty { return "[]" }
      return "[\n" + values.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    }
  }

  static func escape(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += "\\u" + hexDigits(scalar.value, width: 4)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
