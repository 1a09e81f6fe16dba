/// Why a live capture cannot run here, with what the user should do about it (one line).
public enum LiveCaptureError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Not running as root.
  case notRoot
  /// No tracefs mounted anywhere.
  case tracefsNotMounted
  /// tracefs is reachable only through debugfs.
  case tracefsOnlyAtDebugfs(String)
  /// Neither ipi tracepoints nor kprobes on the send functions can be used; the reasons per source.
  case noIPISource(String)
  /// An instance of this run's name exists already (another pokestat with a recycled pid?).
  case instanceExists(String)
  /// A sysctl given to `--flip` does not exist or cannot be written.
  case sysctl(name: String, reason: String)

  public var description: String {
    switch self {
    case .notRoot:
      return "pokestat record needs root to use tracefs: run it with sudo"
    case .tracefsNotMounted:
      return "tracefs is not mounted: run `mount -t tracefs nodev /sys/kernel/tracing` and try again"
    case .tracefsOnlyAtDebugfs(let path):
      return "tracefs is mounted only at \(path): run `mount -t tracefs nodev /sys/kernel/tracing` and try again"
    case .noIPISource(let reasons):
      return "no source of IPI events on this kernel (\(reasons)): it needs the ipi:* tracepoints (6.3+) or kprobe_events"
    case .instanceExists(let name):
      return "tracefs instance \(name) exists already: run `pokestat record --cleanup` and try again"
    case .sysctl(let name, let reason):
      return "--flip: sysctl \(name) \(reason)"
    }
  }
}
