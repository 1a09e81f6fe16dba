extension TraceMetadata {
  /// The most CPUs a Linux kernel can have: `NR_CPUS` with `CONFIG_MAXSMP`
  /// (`CONFIG_NR_CPUS_RANGE_END`, arch/x86/Kconfig; arm64 allows 4096). A CPU number or count
  /// past it in a trace is damage, and readers refuse it rather than size tables by it.
  public static let maximumCPUs = 8192
}
