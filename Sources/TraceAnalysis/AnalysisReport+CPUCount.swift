import TraceModel

extension AnalysisReport {
  /// The most CPUs a Linux kernel can have (``TraceMetadata/maximumCPUs``).
  public static let maximumCPUs = TraceMetadata.maximumCPUs

  /// Throws when the report's CPU count (the trace's header, or the highest CPU number seen
  /// plus one) is more than any kernel has: a damaged header or CPU column. Renderers and the
  /// check walk every CPU, so such a count would cost gigabytes instead of an error.
  public func checkCPUCount() throws(TraceParseError) {
    guard cpus > Self.maximumCPUs else { return }
    throw TraceParseError(
      reason: .invalidValue(what: "CPU count", found: "\(cpus) (from the trace's header or its highest CPU number; Linux has at most \(Self.maximumCPUs))"),
      location: InputLocation(file: file))
  }
}
