/// Where tracefs is on this machine, checked before anything is changed.
public enum TracingEnvironment {
  /// The standard tracefs mount point.
  public static let standardMountPoint = "/sys/kernel/tracing"

  /// Checks root and tracefs; returns the tracefs directory to use.
  ///
  /// - Throws: ``LiveCaptureError`` `.notRoot`, `.tracefsNotMounted` or
  ///   `.tracefsOnlyAtDebugfs`, each saying what to do.
  public static func check() throws(LiveCaptureError) -> String {
    guard TracefsFiles.effectiveUserID == 0 else { throw .notRoot }
    let mounts = (try? TracefsFiles.readText("/proc/mounts")) ?? ""
    var points: [String] = []
    for line in mounts.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count >= 3, fields[2] == "tracefs" { points.append(String(fields[1])) }
    }
    if points.contains(standardMountPoint), TracefsFiles.exists(standardMountPoint + "/instances") {
      return standardMountPoint
    }
    if let other = points.first(where: { $0.hasSuffix("/debug/tracing") }) ?? points.first {
      throw .tracefsOnlyAtDebugfs(other)
    }
    throw .tracefsNotMounted
  }
}
