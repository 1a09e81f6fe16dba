import Testing
import TraceModel

@Suite struct ReadProgressTests {
  @Test("the progress line: bytes done of total, share, rate and time left", arguments: [
    (12_300_000, 67_000_000, 2.0, "reading t.dat: 12.3 MB of 67.0 MB (18%), 6.2 MB/s, 8.9 s left"),
    (999, 5000, 1.0, "reading t.dat: 999 B of 5.0 kB (19%), 999 B/s, 4.0 s left"),
    (1_500_000_000, 3_000_000_000, 100.0, "reading t.dat: 1.5 GB of 3.0 GB (50%), 15.0 MB/s, 1 min 40 s left"),
    (1_000_000, 7_300_000_000, 1.0, "reading t.dat: 1.0 MB of 7.3 GB (0%), 1.0 MB/s, 2 h 01 min left"),
    (4_000_000, 0, 2.0, "reading t.dat: 4.0 MB, 2.0 MB/s"),
    (0, 1000, 0.0, "reading t.dat: 0 B of 1.0 kB (0%)"),
    (999_960, 1_000_000, 1.0, "reading t.dat: 1.0 MB of 1.0 MB (99%), 1.0 MB/s, 0.0 s left"),
  ])
  func describe(done: Int, total: Int, seconds: Double, expected: String) {
    #expect(ReadProgress.describe(name: "t.dat", bytesDone: done, bytesTotal: total, elapsedSeconds: seconds) == expected)
  }

  @Test("the callback runs once per step crossed and once at the total, with the bytes done")
  func steps() {
    final class Calls: @unchecked Sendable { var values: [Int] = [] }
    let calls = Calls()
    let progress = ReadProgress(totalBytes: 2500, step: 1000) { done, total in
      #expect(total == 2500)
      calls.values.append(done)
    }
    for chunk in [300, 300, 300, 300, 900, 400, 0] { progress.advance(chunk) }
    #expect(calls.values == [1200, 2100, 2500])
    #expect(progress.bytesDone == 2500)
  }
}
