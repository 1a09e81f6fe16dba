#!/usr/bin/mawk -f
# The mawk anchor for `pokestat analyze` on trace-cmd report text (issue #15 part 4): in one
# pass, events per name and CPU, IPI sends per sending CPU and per target (ipi_send_cpu cpu=N,
# ipi_send_cpumask cpumask=LIST) and call-function receptions per CPU
# (call_function{,_single}_entry). Report text only (`comm-pid [cpu] secs: name: fields`, an
# instance label `name: ` first or spaces in the comm shift the fields: the CPU column is looked
# for then). It does no pairing, batches or flips, so it does less than the analysis.
# usage: mawk -f scripts/bench/mawk-analyze-text.awk big.report.txt
{
  if ($2 ~ /^\[[0-9]+\]$/) i = 2
  else {
    for (i = 1; i <= NF && $i !~ /^\[[0-9]+\]$/; i++) {}
    if (i > NF) next
  }
  cpu = substr($i, 2, length($i) - 2) + 0
  name = $(i + 2)
  events[name, cpu]++
  if (name == "ipi_send_cpu:") {
    sends[cpu]++
    if (match($0, / cpu=[0-9]+/)) targets[substr($0, RSTART + 5, RLENGTH - 5) + 0]++
  } else if (name == "ipi_send_cpumask:") {
    sends[cpu]++
    if (match($0, / cpumask=[0-9,-]+/)) {
      n = split(substr($0, RSTART + 9, RLENGTH - 9), parts, ",")
      for (p = 1; p <= n; p++) {
        if (split(parts[p], r, "-") == 2) { for (t = r[1] + 0; t <= r[2] + 0; t++) targets[t]++ }
        else targets[parts[p] + 0]++
      }
    }
  } else if (name == "call_function_entry:" || name == "call_function_single_entry:") {
    received[cpu]++
  }
}
END {
  for (c in sends) print "sends cpu " c ": " sends[c]
  for (c in targets) print "targets cpu " c ": " targets[c]
  for (c in received) print "receptions cpu " c ": " received[c]
  for (k in events) total += events[k]
  print "events: " total
}
