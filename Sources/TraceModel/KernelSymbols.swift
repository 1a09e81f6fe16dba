/// Kernel function names that matter to text patching, across kernel versions.
///
/// One table per fact, keyed by the kernel version that introduced the name. Sources:
/// arch/x86/kernel/alternative.c (v5.3 `text_poke_bp_batch`, batching series by Daniel Bristot
/// de Oliveira; v6.16 renames to `smp_text_poke_*` by Ingo Molnar, "x86/alternatives: Rename
/// ..." series, 2025), kernel/smp.c, arch/x86/entry/entry_64.S (interrupt entry stubs).
public enum KernelSymbols {
  /// The role a patching function plays, whatever its name in a given kernel.
  public enum PatchRole: String, Hashable, Sendable, CaseIterable, Codable {
    /// Runs one batch: int3 write, sync, tail write, sync, first byte, sync.
    case batch
    /// Flushes the queued vector (jump-label apply ends here).
    case batchFinish
    /// Queues one site into the vector.
    case batchAdd
    /// Patches one site on its own (a batch of one).
    case single
    /// The sync broadcast itself: `on_each_cpu(do_sync_core)`.
    case sync
    /// The int3 trap handler that emulates a site while it is being patched.
    case int3Handler
  }

  /// A function name with the first kernel version that has it under that name and the last
  /// version before it was renamed (nil: still current).
  public struct Alias: Hashable, Sendable {
    public var name: String
    public var role: PatchRole
    public var since: KernelVersion
    public var until: KernelVersion?
  }

  /// Every name the text_poke paths have had in mainline x86.
  public static let textPokeAliases: [Alias] = [
    Alias(name: "text_poke_bp", role: .single, since: KernelVersion(2, 6, 33), until: KernelVersion(6, 15)),
    Alias(name: "text_poke_bp_batch", role: .batch, since: KernelVersion(5, 3), until: KernelVersion(6, 15)),
    Alias(name: "text_poke_finish", role: .batchFinish, since: KernelVersion(5, 5), until: KernelVersion(6, 15)),
    Alias(name: "text_poke_queue", role: .batchAdd, since: KernelVersion(5, 5), until: KernelVersion(6, 15)),
    Alias(name: "text_poke_sync", role: .sync, since: KernelVersion(5, 5), until: KernelVersion(6, 15)),
    Alias(name: "poke_int3_handler", role: .int3Handler, since: KernelVersion(3, 3), until: KernelVersion(6, 15)),
    Alias(name: "smp_text_poke_batch_process", role: .batch, since: KernelVersion(6, 16), until: nil),
    Alias(name: "smp_text_poke_batch_finish", role: .batchFinish, since: KernelVersion(6, 16), until: nil),
    Alias(name: "smp_text_poke_batch_add", role: .batchAdd, since: KernelVersion(6, 16), until: nil),
    Alias(name: "smp_text_poke_single", role: .single, since: KernelVersion(6, 16), until: nil),
    Alias(name: "smp_text_poke_sync_each_cpu", role: .sync, since: KernelVersion(6, 16), until: nil),
    Alias(name: "smp_text_poke_int3_handler", role: .int3Handler, since: KernelVersion(6, 16), until: nil),
  ]

  private static let roleByName: [String: PatchRole] = Dictionary(
    textPokeAliases.map { ($0.name, $0.role) }, uniquingKeysWith: { first, _ in first })

  /// The patching role of a function name in any kernel version, if it has one.
  public static func patchRole(of symbol: String) -> PatchRole? { roleByName[symbol] }

  /// Whether a stack frame through this function means the code is patching text
  /// (every role but the int3 handler, which runs on the patched CPU's victims).
  public static func isTextPokePath(_ symbol: String) -> Bool {
    guard let role = roleByName[symbol] else { return false }
    return role != .int3Handler
  }

  /// Names of the int3 handler in any version.
  public static let int3HandlerNames: Set<String> = Set(
    textPokeAliases.filter { $0.role == .int3Handler }.map(\.name))

  /// Names of the batch function in any version (where a probe or function_graph sees a batch).
  public static let batchFunctionNames: Set<String> = Set(
    textPokeAliases.filter { $0.role == .batch || $0.role == .batchFinish }.map(\.name))

  /// The IPI send functions on x86 (arch/x86/kernel/smp.c, kernel/smp.c), for kernels without
  /// `ipi:*` tracepoints (before v6.3).
  public static let ipiSendFunctions: Set<String> = [
    "native_send_call_func_ipi", "native_send_call_func_single_ipi",
    "smp_call_function_single", "smp_call_function_many_cond", "smp_call_function_many",
  ]

  /// Whether a frame is an interrupt or exception entry, below which the stack belongs to
  /// the interrupted context (arch/x86/entry/entry_64.S, include/asm/idtentry.h naming).
  public static func isInterruptEntry(_ symbol: String) -> Bool {
    symbol.hasPrefix("asm_") || symbol.hasPrefix("sysvec_") || symbol.hasPrefix("__sysvec_")
      || symbol.hasPrefix("exc_") || symbol == "irq_exit_rcu" || symbol.hasPrefix("__irq_exit")
      || symbol.hasPrefix("handle_softirqs") || symbol.hasPrefix("__do_softirq")
      || symbol.hasPrefix("do_softirq") || symbol.hasPrefix("__softirqentry")
      || symbol == "common_interrupt" || symbol == "irq_exit"
      || arm64InterruptEntries.contains(symbol)
  }

  /// arm64 interrupt entry frames (arch/arm64/kernel/entry-common.c, entry.S, irq.c;
  /// drivers/irqchip/irq-gic*.c): below them the stack is the interrupted context's.
  /// `el1h_64_sync` is left out: kprobes (a BRK exception) enter through it.
  static let arm64InterruptEntries: Set<String> = [
    "el1_interrupt", "el1h_64_irq", "el1h_64_irq_handler", "el0_interrupt", "el0t_64_irq", "el0t_64_irq_handler",
    "gic_handle_irq", "call_on_irq_stack", "do_softirq_own_stack", "____do_softirq", "handle_domain_irq",
  ]
}

/// The arm64 jump-label patching functions (arch/arm64/kernel/jump_label.c, torvalds/linux).
///
/// With the 2024 fix "arm64: jump_label: Ensure patched jump_labels are visible to all CPUs"
/// (Will Deacon; backported to stable kernels), `arch_jump_label_transform_queue` patches one
/// site with `aarch64_insn_patch_text_nosync` and sends no IPI, and
/// `arch_jump_label_transform_apply` runs `kick_all_cpus_sync()`: one function-call IPI to
/// every other CPU. That is a batch whose one sync is the kick. Without it only
/// `arch_jump_label_transform` exists: each site is patched on its own, no batch, no IPI.
/// Which a kernel does depends on the backport, not on its version: the lab saw the apply in
/// Debian's 6.1.192 and 6.12.117 and not in 5.10.223 (fixtures/lab/*-arm64-*.guest.txt).
public enum Arm64JumpLabel {
  /// The batch: queued sites become visible everywhere (present only with the fix).
  public static let apply = "arch_jump_label_transform_apply"
  /// Patches one site of a batch (no IPI).
  public static let queue = "arch_jump_label_transform_queue"
  /// Patches one site on its own (no batch, no IPI), the only path before the fix.
  public static let transform = "arch_jump_label_transform"
  /// The apply's sync: an IPI to every other online CPU.
  public static let kick = "kick_all_cpus_sync"
}

/// A kernel release number, `6.1.0-13-cloud-amd64` read as 6.1.0.
public struct KernelVersion: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
  public var major: Int
  public var minor: Int
  public var patch: Int

  public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
    self.major = major
    self.minor = minor
    self.patch = patch
  }

  /// Reads the leading `major.minor[.patch]` of a release string; nil when there is none.
  public init?(release: String) {
    let digits = release.prefix { $0.isNumber || $0 == "." }
    let parts = digits.split(separator: ".").compactMap { Int($0) }
    guard parts.count >= 2 else { return nil }
    self.init(parts[0], parts[1], parts.count > 2 ? parts[2] : 0)
  }

  public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
    (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
  }

  public var description: String { "\(major).\(minor).\(patch)" }
}
