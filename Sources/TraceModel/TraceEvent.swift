/// One event from any reader: a trace.dat record, a line of ftrace or `trace-cmd report` text,
/// or a perf script sample.
///
/// Every reader fills the same fields, so every analysis works on every input format.
public struct TraceEvent: Hashable, Sendable {
  /// When the event happened on the trace clock.
  public var timestamp: Timestamp
  /// The CPU that recorded the event.
  public var cpu: Int
  /// The task that was running (0 for the idle task).
  public var pid: Int32
  /// The task's command name, `<...>` when the trace does not know it.
  public var comm: String
  /// The event's subsystem (`ipi`, `irq_vectors`, `ftrace`, `kprobes`, ...).
  public var system: String
  /// The event's name (`ipi_send_cpu`, `call_function_entry`, `print`, ...).
  public var name: String
  /// The fields the reader decoded, in format order; empty when the reader was asked for
  /// headers only (see ``FieldSelection``).
  public var fields: [EventField]
  /// The kernel call chain recorded with this event (an ftrace `kernel_stack` record, a perf callchain).
  public var stack: KernelStack?
  /// The tracefs instance ("buffer") the event came from; "" for the top-level buffer.
  public var buffer: String
  /// Events the ring buffer lost on this CPU just before this one: 0 none, > 0 that many,
  /// -1 an unknown number.
  public var lostBefore: Int
  /// The text as the source printed it after the event name, when the source is text.
  public var info: String?

  public init(
    timestamp: Timestamp, cpu: Int, pid: Int32, comm: String, system: String, name: String,
    fields: [EventField] = [], stack: KernelStack? = nil, buffer: String = "", lostBefore: Int = 0,
    info: String? = nil
  ) {
    self.timestamp = timestamp
    self.cpu = cpu
    self.pid = pid
    self.comm = comm
    self.system = system
    self.name = name
    self.fields = fields
    self.stack = stack
    self.buffer = buffer
    self.lostBefore = lostBefore
    self.info = info
  }

  /// The field with this name, if the event has it.
  ///
  /// - Complexity: O(number of fields).
  public subscript(field name: String) -> FieldValue? {
    for field in fields where field.name == name { return field.value }
    return nil
  }
}

/// Which events a reader returns, and with which fields.
///
/// Decoding fields costs more than reading an event's header, and skipping an event costs
/// less still: analyses name the events they use and readers that can skip the rest do
/// (counting them in ``EventStream/skippedEvents``).
public enum FieldSelection: Hashable, Sendable {
  /// Every event, with its fields.
  case all
  /// Every event, header only (time, CPU, task, name).
  case none
  /// Only these events, with their fields; readers may leave the others out (and count them).
  /// Names are `ipi_send_cpu`, `ipi:ipi_send_cpu` or a whole system `kprobes:*`.
  case only(Set<String>)

  /// Whether fields of this event are wanted.
  public func wants(system: String, name: String) -> Bool {
    switch self {
    case .all: return true
    case .none: return false
    case .only(let names):
      return names.contains(name) || names.contains("\(system):\(name)") || names.contains("\(system):*")
    }
  }

  /// Whether dynamic probe events of every group are wanted: `kprobes:*` names them all,
  /// because `kprobe_events` lets whoever defines a probe choose its group (`p:mygroup/name`;
  /// `pokestat record` uses `pokestat_<pid>`). Readers that know an event's fields call this
  /// for events carrying `__probe_ip` (kprobes) or `__probe_ret_ip` (kretprobes).
  public var wantsProbesOfAnyGroup: Bool {
    switch self {
    case .all: return true
    case .none: return false
    case .only(let names): return names.contains("kprobes:*")
    }
  }
}
