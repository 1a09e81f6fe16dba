import Foundation
import ArgumentParser
import TraceModel
import TraceReaders

/// Options every command that reads traces shares.
struct InputOptions: ParsableArguments {
  @Argument(help: "Inputs: trace.dat (v6/v7), ftrace or trace-cmd report text (gzip/zstd ok), '-' for standard input.",
            completion: .file())
  var files: [String] = []

  @Option(name: [.customShort("i"), .customLong("input")], help: "An input file (same as a positional FILE; repeatable).",
          completion: .file())
  var inputs: [String] = []

  @Option(help: "Read inputs as this format instead of detecting it from their content.")
  var inputFormat: InputFormat?

  @Flag(help: "Skip malformed text lines instead of stopping; the output says how many were skipped.")
  var lenient = false

  @Flag(name: .shortAndLong, help: "No progress line on standard error (it shows only on a terminal, for reads over a second).")
  var quiet = false

  var allFiles: [String] { inputs + files }

  func validate() throws {
    if allFiles.isEmpty { throw ValidationError("give at least one input file (or '-' for standard input)") }
  }
}

/// `--isolated`: a CPU list (`2-7`, `1,3`), as `analyze` and `compare` take it.
func isolatedCPUs(_ text: String?) throws -> [Int] {
  guard let text else { return [] }
  guard let cpus = CPUList.parse(Substring(text)) else { throw InputFailure("--isolated: \"\(text)\" is not a CPU list like 2-7 or 1,3") }
  return cpus
}
