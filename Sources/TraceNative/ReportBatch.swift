/// A run of one CPU stream's events, decoded (and, where the text is fixed, formatted) on the
/// stream's own thread, for the report printer to merge in time order.
///
/// Each ``Entry`` owns a range of ``text``: for a formatted event, everything of its line
/// after the task name (`-pid [cpu] secs.usecs: name: info`); for an event libtraceevent
/// prints, a copy of its payload bytes (8-byte aligned), printed on the merging thread.
struct ReportBatch: Sendable {
  /// One event of the batch.
  struct Entry: Sendable {
    /// Ring-buffer timestamp (nanoseconds for nanosecond clocks), the merge key.
    var timestamp: UInt64
    var pid: Int32
    /// Events lost before this one (-1: some, number unknown).
    var missedBefore: Int
    /// Where this entry's bytes start and end in ``ReportBatch/text``.
    var textStart: Int
    var textEnd: Int
    /// The end of this entry's comm registrations in ``ReportBatch/registrations`` (they
    /// start at the previous entry's end).
    var registrationEnd: Int
    /// Index in ``ReportBatch/records`` of an event left to libtraceevent; -1 when formatted.
    var record: Int
  }

  /// A `pid` → name mapping the sched plugins make when they print an event; the name is a
  /// range of ``ReportBatch/names``.
  struct Registration: Sendable {
    var pid: Int32
    var nameStart: Int
    var nameEnd: Int
  }

  var entries: [Entry] = []
  var text: [UInt8] = []
  var records: [PrintableEvent] = []
  var registrations: [Registration] = []
  var names: [UInt8] = []

  /// Entries and text bytes after which a batch is handed over.
  static let entryLimit = 4096
  static let textLimit = 1 << 18

  var isFull: Bool { entries.count >= Self.entryLimit || text.count >= Self.textLimit }
}
