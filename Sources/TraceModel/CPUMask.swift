/// Reads a set of CPUs in every form traces write one: the one cpumask decoder of the tree.
///
/// Forms, and where they come from:
/// - a CPU list, `0-1,3` (libtraceevent's `trace-cmd report` for `__cpumask` fields, `/sys`
///   files, `--isolated`);
/// - the kernel's bitmap print, `00000000,0000000b` (tracefs text of `ipi:ipi_send_cpumask`'s
///   `cpumask` and `ipi:ipi_raise`'s `target_mask`: `%*pb` in `trace_print_bitmask_seq`,
///   kernel/trace/trace_output.c; 32-bit chunks of 8 hex digits, most significant first,
///   bit n = CPU n);
/// - a `0x`-prefixed hex word, `0x7` (a kprobe fetching `+0(%di):x64`, the mask's first word);
/// - a number (bit n = CPU n);
/// - raw bytes of a bitmap (`__data_loc unsigned long[]`, `__bitmask()` in the event's format):
///   words of `wordSize` bytes in the trace's byte order, word 0 holding CPUs 0-63.
public enum CPUMask {
  /// The CPUs a text names, in increasing order; nil when the text is in none of the forms.
  ///
  /// A text of 8-hex-digit chunks is the kernel's bitmap (a CPU list never has leading
  /// zeros); otherwise a text with hex letters or a `0x` prefix is a hex word, and digits,
  /// commas and dashes are a CPU list.
  ///
  /// - Complexity: O(n) in the text's length plus the number of CPUs.
  public static func parse(_ text: Substring) -> [Int]? {
    if text.isEmpty { return [] }
    if text.hasPrefix("0x") || text.hasPrefix("0X") {
      let digits = text.dropFirst(2)
      return digits.isEmpty ? nil : bitmap(chunks: [digits], bitsPerChunk: digits.utf8.count * 4)
    }
    let chunks = text.split(separator: ",", omittingEmptySubsequences: false)
    let isHex = text.utf8.allSatisfy { isHexDigit($0) || $0 == 0x2C }
    if isHex, chunks.allSatisfy({ $0.utf8.count == 8 }) { return bitmap(chunks: chunks, bitsPerChunk: 32) }
    if let list = CPUList.parse(text) { return list }
    if isHex, chunks.count == 1, text.utf8.count <= 16 { return bitmap(chunks: chunks, bitsPerChunk: text.utf8.count * 4) }
    return nil
  }

  /// The CPUs of a 64-bit word (bit n = CPU n + `base`).
  public static func cpus(inWord word: UInt64, base: Int = 0) -> [Int] {
    var cpus: [Int] = []
    var rest = word
    while rest != 0 {
      cpus.append(base + rest.trailingZeroBitCount)
      rest &= rest - 1
    }
    return cpus
  }

  /// The CPUs of a bitmap's raw bytes: words of `wordSize` bytes (1-8), word k holding CPUs
  /// `k * 8 * wordSize` and up; trailing bytes short of a word are ignored.
  public static func cpus(inBytes bytes: some Collection<UInt8>, wordSize: Int = 8, bigEndian: Bool = false) -> [Int] {
    let size = (1...8).contains(wordSize) ? wordSize : 8
    let array = Array(bytes)
    var cpus: [Int] = []
    var start = 0
    while start + size <= array.count {
      var word: UInt64 = 0
      for index in 0..<size {
        let byte = UInt64(array[start + (bigEndian ? index : size - 1 - index)])
        word = word << 8 | byte
      }
      cpus.append(contentsOf: Self.cpus(inWord: word, base: start * 8))
      start += size
    }
    return cpus
  }

  /// The CPUs a field value names, whatever its form; nil for a value that is no cpumask.
  public static func cpus(in value: FieldValue) -> [Int]? {
    switch value {
    case .cpuList(let cpus): return cpus
    case .unsigned(let word): return cpus(inWord: word)
    case .signed(let word): return cpus(inWord: UInt64(bitPattern: word))
    case .string(let text): return parse(Substring(text))
    case .bytes(let bytes): return bytes.isEmpty ? nil : cpus(inBytes: bytes)
    }
  }

  /// Chunks of hex digits, most significant first, each `bitsPerChunk` bits wide.
  private static func bitmap(chunks: [Substring], bitsPerChunk: Int) -> [Int]? {
    var cpus: [Int] = []
    for (position, chunk) in chunks.reversed().enumerated() {
      // Read 16 digits at a time from the chunk's right end (a chunk can be one long word).
      var digits = chunk[...]
      var base = position * bitsPerChunk
      while !digits.isEmpty {
        let piece = digits.suffix(16)
        guard let word = UInt64(piece, radix: 16) else { return nil }
        cpus.append(contentsOf: Self.cpus(inWord: word, base: base))
        base += 64
        digits = digits.dropLast(piece.count)
      }
    }
    return cpus  // ascending: chunks and pieces are read least significant first
  }

  private static func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
  }
}
