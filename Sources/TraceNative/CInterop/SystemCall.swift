// The one place TraceNative reads `errno` and retries on EINTR.
//
// Invariant: `errno` is read by the helpers below right after the C call their closure makes
// returned a failure, before anything else runs on the thread that could overwrite it; no
// other file reads or writes `Glibc.errno`. Calls retried on EINTR are the ones the kernel
// may interrupt (`read`, `write`, `pread`, `pwrite`, `open`, `tracefs_cpu_read`); `close` is
// never retried (on Linux the descriptor is gone even when it reports EINTR).
//
// swift-system's `FileDescriptor` does the same for the calls it wraps; ``system(_:path:_:)``
// turns its `Errno` into a ``NativeTraceError`` naming the call.

import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Runs C calls and turns their failures into ``NativeTraceError``s with a named `Errno`.
enum SystemCall {
  /// Runs a call that returns a negative value (usually -1) and sets `errno` on failure,
  /// again while it fails with `EINTR`.
  ///
  /// - Parameter fallback: for C libraries that may fail without setting `errno`: `errno` is
  ///   cleared before each call and this is the error when it is still 0 afterwards.
  /// - Returns: the call's non-negative result.
  static func retryingOnInterrupt<Value: BinaryInteger>(
    _ function: String, path: @autoclosure () -> String, orElse fallback: Errno? = nil, _ call: () -> Value
  ) throws(NativeTraceError) -> Value {
    while true {
      if fallback != nil { Glibc.errno = 0 }
      let result = call()
      if result >= 0 { return result }
      let error = currentError(orElse: fallback ?? .ioError)
      if error == .interrupted { continue }
      throw NativeTraceError(function: function, path: path(), errno: error)
    }
  }

  /// Runs a C library call that returns `nil` (`NULL`) on failure, and may or may not set
  /// `errno` (libtraceevent, libtracefs): `errno` is cleared first and `fallback` is the error
  /// when the library left it at 0.
  static func nonNil<Value>(
    _ function: String, path: @autoclosure () -> String, orElse fallback: Errno, _ call: () -> Value?
  ) throws(NativeTraceError) -> Value {
    Glibc.errno = 0
    if let value = call() { return value }
    throw NativeTraceError(function: function, path: path(), errno: currentError(orElse: fallback))
  }

  /// Runs a C library call whose result says whether it succeeded (`== 0`, `>= 0`), with
  /// `errno` handled as in ``nonNil(_:path:orElse:_:)``.
  static func checked<Value>(
    _ function: String, path: @autoclosure () -> String, orElse fallback: Errno, _ call: () -> Value,
    succeeded: (Value) -> Bool
  ) throws(NativeTraceError) -> Value {
    Glibc.errno = 0
    let result = call()
    if succeeded(result) { return result }
    throw NativeTraceError(function: function, path: path(), errno: currentError(orElse: fallback))
  }

  /// Runs swift-system calls (which retry on EINTR themselves), naming `function` in the
  /// ``NativeTraceError`` made from the `Errno` they throw.
  static func system<Value>(
    _ function: String, path: @autoclosure () -> String, _ call: () throws -> Value
  ) throws(NativeTraceError) -> Value {
    do {
      return try call()
    } catch let error as Errno {
      throw NativeTraceError(function: function, path: path(), errno: error)
    } catch {
      preconditionFailure("swift-system threw \(error), not an Errno")
    }
  }

  /// Whether `kill(pid, 0)` finds the process (`EPERM`: it exists but is not ours).
  static func processExists(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 || currentError(orElse: .ioError) == .notPermitted
  }

  /// The calling thread's `errno`, or `fallback` when it is 0.
  private static func currentError(orElse fallback: Errno) -> Errno {
    let value = Glibc.errno
    return value == 0 ? fallback : Errno(rawValue: value)
  }
}
