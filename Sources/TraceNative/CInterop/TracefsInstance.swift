// Unsafe code: a `struct tracefs_instance *` (owned: `tracefs_instance_free` in deinit).
// C strings libtracefs returns are copied into `String`s and freed (`tracefs_put_tracing_file`,
// `free`, `tracefs_list_free`) before the method returns; errno goes through SystemCall.swift.

#if canImport(Glibc)
  import Glibc
#endif
import CTraceFS
import SystemPackage

/// A tracefs instance (`instances/<name>`: its own ring buffer, events, options and
/// trace_marker), owning a `struct tracefs_instance *`.
///
/// Creating one makes the directory (`tracefs_instance_create`); ``destroy()`` removes it
/// (`tracefs_instance_destroy`); `deinit` only frees the handle (`tracefs_instance_free`),
/// so an instance another process created is never removed by dropping a handle to it.
final class TracefsInstance {  // not Sendable: used by the thread that set up the capture
  private let handle: OpaquePointer
  /// The instance's name (the directory under `instances/`).
  let name: String

  /// Makes the instance directory with `tracefs_instance_create`.
  ///
  /// - Throws: ``NativeTraceError`` naming `tracefs_instance_create`; `EEXIST` when an
  ///   instance of that name already exists (it is left alone).
  init(creating name: String) throws(NativeTraceError) {
    guard !tracefs_instance_exists(name) else {
      throw NativeTraceError(function: "tracefs_instance_create", path: "instances/\(name)", errno: .fileExists)
    }
    handle = try SystemCall.nonNil("tracefs_instance_create", path: "instances/\(name)", orElse: .noMemory) {
      tracefs_instance_create(name)
    }
    self.name = name
  }

  /// A handle to an existing instance (`tracefs_instance_alloc`), for cleaning up after a
  /// crashed run.
  init(existing name: String) throws(NativeTraceError) {
    guard tracefs_instance_exists(name) else {
      throw NativeTraceError(function: "tracefs_instance_exists", path: "instances/\(name)", errno: .noSuchFileOrDirectory)
    }
    handle = try SystemCall.nonNil("tracefs_instance_alloc", path: "instances/\(name)", orElse: .noMemory) {
      tracefs_instance_alloc(nil, name)
    }
    self.name = name
  }

  deinit { tracefs_instance_free(handle) }

  /// Removes the instance directory with `tracefs_instance_destroy` (rmdir).
  func destroy() throws(NativeTraceError) {
    _ = try SystemCall.checked("tracefs_instance_destroy", path: "instances/\(name)", orElse: .resourceBusy) {
      tracefs_instance_destroy(handle)
    } succeeded: { $0 == 0 }
  }

  /// The absolute path of a file of the instance (`tracefs_instance_get_file`).
  func path(of file: String) throws(NativeTraceError) -> String {
    let pointer = try SystemCall.nonNil("tracefs_instance_get_file", path: file, orElse: .noMemory) {
      tracefs_instance_get_file(handle, file)
    }
    defer { tracefs_put_tracing_file(pointer) }
    return String(cString: pointer)
  }

  /// Writes `text` to a file of the instance, replacing it (`tracefs_instance_file_write`)
  /// or, with `append`, adding to it (`tracefs_instance_file_append`: filter files).
  func write(_ text: String, to file: String, append: Bool = false) throws(NativeTraceError) {
    _ = try SystemCall.checked(
      append ? "tracefs_instance_file_append" : "tracefs_instance_file_write", path: "instances/\(name)/\(file)",
      orElse: .ioError
    ) {
      append ? tracefs_instance_file_append(handle, file, text) : tracefs_instance_file_write(handle, file, text)
    } succeeded: { $0 >= 0 }
  }

  /// The content of a file of the instance (`tracefs_instance_file_read`).
  func read(_ file: String) throws(NativeTraceError) -> String {
    var size: Int32 = 0
    let pointer = try SystemCall.nonNil("tracefs_instance_file_read", path: "instances/\(name)/\(file)", orElse: .noSuchFileOrDirectory) {
      tracefs_instance_file_read(handle, file, &size)
    }
    defer { free(pointer) }
    return String(cString: pointer)
  }

  /// Sets every CPU's ring buffer to `kilobytes` (`tracefs_instance_set_buffer_size`).
  func setBufferSize(kilobytes: Int) throws(NativeTraceError) {
    _ = try SystemCall.checked("tracefs_instance_set_buffer_size", path: "instances/\(name)/buffer_size_kb", orElse: .invalidArgument) {
      tracefs_instance_set_buffer_size(handle, kilobytes, -1)
    } succeeded: { $0 == 0 }
  }

  /// Starts (`tracefs_trace_on`) or stops (`tracefs_trace_off`) recording into the instance.
  func setTracing(_ on: Bool) throws(NativeTraceError) {
    _ = try SystemCall.checked(on ? "tracefs_trace_on" : "tracefs_trace_off", path: "instances/\(name)/tracing_on", orElse: .ioError) {
      on ? tracefs_trace_on(handle) : tracefs_trace_off(handle)
    } succeeded: { $0 == 0 }
  }

  /// The names of the instances matching a regular expression (`tracefs_instances`).
  static func names(matching regex: String) -> [String] {
    guard let list = tracefs_instances(regex) else { return [] }
    defer { tracefs_list_free(list) }
    var names: [String] = []
    var index = 0
    while let entry = list[index] {
      names.append(String(cString: entry))
      index += 1
    }
    return names
  }

  /// The tracefs mount point libtracefs uses (`tracefs_tracing_dir`), nil when none.
  static var tracingDirectory: String? {
    tracefs_tracing_dir().map { String(cString: $0) }
  }
}
