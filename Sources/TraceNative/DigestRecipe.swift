// Unsafe code: `DigestRecipe.value` borrows an event's bytes for the call, checks every slot
// against `data.count` before reading, and returns a number (as FieldDecoder.swift does).

import TraceModel

/// Where a digest's fields are in an event of one type, worked out once from its layout.
struct DigestRecipe {
  struct Slot {
    var offset: Int
    var size: Int
    var elementSize: Int
    var isMask: Bool
    var isDynamic: Bool
    var isRelative: Bool
  }

  var kind: Int
  var count: Int
  var slots: (Slot, Slot, Slot)

  /// The recipe for `layout` under `plan`, or nil when the plan does not name the event or a
  /// field does not fit a digest.
  init?(_ layout: EventLayout, plan: DigestPlan) {
    guard let kind = plan.kinds.firstIndex(where: { $0.system == layout.system && $0.name == layout.name }) else { return nil }
    let empty = Slot(offset: 0, size: 0, elementSize: 0, isMask: false, isDynamic: false, isRelative: false)
    var slots = [empty, empty, empty]
    for (index, name) in plan.kinds[kind].fields.enumerated() {
      guard let field = layout.fields.first(where: { $0.name == name }) else { return nil }
      if field.isCPUMask {
        slots[index] = Slot(offset: field.offset, size: field.size, elementSize: field.elementSize, isMask: true,
                            isDynamic: field.isDynamic, isRelative: field.isRelative)
        continue
      }
      // Exactly the fields FieldDecoder.decode makes `.unsigned`.
      guard !field.isText, !field.isStringPointer, !field.isArray, !field.isDynamic, !field.isSigned, field.size > 0, field.size <= 8 else { return nil }
      slots[index] = Slot(offset: field.offset, size: field.size, elementSize: 0, isMask: false, isDynamic: false, isRelative: false)
    }
    self.kind = kind
    self.count = plan.kinds[kind].fields.count
    self.slots = (slots[0], slots[1], slots[2])
  }

  /// The value of one slot in `data`, or nil when the event must be decoded in full instead
  /// (a field past the record's end, a cpumask naming a CPU above 63).
  static func value(_ slot: Slot, _ data: UnsafeRawBufferPointer, bigEndian: Bool) -> UInt64? {
    guard slot.isMask else {
      guard slot.offset >= 0, slot.offset + slot.size <= data.count else { return nil }
      return FieldDecoder.readUInt(data, slot.offset, slot.size, bigEndian: bigEndian)
    }
    // As FieldDecoder.decode reads a cpumask.
    var start = slot.offset
    var length = slot.size
    if slot.isDynamic {
      let word = FieldDecoder.readUInt(data, slot.offset, 4, bigEndian: bigEndian)
      start = Int(word & 0xffff)
      length = Int(word >> 16)
      if slot.isRelative { start += slot.offset + slot.size }
    }
    guard start >= 0, length >= 0, start + length <= data.count else { return nil }
    let wordSize = slot.elementSize > 0 && slot.elementSize <= 8 ? slot.elementSize : 8
    var mask: UInt64 = 0
    var wordIndex = 0
    while (wordIndex + 1) * wordSize <= length {
      let word = FieldDecoder.readUInt(data, start + wordIndex * wordSize, wordSize, bigEndian: bigEndian)
      if word != 0 {
        let shift = wordIndex * wordSize * 8
        guard shift + (64 - word.leadingZeroBitCount) <= 64 else { return nil }
        mask |= word << UInt64(shift)
      }
      wordIndex += 1
    }
    return mask
  }

  /// A command name packed into 16 bytes, or nil when it does not fit (or holds a NUL).
  static func packedTaskName(_ name: String) -> (UInt64, UInt64)? {
    var words: (UInt64, UInt64) = (0, 0)
    var index = 0
    for byte in name.utf8 {
      guard byte != 0, index < 16 else { return nil }
      if index < 8 { words.0 |= UInt64(byte) << UInt64(8 * index) } else { words.1 |= UInt64(byte) << UInt64(8 * (index - 8)) }
      index += 1
    }
    return words
  }
}
