import ArgumentParser

extension Pokestat {
  /// Every subcommand, in the order `--help` lists them. Add new ones here.
  static let allSubcommands: [any ParsableCommand.Type] = [
    Analyze.self, Check.self, Predict.self, Record.self, Compare.self, Export.self, Dump.self, Stats.self,
    Kprobes.self, Bench.self,
  ]
}
