import ArgumentParser
import Foundation
import TraceModel
import TraceNative
import TraceReaders

extension Pokestat {
  /// `pokestat stats`: event counts and IPI targets per CPU of any event trace, format detected
  /// from the content.
  struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Count a trace's events and IPI targets per CPU (trace.dat, ftrace/report text, perf script).",
      discussion: """
        The format is detected from the content (trace.dat magic, first lines); gzip and zstd \
        text is decompressed and `-` reads standard input. IPI targets are the `cpu` of \
        ipi:ipi_send_cpu and every CPU of ipi:ipi_send_cpumask's `cpumask`. Only those two \
        events have their fields decoded, so this is the path scripts/bench-text.sh times.
        """)

    @Argument(
      help: "A trace.dat, ftrace / trace-cmd report text or perf script file (- for stdin).", completion: .file())
    var file: String

    @Flag(help: "Skip lines that do not parse (text inputs) and report how many were skipped.")
    var lenient = false

    @Flag(help: "Also count events per name.")
    var byName = false

    func run() throws {
      let (format, _) = try detectInput(path: file)
      let options = TextReaderOptions(lenient: lenient)
      let selection = FieldSelection.only(["ipi:ipi_send_cpu", "ipi:ipi_send_cpumask"])
      var tally = EventTally()
      var names: [String: Int] = [:]
      var skippedLines = 0
      var description = ""
      let byName = self.byName  // read the flag once, not per event
      func count(_ event: TraceEvent) {
        tally.add(event)
        if byName { names["\(event.system):\(event.name)", default: 0] += 1 }
      }
      switch format {
      case .traceDat:
        let reader = try TraceDatReader(path: file, attachesStacks: false)
        description = reader.metadata.formatDescription
        if byName {
          try reader.forEachEvent(fields: .all) { count($0) }
        } else {
          let result = try reader.reduceStreamsConcurrently(
            fields: selection, reducer: IPITargetCounter())
          tally = result.summary
          tally.returned += result.skippedEvents
        }
      case .ftraceText, .traceCmdReport:
        let source = try FtraceTextSource(
          path: file, options: options, parallelStreams: ProcessInfo.processInfo.activeProcessorCount)
        description = source.metadata.formatDescription
        if byName {
          for index in 0..<source.streamCount {
            var stream = try source.stream(index, fields: .all)
            while let event = try stream.next() { count(event) }
            skippedLines += stream.skipped.count
            // Stack blocks are events of their own, folded into the event before them
            // (docs/formats.md, "Kernel stacks"): counted as trace.dat counts its records.
            tally.returned += stream.skippedEvents
            if stream.skippedEvents > 0 { names["ftrace:kernel_stack", default: 0] += stream.skippedEvents }
          }
        } else {
          // Large files are read as one byte range per CPU, in parallel (FtraceTextRanges).
          let result = try source.reduceTextStreamsConcurrently(
            fields: selection, reducer: IPITargetCounter())
          tally = result.summary
          tally.returned += result.skippedEvents
          skippedLines = result.skippedLines.count
        }
      case .perfScript:
        let source = try PerfScriptSource(path: file, options: options)
        description = source.metadata.formatDescription
        var stream = try source.stream(0, fields: byName ? .all : selection)
        while let event = try stream.next() { count(event) }
        skippedLines = stream.skipped.count
      default:
        throw InputFailure(
          "\(file): \(format.rawValue) holds no events; `pokestat stats` reads trace.dat, ftrace text, trace-cmd report and perf script"
        )
      }
      var out = "file: \(file)\nformat: \(description)\nevents: \(tally.returned)\n"
      if lenient || skippedLines > 0 { out += "skipped lines: \(skippedLines)\n" }
      out += "ipi targets: \(tally.ipiTargets.values.reduce(0, +))\n"
      for cpu in tally.ipiTargets.keys.sorted() { out += "  cpu \(cpu): \(tally.ipiTargets[cpu]!)\n" }
      if byName {
        out += "events by name:\n"
        for (name, n) in names.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) { out += "  \(name): \(n)\n" }
      }
      FileHandle.standardOutput.write(Data(out.utf8))
    }
  }
}
