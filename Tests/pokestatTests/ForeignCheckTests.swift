import Foundation
import Testing
import TraceTestSupport

/// `pokestat check` on every foreign trace.dat: the verdict and exit status its architecture
/// gives (docs/formats.md, *Architecture without a uname*), the architecture taken from the
/// uname or inferred from kallsyms and said so, and `--arch` against the trace's own (issue 11,
/// gaps E and I).
@Suite struct ForeignCheckTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var path: String
    var architecture: String
    /// Nil: from the uname; else the kallsyms symbol the inference names.
    var inferredFrom: String?
    var status: Int32
    var verdict: String
    var testDescription: String { path }
  }

  static let cases: [Case] = [
    Case(path: "foreign/tracedat/i686-buildroot-4.13.9-1cpu.v6.dat.gz", architecture: "i686", inferredFrom: nil, status: 1, verdict: "no-batches"),
    Case(path: "foreign/tracedat/i686-buildroot-4.13.9-4cpu.v6.dat.gz", architecture: "i686", inferredFrom: nil, status: 1, verdict: "no-batches"),
    Case(path: "foreign/tracedat/i686-buildroot-4.13.9-listen.v6.dat.gz", architecture: "i686", inferredFrom: "entry_INT80_32", status: 1, verdict: "no-batches"),
    Case(path: "foreign/tracedat/armv7l-rpi-4.14.62-4cpu.v6.dat.gz", architecture: "armv7l", inferredFrom: nil, status: 2, verdict: "no-rules"),
    Case(path: "foreign/tracedat/armv7l-wega-4.14.15.v6.dat.gz", architecture: "armv7l", inferredFrom: nil, status: 2, verdict: "no-rules"),
    Case(path: "foreign/tracedat/arm32-lisa-8cpu.v6.dat.gz", architecture: "armv7l", inferredFrom: "cpu_v7_proc_init", status: 2, verdict: "no-rules"),
    Case(path: "foreign/tracedat/arm64-lisa-6cpu.v6.dat.gz", architecture: "aarch64", inferredFrom: "el0_sync", status: 1, verdict: "no-batches"),
    Case(path: "foreign/tracedat/arm64-lisa-idle.v6.dat.gz", architecture: "aarch64", inferredFrom: "el0_sync", status: 1, verdict: "no-batches"),
    Case(path: "foreign/tracedat/x86_64-vbox-5.15-tc314.v7zstd.dat", architecture: "x86_64", inferredFrom: nil, status: 1, verdict: "no-batches"),
  ]

  @Test("the list covers every foreign trace.dat")
  func coversEveryFile() {
    let files = (Fixtures.files(in: "foreign/tracedat", suffix: ".dat") + Fixtures.files(in: "foreign/tracedat", suffix: ".dat.gz")).sorted()
    #expect(files == Self.cases.map(\.path).sorted())
  }

  @Test("check gives the verdict of the trace's architecture; an inferred one is said to be", arguments: cases)
  func check(_ fixture: Case) throws {
    // The .dat.gz files as they are stored: check reads gzip trace.dat itself.
    let result = try CommandLine.run(["check", "fixtures/" + fixture.path])
    #expect(result.status == fixture.status, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("verdict: \(fixture.verdict)"), "\(result.stdout)")
    if fixture.status == 2 {
      // One line on standard error, naming the architecture.
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].contains("no rules for \(fixture.architecture)"), "\(result.stderr)")
      #expect(!result.stderr.contains("--arch x86_64 or --arch aarch64"))
    } else {
      #expect(result.stderr.isEmpty, "\(result.stderr)")
    }
    let json = try CommandLine.run(["check", "--json", "fixtures/" + fixture.path])
    let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(report["architecture"] as? String == fixture.architecture)
    let analyze = try CommandLine.run(["analyze", "--json", "fixtures/" + fixture.path])
    let analysis = try #require(try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])
    #expect(analysis["architecture"] as? String == fixture.architecture)
    if let symbol = fixture.inferredFrom {
      let evidence = try #require(analysis["architecture_inferred_from"] as? String)
      #expect(evidence.contains("kallsyms \(symbol)"), "\(evidence)")
      #expect(result.stdout.contains("inferred from kallsyms \(symbol)"), "\(result.stdout)")
    } else {
      #expect(analysis["architecture_inferred_from"] == nil)
    }
  }

  @Test("--arch against the trace's own architecture is honoured, with a note saying what the trace says")
  func archContradiction() throws {
    let wega = "fixtures/foreign/tracedat/armv7l-wega-4.14.15.v6.dat.gz"
    let forced = try CommandLine.run(["check", "--arch", "x86_64", wega])
    #expect(forced.status == 1, "\(forced.stdout)\(forced.stderr)")
    #expect(forced.stdout.contains("check \(wega): x86_64,"), "\(forced.stdout)")
    #expect(forced.stdout.contains("note: --arch x86_64 applied as given, but the trace's own architecture is armv7l (its uname)"), "\(forced.stdout)")
    // Inferred: the arm32 LISA trace, forced to aarch64 rules.
    let lisa = try CommandLine.run(["check", "--arch", "aarch64", "fixtures/foreign/tracedat/arm32-lisa-8cpu.v6.dat.gz"])
    #expect(lisa.stdout.contains("note: --arch aarch64 applied as given, but the trace's own architecture is armv7l (inferred from kallsyms cpu_v7_proc_init"), "\(lisa.stdout)")
    // The same family is no contradiction.
    let same = try CommandLine.run(["check", "--arch", "x86_64", "fixtures/foreign/tracedat/i686-buildroot-4.13.9-1cpu.v6.dat.gz"])
    #expect(!same.stdout.contains("note: --arch"), "\(same.stdout)")
  }
}
