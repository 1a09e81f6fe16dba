import Foundation
import Testing
import TraceModel
import TraceReaders
import TraceTestSupport

@testable import TraceNative

/// Inputs that once crashed or misprinted: bytes that are not UTF-8, formats that make
/// libtraceevent crash, page headers that kbuffer cannot walk.
@Suite struct TraceDatHardeningTests {
  @Test("bytes that are not UTF-8 in event text are printed raw, as trace-cmd prints them", .enabled(if: Fixtures.canRun(with: "trace-cmd"), "needs trace-cmd (the oracle)"))
  func nonUTF8BytesRaw() throws {
    // scripts/fixtures/capture-nonutf8.sh: a comm "caf\xe9-\xff" and markers with \xff\xfe, \xc3\x28.
    let path = Fixtures.url("tracedat/local618-nonutf8-instance.dat").path
    let ours = try RawOutput.dump(path)
    for sequence: [UInt8] in [[0x63, 0x61, 0x66, 0xe9, 0x2d, 0xff], [0xff, 0xfe, 0x20], [0xc3, 0x28]] {
      #expect(ours.firstRange(of: sequence) != nil, "\(sequence)")
    }
    #expect(ours.firstRange(of: Array("\u{FFFD}".utf8)) == nil)
    let theirs = try RawOutput.traceCmdReport(path)
    if let difference = firstDifference(ours, theirs) { Issue.record(Comment(rawValue: difference)) }
  }

  @Test("events read from trace.dat keep non-UTF-8 bytes as the text readers do (\\xNN), not U+FFFD")
  func nonUTF8BytesInEvents() throws {
    let reader = try TraceDatReader(path: Fixtures.url("tracedat/local618-nonutf8-instance.dat").path)
    var texts: [String] = []
    _ = try reader.forEachEventInTimeOrder(fields: .all) { event in
      texts.append(event.comm)
      for field in event.fields { if case .string(let text) = field.value { texts.append(text) } }
    }
    // The bytes scripts/fixtures/capture-nonutf8.sh wrote: comm caf\xe9-\xff, marker \xff\xfe.
    #expect(texts.contains { $0.contains("caf\\xe9-\\xff") }, "\(Set(texts).sorted())")
    #expect(texts.contains { $0.contains("\\xff\\xfe") })
    #expect(!texts.contains { $0.contains("\u{FFFD}") })
  }

  /// fixtures/bad/formats.tsv: file, then the events (`system:name id`, comma-separated) whose
  /// format must be reported.
  static let badFormats: [(file: String, events: [String])] = {
    let text = (try? String(contentsOf: Fixtures.url("bad/formats.tsv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
      let columns = line.split(separator: "\t")
      return (String(columns[0]), columns[1].split(separator: ",").map(String.init))
    }
  }()

  @Test("a print fmt naming a missing field costs one event type's printing, never the process",
        arguments: badFormats.map(\.file))
  func printFmtMissingField(_ file: String) throws {
    let events = try #require(Self.badFormats.first { $0.file == file }).events
    let path = try Fixtures.materialize("bad/\(file)").path
    let reader = try TraceDatReader(path: path, attachesStacks: false)
    #expect(reader.formatWarnings.count == events.count)
    for event in events {
      let parts = event.split(separator: " ")
      #expect(reader.formatWarnings.contains { $0.hasPrefix("event \(parts[0]) (id \(parts[1])):") }, "\(event)")
    }
    // The base is the foreign i686 trace (scripts/fixtures/make-bad-format-fixture.py): every
    // line is trace-cmd's for the original, except softirq_raise, whose print fmt is gone and
    // which libtraceevent prints as "[FAILED TO PARSE] vec=N" with the original's N.
    let ours = String(decoding: try RawOutput.dump(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let original = String(decoding: Array(try Data(contentsOf: try Fixtures.materialize("foreign/tracedat/i686-buildroot-4.13.9-listen.v6.report.gz"))), as: UTF8.self)
      .split(separator: "\n", omittingEmptySubsequences: false)
    #expect(ours.count == original.count)
    var failed = 0
    for (mine, reference) in zip(ours, original) {
      guard let range = reference.range(of: "softirq_raise:        vec=") else {
        #expect(mine == reference)
        continue
      }
      let vector = reference[range.upperBound...].prefix { $0.isNumber }
      #expect(mine == reference[..<range.lowerBound] + "softirq_raise:        [FAILED TO PARSE] vec=\(vector)")
      failed += 1
    }
    #expect(failed > 0)
    #expect(failed == original.filter { $0.contains(" softirq_raise: ") }.count)
    // The analysis path decodes the fields itself.
    var switches = 0
    try reader.forEachEvent(fields: .all) { event in
      if event.name == "sched_switch" {
        switches += 1
        #expect(event.fields.contains { $0.name == "prev_state" })
      }
    }
    #expect(switches == original.filter { $0.contains(" sched_switch: ") }.count)
  }

  @Test("the format check passes every format of the real fixtures unchanged (every lab kernel, 5.10 to 7.2, x86 and arm64)")
  func formatCheckPassesRealFormats() throws {
    let lab = Fixtures.files(in: "lab", suffix: ".dat") + Fixtures.files(in: "record", suffix: ".dat")
    for path in ["tracedat/lab61-2cpu.v7zstd.dat", "tracedat/local618-flips-stack.v7zstd.dat"] + ForeignDat.all.map(\.path) + lab {
      let layout = try TraceDatLayout.read(try FileBytes(path: try Fixtures.materialize(path).path))
      #expect(layout.formatWarnings.isEmpty, "\(path): \(layout.formatWarnings)")
      #expect(layout.formatByID.count > 10)
    }
  }

  @Test("the format check names fields used by helpers and REC->, and ignores quoted text")
  func formatCheckRule() {
    let format = Array("""
      name: demo
      ID: 7
      format:
      \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
      \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
      \tfield:int flags;\toffset:8;\tsize:4;\tsigned:1;
      \tfield:__data_loc char[] name;\toffset:12;\tsize:4;\tsigned:1;
      \tfield:__u8 buf[32 + 2];\toffset:16;\tsize:34;\tsigned:0;

      print fmt: "REC->fake %s %s %*phD", __print_flags(REC->flags, "|", { 1, "REC->quoted" }), __get_str(label), 34, REC->buf

      """.utf8)
    let outcome = EventFormatCheck.check(format)
    #expect(outcome.missingFields == ["label"])
    #expect(!String(decoding: outcome.format, as: UTF8.self).contains("print fmt"))
    #expect(String(decoding: outcome.format, as: UTF8.self).contains("field:int flags"))
    let good = Array(String(decoding: format, as: UTF8.self).replacingOccurrences(of: "__get_str(label)", with: "__get_str(name)").utf8)
    #expect(EventFormatCheck.check(good).missingFields.isEmpty)
    #expect(EventFormatCheck.check(good).format == good)
  }

  /// Edits of a real format (sched_switch of the foreign i686 trace) and the problem each must
  /// be reported as. Each is a class a format fuzz run over that file found (random byte edits
  /// of its formats, /tmp scripts not kept): a missing field in a helper, a bad conversion and
  /// a division by a name crashed libtraceevent 1.7.1 in tep_parse_event (SIGSEGV, SIGFPE);
  /// a malformed field line or `format:` label made every record's type read as -1 (a Swift
  /// index trap in pokestat then). The others are their near neighbours.
  static let formatEdits: [(from: String, to: String, problem: String, dropped: Bool)] = [
    ("__print_flags(REC->prev_state", "__print_flags(REC->no_such_fd", "names fields the format lacks (no_such_fd)", false),
    ("prev_prio=%d", "prev_prio=%1-d", "has a conversion libtraceevent may not parse (%1-)", false),
    ("prev_prio=%d", "prev_prio=%R", "has a conversion libtraceevent may not parse (%R)", false),
    ("REC->prev_prio,", "REC->prev_prio%REC->prev_pid,", "divides by something that is not a nonzero constant", false),
    ("REC->prev_prio,", "REC->prev_prio / 0,", "divides by something that is not a nonzero constant", false),
    ("REC->prev_prio,", "(REC->prev_prio,", "has unbalanced brackets", false),
    ("\tfield:pid_t prev_pid;\toffset:24;", "\tfield:pid_t prev_pid;\toffse(:24;", "has a malformed field line", true),
    ("\nformat:\n", "\nfor*at:\n", "has no \"format:\" line", true),
    ("common_pid;", "common_pix;", "declares no common_type and common_pid fields", true),
  ]

  @Test("formats that crashed libtraceevent are caught before it sees them", arguments: formatEdits.indices)
  func formatEdit(_ index: Int) throws {
    let edit = Self.formatEdits[index]
    let layout = try TraceDatLayout.read(try FileBytes(path: try Fixtures.materialize("foreign/tracedat/i686-buildroot-4.13.9-listen.v6.dat.gz").path))
    let original = try #require(layout.eventFormats.first { String(decoding: $0.format, as: UTF8.self).hasPrefix("name: sched_switch\n") })
    let text = String(decoding: original.format, as: UTF8.self)
    #expect(text.contains(edit.from))
    let outcome = EventFormatCheck.check(Array(text.replacingOccurrences(of: edit.from, with: edit.to).utf8))
    #expect(outcome.problem?.hasPrefix(edit.problem) == true, "\(outcome.problem ?? "nil")")
    #expect(outcome.isDropped == edit.dropped)
    #expect(EventFormatCheck.check(original.format).problem == nil)
  }

  // MARK: - header_page

  static let header32 = Array("""
    \tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
    \tfield: local_t commit;\toffset:8;\tsize:4;\tsigned:1;
    \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;
    \tfield: char data;\toffset:12;\tsize:4084;\tsigned:1;

    """.utf8)

  @Test("the page layout comes from header_page, not the header's long size")
  func pageHeaderFromFormat() throws {
    let layout = try PageHeaderLayout(format: Self.header32, longSize: 8, file: "t.dat", offset: 40)
    #expect(layout.commitSize == 4)
    #expect(layout.dataOffset == 12)
    #expect(layout.isFromFormat)
    let empty = try PageHeaderLayout(format: [], longSize: 4, file: "t.dat", offset: 40)
    #expect(empty.commitSize == 4 && empty.dataOffset == 12 && !empty.isFromFormat)
  }

  @Test("a header_page kbuffer cannot walk is refused at its offset",
        arguments: [
          ("size:4;\tsigned:1;\n\tfield: int overwrite", "size:2;\tsigned:1;\n\tfield: int overwrite", "commit"),
          ("offset:12;\tsize:4084", "offset:16;\tsize:4080", "data offset"),
          ("u64 timestamp;\toffset:0;\tsize:8", "u32 timestamp;\toffset:0;\tsize:4", "timestamp"),
          ("local_t commit", "local_t commits", "commit field"),
        ])
  func pageHeaderRefused(_ edit: (from: String, to: String, what: String)) throws {
    let text = String(decoding: Self.header32, as: UTF8.self).replacingOccurrences(of: edit.from, with: edit.to)
    #expect(text != String(decoding: Self.header32, as: UTF8.self))
    let error = try #require(throws: TraceParseError.self) {
      _ = try PageHeaderLayout(format: Array(text.utf8), longSize: 4, file: "t.dat", offset: 40)
    }
    #expect(error.location.byteOffset == 40)
    guard case .invalidValue(let what, _) = error.reason else {
      Issue.record("unexpected reason \(error.reason)")
      return
    }
    #expect(what == "header_page \(edit.what)")
  }

  @Test("every real fixture's header_page gives kbuffer's layout for its kernel")
  func realPageHeaders() throws {
    for fixture in ForeignDat.all {
      let layout = try TraceDatLayout.read(try FileBytes(path: try Fixtures.materialize(fixture.path).path))
      #expect(layout.pageHeader.isFromFormat)
      #expect(layout.pageHeader.commitSize == fixture.kernelLongSize, "\(fixture.path)")
      #expect(layout.pageHeader.dataOffset == 8 + fixture.kernelLongSize)
    }
  }
}
