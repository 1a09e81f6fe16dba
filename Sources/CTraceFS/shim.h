#include <tracefs.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

/* perf_event_open(2) has no libc wrapper and syscall(2) is variadic, which Swift cannot call:
 * opens a sampling event on one CPU (all tasks) with kernel call chains.
 * hardware: 1 = PERF_COUNT_HW_CPU_CYCLES (PERF_TYPE_HARDWARE), 0 = cpu-clock (PERF_TYPE_SOFTWARE).
 * Sample layout: IP, TID, TIME, CPU, CALLCHAIN (in that order, perf_event_open(2) "sample_type");
 * PERF_RECORD_COMM records name tasks. Returns the fd or -1 with errno set. */
static inline int ctracefs_perf_open_sampling(int cpu, int hardware, unsigned long long frequency) {
  struct perf_event_attr attr = {0};
  attr.size = sizeof(attr);
  attr.type = hardware ? PERF_TYPE_HARDWARE : PERF_TYPE_SOFTWARE;
  attr.config = hardware ? PERF_COUNT_HW_CPU_CYCLES : PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = frequency;
  attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN;
  attr.disabled = 1;
  attr.exclude_hv = 1;
  attr.exclude_callchain_user = 1;
  attr.comm = 1;
  attr.use_clockid = 1;
  attr.clockid = CLOCK_MONOTONIC;
  return (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, 0UL);
}

/* PERF_EVENT_IOC_ENABLE / _DISABLE (ioctl(2) is variadic too). */
static inline int ctracefs_perf_enable(int fd, int on) {
  return ioctl(fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
}

/* The ring buffer's head, tail and data area of a mapped struct perf_event_mmap_page. */
static inline unsigned long long ctracefs_perf_data_head(const void *page) {
  return __atomic_load_n(&((const struct perf_event_mmap_page *)page)->data_head, __ATOMIC_ACQUIRE);
}
static inline unsigned long long ctracefs_perf_data_tail(const void *page) {
  return ((const struct perf_event_mmap_page *)page)->data_tail;
}
static inline void ctracefs_perf_set_data_tail(void *page, unsigned long long tail) {
  __atomic_store_n(&((struct perf_event_mmap_page *)page)->data_tail, tail, __ATOMIC_RELEASE);
}
