/// Why a trace input could not be decoded, and where.
///
/// The description follows compiler style so editors can jump to the spot:
/// `trace.dat @ byte 4096: truncated: needed 8 bytes, 3 available`.
public struct TraceParseError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What was wrong, with the expected and found values.
  public enum Reason: Hashable, Sendable {
    /// The input ended inside a structure.
    case truncated(needed: Int, available: Int)
    /// The first bytes are not a trace.dat magic.
    case badMagic(found: [UInt8])
    /// A trace.dat version this reader does not know.
    case unsupportedVersion(String)
    /// A compression algorithm this reader does not know.
    case unsupportedCompression(String)
    /// A compressed chunk or section could not be decompressed.
    case corruptCompressedData(algorithm: String, detail: String)
    /// A section, option or CPU data block claims to extend past the end of the file.
    case sectionPastEnd(section: String, end: Int, fileSize: Int)
    /// An event's type id has no format in the trace.
    case unknownEventID(Int)
    /// A ring-buffer page header says the page holds more data than fits in the page.
    case pageHeaderPastPage(commit: Int, pageSize: Int)
    /// A structure holds a value that cannot be right.
    case invalidValue(what: String, found: String)
    /// A text line does not have the expected shape.
    case malformedLine(expected: String, found: String)
    /// The input is empty.
    case emptyInput
    /// The input is not of any format pokestat reads.
    case unrecognizedFormat(detail: String)
    /// The input could not be opened or read (`open(2)`/`read(2)` failed, a decompressor
    /// exited non-zero); `detail` names the call and the errno or exit status.
    case readFailed(detail: String)
  }

  public var reason: Reason
  public var location: InputLocation

  public init(reason: Reason, location: InputLocation) {
    self.reason = reason
    self.location = location
  }

  /// One line, compiler style: line ends and other control characters that came from the
  /// input (a `found` text, a file's first bytes) are escaped as `\n`, `\r`, `\u{…}`.
  public var description: String { Self.oneLine("\(location): \(reasonText)") }

  static func oneLine(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: Self.needsEscape) else { return text }
    var result = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case _ where Self.needsEscape(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7f || scalar.value == 0x85 || scalar.value == 0x2028
      || scalar.value == 0x2029
  }

  private var reasonText: String {
    switch reason {
    case .truncated(let needed, let available):
      return "truncated: needed \(needed) bytes, \(available) available"
    case .badMagic(let found):
      let hex = found.map { String($0, radix: 16) }.joined(separator: " ")
      return "not a trace.dat file: magic is [\(hex)], expected [17 8 44] \"tracing\""
    case .unsupportedVersion(let version):
      return "unsupported trace.dat version \"\(version)\" (pokestat reads versions 6 and 7)"
    case .unsupportedCompression(let name):
      return "unsupported compression \"\(name)\" (pokestat reads none, zstd and zlib)"
    case .corruptCompressedData(let algorithm, let detail):
      return "corrupt \(algorithm) data: \(detail)"
    case .sectionPastEnd(let section, let end, let fileSize):
      return "\(section) ends at byte \(end), past the end of the file (\(fileSize) bytes)"
    case .unknownEventID(let id):
      return "event type id \(id) has no format in this trace"
    case .pageHeaderPastPage(let commit, let pageSize):
      return "ring-buffer page header claims \(commit) bytes of data in a \(pageSize)-byte page"
    case .invalidValue(let what, let found):
      return "invalid \(what): \(found)"
    case .malformedLine(let expected, let found):
      return "expected \(expected), found \"\(found.prefix(80))\""
    case .emptyInput:
      return "empty input"
    case .unrecognizedFormat(let detail):
      return "unrecognized input format: \(detail)"
    case .readFailed(let detail):
      return "cannot read: \(detail)"
    }
  }
}
