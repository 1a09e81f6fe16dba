// Unsafe code: a perf ring buffer mapped with mmap(2).
//
// Invariant: `PerfSampleBuffer` owns the mapping (`mmap` in init, `munmap` in deinit) and the
// descriptor. `base` never leaves the object: `drain` copies the data area into an array
// (indices taken modulo its size) before parsing it, and the head and tail are read and
// written with the atomics of `ctracefs_perf_data_*`.

import CTraceFS
import SystemPackage
import TraceModel

#if canImport(Glibc)
  import Glibc
#endif

/// One CPU's perf sampling event and its mapped ring buffer, owning the fd and the mapping.
///
/// Opened with `perf_event_open(2)` (through `ctracefs_perf_open_sampling`), mapped with
/// `mmap(2)` (one metadata page and `2^n` data pages), read after `PERF_EVENT_IOC_DISABLE`.
/// Records are parsed from a bounds-checked copy of the data area: PERF_RECORD_SAMPLE (IP,
/// TID, TIME, CPU, CALLCHAIN), PERF_RECORD_COMM and PERF_RECORD_LOST.
final class PerfSampleBuffer {  // not Sendable: one owner
  let cpu: Int
  let event: String
  private let fd: Int32
  private let base: UnsafeMutableRawPointer
  private let pageSize: Int
  private let dataSize: Int

  /// Opens the event on `cpu`: `cycles` when `hardware`, else `cpu-clock`.
  ///
  /// - Throws: ``NativeTraceError`` naming `perf_event_open` (ENOENT: no such PMU event here)
  ///   or `mmap`.
  init(cpu: Int, hardware: Bool, frequency: UInt64, dataPages: Int = 256) throws(NativeTraceError) {
    self.cpu = cpu
    event = hardware ? "cycles" : "cpu-clock"
    let fd = try SystemCall.retryingOnInterrupt("perf_event_open", path: "cpu\(cpu) \(event)") {
      ctracefs_perf_open_sampling(Int32(cpu), hardware ? 1 : 0, frequency)
    }
    pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    dataSize = pageSize * dataPages
    let mapSize = pageSize + dataSize
    do {
      base = try SystemCall.nonNil("mmap", path: "perf event cpu\(cpu)", orElse: .noMemory) {
        let mapped = mmap(nil, mapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        return mapped == MAP_FAILED ? nil : mapped
      }
    } catch {
      close(fd)
      throw error
    }
    self.fd = fd
  }

  deinit {
    munmap(base, pageSize + dataSize)
    close(fd)
  }

  /// Starts (`PERF_EVENT_IOC_ENABLE`) or stops sampling (`ioctl(2)`, retried on EINTR).
  ///
  /// A failure is not reported: the event then keeps its state, and a sampler that never
  /// started drains no samples.
  func setEnabled(_ on: Bool) {
    _ = try? SystemCall.retryingOnInterrupt("ioctl", path: "perf event cpu\(cpu)") { ctracefs_perf_enable(fd, on ? 1 : 0) }
  }

  /// Reads every record written since the last call; task names seen are added to `comms`.
  ///
  /// - Returns: the samples and the count of samples the kernel reported lost.
  func drain(comms: inout [Int32: String]) -> (samples: [PerfSample], lost: Int) {
    let head = ctracefs_perf_data_head(base)
    let tail = ctracefs_perf_data_tail(base)
    guard head > tail else { return ([], 0) }
    // More than the buffer holds means the head lapped the tail: keep what is there.
    let available = Int(min(head - tail, UInt64(dataSize)))
    let start = Int((head - UInt64(available)) % UInt64(dataSize))
    var bytes = [UInt8](repeating: 0, count: available)
    let data = UnsafeRawBufferPointer(start: base + pageSize, count: dataSize)
    for index in 0..<available { bytes[index] = data[(start + index) % dataSize] }
    ctracefs_perf_set_data_tail(base, head)
    return Self.parse(bytes, cpu: cpu, event: event, comms: &comms)
  }

  /// Parses perf records (`struct perf_event_header` + body) with every length checked.
  static func parse(_ bytes: [UInt8], cpu: Int, event: String, comms: inout [Int32: String]) -> (
    samples: [PerfSample], lost: Int
  ) {
    func u64(_ at: Int) -> UInt64? {
      guard at >= 0, at + 8 <= bytes.count else { return nil }
      return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
    func u32(_ at: Int) -> UInt32? {
      guard at >= 0, at + 4 <= bytes.count else { return nil }
      return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }
    var samples: [PerfSample] = []
    var lost = 0
    var offset = 0
    while let type = u32(offset), offset + 8 <= bytes.count {
      let size = Int(bytes[offset + 6]) | Int(bytes[offset + 7]) << 8
      guard size >= 8, offset + size <= bytes.count else { break }
      let body = offset + 8
      switch type {
      case 9:  // PERF_RECORD_SAMPLE: ip, pid/tid, time, cpu/res, nr, ips[nr]
        guard let pid = u32(body + 8), let tid = u32(body + 12), let time = u64(body + 16),
          let sampleCPU = u32(body + 24),
          let count = u64(body + 32), count <= UInt64(size / 8)
        else { break }
        var chain: [UInt64] = []
        for index in 0..<Int(count) {
          guard let address = u64(body + 40 + 8 * index) else { break }
          if address >= 0xffff_ffff_ffff_f000 { continue }  // PERF_CONTEXT_KERNEL / _USER markers
          chain.append(address)
        }
        samples.append(
          PerfSample(
            timeNanoseconds: time, cpu: Int(sampleCPU), pid: Int32(bitPattern: pid),
            tid: Int32(bitPattern: tid),
            comm: comms[Int32(bitPattern: tid)] ?? "", event: event, callchain: chain))
      case 3:  // PERF_RECORD_COMM: pid, tid, comm[]
        if let tid = u32(body + 4) {
          let name = bytes[min(body + 8, offset + size)..<(offset + size)].prefix { $0 != 0 }
          comms[Int32(bitPattern: tid)] = EscapedText.string(name)
        }
      case 2:  // PERF_RECORD_LOST: id, lost
        lost = lost &+ Int(clamping: u64(body + 8) ?? 0)
      default:
        break
      }
      offset += size
    }
    _ = cpu
    return (samples, lost)
  }
}
