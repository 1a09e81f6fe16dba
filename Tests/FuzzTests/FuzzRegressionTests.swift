import Foundation
import Testing
import TraceComparison
import TraceModel
import TraceNative
import TracePipeline
import TraceTestSupport

/// Every input the fuzzer ever saw crash, hang or print a bad message (fixtures/bad/fuzz/),
/// with what each command must now do (fixtures/bad/fuzz/expected.tsv).
@Suite("fuzz regressions")
struct FuzzRegressionTests {
  struct Expectation: Sendable, CustomTestStringConvertible {
    var file: String
    var command: String
    var status: Int32
    /// The message after `pokestat: PATH` (nil for exit 0 or 1).
    var message: String?
    var testDescription: String { "\(file) \(command)" }
  }

  static func expectations() -> [Expectation] {
    let text = (try? String(contentsOf: Fixtures.url("bad/fuzz/expected.tsv"), encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
      let parts = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
      guard parts.count == 4, let status = Int32(parts[2]) else { return nil }
      return Expectation(file: parts[0], command: parts[1], status: status, message: parts[3] == "-" ? nil : parts[3])
    }
  }

  @Test("the regression list covers every saved input")
  func covered() throws {
    let listed = Set(Self.expectations().map(\.file))
    let saved = Set(Fixtures.files(in: "bad/fuzz", suffix: "").map { String($0.dropFirst("bad/fuzz/".count)) })
    #expect(listed == saved.subtracting(["expected.tsv"]))
    #expect(Self.expectations().count == 4 * listed.count)
  }

  @Test("in process: success, or a one-line typed error naming the same place", arguments: expectations())
  func inProcess(_ expectation: Expectation) throws {
    let path = try Fixtures.materialize("bad/fuzz/\(expectation.file)").path
    do {
      try InProcessPipeline.run(expectation.command, path: path)
      #expect(expectation.status != 2, "expected an error: \(expectation.message ?? "")")
    } catch let error as TraceParseError {
      #expect(expectation.status == 2)
      // The CLI prints `pokestat: ` + this description; the fixture's message follows the path.
      if let message = expectation.message { #expect(error.description == path + message) }
      #expect(!error.description.contains("\n"))
    } catch let error as CheckInputError {
      // check's refusal of a trace with no CPU count (the CLI prints it as one line).
      #expect(expectation.status == 2, "\(error)")
    } catch let error as InProcessPipeline.Refused {
      // check's refusal when no rules apply, in the CLI's wording (checked below).
      #expect(expectation.status == 2, "\(error)")
    } catch let error as UnusableInput {
      // The pipeline's refusal of a format without events, as the CLI prints it.
      #expect(expectation.status == 2, "\(error)")
      if let message = expectation.message { #expect(error.description == path + message) }
    }
  }

  @Test("the real binary: the recorded exit status and exactly the recorded one-line message",
        .enabled(if: SubprocessRun.binaryExists, "needs the pokestat binary beside the tests (swift build)"),
        arguments: expectations())
  func subprocess(_ expectation: Expectation) throws {
    let path = try Fixtures.materialize("bad/fuzz/\(expectation.file)").path
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pokestat-fuzzreg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let arguments = expectation.command == "analyze" ? ["analyze", "--json", path] : [expectation.command, path]
    let run = try SubprocessRun.run(arguments, timeoutSeconds: 120, scratch: scratch)
    #expect(run.ending == .exited(expectation.status), "\(run.stderr)")
    if let message = expectation.message {
      #expect(run.stderr == "pokestat: \(path)\(message)\n")
    }
  }
}
