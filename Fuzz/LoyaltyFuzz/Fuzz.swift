// A libFuzzer target (scripts/fuzz): each input is one run of the pipeline, in process,
// from ingest to the report folder. The first byte picks what the rest of the input is:
//   0: an orders CSV (the sample's id map and a config of 2 points runs);
//   1: an id map CSV (beside a small fixed orders file);
//   2: a TOML configuration (over the same orders and id map);
//   3: an orders CSV read by the ingest alone on 1 thread in one chunk, and on 2 and 3
//      threads cut into chunks at line feeds: the rows, their refs and linking keys,
//      the rejects and the counts must be the same, or all three stop with one error;
//   4: an orders CSV run from ingest to the report on 1 thread and on 3: every file of
//      the two report folders must hold the same bytes, or both stop with one error.
// A bad input must end in a LoyaltyError (one sentence, a non-zero exit in the CLI);
// a trap, a crash, a sanitizer report or a difference between thread counts is a
// finding.
import Foundation
import LoyaltyReport

@testable import LoyaltyCore

#if canImport(Glibc)
  import Glibc
#endif

/// This process's folder for the files an input becomes, removed when it exits (a
/// finding's abort leaves it, beside the finding).
private let scratch: String = {
  let path = "/dev/shm/loyalty-fuzz-\(getpid())"
  mkdir(path, 0o755)
  atexit { try? FileManager.default.removeItem(atPath: "/dev/shm/loyalty-fuzz-\(getpid())") }
  return path
}()

private let fixedOrders = """
  order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time,phone_hash,email_hash
  O1,web,w1,2025-01-05T10:00:00,120.50,paid,,,p1,
  O2,app,a1,2025-03-09,80.00,partially_refunded,20.00,2025-03-12,p1,e1
  O3,tmall,t9,2025-06-30T23:59:59+08:00,300.00,,,,,e1
  O4,web,w2,2025-11-01T00:00:00Z,45.10,refunded,,2025-11-03,,
  O5,jd,j3,2026-02-14T12:00:00,999.99,cancelled,,,p2,
  O6,web,w1,2026-05-20T08:30:00,15.00,paid,,,,
  O7,app,a2,2026-09-01,60.00,paid,,,p2,e2
  O8,web,w3,2026-10-30T21:00:00,250.00,,,,,

  """

private let fixedIDMap = """
  channel,customer_ref,member_id
  web,w1,M1
  app,a1,M1
  tmall,t9,M2

  """

private let fuzzConfig = """
  [identity]
  link_keys = ["phone_hash", "email_hash"]

  [points]
  runs = 2
  target_redemption_rate = 0.3

  """

private func write(_ name: String, _ bytes: UnsafeRawBufferPointer) -> String {
  let path = scratch + "/" + name
  let data = Data(bytes)
  _ = FileManager.default.createFile(atPath: path, contents: data)
  return path
}

private func write(_ name: String, _ text: String) -> String {
  Array(text.utf8).withUnsafeBytes { write(name, $0) }
}

/// Runs the pipeline to the written report folder `out` on `threads` threads; returns
/// the folder's files by name, or the error's sentence.
@discardableResult
private func runPipeline(
  orders: String, idMap: String, config: LoyaltyConfig, threads: Int = 2, out: String = "out"
) -> Result<[String: Data], LoyaltyError> {
  let request = RunRequest(
    ordersPaths: [orders], idMapPath: idMap, asOf: Day(year: 2026, month: 10, day: 31)!, config: config,
    threads: threads, until: .report)
  do throws(LoyaltyError) {
    let (result, inputs) = try InputFingerprint.inputs(of: request) { () throws(LoyaltyError) in
      try Pipeline.run(request)
    }
    let builder = ReportBuilder(run: result, inputs: inputs)
    let folder = scratch + "/" + out
    try builder.write(to: folder, includeTimings: false)
    var files: [String: Data] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
      files[name] = FileManager.default.contents(atPath: folder + "/" + name)
    }
    return .success(files)
  } catch {
    // A sentence for the user: the expected end of a bad input.
    precondition(!error.description.isEmpty, "an error without a sentence")
    return .failure(error)
  }
}

/// The report folder of one thread against three: the same bytes in every file, or the
/// same sentence.
private func compareReports(orders path: String, config: LoyaltyConfig) {
  let idMap = write("id_map.csv", fixedIDMap)
  let one = runPipeline(orders: path, idMap: idMap, config: config, threads: 1, out: "out-1")
  let three = runPipeline(orders: path, idMap: idMap, config: config, threads: 3, out: "out-3")
  switch (one, three) {
  case (.success(let a), .success(let b)):
    precondition(a.keys.sorted() == b.keys.sorted(), "the report folders hold other files on 1 and 3 threads")
    for (name, bytes) in a where b[name] != bytes {
      fatalError("\(name) differs between 1 and 3 threads")
    }
  case (.failure(let a), .failure(let b)):
    precondition(a == b, "the runs on 1 and 3 threads stop differently: \(a) against \(b)")
  default:
    fatalError("one run of 1 and 3 threads stopped and the other did not: \(one) against \(three)")
  }
}

/// What one ingest gives, by value: each accepted row with its ref and linking key
/// values as bytes (ref ids may be numbered differently per thread count), the rejects
/// and the counts per file; or the error's sentence.
private struct IngestOutcome: Equatable {
  struct Row: Equatable {
    var channel: [UInt8]
    var customerRef: [UInt8]
    var status: UInt8
    var instantMillis: Int64
    var amount: Int64
    var linkKeyValues: [[UInt8]?]
  }
  var rows: [Row] = []
  var refunds: RefundRows? = nil
  var rejects: [Reject] = []
  var files: [FileCounts] = []
  var error: String? = nil
}

private func ingestOutcome(_ path: String, threads: Int, chunkThreshold: Int) -> IngestOutcome {
  var config = InputConfig()
  config.maxRejectShare = 1
  var outcome = IngestOutcome()
  do throws(LoyaltyError) {
    let result = try OrderIngest.run(
      paths: [path], config: config, linkKeys: ["phone_hash", "email_hash"], asOf: Day(year: 2026, month: 10, day: 31)!,
      threads: threads, chunkThreshold: chunkThreshold)
    let orders = result.orders
    for i in 0..<orders.count {
      let (channel, customerRef) = orders.withRefParts(orders.ref[i]) { (Array($0), Array($1)) }
      let keys = orders.linkKeyValue.indices.map { k -> [UInt8]? in
        let id = orders.linkKeyValue[k][i]
        return id < 0 ? nil : orders.linkKeys[k].withBytes(id) { Array($0) }
      }
      outcome.rows.append(
        .init(
          channel: channel, customerRef: customerRef, status: orders.status[i], instantMillis: orders.instantMillis[i],
          amount: orders.amount[i], linkKeyValues: keys))
    }
    outcome.refunds = orders.refunds
    outcome.rejects = Array(result.rejects)
    outcome.files = result.files
  } catch {
    outcome.error = error.description
  }
  return outcome
}

private func compareThreadCounts(orders path: String) {
  let one = ingestOutcome(path, threads: 1, chunkThreshold: Int.max)
  for threads in [2, 3] {
    let chunked = ingestOutcome(path, threads: threads, chunkThreshold: 1)
    guard chunked == one else {
      fatalError("the ingest on \(threads) threads in chunks differs from one thread: \(one) against \(chunked)")
    }
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard count >= 1 else { return 0 }
  let mode = start.load(as: UInt8.self) % 5
  let payload = UnsafeRawBufferPointer(start: start + 1, count: count - 1)
  let baseConfig: LoyaltyConfig
  do throws(LoyaltyError) {
    baseConfig = try ConfigLoader.parse(fuzzConfig, source: "fuzz.toml")
  } catch {
    fatalError("the harness's own config: \(error.description)")
  }
  switch mode {
  case 0:
    runPipeline(orders: write("orders.csv", payload), idMap: write("id_map.csv", fixedIDMap), config: baseConfig)
  case 1:
    runPipeline(orders: write("orders.csv", fixedOrders), idMap: write("id_map.csv", payload), config: baseConfig)
  case 3:
    compareThreadCounts(orders: write("orders.csv", payload))
  case 4:
    compareReports(orders: write("orders.csv", payload), config: baseConfig)
  default:
    let text = String(decoding: payload, as: UTF8.self)
    let config: LoyaltyConfig
    do throws(LoyaltyError) {
      config = try ConfigLoader.parse(text, source: "fuzz.toml")
    } catch {
      return 0
    }
    // Keep a run short: the fuzzer looks for crashes, not for long simulations.
    guard config.points.runs <= 4 else { return 0 }
    runPipeline(orders: write("orders.csv", fixedOrders), idMap: write("id_map.csv", fixedIDMap), config: config)
  }
  return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// The executable's entry point: libFuzzer's driver, with the command line as given.
@_cdecl("LoyaltyFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  var count = argc
  var arguments = argv
  return runDriver(&count, &arguments) { start, count in fuzz(start, count) }
}
