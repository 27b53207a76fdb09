// A libFuzzer target (scripts/fuzz): each input is one run of the pipeline, in process,
// from ingest to the report folder. The first byte picks what the rest of the input is:
//   0: an orders CSV (the sample's id map and a config of 2 points runs);
//   1: an id map CSV (beside a small fixed orders file);
//   2: a TOML configuration (over the same orders and id map).
// A bad input must end in a LoyaltyError (one sentence, a non-zero exit in the CLI);
// a trap, a crash or a sanitizer report is a finding.
import Foundation
import LoyaltyCore
import LoyaltyReport

#if canImport(Glibc)
  import Glibc
#endif

private let scratch: String = {
  let path = "/dev/shm/loyalty-fuzz-\(getpid())"
  mkdir(path, 0o755)
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

private func runPipeline(orders: String, idMap: String, config: LoyaltyConfig) {
  let request = RunRequest(
    ordersPaths: [orders], idMapPath: idMap, asOf: Day(year: 2026, month: 10, day: 31)!, config: config, threads: 2,
    until: .report)
  do throws(LoyaltyError) {
    let (result, inputs) = try InputFingerprint.inputs(of: request) { () throws(LoyaltyError) in
      try Pipeline.run(request)
    }
    let builder = ReportBuilder(run: result, inputs: inputs)
    try builder.write(to: scratch + "/out", includeTimings: false)
  } catch {
    // A sentence for the user: the expected end of a bad input.
    precondition(!error.description.isEmpty, "an error without a sentence")
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard count >= 1 else { return 0 }
  let mode = start.load(as: UInt8.self) % 3
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
