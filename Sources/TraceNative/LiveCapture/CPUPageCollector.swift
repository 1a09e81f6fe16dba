import Foundation
import Synchronization

/// Reads every CPU's `per_cpu/cpuN/trace_pipe_raw` while a capture runs, one thread per CPU,
/// and keeps the pages in memory, so long captures do not overflow the ring buffer.
///
/// Each thread reads page-sized sub-buffers without blocking and sleeps 20 ms when the
/// buffer is empty. ``stop()`` returns once every thread has drained its CPU's buffer (call
/// it after tracing is switched off).
///
/// - Complexity: memory grows by one sub-buffer (usually 4 KiB) per page the kernel hands over.
final class CPUPageCollector: Sendable {
  /// What the threads share: pages per CPU, counters, the stop request, the first failure.
  private let pages: Mutex<[Int: [UInt8]]>
  private let tally: LiveEventTally
  private let pageCount = Atomic<Int>(0)
  private let stopping = Atomic<Bool>(false)
  private let failure = Mutex<NativeTraceError?>(nil)
  private let group = DispatchGroup()
  let subbufferSize: Int

  /// Starts one reader thread per CPU on `paths[cpu]` (the instance's trace_pipe_raw files),
  /// counting events into `tally`.
  init(paths: [Int: String], subbufferSize: Int, tally: LiveEventTally) {
    self.subbufferSize = subbufferSize
    self.tally = tally
    pages = Mutex(Dictionary(uniqueKeysWithValues: paths.keys.map { ($0, []) }))
    for (cpu, path) in paths {
      group.enter()
      let thread = Thread { [self] in
        self.read(cpu: cpu, path: path)
        self.group.leave()
      }
      thread.name = "pokestat-cpu\(cpu)"
      thread.start()
    }
  }

  /// Pages read so far.
  var pagesRead: Int { pageCount.load(ordering: .relaxed) }

  /// Asks the threads to drain and stop, waits for them, and returns each CPU's pages.
  ///
  /// - Throws: the first ``NativeTraceError`` a reader thread met.
  func stop() throws(NativeTraceError) -> [Int: [UInt8]] {
    stopping.store(true, ordering: .sequentiallyConsistent)
    group.wait()
    if let error = failure.withLock({ $0 }) { throw error }
    return pages.withLock { $0 }
  }

  private func read(cpu: Int, path: String) {
    do throws(NativeTraceError) {
      let reader = try TracefsCPUReader(path: path, subbufSize: subbufferSize)
      let decoder = RingBufferPage(longSize: 8, pageSize: subbufferSize, bigEndian: false, oldFormat: false)
      // One page, refilled by each read; `decoder` holds it while it walks the page.
      let page = PageStorage(count: subbufferSize + RingBufferPage.slackBytes)
      while true {
        let stopRequested = stopping.load(ordering: .sequentiallyConsistent)
        let count = try reader.readPage(into: page)
        if count > 0 {
          var events = 0
          var sends = 0
          var batches = 0
          // A page whose header or a record does not fit ends the count of this page (the
          // page is kept whole).
          if (try? decoder.load(page, at: 0)) == true {
            while let event = try? decoder.next() {
              events += 1
              guard event.dataCount >= 2 else { continue }
              let type = decoder.withData(of: event) { $0.loadUnaligned(as: UInt16.self) }
              switch tally.kind(ofType: type) {
              case .ipiSend: sends += 1
              case .batchStart: batches += 1
              case .other: break
              }
            }
          }
          tally.add(events: events, ipiSends: sends, batches: batches)
          pageCount.add(1, ordering: .relaxed)
          let size = subbufferSize
          page.withUnsafeBytes { bytes in
            pages.withLock { $0[cpu, default: []].append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<size])) }
          }
          continue
        }
        if stopRequested { break }
        Thread.sleep(forTimeInterval: 0.02)
      }
    } catch {
      failure.withLock { if $0 == nil { $0 = error } }
    }
  }
}
