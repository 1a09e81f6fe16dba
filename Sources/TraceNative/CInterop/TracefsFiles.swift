// Unsafe code: `read(2)` into an array lent by `withUnsafeMutableBytes` for one call, and
// fixed-size C char arrays (`utsname`, `dirent`) copied into `String`s inside `withUnsafeBytes`.

import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Whole-file reads and writes of tracefs, procfs and sysctl files (`open`, `read`, `write`),
/// which report a size of 0 and must be read to their end.
enum TracefsFiles {
  /// The bytes of `path`, read to the end of file.
  ///
  /// - Throws: ``NativeTraceError`` naming `open` or `read`.
  static func readBytes(_ path: String) throws(NativeTraceError) -> [UInt8] {
    let descriptor = try SystemCall.system("open", path: path) {
      try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec)
    }
    defer { try? descriptor.close() }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = try SystemCall.system("read", path: path) {
        try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
      }
      if count == 0 { return result }
      result.append(contentsOf: chunk[0..<count])
    }
  }

  /// The text of `path`.
  static func readText(_ path: String) throws(NativeTraceError) -> String {
    String(decoding: try readBytes(path), as: UTF8.self)
  }

  /// Writes `text` to `path` in one `write(2)` (tracefs and sysctl files act on each write);
  /// `append` opens with `O_APPEND` (kprobe_events: add without clearing).
  ///
  /// - Throws: ``NativeTraceError`` naming `open` or `write`.
  static func write(_ text: String, to path: String, append: Bool = false) throws(NativeTraceError) {
    let descriptor = try SystemCall.system("open", path: path) {
      try FileDescriptor.open(FilePath(path), .writeOnly, options: [.closeOnExec, append ? .append : .truncate])
    }
    defer { try? descriptor.close() }
    let bytes = Array(text.utf8)
    _ = try SystemCall.system("write", path: path) {
      try bytes.withUnsafeBytes { try descriptor.write($0) }
    }
  }

  /// Whether `path` exists (`access(2)`).
  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// The entries of a directory (`opendir`/`readdir`), without `.` and `..`, sorted.
  static func list(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// Whether process `pid` is alive (`kill(pid, 0)`; EPERM counts as alive).
  static func isAlive(_ pid: Int32) -> Bool { SystemCall.processExists(pid) }

  /// The running machine's `uname -m` (`uname(2)`), "" when it fails.
  static var machineName: String {
    var info = utsname()
    guard uname(&info) == 0 else { return "" }
    return withUnsafeBytes(of: info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
  }

  /// `uname(2)` as trace-cmd writes it: sysname, release, version, machine.
  static func unameText() -> String {
    var info = utsname()
    guard uname(&info) == 0 else { return "" }
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    return "\(field(info.sysname)) \(field(info.nodename)) \(field(info.release)) \(field(info.version)) \(field(info.machine))"
  }

  /// The machine's page size (`getpagesize`).
  static var pageSize: Int { Int(getpagesize()) }
  /// The effective user id (`geteuid`).
  static var effectiveUserID: UInt32 { geteuid() }
  /// This process's id (`getpid`).
  static var processID: Int32 { getpid() }
}
