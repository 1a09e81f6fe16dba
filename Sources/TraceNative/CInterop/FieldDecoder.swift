// Unsafe code: reads fields out of an event's bytes.
//
// Invariant: every function borrows `data` (an event payload lent by
// `RingBufferPage.withData(of:)` or a copy's `withUnsafeBytes`) for the call only, checks each
// offset and length against `data.count` before reading (release builds do not check
// `UnsafeRawBufferPointer` subscripts), and returns Swift values, never a pointer into `data`.

import TraceModel

/// Copies field values out of an event's raw bytes, using the layout libtraceevent parsed.
enum FieldDecoder {
  static func readUInt(_ data: UnsafeRawBufferPointer, _ offset: Int, _ size: Int, bigEndian: Bool) -> UInt64 {
    guard offset >= 0, size > 0, size <= 8, offset + size <= data.count else { return 0 }
    var value: UInt64 = 0
    if bigEndian {
      for index in 0..<size { value = value << 8 | UInt64(data[offset + index]) }
    } else {
      var index = size - 1
      while index >= 0 {
        value = value << 8 | UInt64(data[offset + index])
        index -= 1
      }
    }
    return value
  }

  /// The first field of a record whose bytes lie outside it: a `__data_loc`/`__rel_loc`
  /// field whose offset and length (from the record) run past its end, or a fixed field that
  /// starts past it. nil when every field fits.
  ///
  /// libtraceevent's printing trusts these (it copies `length` bytes from `offset`), so a
  /// record is checked with this before it is handed to `tep_print_event`.
  static func fieldOutsideRecord(_ layout: EventLayout, _ data: UnsafeRawBufferPointer, bigEndian: Bool)
    -> (name: String, start: Int, length: Int)?
  {
    for field in layout.fields {
      guard field.isDynamic else {
        if field.offset < 0 || field.offset > data.count { return (field.name, field.offset, field.size) }
        continue
      }
      guard field.offset >= 0, field.offset + 4 <= data.count else { return (field.name, field.offset, 4) }
      let word = readUInt(data, field.offset, 4, bigEndian: bigEndian)
      var start = Int(word & 0xffff)
      let length = Int(word >> 16)
      if field.isRelative { start += field.offset + field.size }
      if start + length > data.count { return (field.name, start, length) }
    }
    return nil
  }

  /// Decodes every non-common field of an event.
  ///
  /// Numbers become `.unsigned`/`.signed` by the format's `signed:` flag, char arrays and
  /// `__data_loc char[]` become strings, cpumasks become CPU lists, other arrays raw bytes.
  ///
  /// A `const char *` field whose value is an address of `strings` (the trace's printk
  /// formats) becomes that string, as `trace-cmd report` prints it.
  static func decode(
    _ layout: EventLayout, _ data: UnsafeRawBufferPointer, bigEndian: Bool, strings: [UInt64: String] = [:]
  ) -> [EventField] {
    var fields: [EventField] = []
    fields.reserveCapacity(layout.fields.count)
    for field in layout.fields {
      var start = field.offset
      var length = field.size
      if field.isArray && field.size == 0 && !field.isDynamic {
        length = max(0, data.count - field.offset)  // flexible array (`char buf[]`): to the record's end
      }
      if field.isDynamic {
        let word = readUInt(data, field.offset, 4, bigEndian: bigEndian)
        start = Int(word & 0xffff)
        length = Int(word >> 16)
        if field.isRelative { start += field.offset + field.size }
      }
      guard start >= 0, length >= 0, start + length <= data.count else {
        fields.append(EventField(name: field.name, value: .bytes([])))
        continue
      }
      let value: FieldValue
      if field.isCPUMask {
        value = .cpuList(
          CPUMask.cpus(
            inBytes: UnsafeRawBufferPointer(rebasing: data[start..<start + length]), wordSize: field.elementSize,
            bigEndian: bigEndian))
      } else if field.isText {
        let bytes = UnsafeRawBufferPointer(rebasing: data[start..<start + length])
        var text = bytes.prefix { $0 != 0 }
        // trace_marker text ends in the newline `echo` wrote; report text (and so every text
        // reader) shows it without, so the value is the same whichever reader produced it.
        if text.last == 10 { text = text.dropLast() }
        value = .string(EscapedText.string(text))
      } else if field.isArray || field.isDynamic || length > 8 {
        value = .bytes(Array(UnsafeRawBufferPointer(rebasing: data[start..<start + length])))
      } else {
        let raw = readUInt(data, start, length, bigEndian: bigEndian)
        if field.isStringPointer, !strings.isEmpty, let text = strings[raw] {
          value = .string(text)
        } else if field.isSigned {
          let shift = UInt64(64 - 8 * length)
          value = .signed(Int64(bitPattern: raw << shift) >> Int64(shift))
        } else {
          value = .unsigned(raw)
        }
      }
      fields.append(EventField(name: field.name, value: value))
    }
    return fields
  }

  /// The call chain of an ftrace `kernel_stack` record: `size` entries of `caller[]`,
  /// resolved through the trace's kallsyms.
  static func kernelStack(
    _ layout: EventLayout, _ data: UnsafeRawBufferPointer, longSize: Int, bigEndian: Bool, symbols: SymbolTable
  ) -> KernelStack? {
    guard let callers = layout.fields.first(where: { $0.name == "caller" }) else { return nil }
    let declared = layout.fields.first { $0.name == "size" }.map {
      Int(truncatingIfNeeded: readUInt(data, $0.offset, $0.size, bigEndian: bigEndian))
    }
    // The format's element size is the kernel's long even where a file header says otherwise.
    let longSize = callers.elementSize == 4 || callers.elementSize == 8 ? callers.elementSize : longSize
    let capacity = max(0, (data.count - callers.offset) / longSize)
    let count = min(declared.map { max(0, $0) } ?? capacity, capacity)
    var frames: [KernelStack.Frame] = []
    frames.reserveCapacity(count)
    for index in 0..<count {
      let address = readUInt(data, callers.offset + index * longSize, longSize, bigEndian: bigEndian)
      if address == 0 || address == UInt64.max || (longSize == 4 && address == 0xffff_ffff) { continue }
      let resolved = symbols.symbolize(address)
      frames.append(KernelStack.Frame(address: address, symbol: resolved?.name, offset: resolved?.offset ?? 0))
    }
    return KernelStack(frames: frames)
  }
}
