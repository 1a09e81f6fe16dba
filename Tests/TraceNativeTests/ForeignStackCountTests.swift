import Foundation
import Testing
import TraceModel
import TraceReaders
import TraceTestSupport

@testable import TraceNative

/// The stack-count rule (docs/formats.md, *Kernel stacks: one rule*) on every foreign pair: a
/// trace.dat from another machine and the `trace-cmd report` of it stored beside it count the
/// same events, kernel stacks included (the VirtualBox trace has 20,700 kernel_stack records)
/// (issue 11, gap F). ReportTextEquivalenceTests checks fixtures/tracedat the same way.
@Suite struct ForeignStackCountTests {
  @Test("trace.dat and its stored report text count the same events, kernel stacks included", arguments: ForeignDat.all)
  func sameEventCount(_ fixture: ForeignDat) throws {
    let dat = try TraceDatReader(path: try Fixtures.materialize(fixture.path).path)
    var datReturned = 0
    let datFolded = try dat.forEachEventInTimeOrder(fields: .all) { _ in datReturned += 1 }
    let reportPath = try Fixtures.materialize(fixture.reportPath).path
    let text = try FtraceTextSource(path: reportPath)
    var textReturned = 0
    let textFolded = try text.forEachEventInTimeOrder(fields: .all) { _ in textReturned += 1 }
    // The report's event lines (`comm-pid [cpu] seconds: name:`), counted by hand.
    let report = String(decoding: try Data(contentsOf: URL(fileURLWithPath: reportPath)), as: UTF8.self)
    let lines = report.split(separator: "\n").filter { line in
      guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]"),
        Int(line[line.index(after: open)..<close]) != nil else { return false }
      return line[close...].contains(": ")
    }
    let stackLines = lines.filter { $0.contains(" kernel_stack: ") || $0.contains(" <stack trace>") }.count
    #expect(datReturned + datFolded == lines.count, "trace.dat")
    #expect(textReturned + textFolded == lines.count, "report text")
    #expect(textFolded == stackLines)
    #expect(datFolded == stackLines)
    #expect(datReturned == textReturned)
    if fixture.path.contains("x86_64-vbox") { #expect(stackLines == 20_700) }
  }

  @Test("a gzip trace.dat is read from a temporary copy that is removed with the reader")
  func temporaryCopyRemoved() throws {
    var copy: String?
    do {
      let reader = try TraceDatReader(path: Fixtures.url("foreign/tracedat/i686-buildroot-4.13.9-listen.v6.dat.gz").path)
      copy = reader.decompressedCopy?.path
      #expect(copy.map { FileManager.default.fileExists(atPath: $0) } == true)
      var events = 0
      _ = try reader.forEachEventInTimeOrder(fields: .all) { _ in events += 1 }
      #expect(events > 0)
    }
    #expect(copy.map { FileManager.default.fileExists(atPath: $0) } == false)
  }
}
