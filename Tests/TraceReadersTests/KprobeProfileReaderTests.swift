import Foundation
import Testing
import TraceModel
import TraceReaders
import TraceTestSupport

/// `kprobe_profile` fixtures recorded on the lab 6.1 kernel by
/// scripts/fixtures/capture-kprobe-profile.sh; expected counts from its awk (`expected` mode).
@Suite("KprobeProfileReader")
struct KprobeProfileReaderTests {
  static let profiles = Fixtures.files(in: "text/kprobe_profile", suffix: ".txt")
    .filter { !$0.hasSuffix(".events.txt") }

  @Test("every fixture matches its awk counts", arguments: profiles)
  func matchesExpected(_ fixture: String) throws {
    let (profile, skipped) = try KprobeProfileReader.read(path: Fixtures.url(fixture).path)
    let expected = try TestFiles.expected(String(fixture.dropFirst("text/".count).dropLast(".txt".count)))
    #expect(skipped.count == 0)
    #expect(profile.entries.count == Int(expected["probes"]!))
    #expect(profile.totalHits == UInt64(expected["total_hits"]!))
    #expect(profile.totalMisses == UInt64(expected["total_misses"]!))
    for entry in profile.entries {
      #expect(entry.hits == UInt64(expected["hits.\(entry.name)"]!), "\(entry.name)")
      #expect(entry.misses == UInt64(expected["misses.\(entry.name)"]!), "\(entry.name)")
    }
  }

  @Test("kretprobes with maxactive 2 miss more than the default 10 under 24 sleepers")
  func kretprobeMisses() throws {
    let path = Fixtures.url("text/kprobe_profile/lab61-4cpu.txt").path
    let profile = try KprobeProfileReader.read(path: path).profile
    let calls = try #require(profile[probe: "pokefx_nsleep"])
    let ret10 = try #require(profile[probe: "pokefx_nsleep_ret"])
    let ret2 = try #require(profile[probe: "pokefx_nsleep_ret2"])
    // Every sleep returned before the capture, so each kretprobe saw every call: hit or missed.
    #expect(ret10.hits + ret10.misses == calls.hits)
    #expect(ret2.hits + ret2.misses == calls.hits)
    #expect(ret2.misses > ret10.misses)
    #expect(ret10.missRatio == Double(ret10.misses) / Double(calls.hits))
    #expect(profile[probe: "pokefx_open"]?.missRatio == 0)
    #expect(profile.entries.map(\.line) == Array(1...6))
  }

  @Test("reads the maxactive of each kretprobe from the saved kprobe_events")
  func definitions() throws {
    let path = Fixtures.url("text/kprobe_profile/lab61-2cpu.events.txt").path
    let definitions = try KprobeProfileReader.readDefinitions(path: path)
    #expect(definitions.map(\.event) == [
      "pokefx_open", "pokefx_open_ret", "pokefx_open_ret2", "pokefx_nsleep", "pokefx_nsleep_ret", "pokefx_nsleep_ret2",
    ])
    #expect(definitions.map(\.kind) == [.kprobe, .kretprobe, .kretprobe, .kprobe, .kretprobe, .kretprobe])
    #expect(definitions.map(\.maxActive) == [nil, 10, 2, nil, 10, 2])
    #expect(definitions[0].group == "kprobes")
    #expect(definitions[0].target == "do_sys_openat2")
  }

  @Test("an empty profile (no probes defined) has no entries")
  func empty() throws {
    let (profile, skipped) = try KprobeProfileReader.parse(text: "", path: "kprobe_profile")
    #expect(profile.entries.isEmpty && skipped.count == 0)
    #expect(profile.totalHits == 0)
  }

  @Test("a probe that never fired has no miss ratio")
  func neverFired() throws {
    let text = "  idle_probe                                                0               0\n"
    let profile = try KprobeProfileReader.parse(text: text, path: "p").profile
    #expect(profile[probe: "idle_probe"]?.missRatio == nil)
  }

  @Test(
    "rejects a malformed line at its line number",
    arguments: [
      ("  a 1 2\n  b 3\n", 2), ("  a 1 2\n  b 3 x\n", 2), ("  a -1 2\n", 1), ("  a 1 2 3\n", 1),
      ("  a 1 2\n\n  uprobe.so b 4\n", 3),
    ])
  func malformed(text: String, line: Int) throws {
    let error = try #require(throws: TraceParseError.self) {
      _ = try KprobeProfileReader.parse(text: text, path: "saved_profile")
    }
    #expect(error.location == InputLocation(file: "saved_profile", line: line))
  }

  @Test("reads a saved copy with CRLF line ends")
  func crlf() throws {
    let path = try TestFiles.temporary("  a 1 2\r\n  b 3 4\r\n")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let profile = try KprobeProfileReader.read(path: path).profile
    #expect(profile.entries.map(\.name) == ["a", "b"])
    #expect(profile.totalMisses == 6)
  }

  @Test("lenient mode skips and counts malformed lines")
  func lenient() throws {
    let text = "  a 1 2\ngarbage\n  b 3 4\n"
    let (profile, skipped) = try KprobeProfileReader.parse(
      text: text, path: "p", options: TextReaderOptions(lenient: true))
    #expect(profile.entries.map(\.name) == ["a", "b"])
    #expect(skipped.count == 1)
    #expect(skipped.first?.location.line == 2)
  }

  @Test("rejects a kprobe_events line that is not a definition")
  func badDefinition() throws {
    let error = try #require(throws: TraceParseError.self) {
      _ = try KprobeProfileReader.parseDefinitions(text: "p:kprobes/a do_x\nr0:kprobes/b do_y\n", path: "ev")
    }
    #expect(error.location.line == 2)
  }

  // Not required under CI: the development kernel (6.18, CONFIG_KPROBES off) has no kprobe_profile.
  @Test(
    "reads the live kprobe_profile when the kernel has one",
    .enabled(if: liveProfile != nil, "no kprobe_profile: kernel without CONFIG_KPROBE_EVENTS or tracefs not mounted"))
  func live() throws {
    let (_, skipped) = try KprobeProfileReader.read(path: Self.liveProfile!)
    #expect(skipped.count == 0)
  }

  static let liveProfile = KprobeProfileReader.livePaths.first { FileManager.default.isReadableFile(atPath: $0) }
}

@Suite struct TextLinesTests {
  @Test("text given in memory splits CRLF line ends like a file does")
  func crlfInMemory() throws {
    let profile = try KprobeProfileReader.parse(
      text: "  p_a   5   1\r\n  p_b   7   0\r\n", path: "mem")
    #expect(profile.profile.entries.map(\.name) == ["p_a", "p_b"])
    #expect(profile.profile.entries.map(\.hits) == [5, 7])
  }
}
