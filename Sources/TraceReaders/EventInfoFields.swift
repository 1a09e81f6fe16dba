import TraceModel

/// Turns the text an event printed after its name into typed fields.
///
/// `cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 func=do_sync_core, csd=0` gives four
/// fields; decimal numbers become ``FieldValue/unsigned(_:)`` or ``FieldValue/signed(_:)``,
/// `0x` hex becomes ``FieldValue/unsigned(_:)``, a CPU list under a key naming a cpumask
/// (`cpumask=0-3`) becomes ``FieldValue/cpuList(_:)``, anything else a string. A trailing
/// comma is dropped. A kprobe's leading `(sym+0x0/0x2a0)` becomes `__probe_ip` (the text) and
/// `__probe_func` (the symbol), a bare `(ffffffffb7c65580)` an unsigned `__probe_ip`; a kretprobe's `(ret+0x1c/0x30 <- func)` becomes
/// `__probe_ret_ip` and `__probe_func` (in trace-cmd report's bare-hex
/// `(func <- ret_ip)` order when both are `%lx` numbers).
enum EventInfoFields {
  /// Fields of `info`, in the order printed.
  static func parse(_ info: Substring) -> [EventField] {
    var fields: [EventField] = []
    var rest = info[...]
    if rest.first == "(", let close = rest.firstIndex(of: ")") {
      let inside = rest[rest.index(after: rest.startIndex)..<close]
      if let arrow = inside.range(of: " <- ") {
        let left = inside[..<arrow.lowerBound]
        let right = inside[arrow.upperBound...]
        if let first = bareHex(left), let second = bareHex(right) {
          // libtraceevent (trace-cmd report) prints the format's `"(%lx <- %lx)", REC->__probe_func,
          // REC->__probe_ret_ip`; the kernel's tracefs printer puts ret_ip first, as symbols.
          fields.append(EventField(name: "__probe_func", value: .unsigned(first)))
          fields.append(EventField(name: "__probe_ret_ip", value: .unsigned(second)))
        } else {
          fields.append(EventField(name: "__probe_ret_ip", value: .string(String(left))))
          fields.append(EventField(name: "__probe_func", value: .string(String(right))))
        }
      } else if let address = bareHex(inside) {
        // trace-cmd report prints an unresolved probe address bare: `(ffffffffb7c65580)`.
        fields.append(EventField(name: "__probe_ip", value: .unsigned(address)))
      } else if inside.contains("+0x") || !inside.contains(" ") {
        fields.append(EventField(name: "__probe_ip", value: .string(String(inside))))
        let symbol = inside.prefix { $0 != "+" }
        fields.append(EventField(name: "__probe_func", value: .string(String(symbol))))
      } else {
        // ipi_entry / ipi_exit print only `(%s)` of their reason: `(Function call interrupts)`.
        fields.append(EventField(name: "reason", value: .string(String(inside))))
      }
      rest = rest[rest.index(after: close)...]
    } else if rest.last == ")", let open = rest.lastIndex(of: "("), open > rest.startIndex,
      rest[rest.index(before: open)] == " "
    {
      // ipi_raise: `target_mask=00000000,00000006 (Function call interrupts)`.
      let inside = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
      if inside.contains(" "), !inside.contains("=") {
        fields.append(EventField(name: "reason", value: .string(String(inside))))
        rest = rest[..<rest.index(before: open)]
      }
    }
    // `key=value` tokens, scanned over UTF-8 bytes (Character properties cost more than the
    // rest of the line's parsing).
    let bytes = rest.utf8
    var index = bytes.startIndex
    let end = bytes.endIndex
    while index < end {
      while index < end, bytes[index] == 0x20 { index = bytes.index(after: index) }
      let tokenStart = index
      var equals: Substring.UTF8View.Index?
      var keyIsName = true
      while index < end, bytes[index] != 0x20 {
        let byte = bytes[index]
        if equals == nil {
          if byte == 0x3D {
            equals = index
          } else if !(isNameByte(byte)) {
            keyIsName = false
          }
        }
        index = bytes.index(after: index)
      }
      guard let equals, equals != tokenStart, keyIsName else { continue }
      var valueEnd = index
      let valueStart = bytes.index(after: equals)
      if valueEnd > valueStart, bytes[bytes.index(before: valueEnd)] == 0x2C { valueEnd = bytes.index(before: valueEnd) }
      let key = Substring(bytes[tokenStart..<equals])
      let value = Substring(bytes[valueStart..<valueEnd])
      fields.append(EventField(name: String(key), value: typed(value, key: key)))
    }
    return fields
  }

  /// Letters, digits, `_` and `.`: the bytes of a field name.
  private static func isNameByte(_ byte: UInt8) -> Bool {
    (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
      || byte == 0x2E
  }

  /// Whether `key` names a cpumask (`cpumask`, `target_cpumask`, `cpus`, and ipi_raise's
  /// `target_mask`).
  private static func isCPUMaskKey(_ key: Substring) -> Bool {
    if key == "cpus" || key == "target_mask" { return true }
    // Byte search without building arrays: this runs for every field of every IPI event.
    let bytes = key.utf8
    let count = bytes.count
    guard count >= cpumaskPattern.count else { return false }
    var start = bytes.startIndex
    for _ in 0...(count - cpumaskPattern.count) {
      if bytes[start...].starts(with: cpumaskPattern) { return true }
      start = bytes.index(after: start)
    }
    return false
  }

  private static let cpumaskPattern: [UInt8] = Array("cpumask".utf8)

  /// `ffffffffb7c65580` (hex digits only, as `%lx` prints) as a number.
  static func bareHex(_ text: Substring) -> UInt64? {
    guard !text.isEmpty, text.count <= 16, text.allSatisfy(\.isHexDigit) else { return nil }
    return UInt64(text, radix: 16)
  }

  /// The typed value of one `key=value` pair.
  static func typed(_ value: Substring, key: Substring) -> FieldValue {
    if isCPUMaskKey(key), let cpus = CPUMask.parse(value) {
      return .cpuList(cpus)
    }
    if let number = UInt64(value) { return .unsigned(number) }
    if value.first == "-", let number = Int64(value) { return .signed(number) }
    if value.utf8.starts(with: [0x30, 0x78]), let number = UInt64(value.dropFirst(2), radix: 16) {
      return .unsigned(number)
    }
    return .string(String(value))
  }
}

/// Which subsystem an event name printed in text belongs to, since text traces print only
/// the name. Names not listed get "" (unknown), kprobe lines get `kprobes`.
///
/// Sources: include/trace/events/{ipi,csd,sched,irq,syscalls}.h,
/// arch/x86/include/asm/trace/irq_vectors.h, kernel/trace/trace_entries.h.
enum EventSystems {
  static let byName: [String: String] = {
    var table: [String: String] = [:]
    for name in ["ipi_send_cpu", "ipi_send_cpumask", "ipi_raise", "ipi_entry", "ipi_exit"] { table[name] = "ipi" }
    for name in ["csd_queue_cpu", "csd_function_entry", "csd_function_exit"] { table[name] = "csd" }
    for vector in [
      "call_function", "call_function_single", "local_timer", "reschedule", "spurious_apic", "error_apic",
      "x86_platform_ipi", "irq_work", "thermal_apic", "threshold_apic", "deferred_error_apic",
    ] {
      table["\(vector)_entry"] = "irq_vectors"
      table["\(vector)_exit"] = "irq_vectors"
    }
    for name in ["vector_update", "vector_config", "vector_alloc", "vector_free_moved"] { table[name] = "irq_vectors" }
    for name in [
      "sched_switch", "sched_wakeup", "sched_waking", "sched_wakeup_new", "sched_migrate_task",
      "sched_process_exit", "sched_process_fork", "sched_process_exec", "sched_stat_runtime",
    ] { table[name] = "sched" }
    for name in ["irq_handler_entry", "irq_handler_exit", "softirq_entry", "softirq_exit", "softirq_raise"] {
      table[name] = "irq"
    }
    for name in [
      "function", "funcgraph_entry", "funcgraph_exit", "print", "kernel_stack", "user_stack", "bprint", "bputs",
      "raw_data", "func_repeats",
    ] { table[name] = "ftrace" }
    return table
  }()

  /// The subsystem of `name`; `info` tells kprobe lines (`(sym+0x0/0x20) ...`) apart.
  static func system(of name: String, info: Substring) -> String {
    if let system = byName[name] { return system }
    if name.hasPrefix("sys_enter") || name.hasPrefix("sys_exit") { return "syscalls" }
    if info.first == "(", let close = info.firstIndex(of: ")") {
      let inside = info[info.index(after: info.startIndex)..<close]
      if inside.contains("+0x") || inside.contains(" <- ") || EventInfoFields.bareHex(inside) != nil {
        return "kprobes"
      }
    }
    return ""
  }
}
