import Foundation
import SystemPackage
import TraceModel

/// `pokestat record --int3`: samples every CPU with `cycles` and kernel call chains during the
/// capture, so the analysis can count samples that land in the int3 handler.
///
/// Only a hardware PMU can: `cycles` overflows raise an NMI, which also lands while interrupts
/// are off. `cpu-clock` samples come from a timer interrupt, which cannot fire inside the int3
/// handler (an exception that runs with interrupts disabled): its share there is always 0, so
/// without a PMU no int3 count is given at all (``Unavailable``), never a 0.
public final class Int3Sampling {  // not Sendable: started and finished by one thread
  /// Why sampling cannot give int3 counts here, in one line.
  public struct Unavailable: Error, Hashable, Sendable, CustomStringConvertible {
    /// What perf_event_open said.
    public var cause: String
    public var description: String {
      "--int3: no hardware PMU event here (\(cause)); cpu-clock cannot sample inside the int3 handler (it runs with interrupts off), so no int3 count is given"
    }
    public init(cause: String) { self.cause = cause }
  }

  /// What ``finish()`` returns.
  public struct Result: Sendable {
    public var samples: [PerfSample]
    /// Samples the kernel reported lost (PERF_RECORD_LOST).
    public var lost: Int
  }

  private let buffers: [PerfSampleBuffer]
  private var comms: [Int32: String] = [:]

  /// Opens `cycles` on every CPU in `cpus` at `frequency` samples per second.
  ///
  /// - Throws: ``Unavailable`` when the machine has no hardware cycles event (ENOENT,
  ///   ENODEV, EOPNOTSUPP: VMs without a virtual PMU, QEMU TCG guests), or a
  ///   ``NativeTraceError`` for other failures (EACCES: perf_event_paranoid).
  public init(cpus: [Int], frequency: UInt64 = 4000) throws {
    var opened: [PerfSampleBuffer] = []
    for cpu in cpus {
      do {
        opened.append(try PerfSampleBuffer(cpu: cpu, hardware: true, frequency: frequency))
      } catch {
        if [.noSuchFileOrDirectory, .operationNotSupportedByDevice, .notSupportedOnSocket].contains(error.errno) {
          throw Unavailable(
            cause: "perf_event_open(PERF_COUNT_HW_CPU_CYCLES) on cpu\(cpu): \(error.errno)")
        }
        throw error
      }
    }
    buffers = opened
  }

  public func start() { for buffer in buffers { buffer.setEnabled(true) } }

  /// Stops sampling and reads every CPU's samples, in time order; tasks not named by a
  /// PERF_RECORD_COMM get their name from /proc/<tid>/comm when they still exist.
  public func finish() -> Result {
    var samples: [PerfSample] = []
    var lost = 0
    for buffer in buffers {
      buffer.setEnabled(false)
      let drained = buffer.drain(comms: &comms)
      samples += drained.samples
      lost += drained.lost
    }
    for index in samples.indices where samples[index].comm.isEmpty {
      let tid = samples[index].tid
      if comms[tid] == nil {
        comms[tid] =
          tid == 0
          ? "swapper"
          : (try? String(contentsOfFile: "/proc/\(tid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
      }
      samples[index].comm = comms[tid] ?? ""
    }
    samples.sort { ($0.timeNanoseconds, $0.cpu) < ($1.timeNanoseconds, $1.cpu) }
    return Result(samples: samples, lost: lost)
  }
}
