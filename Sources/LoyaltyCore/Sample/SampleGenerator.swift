/// Generates realistic, deterministic order exports and an id map for demos, tests
/// and benchmarks (`loyalty sample`).
///
/// People buy with a heavy tail (about half once, a few dozens of times); amounts are
/// lognormal (median about 150 major units); timestamps span the two years up to
/// `end`, some with UTC offsets, some date-only. Each person has one to three refs on
/// four channels (web, app, jd, tmall): some people are in the id map, others are
/// linked only by shared phone or email hashes. A few hub phones (a store counter)
/// are shared by many refs. About 3% of orders are refunded, 2% partially refunded
/// and 1% cancelled, and a small share of records carries each reject kind.
public struct SampleGenerator {
  public struct Options: Sendable {
    public var orders: Int
    public var seed: UInt64
    /// The last business date of regular orders (future orders come after it).
    public var end: Day
    /// Leave out malformed records, hub keys and hashes (for benchmarks that compare
    /// with tools that cannot express every rule).
    public var clean: Bool

    public init(orders: Int, seed: UInt64, end: Day, clean: Bool = false) {
      self.orders = orders
      self.seed = seed
      self.end = end
      self.clean = clean
    }
  }

  public static let ordersHeader =
    "order_id,channel,customer_ref,order_time,amount,status,refund_amount,refund_time,phone_hash,email_hash\n"
  static let channels = ["web", "app", "jd", "tmall"]

  let options: Options
  var rng: SplitMix64
  var emitted = 0
  var recent: [(channel: String, orderID: String)] = []

  public init(options: Options) {
    self.options = options
    rng = SplitMix64(seed: options.seed ^ 0x5EED_0F_10_7A17)
  }

  /// Writes the orders CSV through `ordersSink` and the id map through `mapSink`, each
  /// in chunks of about 1 MB (so that neither file is held whole in memory). The header
  /// comes first in each.
  public mutating func generate<E: Error>(
    ordersSink: (String) throws(E) -> Void, mapSink: (String) throws(E) -> Void
  ) throws(E) {
    var orders = SampleGenerator.ordersHeader
    var map = "channel,customer_ref,member_id\n"
    let hubPhones =
      options.clean ? [] : (0..<max(1, options.orders / 20_000)).map { "hub" + hex(UInt64($0) &* 0x9E37_79B9) }
    var person = 0
    let startDay = options.end - 729
    while emitted < options.orders {
      person += 1
      // Orders of this person: heavy-tailed.
      let u = rng.unit()
      var count = 1
      if u > 0.5 { count = 2 + Int(pow(rng.unit(), -0.9)) % 40 }
      count = min(count, options.orders - emitted)
      let refCount = rng.unit() < 0.65 ? 1 : (rng.unit() < 0.7 ? 2 : 3)
      var refs: [(channel: String, ref: String)] = []
      for k in 0..<refCount {
        let channel = SampleGenerator.channels[(person &* 7 &+ k &* 3 &+ rng.below(4)) % 4]
        let ref: String
        switch channel {
        case "web": ref = "w\(person)-\(k)"
        case "app": ref = "A\(900_000 + person * 3 + k)"
        case "jd": ref = "jd_" + hex(UInt64(person * 4 + k) &* 0x2545_F491_4F6C_DD1D).prefix(10)
        default: ref = "tm\(person)x\(k)"
        }
        if !refs.contains(where: { $0.channel == channel && $0.ref == ref }) { refs.append((channel, ref)) }
      }
      let mapped = rng.unit() < 0.4
      if mapped {
        let member = "M" + pad(person, 8)
        for r in refs { map += "\(r.channel),\(r.ref),\(member)\n" }
        if map.utf8.count > 1 << 20 {
          try mapSink(map)
          map = ""
        }
      }
      let linkByPhone = !options.clean && rng.unit() < 0.8
      let linkByEmail = !options.clean && rng.unit() < 0.4
      let phone = linkByPhone ? "p" + hex(UInt64(person) &* 0xD6E8_FEB8_6659_FD93) : ""
      let email = linkByEmail ? "e" + hex(UInt64(person) &* 0xA076_1D64_78BD_642F) : ""
      // The person's active span inside the two years.
      let firstDay = startDay + rng.below(730)
      let span = max(1, options.end - firstDay + 1)
      let muAmount = 4.6 + 0.5 * rng.normal()
      for _ in 0..<count {
        let r = refs[rng.below(refs.count)]
        let day = firstDay + rng.below(span)
        var usePhone = phone
        if !hubPhones.isEmpty, rng.unit() < 0.004 { usePhone = hubPhones[rng.below(hubPhones.count)] }
        orders += order(ref: r, day: day, muAmount: muAmount, phone: rng.unit() < 0.9 ? usePhone : "", email: email)
        emitted += 1
        if orders.utf8.count > 1 << 20 {
          try ordersSink(orders)
          orders = ""
        }
      }
    }
    try ordersSink(orders)
    try mapSink(map)
  }

  mutating func order(ref: (channel: String, ref: String), day: Day, muAmount: Double, phone: String, email: String)
    -> String
  {
    let orderID = "O" + String(options.seed % 1000) + "-" + String(emitted + 1)
    let secondOfDay = 8 * 3600 + rng.below(15 * 3600)
    var time = timestamp(day: day, second: secondOfDay)
    var minor = Int64((exp(muAmount + 0.7 * rng.normal()) * 100).rounded())
    minor = max(100, min(minor, 5_000_000))
    var amount = Money.format(minor, minorDigits: 2)
    var status = ""
    var refund = ""
    var refundTime = ""
    let s = rng.unit()
    if s < 0.03 {
      status = rng.unit() < 0.5 ? "refunded" : "Refunded"
      if rng.unit() < 0.7 { refundTime = timestamp(day: day + 1 + rng.below(20), second: secondOfDay) }
    } else if s < 0.05 {
      status = "partially_refunded"
      let part = max(1, Int64(Double(minor) * (0.1 + 0.6 * rng.unit())))
      refund = Money.format(min(part, minor - 1), minorDigits: 2)
      if rng.unit() < 0.7 { refundTime = timestamp(day: day + 1 + rng.below(20), second: secondOfDay) }
    } else if s < 0.06 {
      status = "cancelled"
    } else if rng.unit() < 0.5 {
      status = "paid"
    }
    var customerRef = csvField(ref.ref)
    var channel = ref.channel
    var id = orderID
    var extra = ""
    if !options.clean {
      let k = rng.unit()
      switch k {
      case ..<0.002: extra = ",surplus"  // column_count
      case ..<0.004: customerRef = ""  // missing_field
      case ..<0.006: time = ["2025-13-01", "31/12/2025", "2025-02-30T10:00:00", "yesterday"][rng.below(4)]  // bad_date
      case ..<0.008: amount = ["12,50", "1e3", "¥88", "12.345"][rng.below(4)]  // bad_amount
      case ..<0.009: amount = "-" + amount  // negative_amount
      case ..<0.011: status = ["shipped", "PAID?", "returned"][rng.below(3)]  // bad_status
      case ..<0.012:  // bad_refund
        status = "partially_refunded"
        refund = amount
        refundTime = ""
      case ..<0.014:  // duplicate_order
        if let earlier = recent.last {
          id = earlier.orderID
          channel = earlier.channel
        }
      case ..<0.015:  // future_order
        time = timestamp(day: options.end + 1 + rng.below(40), second: secondOfDay)
      case ..<0.017:  // an order_id with a comma and a quote, quoted as RFC 4180 says
        id = "\"" + orderID + ", \"\"gift\"\"\""
      default: break
      }
    }
    if recent.count > 100 { recent.removeFirst(50) }
    recent.append((channel, id))
    return
      "\(id),\(channel),\(customerRef),\(time),\(amount),\(status),\(refund),\(refundTime),\(phone),\(email)\(extra)\n"
  }

  mutating func timestamp(day: Day, second: Int) -> String {
    let date = day.description
    let hh = pad(second / 3600, 2)
    let mm = pad(second / 60 % 60, 2)
    let ss = pad(second % 60, 2)
    let form = rng.below(10)
    // Clean exports use one local form, so that plain SQL can read the business date.
    if options.clean { return "\(date)T\(hh):\(mm):\(ss)" }
    switch form {
    case 0: return date
    case 1, 2: return "\(date)T\(hh):\(mm):\(ss)+08:00"
    case 3:
      // The same instant in UTC.
      let utc = second - 8 * 3600
      let d = utc < 0 ? day - 1 : day
      let s = (utc + 86_400) % 86_400
      return "\(d.description)T\(pad(s / 3600, 2)):\(pad(s / 60 % 60, 2)):\(pad(s % 60, 2))Z"
    case 4: return "\(date) \(hh):\(mm)"
    case 5: return "\(date)T\(hh):\(mm):\(ss).\(pad(rng.below(1000), 3))"
    default: return "\(date)T\(hh):\(mm):\(ss)"
    }
  }

  func csvField(_ s: String) -> String { s }

  func hex(_ x: UInt64) -> String { hexDigits(x, width: 16) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
