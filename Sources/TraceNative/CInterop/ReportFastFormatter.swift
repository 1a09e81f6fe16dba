// Unsafe code: reads an event's payload, lent by the caller for one call.
//
// Invariant: `format` reads `data` only inside the call, at offsets checked against
// `data.count` first (a record too short for the fields it reads is left to libtraceevent,
// which printed it before); nothing keeps a pointer.

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
  private struct TypePlan {
    var plan: Plan
    var nameColumn: [UInt8]
    /// `system:name`.
    var name: String
    /// Whether libtraceevent printed the type's first event the same.
    var checked: Bool
  }

  private let formats: EventFormats
  private let layout: TraceDatLayout
  private let bigEndian: Bool
  /// Per event type id: nil not decided yet, `.some(nil)` left to libtraceevent.
  private var plans: [TypePlan??] = []
  /// `%pS` text by address.
  private var functionText: [UInt64: [UInt8]] = [:]
  /// Events formatted, by event type id.
  private var countByID: [Int] = []
  /// Events formatted, by `system:name` (for tests and notes).
  var formattedCount: [String: Int] {
    var counts: [String: Int] = [:]
    for (id, count) in countByID.enumerated() where count > 0 {
      if let name = plans[id]??.name { counts[name, default: 0] += count }
    }
    return counts
  }
  /// Whether every formatted event is also compared with libtraceevent's text (tests).
  var checksEveryEvent = false
  /// Event types whose check failed, with both texts (tests).
  private(set) var mismatches: [String] = []

  init(formats: EventFormats, layout: TraceDatLayout) {
    self.formats = formats
    self.layout = layout
    bigEndian = layout.bigEndian
  }

  // MARK: - Plans

  /// The `print fmt:` line of event type `id`, from the trace's format text.
  private func printFormat(_ id: Int) -> Substring? {
    guard let format = layout.formatByID[id]?.format else { return nil }
    let text = String(decoding: format, as: UTF8.self)
    for line in text.split(separator: "\n") where line.hasPrefix("print fmt: ") { return line }
    return nil
  }

  private func plan(for event: EventLayout) -> Plan? {
    func place(_ name: String, sizes: Set<Int> = [1, 2, 4, 8]) -> Place? {
      guard let field = event.fields.first(where: { $0.name == name }), !field.isDynamic, sizes.contains(field.size),
        field.offset >= 0
      else { return nil }
      return Place(offset: field.offset, size: field.size)
    }
    func comm(_ name: String) -> Place? {
      guard let field = event.fields.first(where: { $0.name == name }), !field.isDynamic, field.offset >= 0, field.size > 0
      else { return nil }
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

  private func typePlan(_ id: Int, _ event: EventLayout) -> TypePlan? {
    if id < plans.count, let known = plans[id] { return known }
    if id >= plans.count {
      plans.append(contentsOf: repeatElement(nil, count: id + 1 - plans.count))
      countByID.append(contentsOf: repeatElement(0, count: id + 1 - countByID.count))
    }
    var made: TypePlan?
    if let plan = plan(for: event) {
      var column = Array(" \(event.name): ".utf8)
      if event.name.utf8.count < 20 { column += repeatElement(UInt8(ascii: " "), count: 20 - event.name.utf8.count) }
      made = TypePlan(plan: plan, nameColumn: column, name: "\(event.system):\(event.name)", checked: false)
    }
    plans[id] = .some(made)
    return made
  }

  // MARK: - Formatting

  /// Appends `-pid [cpu] secs.usecs: name: info` of the event to `text` (and its comm
  /// registrations to `batch`), or returns false (appending nothing) when the event is left to
  /// libtraceevent.
  func format(
    _ data: UnsafeRawBufferPointer, id: Int, event: EventLayout, timestamp: UInt64, cpu: Int, pid: Int32,
    into batch: inout ReportBatch
  ) -> Bool {
    guard var typePlan = typePlan(id, event) else { return false }
    let textStart = batch.text.count
    let registrationStart = batch.registrations.count
    let nameStart = batch.names.count
    func undo() -> Bool {
      batch.text.removeSubrange(textStart...)
      batch.registrations.removeSubrange(registrationStart...)
      batch.names.removeSubrange(nameStart...)
      return false
    }
    // trace-cmd's columns after the task name: "-%-5d [%03d]", then libtraceevent's
    // " %6.1000d:" (microseconds rounded, as "%5llu.%06llu:"), then the padded name.
    batch.text.append(UInt8(ascii: "-"))
    Self.appendSigned(Int64(pid), into: &batch.text, width: 5, leftAligned: true)
    batch.text.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "[")])
    Self.appendUnsigned(UInt64(cpu), into: &batch.text, width: 3, zeroPadded: true)
    batch.text.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: " ")])
    let micros = (timestamp &+ 500) / 1000
    Self.appendUnsigned(micros / 1_000_000, into: &batch.text, width: 5)
    batch.text.append(UInt8(ascii: "."))
    Self.appendUnsigned(micros % 1_000_000, into: &batch.text, width: 6, zeroPadded: true)
    batch.text.append(UInt8(ascii: ":"))
    batch.text.append(contentsOf: typePlan.nameColumn)
    let infoStart = batch.text.count
    guard appendInfo(typePlan.plan, data, into: &batch) else { return undo() }
    if !typePlan.checked || checksEveryEvent {
      let reference = formats.printedInfo(of: data, timestamp: timestamp, cpu: cpu)
      guard batch.text[infoStart...].elementsEqual(reference) else {
        mismatches.append(
          "\(event.system):\(event.name): fast \"\(String(decoding: batch.text[infoStart...], as: UTF8.self))\" libtraceevent \"\(String(decoding: reference, as: UTF8.self))\"")
        plans[id] = .some(nil)
        return undo()
      }
      typePlan.checked = true
      plans[id] = .some(typePlan)
    }
    countByID[id] += 1
    return true
  }

  private func value(_ place: Place, _ data: UnsafeRawBufferPointer) -> UInt64? {
    guard place.offset + place.size <= data.count else { return nil }
    return FieldDecoder.readUInt(data, place.offset, place.size, bigEndian: bigEndian)
  }

  /// `%.*s` of a char array: its bytes up to the first NUL.
  private func commBytes(_ place: Place, _ data: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence? {
    guard place.offset + place.size <= data.count else { return nil }
    let bytes = data[place.offset..<place.offset + place.size]
    if let end = bytes.firstIndex(of: 0) { return data[place.offset..<end] }
    return bytes
  }

  /// The plugin's write_and_save_comm: prints the comm and registers it for `pid` (a C int).
  private func appendComm(_ comm: UnsafeRawBufferPointer.SubSequence, pid: UInt64, into batch: inout ReportBatch) {
    let start = batch.names.count
    batch.names.append(contentsOf: comm)
    batch.registrations.append(ReportBatch.Registration(pid: Int32(truncatingIfNeeded: pid), nameStart: start, nameEnd: batch.names.count))
    batch.text.append(contentsOf: comm)
  }

  private func appendInfo(_ plan: Plan, _ data: UnsafeRawBufferPointer, into batch: inout ReportBatch) -> Bool {
    switch plan {
    case let .schedSwitch(prevCommPlace, prevPIDPlace, prevPrioPlace, prevStatePlace, nextCommPlace, nextPIDPlace, nextPrioPlace):
      guard let prevPID = value(prevPIDPlace, data), let prevComm = commBytes(prevCommPlace, data),
        let prevPrio = value(prevPrioPlace, data), let prevState = value(prevStatePlace, data),
        let nextPID = value(nextPIDPlace, data), let nextComm = commBytes(nextCommPlace, data),
        let nextPrio = value(nextPrioPlace, data)
      else { return false }
      appendComm(prevComm, pid: prevPID, into: &batch)
      batch.text.append(UInt8(ascii: ":"))
      Self.appendSigned(Int64(bitPattern: prevPID), into: &batch.text)  // "%lld "
      batch.text.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "[")])
      Self.appendSigned(Int64(Int32(truncatingIfNeeded: prevPrio)), into: &batch.text)  // "[%d] "
      batch.text.append(contentsOf: [UInt8(ascii: "]"), UInt8(ascii: " ")])
      // write_state(int): "SDTtZXxW" by bit, '|' between, R for none.
      let states = Array("SDTtZXxW".utf8)
      let state = UInt32(truncatingIfNeeded: prevState)
      var found = false
      for bit in 0..<states.count where state & (1 << UInt32(bit)) != 0 {
        if found { batch.text.append(UInt8(ascii: "|")) }
        found = true
        batch.text.append(states[bit])
      }
      if !found { batch.text.append(UInt8(ascii: "R")) }
      batch.text.append(contentsOf: Array(" ==> ".utf8))
      appendComm(nextComm, pid: nextPID, into: &batch)
      batch.text.append(UInt8(ascii: ":"))
      Self.appendSigned(Int64(bitPattern: nextPID), into: &batch.text)
      batch.text.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "[")])
      Self.appendSigned(Int64(Int32(truncatingIfNeeded: nextPrio)), into: &batch.text)
      batch.text.append(UInt8(ascii: "]"))
      return true
    case let .schedWakeup(commPlace, pidPlace, prioPlace, successPlace, targetPlace):
      guard let pid = value(pidPlace, data), let prio = value(prioPlace, data) else { return false }
      if let commPlace {
        guard let comm = commBytes(commPlace, data) else { return false }
        appendComm(comm, pid: pid, into: &batch)
        batch.text.append(UInt8(ascii: ":"))
      }
      Self.appendSigned(Int64(bitPattern: pid), into: &batch.text)  // "%lld"
      batch.text.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "[")])
      Self.appendSigned(Int64(bitPattern: prio), into: &batch.text)  // " [%lld]"
      batch.text.append(UInt8(ascii: "]"))
      if let successPlace {
        guard let success = value(successPlace, data) else { return false }
        batch.text.append(contentsOf: Array(" success=".utf8))
        Self.appendSigned(Int64(bitPattern: success), into: &batch.text)
      }
      if let targetPlace {
        guard let target = value(targetPlace, data) else { return false }
        batch.text.append(contentsOf: Array(" CPU:".utf8))
        Self.appendUnsigned(target, into: &batch.text, width: 3, zeroPadded: true)  // "%03llu"
      }
      return true
    case let .vector(place):
      guard let vector = value(place, data) else { return false }
      batch.text.append(contentsOf: Array("vector=".utf8))
      Self.appendSigned(Int64(Int32(truncatingIfNeeded: vector)), into: &batch.text)
      return true
    case let .ipiSendCPU(cpuPlace, callsitePlace, callbackPlace):
      guard let cpu = value(cpuPlace, data), let callsite = value(callsitePlace, data),
        let callback = value(callbackPlace, data)
      else { return false }
      batch.text.append(contentsOf: Array("cpu=".utf8))
      Self.appendUnsigned(UInt64(UInt32(truncatingIfNeeded: cpu)), into: &batch.text)
      batch.text.append(contentsOf: Array(" callsite=".utf8))
      batch.text.append(contentsOf: function(callsite))
      batch.text.append(contentsOf: Array(" callback=".utf8))
      batch.text.append(contentsOf: function(callback))
      return true
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

  // MARK: - Numbers

  /// Decimal digits of `value`, right-aligned in `width` with spaces or zeros (printf `%Nllu`, `%0Nllu`).
  static func appendUnsigned(_ value: UInt64, into bytes: inout [UInt8], width: Int = 0, zeroPadded: Bool = false) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, in reverse
    var count = 0
    var rest = value
    withUnsafeMutableBytes(of: &digits) { buffer in
      repeat {
        buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
        count += 1
      } while rest > 0
      if count < width { bytes.append(contentsOf: repeatElement(zeroPadded ? UInt8(ascii: "0") : UInt8(ascii: " "), count: width - count)) }
      var index = count - 1
      while index >= 0 {
        bytes.append(buffer[index])
        index -= 1
      }
    }
  }

  /// printf `%lld` (or `%-Nd` when `leftAligned`, `%Nd` otherwise with a width).
  static func appendSigned(_ value: Int64, into bytes: inout [UInt8], width: Int = 0, leftAligned: Bool = false) {
    let start = bytes.count
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    appendUnsigned(value.magnitude, into: &bytes)
    let written = bytes.count - start
    guard written < width else { return }
    if leftAligned {
      bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: width - written))
    } else {
      bytes.insert(contentsOf: repeatElement(UInt8(ascii: " "), count: width - written), at: start)
    }
  }
}
