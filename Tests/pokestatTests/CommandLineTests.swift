import Foundation
import Testing
import TraceTestSupport

/// Runs the built `pokestat` binary: full command lines, exit statuses and output.
struct CommandLine {
  static var binary: URL { Fixtures.pokestatBinary }

  /// Runs pokestat with `arguments`, through `launcher` (a program and its arguments that
  /// take the pokestat command line after them, e.g. `setpriv --reuid=...`) when given.
  static func run(_ arguments: [String], launcher: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = launcher.first.map { URL(fileURLWithPath: $0) } ?? binary
    process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [binary.path]) + arguments
    process.currentDirectoryURL = Fixtures.repositoryRoot
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
  }
}

@Suite struct CommandLineTests {
  @Test("analyze --json follows the contract", .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd (the oracle)"))
  func analyzeJSON() throws {
    let result = try CommandLine.run(["analyze", "--json", "fixtures/tracedat/local618-flips-stack.v7zstd.dat"])
    #expect(result.status == 0)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    for key in ["events", "lost_events", "cpus", "ipi", "text_poke", "flips", "int3"] { #expect(json[key] != nil, "\(key)") }
    let ipi = try #require(json["ipi"] as? [String: Any])
    // Independent count: trace-cmd report's ipi_send_cpu lines (one target each on 2 CPUs).
    let report = try Fixtures.traceCmdReport(Fixtures.url("tracedat/local618-flips-stack.v7zstd.dat"))
    #expect(ipi["sent"] as? Int == report.filter { $0.contains(" ipi_send_cpu: ") }.count)
    #expect((ipi["received_per_cpu"] as? [String: Int])?.keys.sorted() == ["0", "1"])
    let textPoke = try #require(json["text_poke"] as? [String: Any])
    // fixtures/tracedat/local618-flips-stack.expected (awk over trace-cmd report): tp_ipis per flip.
    let expected = try String(contentsOf: Fixtures.url("tracedat/local618-flips-stack.expected"), encoding: .utf8)
    let expectedIPIs = expected.split(separator: "\n").map { line in
      Int(line.split(separator: " ").first { $0.hasPrefix("tp_ipis=") }!.dropFirst(8))!
    }.reduce(0, +)
    #expect(textPoke["ipis_sent"] as? Int == expectedIPIs)
    let batches = try #require(textPoke["batches"] as? [[String: Any]])
    #expect(batches.count == 10)
    for batch in batches {
      for key in ["start_ns", "duration_ns", "entries", "ipis_sent", "ipis_received", "duration_source"] {
        #expect(batch.keys.contains(key), "\(key)")
      }
      #expect(batch["duration_source"] as? String == "inferred")
    }
    let flips = try #require(json["flips"] as? [[String: Any]])
    #expect(flips.count == 10)
    #expect(flips.allSatisfy { $0["key"] as? String == "bpf_stats_enabled" && $0["batches"] as? Int == 1 && $0["ipis_sent"] as? Int == 3 })
    let int3 = try #require(json["int3"] as? [String: Any])
    #expect(int3["samples"] as? Int == 0 && int3["total_samples"] as? Int == 0)
  }

  @Test("check exits 0 on a real trace and 1 on an injected extra IPI")
  func checkExitStatus() throws {
    #expect(try CommandLine.run(["check", "fixtures/tracedat/local618-flips-stack.v7zstd.dat"]).status == 0)
    let bad = try CommandLine.run(["check", "--kernel", "6.1", "fixtures/lab/injected-extra-ipi.txt"])
    #expect(bad.status == 1)
    #expect(bad.stdout.contains("batch 1 (flip 1): unattributed_ipis cpu1"))
  }

  @Test("bad input is one line on standard error and exit status 2",
        arguments: ["fixtures/bad/truncated-header.dat", "fixtures/bad/corrupt-chunk.dat", "fixtures/bad/unknown-event-id.dat", "/nonexistent/trace.dat"])
  func badInput(_ file: String) throws {
    for command in [["dump"], ["analyze"], ["check"]] {
      let result = try CommandLine.run(command + [file])
      #expect(result.status == 2, "\(command) \(file)")
      // dump streams, so it may have printed the lines before the damage; the others print nothing.
      if command != ["dump"] { #expect(result.stdout.isEmpty) }
      #expect(result.stderr.split(separator: "\n").count == 1)
      #expect(result.stderr.contains(file.hasPrefix("/") ? file : String(file.split(separator: "/").last!)))
    }
  }

  @Test("--help explains every command")
  func help() throws {
    for command in ["analyze", "check", "predict", "dump"] {
      let result = try CommandLine.run([command, "--help"])
      #expect(result.status == 0)
      #expect(result.stdout.contains("USAGE: pokestat \(command)"))
    }
  }
}

@Suite struct AnalyzeInputsTests {
  static func json(_ arguments: [String]) throws -> [String: Any] {
    let result = try CommandLine.run(arguments)
    #expect(result.status == 0, "\(result.stderr)")
    return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
  }

  @Test("perf script samples count toward int3.total_samples; cpu-clock gets the note")
  func perfScriptSamples() throws {
    // fixtures/text/perfscript-cpuclock.expected (awk): samples=141; no int3 handler frame in the file.
    let expected = try String(contentsOf: Fixtures.url("text/perfscript-cpuclock.expected"), encoding: .utf8)
    let samples = Int(expected.split(separator: "\n").first { $0.hasPrefix("samples=") }!.dropFirst(8))!
    let text = try String(contentsOf: Fixtures.url("text/perfscript-cpuclock.txt"), encoding: .utf8)
    let handlerFrames = text.split(separator: "\n").filter { $0.contains("int3_handler") }.count
    let int3 = try #require(try Self.json(["analyze", "--json", "fixtures/text/perfscript-cpuclock.txt"])["int3"] as? [String: Any])
    #expect(int3["total_samples"] as? Int == samples)
    #expect(int3["samples"] as? Int == handlerFrames)
    #expect((int3["note"] as? String)?.contains("cpu-clock") == true)
  }

  @Test("kernel log durations become batches with duration_source log (the seed's Took N usec lines)")
  func kernelLogBatches() throws {
    let textPoke = try #require(try Self.json(["analyze", "--json", "fixtures/text/dmesg-seed-textpoke.txt"])["text_poke"] as? [String: Any])
    let batches = try #require(textPoke["batches"] as? [[String: Any]])
    // shared/seeds/000: nr_entries=2 took 324 usec, 164 took 2655300, then after the patch 519 and 702.
    #expect(batches.map { $0["entries"] as? Int } == [2, 164, 2, 164])
    #expect(batches.map { $0["duration_ns"] as? Int } == [324_000, 2_655_300_000, 519_000, 702_000])
    #expect(batches.allSatisfy { $0["duration_source"] as? String == "log" })
  }
}

@Suite struct KprobesCommandTests {
  /// `misses.NAME=N` from the awk-made `.expected` beside each lab kprobe_profile fixture.
  static func expectedMisses(_ name: String) throws -> [String: Int] {
    let text = try String(contentsOf: Fixtures.url("text/kprobe_profile/\(name).expected"), encoding: .utf8)
    var misses: [String: Int] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("misses.") {
      let parts = line.dropFirst(7).split(separator: "=")
      misses[String(parts[0])] = Int(parts[1])
    }
    return misses
  }

  @Test("the kretprobe model predicts the lab's nanosleep misses from maxactive and concurrency",
        arguments: [(2, "4,12"), (4, "4,24")])
  func predictedMisses(cpus: Int, bursts: String) throws {
    // scripts/fixtures/capture-kprobe-profile.sh: phase 1 runs 4 concurrent `sleep 1`, phase 2
    // 6 x CPUs more, each burst on hrtimer_nanosleep.
    let name = "lab61-\(cpus)cpu"
    let result = try CommandLine.run([
      "kprobes", "--json", "fixtures/text/kprobe_profile/\(name).txt", "--events", "fixtures/text/kprobe_profile/\(name).events.txt",
      "--concurrency", bursts, "--on", "hrtimer_nanosleep", "--kernel", "6.1", "--cpus", String(cpus),
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let probes = try #require(json["probes"] as? [[String: Any]])
    let expected = try Self.expectedMisses(name)
    for probe in probes where (probe["name"] as? String)?.hasPrefix("pokefx_nsleep_ret") == true {
      let probeName = probe["name"] as! String
      #expect(probe["predicted_misses"] as? Int == expected[probeName], "\(probeName)")
    }
    #expect(probes.filter { $0["predicted_misses"] != nil }.count == 2)
  }
}

@Suite struct BenchPoolCommandTests {
  @Test("bench pool measures every implementation at every thread count, named as the seed names them")
  func benchPoolJSON() throws {
    let result = try CommandLine.run(["bench", "pool", "--threads", "1,2", "--seconds", "0.1", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(json["implementations"] as? [String] == ["freelist", "array", "objpool"])
    let results = try #require(json["results"] as? [[String: Any]])
    #expect(results.count == 6)
    for run in results {
      let operations = try #require(run["operations"] as? Int)
      let seconds = try #require(run["seconds"] as? Double)
      let rate = try #require(run["ops_per_second"] as? Double)
      #expect(operations > 0 && run["misses"] as? Int == 0)
      #expect(abs(rate - Double(operations) / seconds) <= rate * 1e-6)
    }
  }

  @Test("bad thread lists and implementations are usage errors naming the option, exit 2",
        arguments: [["--threads", "0,x"], ["--implementations", "freelist,stack"], ["--seconds", "0"]])
  func badOptions(arguments: [String]) throws {
    let result = try CommandLine.run(["bench", "pool"] + arguments)
    #expect(result.status == 2)
    #expect(result.stderr.hasPrefix("Error: "), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").first?.contains(arguments[0]) == true, "\(result.stderr)")
  }
}

@Suite struct LenientTests {
  @Test("a malformed line stops analyze at file:line with exit 2; --lenient skips it and says so")
  func lenient() throws {
    let lines = try String(contentsOf: Fixtures.url("lab/lab61-2cpu.txt"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let damaged = (lines[..<400] + ["this is not a trace line"] + lines[400...]).joined(separator: "\n")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-lenient-\(getpid()).txt")
    try damaged.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let strict = try CommandLine.run(["analyze", file.path])
    #expect(strict.status == 2)
    #expect(strict.stdout.isEmpty)
    #expect(strict.stderr.contains("\(file.path):401:"))
    let lenient = try CommandLine.run(["analyze", "--lenient", "--json", file.path])
    #expect(lenient.status == 0)
    let json = try #require(try JSONSerialization.jsonObject(with: Data(lenient.stdout.utf8)) as? [String: Any])
    #expect(json["skipped_lines"] as? Int == 1)
    let text = try CommandLine.run(["analyze", "--lenient", file.path])
    #expect(text.stdout.contains("--lenient: 1 malformed lines skipped."))
  }
}
