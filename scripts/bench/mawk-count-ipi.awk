# The text anchor of `make bench` (issue #15): counts, from `trace-cmd report` text, IPI
# targets per CPU (ipi_send_cpu's cpu=N, ipi_send_cpumask's cpumask=LIST such as 0-1,3) and
# call-function receptions per CPU (the [NNN] column of call_function_entry and
# call_function_single_entry lines), the least that `pokestat analyze` does with the text.
# run: mawk -f scripts/bench/mawk-count-ipi.awk report.txt
/ ipi_send_cpu: / {
  if (match($0, / cpu=[0-9]+/)) targets[substr($0, RSTART + 5, RLENGTH - 5) + 0]++
  next
}
/ ipi_send_cpumask: / {
  if (match($0, / cpumask=[0-9,-]+/)) {
    n = split(substr($0, RSTART + 9, RLENGTH - 9), parts, ",")
    for (i = 1; i <= n; i++) {
      if (split(parts[i], range, "-") == 2) { for (c = range[1] + 0; c <= range[2] + 0; c++) targets[c]++ }
      else targets[parts[i] + 0]++
    }
  }
  next
}
/ call_function_(single_)?entry: / {
  if (match($0, /\[[0-9]+\]/)) receptions[substr($0, RSTART + 1, RLENGTH - 2) + 0]++
}
END {
  for (c in targets) { t += targets[c] }
  for (c in receptions) { r += receptions[c] }
  print "ipi targets " t + 0
  print "receptions " r + 0
  for (c in targets) print "  cpu " c ": targets " targets[c] + 0 " receptions " receptions[c] + 0
}
