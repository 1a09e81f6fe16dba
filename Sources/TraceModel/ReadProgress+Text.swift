import Foundation

extension ReadProgress {
  /// The one-line progress text a terminal shows:
  /// `reading trace.dat: 12.3 MB of 67.0 MB (18%), 45.1 MB/s, 1.2 s left`.
  /// Without a total (compressed text input) the share and the time left are left out.
  ///
  /// - Parameters:
  ///   - bytesDone: bytes read so far.
  ///   - bytesTotal: bytes in all, 0 when unknown.
  ///   - elapsedSeconds: seconds since reading began.
  public static func describe(name: String, bytesDone: Int, bytesTotal: Int, elapsedSeconds: Double) -> String {
    var text = "reading \(name): \(bytes(bytesDone))"
    if bytesTotal > 0 {
      let share = min(100, Int(Double(bytesDone) / Double(bytesTotal) * 100))
      text += " of \(bytes(bytesTotal)) (\(share)%)"
    }
    guard elapsedSeconds > 0, bytesDone > 0 else { return text }
    let rate = Double(bytesDone) / elapsedSeconds
    text += ", \(bytes(Int(rate.rounded())))/s"
    if bytesTotal > 0 {
      let left = Double(max(bytesTotal - bytesDone, 0)) / rate
      text += ", \(duration(left)) left"
    }
    return text
  }

  /// 999 B, 12.3 kB, 45.1 MB, 2.0 GB (powers of 1000, one decimal).
  static func bytes(_ count: Int) -> String {
    if count < 1000 { return "\(count) B" }
    let units = ["kB", "MB", "GB", "TB"]
    var value = Double(count) / 1000
    var unit = 0
    while value >= 999.95, unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    return String(format: "%.1f", value) + " " + units[unit]
  }

  /// 0.4 s, 12 s, 3 min 05 s, 1 h 02 min.
  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    if seconds < 10 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
    return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
  }
}
