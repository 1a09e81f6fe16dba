import Testing

@testable import PatchEngine

@Suite struct BPFProgPackTests {
  @Test("seed 003: 160 small programs share one 2 MiB pack instead of 160 pages")
  func smallPrograms() {
    let p = BPFProgPack().layout(jitedSizes: Array(repeating: 1000, count: 160))
    #expect(p.packs == 1)
    #expect(p.itlbEntriesWithPack == 1)
    #expect(p.pagesWithoutPack == 160)
    #expect(p.itlbEntriesWithoutPack == 160)
    // 1000 + 8 + 16 rounded to 64 = 1024 bytes, 16 chunks each, placed back to back
    #expect(p.placements[1].firstChunk == 16)
  }

  @Test("without the pack, a program needs its size plus header plus 128 bytes in whole pages")
  func pagesWithoutPack() {
    let p = BPFProgPack().layout(jitedSizes: [3960, 3961, 1])
    #expect(p.pagesWithoutPack == 1 + 2 + 1)
  }

  @Test("a program larger than a pack gets its own pages; first fit reuses earlier packs")
  func largeAndFirstFit() {
    let pack = BPFProgPack()
    let big = 2 * 1024 * 1024
    let p = pack.layout(jitedSizes: [1_500_000, 1_000_000, big, 400_000])
    // 1.5 MB fills most of pack 0; 1 MB does not fit there and opens pack 1; the 2 MiB program is
    // larger than a pack once its header is added; 400 KB fits in pack 0's remaining ~597 KB.
    #expect(p.packs == 2)
    #expect(p.placements.map(\.pack) == [0, 1, nil, 0])
    #expect(p.ownAllocationPages == (big + 8 + 16 + 63) / 64 * 64 / 4096 + 1)
    #expect(p.itlbEntriesWithPack == 2 + p.ownAllocationPages)
  }

  @Test("packs grow with NUMA nodes")
  func numa() {
    #expect(BPFProgPack(numaNodes: 2).packSizeBytes == 4 * 1024 * 1024)
    #expect(BPFProgPack(numaNodes: 2).layout(jitedSizes: [100]).itlbEntriesWithPack == 2)
  }
}
