#!/usr/bin/mawk -f
# The mawk anchor for `pokestat analyze` on trace-cmd report text (issue #15): per CPU, IPI
# sends by sending CPU and target (ipi_send_cpu cpu=N, ipi_send_cpumask cpumask=LIST) and
# call-function receptions (call_function{,_single}_entry), plus events per name, from the
# same text in one pass. Comparable work to the analysis' reading (every line split into
# fields, the IPI lines parsed further); it does no pairing, batches or flips.
# usage: mawk -f scripts/bench-mawk-ipi.awk big.report.txt
{
  # `comm-pid [cpu] secs: name: fields`; an instance label `name: ` may come first.
  cpu = -1
  for (i = 1; i <= 4 && i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) { cpu = substr($i, 2, length($i) - 2) + 0; break }
  if (cpu < 0) next
  # The timestamp (`secs:`) follows the CPU, after tracefs' irq-flags column if any.
  k = i + 1
  if ($k !~ /:$/) k++
  name = $(k + 1)
  sub(/:$/, "", name)
  i = k - 1
  events[name]++
  if (name == "ipi_send_cpu") {
    for (j = i + 3; j <= NF; j++) if ($j ~ /^cpu=/) { sends[cpu]++; targets[substr($j, 5) + 0]++; break }
  } else if (name == "ipi_send_cpumask") {
    for (j = i + 3; j <= NF; j++) if ($j ~ /^cpumask=/) {
      sends[cpu]++
      n = split(substr($j, 9), parts, ",")
      for (p = 1; p <= n; p++) {
        if (split(parts[p], r, "-") == 2) { for (t = r[1] + 0; t <= r[2] + 0; t++) targets[t]++ }
        else targets[parts[p] + 0]++
      }
      break
    }
  } else if (name == "call_function_entry" || name == "call_function_single_entry") {
    received[cpu]++
  }
}
END {
  for (c in sends) print "sends cpu " c ": " sends[c]
  for (c in targets) print "targets cpu " c ": " targets[c]
  for (c in received) print "receptions cpu " c ": " received[c]
  for (e in events) total += events[e]
  print "events: " total
}
