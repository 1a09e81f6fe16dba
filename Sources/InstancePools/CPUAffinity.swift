#if canImport(Glibc)
  import Glibc
#endif

/// The CPUs this process may run on, and pinning of the calling thread to one of them.
///
/// Swift's Glibc module is built without `_GNU_SOURCE`, so `sched_getaffinity` and
/// `pthread_setaffinity_np` are not visible to Swift; they are looked up once with `dlsym`
/// (both are in libc) instead of adding a C target. `cpu_set_t` is visible and is filled bit
/// by bit, as the `CPU_SET` macro would.
public enum CPUAffinity {
  #if canImport(Glibc)
    private typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    private typealias SetThreadAffinity = @convention(c) (pthread_t, Int, UnsafeRawPointer) -> Int32

    private static let getAffinity: GetAffinity? = dlsym(nil, "sched_getaffinity").map {
      unsafeBitCast($0, to: GetAffinity.self)
    }
    private static let setThreadAffinity: SetThreadAffinity? = dlsym(nil, "pthread_setaffinity_np").map {
      unsafeBitCast($0, to: SetThreadAffinity.self)
    }
  #endif

  /// The CPUs in the process's affinity mask (`sched_getaffinity`), ascending; when that fails,
  /// `0..<online CPUs` (`sysconf(_SC_NPROCESSORS_ONLN)`).
  public static func allowedCPUs() -> [Int] {
    #if canImport(Glibc)
      var set = cpu_set_t()
      let size = MemoryLayout<cpu_set_t>.size
      if let getAffinity, withUnsafeMutableBytes(of: &set, { getAffinity(0, size, $0.baseAddress!) }) == 0 {
        let cpus = withUnsafeBytes(of: &set) { bytes in
          (0..<(bytes.count * 8)).filter { bytes[$0 / 8] & (1 << ($0 % 8)) != 0 }
        }
        if !cpus.isEmpty { return cpus }
      }
    #endif
    return Array(0..<max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
  }

  /// Pins the calling thread to `cpu` with `pthread_setaffinity_np`; returns whether it worked.
  @discardableResult
  public static func pinCurrentThread(toCPU cpu: Int) -> Bool {
    #if canImport(Glibc)
      var set = cpu_set_t()
      let size = MemoryLayout<cpu_set_t>.size
      guard let setThreadAffinity, cpu >= 0, cpu < size * 8 else { return false }
      withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1 << (cpu % 8)) }
      return withUnsafeBytes(of: &set) { setThreadAffinity(pthread_self(), size, $0.baseAddress!) } == 0
    #else
      return false
    #endif
  }
}
