import Foundation
import Testing
import TraceNative
import TraceTestSupport

/// The kprobes `pokestat record` defines, from a real kallsyms excerpt (Debian bookworm
/// 6.1.0-57-cloud-amd64, taken with `trace-cmd dump --kallsyms` from the recorded trace).
@Suite struct KprobePlanTests {
  static func kallsyms() throws -> String {
    try String(contentsOf: Fixtures.url("record/bookworm61-kallsyms-excerpt.txt"), encoding: .utf8)
  }

  @Test(
    "x86_64 6.1 without ipi tracepoints: send probes with the mask word and the target CPU, batch probe with nr_entries"
  )
  func x86WithoutTracepoints() throws {
    let plan = KprobePlan(machine: "x86_64", kallsyms: try Self.kallsyms(), withSendProbes: true)
    #expect(
      plan.probes.map { $0.definition(group: "pokestat_7") } == [
        "p:pokestat_7/native_send_call_func_ipi native_send_call_func_ipi mask=+0(%di):x64",
        "p:pokestat_7/native_send_call_func_single_ipi native_send_call_func_single_ipi cpu=%di:s32",
        "p:pokestat_7/text_poke_bp_batch text_poke_bp_batch nr_entries=%si:u32",
        "r:pokestat_7/text_poke_bp_batch_ret text_poke_bp_batch",
      ])
    #expect(plan.graphFunctions == ["text_poke_bp_batch"])
    #expect(plan.notes.isEmpty)
  }

  @Test("with ipi tracepoints only the batch pair is added")
  func x86WithTracepoints() throws {
    let plan = KprobePlan(machine: "x86_64", kallsyms: try Self.kallsyms(), withSendProbes: false)
    #expect(plan.probes.map(\.name) == ["text_poke_bp_batch", "text_poke_bp_batch_ret"])
    #expect(!plan.probes.contains { $0.isSend })
  }

  @Test(
    "7.x: the inlined process step puts the probe on smp_text_poke_batch_finish, entries from text_poke_array"
  )
  func inlinedBatchProcess() {
    let kallsyms =
      "ffffffff81040000 T smp_text_poke_batch_finish\nffffffff83000000 b text_poke_array\n"
    let plan = KprobePlan(machine: "x86_64", kallsyms: kallsyms, withSendProbes: false)
    #expect(
      plan.probes.first?.definition(group: "g")
        == "p:g/smp_text_poke_batch_finish smp_text_poke_batch_finish nr_entries=@text_poke_array+4096:s32"
    )
  }

  @Test(
    "arm64: queue, transform and apply with its kretprobe; x86's same-named functions are not probed on x86"
  )
  func arm64() throws {
    // Names as an arm64 6.1.192 kallsyms has them (the functions of arch/arm64/kernel/jump_label.c).
    let arm64 = """
      ffff800008022f10 T arch_jump_label_transform
      ffff800008022f60 T arch_jump_label_transform_queue
      ffff800008022fb0 T arch_jump_label_transform_apply
      ffff8000080f1a40 T kick_all_cpus_sync
      """
    let plan = KprobePlan(machine: "aarch64", kallsyms: arm64, withSendProbes: false)
    #expect(
      plan.probes.map { $0.definition(group: "g") } == [
        "p:g/arch_jump_label_transform_queue arch_jump_label_transform_queue",
        "p:g/arch_jump_label_transform arch_jump_label_transform",
        "p:g/arch_jump_label_transform_apply arch_jump_label_transform_apply",
        "r:g/arch_jump_label_transform_apply_ret arch_jump_label_transform_apply",
      ])
    #expect(plan.graphFunctions == ["arch_jump_label_transform_apply"])
    let x86 = KprobePlan(machine: "x86_64", kallsyms: try Self.kallsyms(), withSendProbes: false)
    #expect(!x86.probes.contains { $0.function.hasPrefix("arch_jump_label") })
  }

  @Test(
    "a machine without known argument registers: probes without arguments, and a note saying so")
  func unknownRegisters() throws {
    let plan = KprobePlan(machine: "riscv64", kallsyms: try Self.kallsyms(), withSendProbes: true)
    #expect(plan.probes.allSatisfy { $0.arguments.isEmpty })
    #expect(
      plan.notes.contains("no argument registers known for riscv64: probes fetch no arguments"))
  }
}
