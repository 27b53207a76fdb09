/// One CSV record as libcsv delivered it, valid only inside the callback that
/// receives it: copy what you keep.
public struct CSVRecord {
  /// The physical line (1-based) where the record starts in its file.
  public let line: Int
  /// How many fields libcsv found.
  public let fieldCount: Int
  /// Offset of the record's first byte in the scanned buffer.
  public let offset: Int
  /// The record's bytes as they stand in the file, without the line end.
  public let raw: UnsafeRawBufferPointer
  /// True when the file ended inside a quoted field that never closed.
  public let isUnterminated: Bool
  @usableFromInline let data: UnsafePointer<UInt8>
  @usableFromInline let ends: UnsafePointer<Int>

  /// The bytes of field `index` (quotes removed, doubled quotes undoubled). Inlinable:
  /// ingest reads a dozen fields of every record.
  @inlinable @inline(__always)
  public subscript(index: Int) -> UnsafeRawBufferPointer {
    let start = index == 0 ? 0 : ends[index - 1]
    return UnsafeRawBufferPointer(start: data + start, count: ends[index] - start)
  }

  /// Field `index` as a String, for headers and messages (not for hot paths).
  public func string(_ index: Int) -> String {
    String(decoding: self[index], as: UTF8.self)
  }

  /// The raw record as a String, for rejects.
  public var rawString: String { String(decoding: raw, as: UTF8.self) }
}
