import TraceModel

/// Which x86 int3-based patching protocol a kernel uses, and the size of its batch vector.
///
/// One table per fact, keyed by kernel version (ARCHITECTURE.md, "Kernel versions are data").
/// Sources, all arch/x86/kernel/alternative.c unless stated:
/// - before v5.3: `text_poke_bp()` patches one site at a time: int3 write, sync, tail write,
///   sync (only when the instruction is longer than the 1-byte int3), first-byte write, sync.
/// - v5.3 (Daniel Bristot de Oliveira's jump-label batching series, seed 001): `text_poke_bp_batch()`
///   with the vector `tp_vec[TP_VEC_MAX]`, `TP_VEC_MAX = PAGE_SIZE / sizeof(struct text_poke_loc)`
///   (arch/x86/kernel/jump_label.c in v5.3–v5.4, moved to alternative.c in v5.5).
///   In v5.3–v5.4 `struct text_poke_loc` is `{ void *detour; void *addr; size_t len; char opcode[5]; }`
///   = 32 bytes, so TP_VEC_MAX = 128 (Peter Zijlstra, LKML 2019-08-26, "Re: [PATCH 2/3]
///   x86/alternatives: Move tp_vec": "that currently results in a batch size of 128").
/// - v5.5: `{ void *addr; s32 rel32; u8 opcode; u8 text[5]; }` = 24 bytes, TP_VEC_MAX = 170;
///   `text_poke_queue()` flushes early when an address is not above the last queued one
///   (`tp_order_fail()`).
/// - v5.6 ("x86/alternatives: Shrink text_poke_loc": `addr` becomes `s32 rel_addr`) and later:
///   16 bytes, TP_VEC_MAX = 256; the third step syncs only when some new first byte is not int3
///   (the `do_sync` loop, read in the v5.6-era and current alternative.c).
/// - v6.16 renames the functions to `smp_text_poke_*` (see ``KernelSymbols``); the rules stay.
public enum TextPokeRules {
  /// The 4 KiB page that holds the vector on x86 (PAGE_SIZE).
  public static let pageSizeBytes = 4096

  /// The first version that batches (v5.3).
  public static let batchingSince = KernelVersion(5, 3)

  /// The first version that flushes the vector when addresses are out of order (v5.5).
  public static let orderFlushSince = KernelVersion(5, 5)

  /// The first version that skips the step-3 sync when every new first byte is int3 (v5.6).
  public static let conditionalFirstByteSyncSince = KernelVersion(5, 6)

  /// `sizeof(struct text_poke_loc)` in bytes for a batching kernel; nil before v5.3.
  public static func textPokeLocBytes(for kernel: KernelVersion) -> Int? {
    if kernel < batchingSince { return nil }
    if kernel < KernelVersion(5, 5) { return 32 }
    if kernel < KernelVersion(5, 6) { return 24 }
    return 16
  }

  /// TP_VEC_MAX (entries per batch) for a batching kernel; nil before v5.3 (no batching).
  public static func vectorCapacity(for kernel: KernelVersion) -> Int? {
    textPokeLocBytes(for: kernel).map { pageSizeBytes / $0 }
  }
}
