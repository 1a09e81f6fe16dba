import TraceModel

/// The event names a text stream has seen, each decided once: its `String`, its system,
/// whether its fields are wanted and whether its events are left out, so the per-line work is
/// a hash and a byte compare instead of string building and set lookups.
///
/// Names are found by a key (length and first 7 bytes) in a direct-mapped cache of 64 slots,
/// then in the list of all names; a trace has tens of names.
struct EventNameTable {
  /// What was decided for one name.
  struct Entry {
    enum Kind { case plain, functionGraph, kernelStack, userStack, marker }
    var name: String
    /// "" when the system depends on the line (kprobe events print `(sym+0x0/0x20)` first).
    var system: String
    var wantsFields: Bool
    var kind: Kind
    /// Whether its events are left out (a ``FieldSelection/only(_:)`` selection not naming it).
    var isSkipped: Bool
  }

  private let fields: FieldSelection
  /// Whether events outside an ``FieldSelection/only(_:)`` selection are left out.
  private let skipsUnselected: Bool
  /// Every name, by index (read in place: `table.entries[i].kind` copies no string).
  private(set) var entries: [Entry] = []
  /// The bytes of every name, back to back (``starts`` has each one's start and one more entry
  /// for the end), and each name's key: its length and first 7 bytes.
  private var bytes: [UInt8] = []
  private var starts: [Int] = [0]
  private var keys: [UInt64] = []
  /// Each name's bytes 7..<15 (see ``FastEventLine/nameTail``).
  private var tails: [UInt64] = []
  /// Per hash of a name key, the index last found for it (-1: none).
  private var slots = [Int](repeating: -1, count: 64)

  init(fields: FieldSelection, skipsUnselected: Bool) {
    self.fields = fields
    self.skipsUnselected = skipsUnselected
  }

  /// The index of a name of at most 15 bytes found in the cache by its key and tail (names
  /// that short are equal when both are), or nil: then call ``index(_:_:_:key:)``.
  func cachedIndex(key: UInt64, tail: UInt64, length: Int) -> Int? {
    let cached = slots[Self.slot(key)]
    return length <= 15 && cached >= 0 && keys[cached] == key && tails[cached] == tail ? cached : nil
  }

  /// The entry of the function tracer's lines (which print no event name).
  mutating func functionIndex() -> Int {
    index(Byte.functionName, 0, Byte.functionName.count)
  }

  /// The slot of a name key in ``slots``.
  private static func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 58) }

  /// The index of the name in `b[start..<end]`, added on first sight.
  ///
  /// - Complexity: O(length + distinct names); a trace has tens of names.
  mutating func index(_ b: [UInt8], _ start: Int, _ end: Int, key precomputed: UInt64? = nil) -> Int {
    let length = end - start
    // Key: the first 7 bytes and the length (names are short; the rest is compared on a hit).
    let prefix = min(length, 7)
    var key: UInt64
    if let precomputed {
      key = precomputed
    } else {
      key = UInt64(truncatingIfNeeded: min(length, 255)) << 56
      for k in 0..<prefix { key |= UInt64(b[start + k]) << UInt64(8 * k) }
    }
    // A direct-mapped cache of the last name per key hash, then the list of all names.
    let slot = Self.slot(key)
    let cached = slots[slot]
    if cached >= 0, keys[cached] == key, starts[cached + 1] - starts[cached] == length,
      length <= prefix
        || FastEventLine.equal(bytes, starts[cached] + prefix, b, start + prefix, count: length - prefix)
    {
      return cached
    }
    search: for index in keys.indices where keys[index] == key {
      let known = starts[index]
      guard starts[index + 1] - known == length else { continue }
      if length > prefix {
        for k in prefix..<length where bytes[known + k] != b[start + k] { continue search }
      }
      slots[slot] = index
      return index
    }
    bytes.append(contentsOf: b[start..<end])
    starts.append(bytes.count)
    keys.append(key)
    var tail: UInt64 = 0
    for k in 0..<min(max(length - 7, 0), 8) { tail |= UInt64(b[start + 7 + k]) << UInt64(8 * k) }
    tails.append(tail)
    let name = EscapedText.string(b[start..<end])
    let kind: Entry.Kind
    switch name {
    case "funcgraph_entry", "funcgraph_exit": kind = .functionGraph
    case "kernel_stack": kind = .kernelStack
    case "user_stack": kind = .userStack
    case "tracing_mark_write": kind = .marker
    default: kind = .plain
    }
    let printedName = kind == .marker ? "print" : name
    let system = EventSystems.system(of: printedName, info: Substring(""))
    let wants = fields.wants(system: system, name: printedName)
    entries.append(
      Entry(
        name: printedName, system: system, wantsFields: wants, kind: kind,
        isSkipped: skipsUnselected && !wants && !system.isEmpty && (kind == .plain || kind == .marker)))
    return entries.count - 1
  }
}
