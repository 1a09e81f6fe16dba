import ArgumentParser
import Foundation
import TraceModel

/// The `pokestat` command: counts, predicts and explains the cost of live kernel text patching.
@main
struct Pokestat: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pokestat",
    abstract: "Count, predict and explain the cost of live kernel text patching.",
    discussion: """
      pokestat reads traces of static-key flips, text_poke batches, kprobes and BPF JIT activity \
      (trace.dat v6/v7, ftrace and trace-cmd report text, perf script, perf stat, bpftool, \
      /proc/interrupts), counts IPIs, int3 hits and batch durations, and compares them with a \
      reference model of the kernel's patching protocol.

      Exit status: 0 success; 1 a check found an unexplained difference; 2 bad input, bad \
      options or a missing capability.
      """,
    version: "0.1.0",
    subcommands: Pokestat.allSubcommands
  )

  /// Runs the command line; every error is one line on standard error and exit status 2,
  /// except help/version requests and explicit exit codes.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as TraceParseError {
      fail(error.description)
    } catch let error as InputFailure {
      fail(error.description)
    } catch {
      let code = exitCode(for: error)
      if code == .success || code.rawValue == 1 && error is ExitCode { exit(withError: error) }
      if error is ExitCode { exit(withError: error) }
      let message = fullMessage(for: error)
      if message.isEmpty { exit(withError: error) }
      FileHandle.standardError.write(Data((message + "\n").utf8))
      Foundation.exit(2)
    }
  }

  private static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("pokestat: \(message)\n".utf8))
    Foundation.exit(2)
  }
}

/// A failure the user must act on (missing file, missing capability, bad option value),
/// printed as one line with exit status 2.
struct InputFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
