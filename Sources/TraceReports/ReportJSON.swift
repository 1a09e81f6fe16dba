import Foundation

/// The one JSON encoder of every pokestat report: pretty-printed, keys sorted, slashes unescaped.
///
/// Keys come from each type's `CodingKeys`, all snake_case (`ipis_per_cpu`, `pages_without_pack`,
/// `ops_per_second`). There is no key-encoding strategy on purpose: a strategy would also rewrite
/// keys that are data (metric names such as `iTLB-load-misses` in `compare`), so each encoded type
/// spells its keys out. The Chrome trace document (`export --chrome`) is the one exception: its keys
/// (`traceEvents`, `displayTimeUnit`) are fixed by the Trace Event Format.
public enum ReportJSON {
  /// `value` as pretty JSON with sorted keys, ending in a newline.
  public static func encode(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }
}
