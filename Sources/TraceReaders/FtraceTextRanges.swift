#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation
import Synchronization
import TraceModel

/// Where a large ftrace text file is cut into byte ranges that can be parsed independently,
/// one ``FtraceTextStream`` each (``FtraceTextSource/streamCount`` > 1).
///
/// ## The safe-boundary rule
/// A stream's state carries from line to line: a stack block (`kernel_stack`, `<stack trace>`,
/// `=>` frames) belongs to the latest event of its CPU held in the stream's window, a wrapped
/// continuation to the event above it, a `CPU:N [LOST ...]` notice to that CPU's next event,
/// a function_graph `}` to its CPU's open `f() {`. A range may therefore start only where
/// none of that state reaches across. From each cut (`size * i / K`) the splitter scans
/// forward, line by line, for a line L such that
/// - the line before L and the ``FtraceTextStream/windowLimit`` + 1 lines from L on are all
///   *plain event lines*: the common `trace-cmd report` shape that ``FastEventLine`` reads,
///   with non-empty info, and not `kernel_stack`, `user_stack`, `funcgraph_entry` or
///   `funcgraph_exit`;
/// - so: the line before L left no stack block, continuation or lost notice pending (trace-cmd
///   and tracefs print a lost notice right before its CPU's next event), and by the time a
///   stack block can follow L the one-stream reader has released every event before L (its
///   window holds at most ``FtraceTextStream/windowLimit`` events), so both readers attach it
///   to the same event or to none.
///
/// Files whose first 64 KiB show function_graph output are not split (an open function can
/// span any number of lines). A cut with no such line in the next 4 MiB is dropped (its range
/// joins the previous one). tracefs-layout files (which ``FastEventLine`` does not read) thus
/// stay one stream.
///
/// With checked edges (``FtraceTextSource/init(path:options:orderedRangeBytes:)``, read by
/// ``FtraceTextSource/forEachInFileOrderConcurrently(fields:workers:transform:_:)``) the rule is a
/// good guess rather than a promise: the reader checks at every edge that the fresh start gives
/// what one stream gives and reads on with one stream where it does not, so function_graph
/// files are split too and `instance: `-labelled event lines count as plain.
///
/// Report text is in time order, so the ranges' events follow one another in time and the
/// k-way merge of ``EventSource/forEachEventInTimeOrder(fields:_:)`` (time, then stream index)
/// gives file order; text whose timestamps go backwards across a cut comes out in time order.
enum FtraceTextRanges {
  /// How far past a cut the splitter looks for a boundary.
  static let scanLimit = 4 << 20

  /// The byte ranges for `path` (one range: do not split).
  ///
  /// - Parameters:
  ///   - minimumRangeBytes: no range is planned smaller than this;
  ///   - maximumRanges: at most this many ranges (the active CPUs).
  ///   - checkedEdges: the reader checks each edge (``FtraceTextSource/forEachInFileOrderConcurrently(fields:workers:transform:_:)``):
  ///     function_graph files are split too, and instance-prefixed event lines count as plain.
  static func plan(
    path: String, head: ArraySlice<UInt8>, minimumRangeBytes: Int, maximumRanges: Int, checkedEdges: Bool = false
  ) -> [Range<Int>] {
    guard path != "-", maximumRanges > 1, Compression(firstBytes: head) == .none else { return [] }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return [] }
    let size = Int(info.st_size)
    let count = min(maximumRanges, size / max(1, minimumRangeBytes))
    guard count > 1 else { return [] }
    let headText = String(decoding: head.prefix(64 << 10), as: UTF8.self)
    guard checkedEdges || (!headText.contains("function_graph") && !headText.contains("funcgraph_")) else { return [] }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var starts = [0]
    for i in 1..<count {
      let cut = size / count * i
      guard cut > starts.last!, let start = boundary(fd: fd, from: cut, size: size, instancePrefixes: checkedEdges),
        start > starts.last!, start < size
      else { continue }
      starts.append(start)
    }
    guard starts.count > 1 else { return [] }
    return starts.indices.map { starts[$0]..<($0 + 1 < starts.count ? starts[$0 + 1] : size) }
  }

  /// The first safe line start at or after `cut` (see the type's rule), or nil.
  static func boundary(fd: Int32, from cut: Int, size: Int, instancePrefixes: Bool = false) -> Int? {
    // Most cuts find their line within a few kilobytes: look there first.
    if let start = boundary(fd: fd, from: cut, size: size, instancePrefixes: instancePrefixes, limit: 256 << 10) {
      return start
    }
    return boundary(fd: fd, from: cut, size: size, instancePrefixes: instancePrefixes, limit: scanLimit)
  }

  /// ``boundary(fd:from:size:instancePrefixes:)`` within `limit` bytes of the cut.
  private static func boundary(fd: Int32, from cut: Int, size: Int, instancePrefixes: Bool, limit: Int) -> Int? {
    // Read from the byte before the cut: when it is a `\n`, the cut itself starts a line.
    let origin = cut - 1
    let want = min(limit, size - origin)
    var bytes = [UInt8](repeating: 0, count: want)
    let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(origin)) }
    guard got > 0 else { return nil }
    bytes.removeSubrange(got...)
    guard var lineStart = bytes.firstIndex(of: 0x0A).map({ $0 + 1 }) else { return nil }
    let needed = FtraceTextStream.windowLimit + 2
    var run: [Int] = []
    while let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
      var end = newline
      if end > lineStart, bytes[end - 1] == 0x0D { end -= 1 }
      if isPlainEventLine(bytes, lineStart, end, instancePrefix: instancePrefixes) {
        run.append(lineStart)
        if run.count == needed { return origin + run[1] }
      } else {
        run.removeAll(keepingCapacity: true)
      }
      lineStart = newline + 1
    }
    return nil
  }

  /// Whether `b[start..<end]` is a plain event line (see the type's rule); with
  /// `instancePrefix`, also after trace-cmd report's `instance: ` label.
  static func isPlainEventLine(_ b: [UInt8], _ start: Int, _ end: Int, instancePrefix: Bool = false) -> Bool {
    var start = start
    if instancePrefix, start < end, b[start] != Byte.space,
      let prefixEnd = FtraceTextStream.bufferPrefixEnd(b, start, end)
    {
      start = prefixEnd + 2
    }
    guard let line = FastEventLine.parse(b, start, end) else { return false }
    var infoEnd = end
    while infoEnd > line.infoStart, b[infoEnd - 1] == Byte.space { infoEnd -= 1 }
    guard line.infoStart < infoEnd else { return false }
    let name = b[line.nameStart..<line.nameEnd]
    return !excludedNames.contains { $0.elementsEqual(name) }
  }

  private static let excludedNames = ["kernel_stack", "user_stack", "funcgraph_entry", "funcgraph_exit"].map {
    Array($0.utf8)
  }
}

/// The number of lines before a byte range of a file, counted once, when an error location
/// first needs it (counting a 2 GB file's lines costs a few hundred milliseconds).
final class LineBase: Sendable {
  let path: String
  let offset: Int
  private let cache = Mutex<Int?>(nil)

  init(path: String, offset: Int) {
    self.path = path
    self.offset = offset
  }

  /// The lines before ``offset`` (0 if the file cannot be read again: the location then
  /// counts from the range's start).
  var lines: Int {
    cache.withLock { cached in
      if let cached { return cached }
      let counted = (try? ByteChannel.countLines(in: path, before: offset)) ?? 0
      cached = counted
      return counted
    }
  }
}

extension SkippedLines {
  /// Adds the lines a later stream skipped: the counts add up, the first error stays the
  /// earliest one in file order.
  mutating func add(_ later: SkippedLines) {
    count += later.count
    if first == nil { first = later.first }
  }
}
