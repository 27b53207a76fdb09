/// `value` in hexadecimal, at least `width` digits (zeros in front): digests, colours,
/// code points and the sample's hashes.
public func hexDigits(_ value: some BinaryInteger, width: Int, uppercase: Bool = false) -> String {
  let digits = String(value, radix: 16, uppercase: uppercase)
  return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
