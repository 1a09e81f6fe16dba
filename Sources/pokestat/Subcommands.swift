import ArgumentParser

extension Pokestat {
  /// Every subcommand, in the order `--help` lists them. Add new ones here.
  static let allSubcommands: [any ParsableCommand.Type] = [Dump.self, Stats.self]
}
