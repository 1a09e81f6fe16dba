/// The reference model of the kernel's live text-patching mechanisms.
///
/// Pure functions from parameters (architecture, kernel version, CPU count, patch set) to
/// predicted counts; no I/O. docs/model.md states each rule with its kernel source.
public enum PatchEngine {}
