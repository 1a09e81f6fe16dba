import TraceModel

#if canImport(Glibc)
  import Glibc
#endif

/// The kprobes `pokestat record` defines on one kernel, with the arguments they fetch, worked
/// out from the machine's architecture and its `/proc/kallsyms`.
///
/// Argument registers follow each architecture's C calling convention, as kprobe_events
/// fetches them (Documentation/trace/kprobetrace.rst: `%REG`, `@SYM+offs`, `+offs(FETCHARG)`):
/// x86_64 passes the first arguments in `%di`, `%si`, `%dx`; arm64 in `%x0`, `%x1`, `%x2`.
/// The probes, with the arguments the analysis reads (`EventRoles` in TraceAnalysis):
/// - `native_send_call_func_ipi(const struct cpumask *mask)`: `mask=+0(%di):x64`, the first
///   word of the mask (CPUs 0-63); `native_send_call_func_single_ipi(int cpu)`: `cpu=%di:s32`
///   (arch/x86/kernel/smp.c). Only when no `ipi:*` tracepoint sees the sends.
/// - `text_poke_bp_batch(struct text_poke_loc *tp, unsigned int nr_entries)` (v5.3–v6.15,
///   arch/x86/kernel/alternative.c): `nr_entries=%si:u32`. From v6.16 the batch is
///   `smp_text_poke_batch_process(void)` over the static `text_poke_array`, whose
///   `nr_entries` follows `vec[PAGE_SIZE / 16]`: `@text_poke_array+4096:s32`. Where the
///   compiler inlined the process step into `smp_text_poke_batch_finish` (Debian's 7.x), the
///   probe goes on the finish function. A kretprobe on the same function gives the duration.
/// - arm64 (arch/arm64/kernel/jump_label.c): `arch_jump_label_transform_queue` (one entry
///   each), `arch_jump_label_transform_apply` with its kretprobe (one batch: the kick), or,
///   before the 2024 fix, `arch_jump_label_transform` (one entry, no IPI).
public struct KprobePlan: Sendable, Equatable {
  /// One `p:`/`r:` line of kprobe_events.
  public struct Probe: Sendable, Equatable {
    /// The event name (the group is added by ``definition(group:)``).
    public var name: String
    public var function: String
    public var isReturn: Bool
    /// `name=FETCHARG:type` pairs, separated by spaces ("" for none).
    public var arguments: String
    /// An IPI send probe (counts as an IPI source).
    public var isSend: Bool
    /// What the analysis takes from it, for the source line.
    public var purpose: String
    /// The entry of a batch (x86 batch function, arm64 apply): counted live by `record`.
    public var startsBatch = false

    /// `p:group/name function args` or `r:group/name function`.
    public func definition(group: String) -> String {
      "\(isReturn ? "r" : "p"):\(group)/\(name) \(function)\(arguments.isEmpty ? "" : " " + arguments)"
    }
  }

  public var probes: [Probe] = []
  /// The functions function_graph is limited to (the batch functions).
  public var graphFunctions: [String] = []
  /// What the plan could not cover, in words (an argument it cannot fetch, a function missing).
  public var notes: [String] = []

  /// Argument registers of the C calling convention, by `uname -m`.
  static func argumentRegisters(machine: String) -> [String]? {
    switch machine {
    case "x86_64": return ["%di", "%si", "%dx"]
    case "aarch64", "arm64": return ["%x0", "%x1", "%x2"]
    default: return nil
    }
  }

  /// The running machine's `uname -m` (`uname(2)`).
  public static func runningMachine() -> String {
    TracefsFiles.machineName
  }

  /// Function names in a `/proc/kallsyms` text (third column; module symbols included).
  static func functionNames(inKallsyms text: String) -> Set<String> {
    var names: Set<String> = []
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if fields.count >= 3 {
        names.insert(String(fields[2].split(separator: "\t").first ?? fields[2]))
      }
    }
    return names
  }

  /// The plan for a machine (`uname -m`) and its kallsyms.
  ///
  /// - Parameter withSendProbes: add the send-function probes (no `ipi:*` tracepoint works).
  public init(machine: String, kallsyms: String, withSendProbes: Bool) {
    let present = Self.functionNames(inKallsyms: kallsyms)
    let registers = Self.argumentRegisters(machine: machine)
    if registers == nil {
      notes.append(
        "no argument registers known for \(machine.isEmpty ? "this machine" : machine): probes fetch no arguments"
      )
    }
    func argument(_ index: Int, _ format: (String) -> String) -> String {
      guard let registers, index < registers.count else { return "" }
      return format(registers[index])
    }
    if withSendProbes {
      if present.contains("native_send_call_func_ipi") {
        probes.append(
          Probe(
            name: "native_send_call_func_ipi", function: "native_send_call_func_ipi",
            isReturn: false,
            arguments: argument(0) { "mask=+0(\($0)):x64" }, isSend: true,
            purpose: "IPI sends; targets from the cpumask's first word (CPUs 0-63)"))
      }
      if present.contains("native_send_call_func_single_ipi") {
        probes.append(
          Probe(
            name: "native_send_call_func_single_ipi", function: "native_send_call_func_single_ipi",
            isReturn: false,
            arguments: argument(0) { "cpu=\($0):s32" }, isSend: true,
            purpose: "IPI sends to one CPU"))
      }
      if !present.contains("native_send_call_func_ipi")
        && !present.contains("native_send_call_func_single_ipi")
      {
        notes.append("no IPI send function (native_send_call_func_ipi) in /proc/kallsyms")
      }
    }
    // The x86 batch function of this kernel and how its entry count is fetched.
    var batch: (function: String, arguments: String)?
    if present.contains("text_poke_bp_batch") {
      batch = ("text_poke_bp_batch", argument(1) { "nr_entries=\($0):u32" })
    } else if let function = ["smp_text_poke_batch_process", "smp_text_poke_batch_finish"].first(
      where: present.contains)
    {
      let array = present.contains("text_poke_array") ? "nr_entries=@text_poke_array+4096:s32" : ""
      if array.isEmpty {
        notes.append(
          "text_poke_array is not in /proc/kallsyms (CONFIG_KALLSYMS_ALL): batch entry counts not recorded"
        )
      }
      batch = (function, array)
    }
    if let batch {
      probes.append(
        Probe(
          name: batch.function, function: batch.function, isReturn: false,
          arguments: batch.arguments, isSend: false,
          purpose: batch.arguments.isEmpty ? "batches" : "batches and their entry counts", startsBatch: true))
      probes.append(
        Probe(
          name: batch.function + "_ret", function: batch.function, isReturn: true, arguments: "",
          isSend: false,
          purpose: "batch durations"))
      graphFunctions.append(batch.function)
    }
    // arm64 jump labels: queue + apply (with the 2024 fix) or transform per entry (before it).
    // (x86 has functions of the same names; there the text_poke batch is the one to probe.)
    let isArm64 = machine == "aarch64" || machine == "arm64"
    for function in ["arch_jump_label_transform_queue", "arch_jump_label_transform"]
    where present.contains(function) && isArm64 {
      probes.append(
        Probe(
          name: function, function: function, isReturn: false, arguments: "", isSend: false,
          purpose: "jump-label entries"))
    }
    if present.contains("arch_jump_label_transform_apply") && isArm64 {
      probes.append(
        Probe(
          name: "arch_jump_label_transform_apply", function: "arch_jump_label_transform_apply",
          isReturn: false,
          arguments: "", isSend: false, purpose: "jump-label batches (each one kick_all_cpus_sync)", startsBatch: true)
      )
      probes.append(
        Probe(
          name: "arch_jump_label_transform_apply_ret", function: "arch_jump_label_transform_apply",
          isReturn: true,
          arguments: "", isSend: false, purpose: "batch durations"))
      graphFunctions.append("arch_jump_label_transform_apply")
    }
    if batch == nil && !(isArm64 && present.contains("arch_jump_label_transform_apply")) {
      notes.append(
        "no batch function (text_poke_bp_batch, smp_text_poke_batch_*, arch_jump_label_transform_apply) in /proc/kallsyms"
      )
    }
  }
}
