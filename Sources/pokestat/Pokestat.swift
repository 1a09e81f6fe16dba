import ArgumentParser
import Foundation
import TraceModel
import TraceNative
import TracePipeline

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

  /// Runs the command line. Help and version requests exit 0; explicit exit codes (a check's
  /// verdict) pass through; usage errors (ArgumentParser's parse errors and every `validate()`)
  /// print ArgumentParser's message with the usage line; every other error (bad input, a missing
  /// capability) is one line on standard error. Both exit with status 2.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
      printInputWarnings()
    } catch let error as ExitCode {
      if error.rawValue != 2 { printInputWarnings() }
      exit(withError: error)
    } catch {
      switch exitCode(for: error) {
      case .success:
        exit(withError: error)
      case .validationFailure:
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      default:
        fail(message(for: error))
      }
    }
  }

  /// The warnings the pipeline noted (``InputWarnings``), one `pokestat: warning: …` line each.
  private static func printInputWarnings() {
    for line in InputWarnings.drain() { FileHandle.standardError.write(Data("pokestat: warning: \(line)\n".utf8)) }
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
