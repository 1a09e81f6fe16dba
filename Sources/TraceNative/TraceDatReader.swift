import Dispatch
import Foundation
import Synchronization
import TraceModel

/// Reads trace.dat files (versions 6 and 7; uncompressed, zstd or zlib; any number of CPUs and
/// buffers) as one independent ``EventStream`` per CPU and buffer.
///
/// The container is read by pokestat's own code (``TraceDatLayout``); event formats and
/// ring-buffer pages are walked by ``RingBufferPage`` (kbuffer's walk, in Swift) and event
/// formats decoded by libtraceevent (`tep_*`). Streams can be read
/// from different tasks at once: each owns its file descriptor and libtraceevent handles.
///
/// ```swift
/// let trace = try TraceDatReader(path: "trace.dat")
/// try trace.forEachEventInTimeOrder(fields: .all) { print($0.name) }
/// ```
public struct TraceDatReader: EventSource, Sendable {
  public let metadata: TraceMetadata
  let layout: TraceDatLayout
  /// The decompressed copy of a gzip or zstd file, removed when the last copy of this reader goes.
  let decompressedCopy: TemporaryTraceFile?
  /// (buffer index, CPU index within the buffer) of each stream; CPUs without data are left out.
  let streamPlaces: [(buffer: Int, cpu: Int)]
  /// Whether a `kernel_stack` record is folded into the event before it (as its ``TraceEvent/stack``).
  public var attachesStacks: Bool
  /// Told the bytes of CPU data read by every stream opened after it is set (total:
  /// ``dataBytes``).
  public var progress: ReadProgress?

  /// Bytes of CPU data (ring-buffer pages, compressed in v7) of all streams.
  public var dataBytes: Int {
    streamPlaces.reduce(0) { $0 + layout.buffers[$1.buffer].cpus[$1.cpu].size }
  }

  /// Bytes of CPU data (ring-buffer pages, compressed in v7) of stream `index`.
  func streamDataSize(_ index: Int) -> Int {
    let place = streamPlaces[index]
    return layout.buffers[place.buffer].cpus[place.cpu].size
  }

  /// Opens a trace.dat file and reads its container and metadata.
  ///
  /// - Throws: ``TraceParseError`` (bad magic, unknown version or compression, truncated,
  ///   section past the end, corrupt compressed metadata) or ``NativeTraceError``.
  ///
  /// - Parameters:
  ///   - readsSymbols: whether ``TraceMetadata/symbols`` is built from the trace's kallsyms
  ///     (stacks and kprobe addresses are resolved through it), and the architecture of a file
  ///     without UNAME inferred from them (``TraceMetadata/inferredArchitecture``). `dump` passes false: its
  ///     printer resolves through libtraceevent's own copy, and the table costs about 20 MB on
  ///     a 7 MB kallsyms.
  public init(path: String, attachesStacks: Bool = true, readsSymbols: Bool = true) throws {
    // A gzip or zstd trace.dat is read from a decompressed copy (TemporaryTraceFile); errors
    // name the user's file, "(decompressed)", with offsets in the decompressed bytes.
    decompressedCopy = try TemporaryTraceFile.decompressingIfNeeded(path)
    let shownPath = decompressedCopy == nil ? path : "\(path) (decompressed)"
    do {
      var layout = try TraceDatLayout.read(try FileBytes(path: decompressedCopy?.path ?? path))
      if let copy = decompressedCopy {
        layout.dataPath = copy.path
        layout.file = shownPath
      }
      self.layout = layout
    } catch var error as TraceParseError {
      error.location.file = shownPath
      throw error
    }
    self.attachesStacks = attachesStacks
    var places: [(Int, Int)] = []
    for (bufferIndex, buffer) in layout.buffers.enumerated() {
      for (cpuIndex, cpu) in buffer.cpus.enumerated() where cpu.size > 0 { places.append((bufferIndex, cpuIndex)) }
    }
    streamPlaces = places
    let compression = layout.version == 7 ? " \(layout.compression.rawValue)" : ""
    let nanoseconds = ["local", "global", "uptime", "perf", "mono", "mono_raw", "boot", "tai"]
    let clock = layout.buffers.first?.clock.flatMap { $0.isEmpty ? nil : $0 } ?? layout.traceClock
    var metadata = TraceMetadata(
      file: path, formatDescription: "trace.dat v\(layout.version)\(compression)",
      cpuCount: layout.cpuCount ?? layout.buffers.map { $0.cpus.count }.max(),
      uname: layout.uname, clock: clock,
      clockIsNanoseconds: clock.map { nanoseconds.contains($0) } ?? true,
      buffers: layout.buffers.map(\.name),
      symbols: SymbolTable(),
      droppedPerCPU: layout.droppedPerCPU)
    if readsSymbols {
      // The symbol table and the architecture inference each read all of kallsyms: on two cores.
      let (kallsyms, longSize) = (layout.kallsyms, layout.pageHeader.commitSize)
      let infers = metadata.architecture == nil
      let built = Mutex<(symbols: SymbolTable, architecture: TraceMetadata.InferredArchitecture?)>((SymbolTable(), nil))
      DispatchQueue.concurrentPerform(iterations: infers ? 2 : 1) { job in
        if job == 0 {
          let symbols = kallsyms.withUnsafeBufferPointer { SymbolTable(kallsymsBytes: $0) }
          built.withLock { $0.symbols = symbols }
        } else {
          let architecture = ArchitectureInference.infer(kallsyms: kallsyms, longSize: longSize)
          built.withLock { $0.architecture = architecture }
        }
      }
      (metadata.symbols, metadata.inferredArchitecture) = built.withLock { $0 }
    }
    self.metadata = metadata
  }

  /// What `EventFormatCheck` changed before libtraceevent saw the formats, one line per
  /// event: a print fmt dropped (a field it names is missing, a bad conversion, unbalanced
  /// brackets, division by anything but a nonzero constant, control bytes): those events are
  /// read, and `dump` prints them through their plugin or as `[FAILED TO PARSE]`; or a format
  /// withheld whole (no `format:` line, malformed field lines, no common fields): those
  /// events are read as of an unknown type (`unknown:<id>`, no fields), and `dump` prints them
  /// as `[FAILED TO PARSE]`, as trace-cmd does. The CLI prints each once, on success only.
  public var formatWarnings: [String] { layout.formatWarnings }

  /// trace.dat file version (6 or 7).
  public var fileVersion: Int { layout.version }
  /// The compression named in a v7 header (`none`, `zstd`, `zlib`).
  public var compressionName: String { layout.compression.rawValue }

  public var streamCount: Int { streamPlaces.count }

  /// The buffer name and CPU number of a stream.
  public func streamPlace(_ index: Int) -> (buffer: String, cpu: Int) {
    let place = streamPlaces[index]
    return (layout.buffers[place.buffer].name, layout.buffers[place.buffer].cpus[place.cpu].cpu)
  }

  public func stream(_ index: Int, fields: FieldSelection) throws -> Stream {
    let place = streamPlaces[index]
    let decoder = try CPUStreamDecoder(
      layout: layout, bufferIndex: place.buffer, cpuIndex: place.cpu, fields: fields,
      forPrinting: false, symbols: metadata.symbols)
    decoder.progress = progress
    decoder.readAheadThreads = readAheadThreads(stream: index)
    return Stream(decoder: decoder, attachesStacks: attachesStacks)
  }

  /// Threads that decompress stream `index`'s chunks ahead of its decoder in a time-ordered
  /// read: 0 for uncompressed data, and when the streams outnumber the cores four to one (their
  /// decoders keep every core busy, and a thread each would be hundreds); else one per core's
  /// share of the compressed data this stream holds, rounded up, at most 4 (a trace whose
  /// events sit on one CPU decompresses that CPU's chunks on every core; 64 even CPUs on 64
  /// cores get one each).
  func readAheadThreads(stream index: Int) -> Int {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard layout.compression != .none, dataBytes > 0, streamCount <= 4 * cores else { return 0 }
    let share = Double(streamDataSize(index)) / Double(dataBytes) * Double(cores)
    return max(1, min(4, Int(share.rounded(.up))))
  }

  /// The events of one CPU of one buffer, in the order the ring buffer recorded them.
  public struct Stream: EventStream {
    let decoder: CPUStreamDecoder
    let attachesStacks: Bool
    var pending: TraceEvent?

    init(decoder: CPUStreamDecoder, attachesStacks: Bool) {
      self.decoder = decoder
      self.attachesStacks = attachesStacks
    }

    /// Records read but not returned: outside a `.only` selection, or `kernel_stack` records
    /// folded into the event before them.
    public var skippedEvents: Int { decoder.skippedEvents + foldedStacks }
    var foldedStacks = 0

    public mutating func next() throws -> TraceEvent? {
      guard var event = try pending ?? decoder.nextEvent() else { return nil }
      pending = nil
      guard attachesStacks, !(event.name == "kernel_stack" && event.system == "ftrace") else { return event }
      if let following = try decoder.nextEvent() {
        if following.name == "kernel_stack", following.system == "ftrace", following.pid == event.pid {
          event.stack = following.stack
          foldedStacks += 1
        } else {
          pending = following
        }
      }
      return event
    }
  }
}
