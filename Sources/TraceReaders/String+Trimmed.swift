extension String {
  /// The string without leading and trailing characters from `set`.
  func trimmed(of set: String) -> String {
    let chars = Set(set)
    var s = self[...]
    while let f = s.first, chars.contains(f) { s = s.dropFirst() }
    while let l = s.last, chars.contains(l) { s = s.dropLast() }
    return String(s)
  }
}

extension Substring {
  func trimmed(of set: String) -> String { String(self).trimmed(of: set) }
}
