import Foundation
import TraceTestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the real `pokestat` binary under a memory cap (`ulimit -v`) and a time cap, so a trap,
/// a runaway allocation or a hang ends that one run and is reported instead of killing the fuzzer.
struct SubprocessRun {
  /// The binary: `POKESTAT_BIN`, else the one beside the test bundle (``Fixtures/pokestatBinary``).
  static var binary: URL { Fixtures.pokestatBinary }

  static var binaryExists: Bool { FileManager.default.isExecutableFile(atPath: binary.path) }

  /// How a run ended.
  enum Ending: Equatable {
    case exited(Int32)
    case signal(Int32)
    case timedOut
  }

  var ending: Ending
  var stderr: String
  var seconds: Double

  /// Runs `pokestat ARGUMENTS` with at most `memoryKiB` of address space, killing it (SIGKILL)
  /// after `timeoutSeconds`. Standard output is discarded; standard error is kept.
  static func run(_ arguments: [String], timeoutSeconds: Double, memoryKiB: Int = 2 << 20, scratch: URL) throws -> SubprocessRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -v \(memoryKiB) && exec \"$0\" \"$@\"", binary.path] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    let errorFile = scratch.appendingPathComponent("stderr.txt")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let errorHandle = try FileHandle(forWritingTo: errorFile)
    defer { try? errorHandle.close() }
    process.standardError = errorHandle
    let start = Date()
    try process.run()
    var timedOut = false
    while process.isRunning {
      if Date().timeIntervalSince(start) > timeoutSeconds {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        break
      }
      usleep(2_000)
    }
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    let stderr = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
    let ending: Ending
    if timedOut {
      ending = .timedOut
    } else if process.terminationReason == .uncaughtSignal {
      ending = .signal(process.terminationStatus)
    } else {
      ending = .exited(process.terminationStatus)
    }
    return SubprocessRun(ending: ending, stderr: stderr, seconds: seconds)
  }
}
