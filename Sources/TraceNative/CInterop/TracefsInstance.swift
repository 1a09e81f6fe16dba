#if canImport(Glibc)
  import Glibc
#endif
import CTraceFS

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
      throw NativeTraceError(function: "tracefs_instance_create", path: "instances/\(name)", errno: EEXIST)
    }
    errno = 0
    guard let handle = tracefs_instance_create(name) else {
      throw NativeTraceError(function: "tracefs_instance_create", path: "instances/\(name)", errno: errno == 0 ? ENOMEM : errno)
    }
    self.handle = handle
    self.name = name
  }

  /// A handle to an existing instance (`tracefs_instance_alloc`), for cleaning up after a
  /// crashed run.
  init(existing name: String) throws(NativeTraceError) {
    guard tracefs_instance_exists(name) else {
      throw NativeTraceError(function: "tracefs_instance_exists", path: "instances/\(name)", errno: ENOENT)
    }
    errno = 0
    guard let handle = tracefs_instance_alloc(nil, name) else {
      throw NativeTraceError(function: "tracefs_instance_alloc", path: "instances/\(name)", errno: errno == 0 ? ENOMEM : errno)
    }
    self.handle = handle
    self.name = name
  }

  deinit { tracefs_instance_free(handle) }

  /// Removes the instance directory with `tracefs_instance_destroy` (rmdir).
  func destroy() throws(NativeTraceError) {
    errno = 0
    guard tracefs_instance_destroy(handle) == 0 else {
      throw NativeTraceError(function: "tracefs_instance_destroy", path: "instances/\(name)", errno: errno == 0 ? EBUSY : errno)
    }
  }

  /// The absolute path of a file of the instance (`tracefs_instance_get_file`).
  func path(of file: String) throws(NativeTraceError) -> String {
    guard let pointer = tracefs_instance_get_file(handle, file) else {
      throw NativeTraceError(function: "tracefs_instance_get_file", path: file, errno: ENOMEM)
    }
    defer { tracefs_put_tracing_file(pointer) }
    return String(cString: pointer)
  }

  /// Writes `text` to a file of the instance, replacing it (`tracefs_instance_file_write`)
  /// or, with `append`, adding to it (`tracefs_instance_file_append`: filter files).
  func write(_ text: String, to file: String, append: Bool = false) throws(NativeTraceError) {
    errno = 0
    let written = append ? tracefs_instance_file_append(handle, file, text) : tracefs_instance_file_write(handle, file, text)
    guard written >= 0 else {
      throw NativeTraceError(function: append ? "tracefs_instance_file_append" : "tracefs_instance_file_write",
                             path: "instances/\(name)/\(file)", errno: errno == 0 ? EIO : errno)
    }
  }

  /// The content of a file of the instance (`tracefs_instance_file_read`).
  func read(_ file: String) throws(NativeTraceError) -> String {
    errno = 0
    var size: Int32 = 0
    guard let pointer = tracefs_instance_file_read(handle, file, &size) else {
      throw NativeTraceError(function: "tracefs_instance_file_read", path: "instances/\(name)/\(file)", errno: errno == 0 ? ENOENT : errno)
    }
    defer { free(pointer) }
    return String(cString: pointer)
  }

  /// Sets every CPU's ring buffer to `kilobytes` (`tracefs_instance_set_buffer_size`).
  func setBufferSize(kilobytes: Int) throws(NativeTraceError) {
    errno = 0
    guard tracefs_instance_set_buffer_size(handle, kilobytes, -1) == 0 else {
      throw NativeTraceError(function: "tracefs_instance_set_buffer_size", path: "instances/\(name)/buffer_size_kb", errno: errno == 0 ? EINVAL : errno)
    }
  }

  /// Starts (`tracefs_trace_on`) or stops (`tracefs_trace_off`) recording into the instance.
  func setTracing(_ on: Bool) throws(NativeTraceError) {
    errno = 0
    guard (on ? tracefs_trace_on(handle) : tracefs_trace_off(handle)) == 0 else {
      throw NativeTraceError(function: on ? "tracefs_trace_on" : "tracefs_trace_off", path: "instances/\(name)/tracing_on", errno: errno == 0 ? EIO : errno)
    }
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
