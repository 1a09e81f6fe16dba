/// One code site that a text_poke batch rewrites.
///
/// The model needs only what decides the batching and the syncs: the address (vector order),
/// the instruction length (whether a tail write and its sync happen) and whether the new first
/// byte is itself int3 (whether the third step syncs, v5.6 and later).
public struct TextPokeSite: Hashable, Sendable, Codable {
  /// The site's kernel virtual address.
  public var address: UInt64
  /// The instruction length in bytes (5 for a jump label's `jmp.d32`/`nop5`, 2 for `jmp.d8`).
  public var lengthBytes: Int
  /// Whether the new instruction's first byte is int3 (0xcc), as when a kprobe is armed.
  public var newFirstByteIsInt3: Bool

  public init(address: UInt64, lengthBytes: Int = 5, newFirstByteIsInt3: Bool = false) {
    precondition(lengthBytes >= 1, "an instruction has at least one byte")
    self.address = address
    self.lengthBytes = lengthBytes
    self.newFirstByteIsInt3 = newFirstByteIsInt3
  }

  /// `count` jump-label sites at increasing addresses from `base`, 5 bytes each
  /// (JUMP_LABEL_NOP_SIZE, arch/x86/include/asm/jump_label.h), as the jump-label core queues
  /// them after sorting one key's entries by address (kernel/jump_label.c, v5.3 and later).
  public static func jumpLabelRun(count: Int, base: UInt64 = 0xffff_ffff_8100_0000) -> [TextPokeSite] {
    precondition(count >= 0)
    return (0..<count).map { TextPokeSite(address: base &+ UInt64($0) &* 64) }
  }
}
