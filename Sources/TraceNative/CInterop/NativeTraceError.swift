import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A C library or system call failed; names the call, like NIO's `IOError`.
///
/// `errno` is read in one place, ``SystemCall`` (SystemCall.swift), right after the failing
/// call. The description names the error the way the man pages do:
/// `trace.dat: open failed: ENOENT (No such file or directory)`.
public struct NativeTraceError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The C function that failed (`open`, `kbuffer_alloc`, `tracefs_cpu_read`).
  public var function: String
  /// The file or object it failed on.
  public var path: String
  /// The error it reported: `errno`, or the value the C library documents for a `NULL` return.
  public var errno: Errno

  public init(function: String, path: String, errno: Errno) {
    self.function = function
    self.path = path
    self.errno = errno
  }

  public var description: String {
    "\(path): \(function) failed: \(errno.symbolicName) (\(errno))"
  }
}

extension Errno {
  /// The error's C name (`ENOMEM`), or `errno 123` for one this table does not know.
  ///
  /// Linux's values (asm-generic/errno-base.h and errno.h). Linux gives `EWOULDBLOCK` and
  /// `EAGAIN` one value, and `ENOTSUP` and `EOPNOTSUPP` another: each pair prints as its
  /// second name.
  var symbolicName: String {
    switch rawValue {
    case Glibc.EPERM: "EPERM"
    case Glibc.ENOENT: "ENOENT"
    case Glibc.ESRCH: "ESRCH"
    case Glibc.EINTR: "EINTR"
    case Glibc.EIO: "EIO"
    case Glibc.ENXIO: "ENXIO"
    case Glibc.E2BIG: "E2BIG"
    case Glibc.ENOEXEC: "ENOEXEC"
    case Glibc.EBADF: "EBADF"
    case Glibc.ECHILD: "ECHILD"
    case Glibc.EAGAIN: "EAGAIN"
    case Glibc.ENOMEM: "ENOMEM"
    case Glibc.EACCES: "EACCES"
    case Glibc.EFAULT: "EFAULT"
    case Glibc.EBUSY: "EBUSY"
    case Glibc.EEXIST: "EEXIST"
    case Glibc.EXDEV: "EXDEV"
    case Glibc.ENODEV: "ENODEV"
    case Glibc.ENOTDIR: "ENOTDIR"
    case Glibc.EISDIR: "EISDIR"
    case Glibc.EINVAL: "EINVAL"
    case Glibc.ENFILE: "ENFILE"
    case Glibc.EMFILE: "EMFILE"
    case Glibc.ENOTTY: "ENOTTY"
    case Glibc.ETXTBSY: "ETXTBSY"
    case Glibc.EFBIG: "EFBIG"
    case Glibc.ENOSPC: "ENOSPC"
    case Glibc.ESPIPE: "ESPIPE"
    case Glibc.EROFS: "EROFS"
    case Glibc.EMLINK: "EMLINK"
    case Glibc.EPIPE: "EPIPE"
    case Glibc.EDOM: "EDOM"
    case Glibc.ERANGE: "ERANGE"
    case Glibc.ENAMETOOLONG: "ENAMETOOLONG"
    case Glibc.ENOSYS: "ENOSYS"
    case Glibc.ENOTEMPTY: "ENOTEMPTY"
    case Glibc.ELOOP: "ELOOP"
    case Glibc.ENODATA: "ENODATA"
    case Glibc.EOVERFLOW: "EOVERFLOW"
    case Glibc.EOPNOTSUPP: "EOPNOTSUPP"
    case Glibc.ETIMEDOUT: "ETIMEDOUT"
    case Glibc.ECANCELED: "ECANCELED"
    default: "errno \(rawValue)"
    }
  }
}
