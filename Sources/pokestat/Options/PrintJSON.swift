import Foundation

/// Prints `value` to standard output as pretty JSON with sorted keys, then a line break: the
/// JSON printer of the commands that print directly (`kprobes`, `predict`, `bench pool`).
///
/// - Parameter snakeCaseKeys: convert camelCase property names to snake_case (`kprobes` and
///   `bench pool`, whose types use the encoder's names); `predict`'s types spell their keys out.
func printJSON(_ value: some Encodable, snakeCaseKeys: Bool = true) throws {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  if snakeCaseKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
  print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
