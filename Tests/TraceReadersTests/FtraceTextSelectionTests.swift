import Foundation
import Testing
import TraceModel
import TraceTestSupport

@testable import TraceReaders

@Suite("ftrace text with a field selection")
struct FtraceTextSelectionTests {
  @Test(
    "an `only` selection leaves the other events out, counts them, and keeps the selected events' stacks",
    arguments: ["tracefs-stack", "report-stack", "tracefs-default", "tracefs-pipe-lost", "lab61-kprobes"])
  func onlySelection(_ name: String) throws {
    let path = Fixtures.url("text/\(name).txt").path
    var everything = try FtraceTextSource(path: path).stream(0, fields: .all)
    var all: [TraceEvent] = []
    while let event = try everything.next() { all.append(event) }
    // With every event selected, only stack blocks are folded (each an event of its own).
    #expect(everything.skippedEvents == all.filter { $0.stack != nil }.count)
    let selection = FieldSelection.only(["ipi:ipi_send_cpu", "csd:csd_queue_cpu"])
    var stream = try FtraceTextSource(path: path).stream(0, fields: selection)
    var selected: [TraceEvent] = []
    while let event = try stream.next() { selected.append(event) }
    // Events whose system only their text tells (kprobes) cannot be left out by name.
    func isSelected(_ event: TraceEvent) -> Bool {
      (event.system == "ipi" && event.name == "ipi_send_cpu") || event.name == "csd_queue_cpu"
    }
    let expected = all.filter { isSelected($0) || EventSystems.system(of: $0.name, info: "").isEmpty }
    #expect(selected.count + stream.skippedEvents == all.count + everything.skippedEvents)
    #expect(selected.map(\.timestamp) == expected.map(\.timestamp))
    #expect(selected.map(\.stack) == expected.map(\.stack))
    #expect(selected.filter(isSelected).map(\.fields) == expected.filter(isSelected).map(\.fields))
    // Lost-event notices stay with the next returned event of their CPU.
    #expect(selected.reduce(0) { $0 + max(0, $1.lostBefore) } <= all.reduce(0) { $0 + max(0, $1.lostBefore) })
  }
}
