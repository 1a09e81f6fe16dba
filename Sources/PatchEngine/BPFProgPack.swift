import TraceModel

/// The BPF program pack allocator: where JIT images land, and how many pages and iTLB entries
/// they take.
///
/// Sources, kernel/bpf/core.c:
/// - v5.18 (Song Liu, "bpf: introduce bpf_prog_pack allocator", x86-64 JIT only): packs of
///   `BPF_PROG_PACK_SIZE`, split into 64-byte chunks (`BPF_PROG_CHUNK_SHIFT` 6); a bitmap per pack;
///   `bpf_prog_pack_alloc()` takes the first pack, in list order, with a free run of chunks
///   (`bitmap_find_next_zero_area()`), and allocates a new pack when none has one (first fit).
///   A request larger than a pack gets its own `round_up(size, PAGE_SIZE)` allocation.
/// - `BPF_PROG_PACK_SIZE` = `PMD_SIZE * num_possible_nodes()` (v6.0-era), then
///   `SZ_2M * num_possible_nodes()` (v6.9, "bpf: hardcode BPF_PROG_PACK_SIZE to 2MB *
///   num_possible_nodes()"); 2 MiB per node on x86-64 and on arm64 with 4 KiB pages.
/// - `bpf_jit_binary_pack_alloc()`: request = `round_up(proglen + sizeof(struct bpf_binary_header)
///   + 16, BPF_PROG_CHUNK_SIZE)` (16 bytes of illegal instructions); the header is 8 bytes
///   (`u32 size` and an 8-byte-aligned image, `BPF_IMAGE_ALIGNMENT`).
/// - Without the pack, `bpf_jit_binary_alloc()`: `round_up(proglen + sizeof(*hdr) + 128, PAGE_SIZE)`,
///   at least one 4 KiB page per program.
/// - arm64 uses the pack since the seed 003 series ("bpf, arm64: use bpf_prog_pack for memory
///   management", v6.9).
public struct BPFProgPack: Hashable, Sendable, Codable {
  /// Bytes per pack (2 MiB × NUMA nodes).
  public var packSizeBytes: Int
  /// Bytes per chunk (BPF_PROG_CHUNK_SIZE).
  public var chunkBytes: Int
  /// Base page size (PAGE_SIZE).
  public var pageBytes: Int
  /// Bytes one huge-page iTLB entry maps (PMD_SIZE).
  public var hugePageBytes: Int

  public init(numaNodes: Int = 1, chunkBytes: Int = 64, pageBytes: Int = 4096, hugePageBytes: Int = 2 << 20) {
    precondition(numaNodes >= 1)
    self.packSizeBytes = (2 << 20) * numaNodes
    self.chunkBytes = chunkBytes
    self.pageBytes = pageBytes
    self.hugePageBytes = hugePageBytes
  }

  /// `sizeof(struct bpf_binary_header)`.
  public static let headerBytes = 8

  /// First kernel with the pack on an architecture; nil when the architecture is not modelled.
  public static func packSince(architecture: String) -> KernelVersion? {
    switch architecture {
    case "x86": KernelVersion(5, 18)
    case "arm64": KernelVersion(6, 9)
    default: nil
    }
  }

  /// Lays out programs of the given JIT image sizes (bytes, as `bpftool prog` prints `jited`),
  /// in load order, with and without the pack.
  /// - Complexity: O(programs × chunks per pack) in the worst case.
  public func layout(jitedSizes: [Int]) -> BPFPackPrediction {
    precondition(jitedSizes.allSatisfy { $0 >= 0 })
    let chunksPerPack = packSizeBytes / chunkBytes
    var packs: [[Bool]] = []  // per pack, chunk in use
    var ownPages = 0
    var placements: [BPFPackPrediction.Placement] = []
    for size in jitedSizes {
      let request = roundUp(size + Self.headerBytes + 16, chunkBytes)
      if request > packSizeBytes {
        let pages = roundUp(request, pageBytes) / pageBytes
        ownPages += pages
        placements.append(.init(jitedBytes: size, requestBytes: request, pack: nil, firstChunk: nil, ownPages: pages))
        continue
      }
      let need = request / chunkBytes
      var placed = false
      for p in packs.indices {
        if let start = firstFreeRun(packs[p], length: need) {
          for i in start..<(start + need) { packs[p][i] = true }
          placements.append(.init(jitedBytes: size, requestBytes: request, pack: p, firstChunk: start, ownPages: nil))
          placed = true
          break
        }
      }
      if !placed {
        var pack = [Bool](repeating: false, count: chunksPerPack)
        for i in 0..<need { pack[i] = true }
        packs.append(pack)
        placements.append(.init(jitedBytes: size, requestBytes: request, pack: packs.count - 1, firstChunk: 0, ownPages: nil))
      }
    }
    let withoutPackPages = jitedSizes.reduce(0) { $0 + roundUp($1 + Self.headerBytes + 128, pageBytes) / pageBytes }
    let hugeEntriesPerPack = packSizeBytes / hugePageBytes
    return BPFPackPrediction(
      programs: jitedSizes.count, packs: packs.count, packBytes: packs.count * packSizeBytes,
      ownAllocationPages: ownPages,
      itlbEntriesWithPack: packs.count * hugeEntriesPerPack + ownPages,
      pagesWithoutPack: withoutPackPages, itlbEntriesWithoutPack: withoutPackPages,
      placements: placements)
  }

  private func roundUp(_ value: Int, _ unit: Int) -> Int { (value + unit - 1) / unit * unit }

  private func firstFreeRun(_ chunks: [Bool], length: Int) -> Int? {
    var runStart = 0, runLength = 0
    for (i, used) in chunks.enumerated() {
      if used {
        runLength = 0
        runStart = i + 1
      } else {
        runLength += 1
        if runLength == length { return runStart }
      }
    }
    return nil
  }
}

/// Pages and iTLB entries for a set of BPF programs, with and without the pack allocator.
public struct BPFPackPrediction: Hashable, Sendable, Codable {
  /// Where one program went.
  public struct Placement: Hashable, Sendable, Codable {
    public var jitedBytes: Int
    /// The allocation request, header and trailing illegal instructions included, bytes.
    public var requestBytes: Int
    /// The 0-based pack, nil when the program got its own pages.
    public var pack: Int?
    public var firstChunk: Int?
    /// 4 KiB pages of its own allocation, nil when packed.
    public var ownPages: Int?

    enum CodingKeys: String, CodingKey {
      case pack
      case jitedBytes = "jited_bytes"
      case requestBytes = "request_bytes"
      case firstChunk = "first_chunk"
      case ownPages = "own_pages"
    }
  }

  public var programs: Int
  /// Packs allocated.
  public var packs: Int
  public var packBytes: Int
  /// 4 KiB pages of programs too large for a pack.
  public var ownAllocationPages: Int
  /// iTLB entries to map all programs with the pack: one per 2 MiB of pack (huge mapping) plus
  /// one per own page.
  public var itlbEntriesWithPack: Int
  /// 4 KiB pages without the pack (each program ≥ 1 page).
  public var pagesWithoutPack: Int
  /// iTLB entries without the pack (one per 4 KiB page).
  public var itlbEntriesWithoutPack: Int
  public var placements: [Placement]

  enum CodingKeys: String, CodingKey {
    case programs, packs, placements
    case packBytes = "pack_bytes"
    case ownAllocationPages = "own_allocation_pages"
    case itlbEntriesWithPack = "itlb_entries_with_pack"
    case pagesWithoutPack = "pages_without_pack"
    case itlbEntriesWithoutPack = "itlb_entries_without_pack"
  }
}
