// libtraceevent for Swift: event formats (tep_*), ring-buffer sub-buffers (kbuffer_*), trace_seq.
// tep_print_event is variadic, which Swift cannot call: the static inline wrappers below fix
// its arguments to the formats pokestat needs (the ones `trace-cmd report` uses).
#include <event-parse.h>
#include <kbuffer.h>
#include <trace-seq.h>

/// The event's printed fields, as `trace-cmd report` shows them after the event name.
static inline void ctraceevent_print_info(struct tep_handle *tep, struct trace_seq *s,
                                          struct tep_record *record) {
  tep_print_event(tep, s, record, "%s", TEP_PRINT_INFO);
}

/// "comm-pid [cpu]" as `trace-cmd report` prints it ("%16s-%-5d [%03d]").
static inline void ctraceevent_print_prefix(struct tep_handle *tep, struct trace_seq *s,
                                            struct tep_record *record) {
  tep_print_event(tep, s, record, "%16s-%-5d [%03d]", TEP_PRINT_COMM, TEP_PRINT_PID,
                  TEP_PRINT_CPU);
}

/// The timestamp as `trace-cmd report` prints it: seconds.microseconds for ns clocks,
/// raw counts otherwise.
static inline void ctraceevent_print_time(struct tep_handle *tep, struct trace_seq *s,
                                          struct tep_record *record, int inMicroseconds) {
  tep_print_event(tep, s, record, inMicroseconds ? " %6.1000d:" : "%12d:", TEP_PRINT_TIME);
}
