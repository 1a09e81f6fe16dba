// Unsafe code: reads an event's payload, lent by the caller for one call.
//
// Invariant: `format` reads `data` only inside the call, after checking that the record holds
// every field of its type (a shorter record is left to libtraceevent, which printed it
// before); nothing keeps a pointer to it. Lines are built in `scratch`, memory this object
// allocates in `init` and frees in `deinit`; every write checks the capacity first (a line
// that would not fit is left to libtraceevent) and the bytes are copied out before `format`
// returns.

import TraceModel

/// Formats the events whose `trace-cmd report` text is fixed, without a libtraceevent round
/// trip, byte for byte as libtraceevent 1.7 and its plugins print them:
///
/// - `sched_switch`, `sched_wakeup`, `sched_wakeup_new`: plugin_sched_switch.c
///   (`prev_comm:prev_pid [prio] S ==> next_comm:next_pid [prio]`, `comm:pid [prio] CPU:nnn`),
///   whatever the kernel's field layout, as the plugin reads fields by name; the comms it
///   prints are also the names it registers (``ReportBatch/Registration``).
/// - irq_vectors' `print fmt: "vector=%d", REC->vector` events.
/// - `ipi_send_cpu` with `print fmt: "cpu=%u callsite=%pS callback=%pS", …` (6.x kernels).
///
/// An event type gets a formatter only when its fields (and, where the text comes from the
/// print format, the exact `print fmt:` line) are what the formatter assumes, and after the
/// first event of the type printed the same through libtraceevent (``check``); anything
/// else stays with libtraceevent. One formatter per stream thread: it uses that thread's
/// own ``EventFormats`` (kallsyms for `%pS`).
final class ReportFastFormatter {
  /// A field's place in the record.
  struct Place {
    var offset: Int
    var size: Int
  }

  enum Plan {
    case schedSwitch(prevComm: Place, prevPID: Place, prevPrio: Place, prevState: Place,
                     nextComm: Place, nextPID: Place, nextPrio: Place)
    case schedWakeup(comm: Place?, pid: Place, prio: Place, success: Place?, targetCPU: Place?)
    case vector(Place)
    case ipiSendCPU(cpu: Place, callsite: Place, callback: Place)
  }

  /// A plan and the ` name: ` column (padded to trace-cmd's 20) of one event type.
  final class TypePlan {
    let plan: Plan
    let nameColumn: [UInt8]
    /// `system:name`.
    let name: String
    /// Bytes a record needs to hold every field of the type (shorter ones are left to
    /// libtraceevent, and to the checks that name the field outside the record).
    let requiredSize: Int
    /// Whether libtraceevent printed the type's first event the same.
    var checked = false
    /// Events formatted.
    var count = 0

    init(plan: Plan, nameColumn: [UInt8], name: String, requiredSize: Int) {
      self.plan = plan
      self.nameColumn = nameColumn
      self.name = name
      self.requiredSize = requiredSize
    }
  }

  private let formats: EventFormats
  private let layout: TraceDatLayout
  private let bigEndian: Bool
  /// Per event type id: nil not decided yet, `.some(nil)` left to libtraceevent.
  private var plans: [TypePlan??] = []
  /// `%pS` text by address.
  private var functionText: [UInt64: [UInt8]] = [:]
  /// Events formatted, by `system:name` (for tests and notes).
  var formattedCount: [String: Int] {
    var counts: [String: Int] = [:]
    for case let plan?? in plans where plan.count > 0 { counts[plan.name, default: 0] += plan.count }
    for plan in retired where plan.count > 0 { counts[plan.name, default: 0] += plan.count }
    return counts
  }
  /// Plans dropped after a mismatch (their counts stay in ``formattedCount``).
  private var retired: [TypePlan] = []
  /// Whether every formatted event is also compared with libtraceevent's text (tests).
  var checksEveryEvent = false
  /// Event types whose check failed, with both texts (tests).
  private(set) var mismatches: [String] = []
  /// Where a line is built before it is appended to the batch.
  private var scratch: LineBuffer

  init(formats: EventFormats, layout: TraceDatLayout) {
    self.formats = formats
    self.layout = layout
    bigEndian = layout.bigEndian
    scratch = LineBuffer(capacity: 1 << 14)
  }

  deinit { scratch.deallocate() }

  // MARK: - Plans

  /// The `print fmt:` line of event type `id`, from the trace's format text.
  private func printFormat(_ id: Int) -> Substring? {
    guard let format = layout.formatByID[id]?.format else { return nil }
    let text = String(decoding: format, as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix("print fmt: ") { return line }
    return nil
  }

  private func plan(for event: EventLayout) -> Plan? {
    // Fixed fields only: a __data_loc field's bytes are checked by the libtraceevent path.
    guard !event.fields.contains(where: { $0.isDynamic || $0.offset < 0 || $0.size < 0 }) else { return nil }
    func place(_ name: String, sizes: Set<Int> = [1, 2, 4, 8]) -> Place? {
      guard let field = event.fields.first(where: { $0.name == name }), sizes.contains(field.size) else { return nil }
      return Place(offset: field.offset, size: field.size)
    }
    func comm(_ name: String) -> Place? {
      guard let field = event.fields.first(where: { $0.name == name }), field.size > 0 else { return nil }
      return Place(offset: field.offset, size: field.size)
    }
    switch (event.system, event.name) {
    case ("sched", "sched_switch"):
      guard let prevComm = comm("prev_comm"), let prevPID = place("prev_pid"), let prevPrio = place("prev_prio"),
        let prevState = place("prev_state"), let nextComm = comm("next_comm"), let nextPID = place("next_pid"),
        let nextPrio = place("next_prio")
      else { return nil }
      return .schedSwitch(prevComm: prevComm, prevPID: prevPID, prevPrio: prevPrio, prevState: prevState,
                          nextComm: nextComm, nextPID: nextPID, nextPrio: nextPrio)
    case ("sched", "sched_wakeup"), ("sched", "sched_wakeup_new"):
      // The plugin prints `comm` only when the field exists; `success` and `target_cpu` are optional.
      let hasComm = event.fields.contains { $0.name == "comm" }
      let commPlace = comm("comm")
      guard let pid = place("pid"), let prio = place("prio"), !hasComm || commPlace != nil else { return nil }
      let hasSuccess = event.fields.contains { $0.name == "success" }
      let hasTarget = event.fields.contains { $0.name == "target_cpu" }
      let success = place("success")
      let target = place("target_cpu")
      guard !hasSuccess || success != nil, !hasTarget || target != nil else { return nil }
      return .schedWakeup(comm: commPlace, pid: pid, prio: prio, success: success, targetCPU: target)
    case ("irq_vectors", _):
      guard printFormat(event.id) == #"print fmt: "vector=%d", REC->vector"#, let vector = place("vector", sizes: [4])
      else { return nil }
      return .vector(vector)
    case ("ipi", "ipi_send_cpu"):
      guard layout.longSize == 8,
        printFormat(event.id) == #"print fmt: "cpu=%u callsite=%pS callback=%pS", REC->cpu, REC->callsite, REC->callback"#,
        let cpu = place("cpu", sizes: [4]), let callsite = place("callsite", sizes: [8]),
        let callback = place("callback", sizes: [8])
      else { return nil }
      return .ipiSendCPU(cpu: cpu, callsite: callsite, callback: callback)
    default:
      return nil
    }
  }

  /// The plan of event type `id` (`event` is asked for once, on the type's first event).
  func typePlan(_ id: Int, event: () throws -> EventLayout) rethrows -> TypePlan? {
    if id >= 0, id < plans.count, let known = plans[id] { return known }
    guard id >= 0, id < 1 << 16 else { return nil }
    let event = try event()
    if id >= plans.count { plans.append(contentsOf: repeatElement(nil, count: id + 1 - plans.count)) }
    var made: TypePlan?
    if let plan = plan(for: event) {
      let column = TraceCmdReportText.nameColumn(event.name)
      let required = event.fields.map { $0.offset + $0.size }.max() ?? 0
      made = TypePlan(plan: plan, nameColumn: column, name: "\(event.system):\(event.name)", requiredSize: required)
    }
    plans[id] = .some(made)
    return made
  }

  // MARK: - Formatting

  /// Appends `-pid [cpu] secs.usecs: name: info` of the event to `batch.text` (and its comm
  /// registrations to `batch`), or returns false (appending nothing) when the event is left to
  /// libtraceevent.
  func format(
    _ data: UnsafeRawBufferPointer, plan typePlan: TypePlan, timestamp: UInt64, cpu: Int, pid: Int32,
    into batch: inout ReportBatch
  ) -> Bool {
    guard data.count >= typePlan.requiredSize else { return false }
    let registrationStart = batch.registrations.count
    let nameStart = batch.names.count
    scratch.reset()
    // trace-cmd's columns after the task name: "-%-5d [%03d]", then libtraceevent's
    // " %6.1000d:" (microseconds rounded, as "%5llu.%06llu:"), then the padded name.
    scratch.put(UInt8(ascii: "-"))
    scratch.putSigned(Int64(pid), width: 5, leftAligned: true)
    scratch.put(" [")
    scratch.putUnsigned(UInt64(cpu), width: 3, zeroPadded: true)
    scratch.put("] ")
    let micros = (timestamp &+ 500) / 1000
    scratch.putUnsigned(micros / 1_000_000, width: 5)
    scratch.put(UInt8(ascii: "."))
    scratch.putUnsigned(micros % 1_000_000, width: 6, zeroPadded: true)
    scratch.put(UInt8(ascii: ":"))
    scratch.put(typePlan.nameColumn)
    let infoStart = scratch.count
    appendInfo(typePlan.plan, data, registrations: &batch)
    if scratch.overflowed {
      batch.registrations.removeSubrange(registrationStart...)
      batch.names.removeSubrange(nameStart...)
      return false
    }
    if !typePlan.checked || checksEveryEvent {
      let reference = formats.printedInfo(of: data, timestamp: timestamp, cpu: cpu)
      let info = scratch.bytes(from: infoStart)
      guard info.elementsEqual(reference) else {
        mismatches.append(
          "\(typePlan.name): fast \"\(String(decoding: info, as: UTF8.self))\" libtraceevent \"\(String(decoding: reference, as: UTF8.self))\"")
        for (index, plan) in plans.enumerated() where plan.flatMap({ $0 }) === typePlan {
          plans[index] = .some(nil)
        }
        retired.append(typePlan)
        batch.registrations.removeSubrange(registrationStart...)
        batch.names.removeSubrange(nameStart...)
        return false
      }
      typePlan.checked = true
    }
    scratch.appendAll(to: &batch.text)
    typePlan.count += 1
    return true
  }

  private func value(_ place: Place, _ data: UnsafeRawBufferPointer) -> UInt64 {
    FieldDecoder.readUInt(data, place.offset, place.size, bigEndian: bigEndian)
  }

  /// `%.*s` of a char array: its bytes up to the first NUL.
  private func commBytes(_ place: Place, _ data: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    let bytes = UnsafeRawBufferPointer(rebasing: data[place.offset..<place.offset + place.size])
    if let end = bytes.firstIndex(of: 0) { return UnsafeRawBufferPointer(rebasing: bytes[..<end]) }
    return bytes
  }

  /// The plugin's write_and_save_comm: prints the comm and registers it for `pid` (a C int).
  private func putComm(_ comm: UnsafeRawBufferPointer, pid: UInt64, registrations batch: inout ReportBatch) {
    let start = batch.names.count
    batch.names.append(contentsOf: comm)
    batch.registrations.append(ReportBatch.Registration(pid: Int32(truncatingIfNeeded: pid), nameStart: start, nameEnd: batch.names.count))
    scratch.put(comm)
  }

  private static let states: StaticString = "SDTtZXxW"

  private func appendInfo(_ plan: Plan, _ data: UnsafeRawBufferPointer, registrations batch: inout ReportBatch) {
    switch plan {
    case let .schedSwitch(prevCommPlace, prevPIDPlace, prevPrioPlace, prevStatePlace, nextCommPlace, nextPIDPlace, nextPrioPlace):
      let prevPID = value(prevPIDPlace, data)
      putComm(commBytes(prevCommPlace, data), pid: prevPID, registrations: &batch)
      scratch.put(UInt8(ascii: ":"))
      scratch.putSigned(Int64(bitPattern: prevPID))  // "%lld "
      scratch.put(" [")
      scratch.putSigned(Int64(Int32(truncatingIfNeeded: value(prevPrioPlace, data))))  // "[%d] "
      scratch.put("] ")
      // write_state(int): "SDTtZXxW" by bit, '|' between, R for none.
      let state = UInt32(truncatingIfNeeded: value(prevStatePlace, data)) & 0xff
      if state == 0 {
        scratch.put(UInt8(ascii: "R"))
      } else {
        var found = false
        let letters = Self.states.utf8Start
        for bit in 0..<8 where state & (1 << UInt32(bit)) != 0 {
          if found { scratch.put(UInt8(ascii: "|")) }
          found = true
          scratch.put(letters[bit])
        }
      }
      scratch.put(" ==> ")
      let nextPID = value(nextPIDPlace, data)
      putComm(commBytes(nextCommPlace, data), pid: nextPID, registrations: &batch)
      scratch.put(UInt8(ascii: ":"))
      scratch.putSigned(Int64(bitPattern: nextPID))
      scratch.put(" [")
      scratch.putSigned(Int64(Int32(truncatingIfNeeded: value(nextPrioPlace, data))))
      scratch.put(UInt8(ascii: "]"))
    case let .schedWakeup(commPlace, pidPlace, prioPlace, successPlace, targetPlace):
      let pid = value(pidPlace, data)
      if let commPlace {
        putComm(commBytes(commPlace, data), pid: pid, registrations: &batch)
        scratch.put(UInt8(ascii: ":"))
      }
      scratch.putSigned(Int64(bitPattern: pid))  // "%lld"
      scratch.put(" [")
      scratch.putSigned(Int64(bitPattern: value(prioPlace, data)))  // " [%lld]"
      scratch.put(UInt8(ascii: "]"))
      if let successPlace {
        scratch.put(" success=")
        scratch.putSigned(Int64(bitPattern: value(successPlace, data)))
      }
      if let targetPlace {
        scratch.put(" CPU:")
        scratch.putUnsigned(value(targetPlace, data), width: 3, zeroPadded: true)  // "%03llu"
      }
    case let .vector(place):
      scratch.put("vector=")
      scratch.putSigned(Int64(Int32(truncatingIfNeeded: value(place, data))))
    case let .ipiSendCPU(cpuPlace, callsitePlace, callbackPlace):
      scratch.put("cpu=")
      scratch.putUnsigned(UInt64(UInt32(truncatingIfNeeded: value(cpuPlace, data))))
      scratch.put(" callsite=")
      scratch.put(function(value(callsitePlace, data)))
      scratch.put(" callback=")
      scratch.put(function(value(callbackPlace, data)))
    }
  }

  /// libtraceevent's `%pS`: `name+0xoffset` from kallsyms, else `0xaddress`.
  private func function(_ address: UInt64) -> [UInt8] {
    if let known = functionText[address] { return known }
    var text: [UInt8]
    if let found = formats.function(at: address) {
      text = Array(found.name.utf8) + Array("+0x".utf8)
      text += Array(String(address &- found.start, radix: 16).utf8)
    } else {
      text = Array("0x\(String(address, radix: 16))".utf8)
    }
    functionText[address] = text
    return text
  }

}

/// A line being built: bytes this object allocates and the owner frees (`deallocate`), every
/// write checked against the capacity (a write that does not fit sets ``overflowed``).
struct LineBuffer {
  private let base: UnsafeMutablePointer<UInt8>
  private let capacity: Int
  private(set) var count = 0
  private(set) var overflowed = false

  init(capacity: Int) {
    base = .allocate(capacity: capacity)
    self.capacity = capacity
  }

  func deallocate() { base.deallocate() }

  mutating func reset() {
    count = 0
    overflowed = false
  }

  mutating func put(_ byte: UInt8) {
    guard count < capacity else { return overflowed = true }
    base[count] = byte
    count += 1
  }

  mutating func put(_ text: StaticString) {
    put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  mutating func put(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count <= capacity - count else { return overflowed = true }
    if let source = bytes.baseAddress, bytes.count > 0 {
      (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    }
    count += bytes.count
  }

  mutating func put(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { put($0) }
  }

  /// Decimal digits of `value`, right-aligned in `width` with spaces or zeros (printf `%Nllu`, `%0Nllu`).
  mutating func putUnsigned(_ value: UInt64, width: Int = 0, zeroPadded: Bool = false) {
    var digits = 1
    var rest = value / 10
    while rest > 0 {
      digits += 1
      rest /= 10
    }
    let padding = max(0, width - digits)
    guard padding + digits <= capacity - count else { return overflowed = true }
    for index in 0..<padding { base[count + index] = zeroPadded ? UInt8(ascii: "0") : UInt8(ascii: " ") }
    count += padding
    rest = value
    var index = count + digits - 1
    repeat {
      base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
      rest /= 10
      index -= 1
    } while rest > 0
    count += digits
  }

  /// printf `%lld`, or `%-Nd` when `leftAligned` (only left alignment takes a width here).
  mutating func putSigned(_ value: Int64, width: Int = 0, leftAligned: Bool = false) {
    precondition(width == 0 || leftAligned, "right-aligned signed numbers are not used")
    let start = count
    if value < 0 { put(UInt8(ascii: "-")) }
    putUnsigned(value.magnitude)
    for _ in (count - start)..<max(width, count - start) { put(UInt8(ascii: " ")) }
  }

  /// The bytes from `start` to the end, copied.
  func bytes(from start: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: base + start, count: count - start))
  }

  /// Appends the line to `bytes` (one copy).
  func appendAll(to bytes: inout [UInt8]) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
  }
}
