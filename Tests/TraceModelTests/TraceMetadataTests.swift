import Testing
import TraceModel

/// The architecture as the trace's uname names it (trace.dat UNAME option).
@Suite struct TraceMetadataTests {
  @Test("the machine is uname's last word (trace-cmd's UNAME, or `uname -a` text)",
        arguments: [
          // trace-cmd 3.1.6 in the project's QEMU lab (fixtures/tracedat/lab61-*.dat)
          ("Linux (none) 6.1.0-56-cloud-amd64 x86_64", "x86_64"),
          ("Linux vm 6.18.44-fc-v657 x86_64", "x86_64"),
          ("Linux raspberrypi 5.10.103-v7l+ #1529 SMP Tue Mar 8 12:24:00 GMT 2022 armv7l GNU/Linux", "armv7l"),
          ("Linux (none) 6.1.0-57-cloud-arm64 aarch64", "aarch64"),
        ])
  func machine(_ uname: String, _ machine: String) {
    #expect(TraceMetadata(file: "t", formatDescription: "x", uname: uname).architecture == machine)
  }

  @Test("no uname, or too few words: unknown")
  func unknown() {
    #expect(TraceMetadata(file: "t", formatDescription: "x").architecture == nil)
    #expect(TraceMetadata(file: "t", formatDescription: "x", uname: "Linux").architecture == nil)
  }
}
