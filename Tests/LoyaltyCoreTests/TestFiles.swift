import TestScratch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "orders.csv") -> String {
  let dir = TestScratch.folder("test")
  let path = dir + "/" + name
  let file = fopen(path, "wb")!
  var copy = text
  copy.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
  fclose(file)
  return path
}

/// Writes raw bytes to a fresh temporary file.
func temporaryFile(bytes: [UInt8], name: String = "orders.csv") -> String {
  let path = temporaryFile("", name: name)
  let file = fopen(path, "wb")!
  _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
  fclose(file)
  return path
}
