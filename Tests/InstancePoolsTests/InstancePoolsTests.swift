import Testing

/// Every InstancePools suite, run one test at a time: the stress tests and the benchmark
/// start more spinning threads than this machine has CPUs, and running them side by side
/// only makes each one wait for the others.
@Suite("InstancePools", .serialized)
enum InstancePoolsTests {}
