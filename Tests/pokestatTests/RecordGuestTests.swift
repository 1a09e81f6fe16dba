import Foundation
import Testing
import TraceTestSupport

/// `pokestat record` inside a QEMU guest running Debian bookworm's 6.1 cloud kernel (2 vCPUs,
/// software emulation), booted by scripts/lab/run-guest2.sh (MODE=record RECORDQUICK=1): the
/// trace it brings back must analyze to the counts scripts/lab/expected-record.py makes from
/// `trace-cmd report` of the same file, without pokestat.
///
/// `make test` installs qemu-system-x86, busybox-static and cpio and downloads the kernel
/// package into .build/lab/debs (`make guest-deps`). Without qemu the test skips, saying so,
/// except when `CI` is set.
enum Guest {
  static let qemu = "qemu-system-x86_64"
  static var work: URL { Fixtures.repositoryRoot.appendingPathComponent(".build/lab") }
  static var isAvailable: Bool {
    Fixtures.which(qemu) != nil && FileManager.default.fileExists(atPath: "/bin/busybox")
      && Fixtures.which("cpio") != nil
      && Fixtures.which("trace-cmd") != nil
  }
  static let trait = ConditionTrait.enabled(
    if: isAvailable || Fixtures.isCI,
    "needs qemu-system-x86_64, /bin/busybox (busybox-static), cpio and trace-cmd: run `make guest-deps` (make test does)"
  )

  /// The `@@@BEGIN name` … `@@@END name` block of a console log.
  static func section(_ name: String, of log: String) -> [Substring] {
    let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
    guard let start = lines.firstIndex(of: "@@@BEGIN \(name)"[...]),
      let end = lines[start...].firstIndex(of: "@@@END \(name)"[...])
    else { return [] }
    return Array(lines[(start + 1)..<end])
  }

  /// Runs a tool to completion, returning its status and standard output (stderr to `log`).
  static func run(
    _ tool: String, _ arguments: [String], environment: [String: String] = [:], log: URL? = nil
  ) throws -> (
    status: Int32, stdout: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.currentDirectoryURL = Fixtures.repositoryRoot
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    process.standardOutput = output
    if let log {
      FileManager.default.createFile(atPath: log.path, contents: nil)
      process.standardError = try FileHandle(forWritingTo: log)
    }
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}

@Suite(.serialized, Guest.trait) struct RecordGuestTests {
  @Test(
    "record inside a bookworm 6.1 guest (2 vCPUs): kprobes in group pokestat_<pid> read, counts equal trace-cmd report's"
  )
  func recordInGuest() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent(
      "pokestat-guest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: out) }
    let base = out.appendingPathComponent("bookworm-amd64-smp2").path
    let boot = try Guest.run(
      "bash", ["scripts/lab/run-guest2.sh", "2", base],
      environment: [
        "SUITE": "bookworm", "ARCH": "amd64", "MODE": "record", "RECORDQUICK": "1",
        "POKESTAT": CommandLine.binary.path,
        "WORK": Guest.work.path, "TIMEOUT": "400",
      ], log: out.appendingPathComponent("boot.stderr"))
    let log = (try? String(contentsOfFile: base + "-record.console.log", encoding: .utf8)) ?? ""
    #expect(boot.status == 0, "run-guest2.sh: \(boot.stdout.suffix(2000))")

    // The capture ran (1 is the check's verdict, which another task in the guest can cause),
    // read the kprobes it made and restored everything.
    let record = Guest.section("record", of: log).joined(separator: "\n")
    let status = log.split(separator: "\n").first { $0.hasPrefix("@@@INFO record rc=") }.map {
      String($0.dropFirst(18))
    }
    #expect(status == "0" || status == "1", "record: \(record.suffix(3000))")
    #expect(
      record.contains("source + kprobe:text_poke_bp_batch nr_entries=%si:u32: enabled"),
      "\(record.prefix(3000))")
    #expect(
      record.contains("source + kprobe:native_send_call_func_single_ipi cpu=%di:s32: enabled"))
    #expect(
      record.contains("source - function_graph:"),
      "6.1 instances cannot run function_graph: the output says so")
    #expect(
      Guest.section("leftovers", of: log).map(String.init) == ["0"],
      "no instance, no kprobe, bpf_stats_enabled back to 0")

    // The independent numbers, from trace-cmd report of the returned file.
    let trace = base + "-record.rec.dat"
    #expect(FileManager.default.fileExists(atPath: trace), "the guest brought no trace back")
    let script = try Guest.run("python3", ["scripts/lab/expected-record.py", trace])
    try #require(script.status == 0)
    let expected = try #require(
      try JSONSerialization.jsonObject(with: Data(script.stdout.utf8)) as? [String: Any])
    let flips = try #require(expected["flips"] as? Int)
    let batches = try #require(expected["batches"] as? Int)
    #expect(flips == 6, "3 times 1,0")
    #expect(batches >= flips, "each bpf_stats_enabled flip patches text: \(expected)")
    #expect(expected["batch_returns"] as? Int == batches)

    let analyze = try CommandLine.run(["analyze", "--json", trace])
    #expect(analyze.status == 0, "\(analyze.stderr)")
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [String: Any])
    let ipi = try #require(json["ipi"] as? [String: Any])
    let textPoke = try #require(json["text_poke"] as? [String: Any])
    let observed = try #require(textPoke["batches"] as? [[String: Any]])
    #expect(observed.count == batches)
    #expect(
      observed.map { $0["entries"] as? Int }
        == (expected["entries"] as? [Int])?.map { Optional($0) })
    #expect(
      observed.allSatisfy {
        $0["duration_source"] as? String == "kprobe" && $0["duration_ns"] is Int
      })
    #expect(ipi["sent"] as? Int == expected["ipis_sent"] as? Int)
    #expect(ipi["received"] as? Int == expected["received"] as? Int)
    #expect(
      ipi["received_per_cpu"] as? [String: Int] == expected["received_per_cpu"] as? [String: Int])
    #expect(textPoke["syncs"] as? Int == expected["text_poke_syncs"] as? Int)
    #expect(textPoke["ipis_sent"] as? Int == expected["text_poke_ipis"] as? Int)
    #expect((json["flips"] as? [Any])?.count == flips)
    #expect(json["architecture"] as? String == "x86_64")
  }
}
