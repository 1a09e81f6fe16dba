#!/bin/bash
# Saves, or compares against saved, `pokestat analyze` outputs of every fixture in every output
# format (table, markdown, json, csv, jsonl with each --rows, --html, --isolated, --predict),
# with stderr and exit status, so that a change to the analysis can be shown to change nothing.
#
#   scripts/analyze-identity.sh save    BINARY DIR   # e.g. the old binary, /tmp/analyze-ref-pokestat
#   scripts/analyze-identity.sh compare BINARY DIR   # exit 1 and list the differences
#
# Runs two inputs at a time (JOBS). Expected-output files (*.expected, *.tsv, *.md) are not inputs;
# the fuzz seeds (fixtures/fuzz/seeds) are.
set -u
mode=$1 bin=$2 dir=$3
cd "$(dirname "$0")/.."
[ "$mode" = save ] || [ "$mode" = compare ] || { echo "usage: $0 save|compare BINARY DIR" >&2; exit 2; }
out=$dir
[ "$mode" = compare ] && out=$(mktemp -d /tmp/analyze-identity.XXXXXX)
mkdir -p "$out"

run_one() {
  bin=$1 out=$2 file=$3
  name=$(echo "$file" | tr '/' '_')
  variants=("table:" "markdown:--format markdown" "json:--json" "csv:--csv" "jsonl:--format jsonl"
            "jsonl-batches:--format jsonl --rows batches" "jsonl-flips:--format jsonl --rows flips"
            "isolated:--json --isolated 1" "predict:--predict")
  for v in "${variants[@]}"; do
    tag=${v%%:*} args=${v#*:}
    # shellcheck disable=SC2086
    "$bin" analyze -q $args "$file" > "$out/$name.$tag.out" 2> "$out/$name.$tag.err"
    echo $? > "$out/$name.$tag.rc"
  done
  "$bin" analyze -q --json --html "$out/$name.html" "$file" > /dev/null 2>&1
  # The page names no path of its own; compare it as written.
}
export -f run_one
find fixtures -type f ! -path 'fixtures/help/*' ! -name '*.expected' \
  ! -name '*.tsv' ! -name '*.md' | sort | xargs -P "${JOBS:-2}" -I{} bash -c 'run_one "$@"' _ "$bin" "$out" {}
if [ "$mode" = compare ]; then
  if diff -r -q "$dir" "$out"; then
    echo "identical: $(ls "$out" | wc -l) files"; rm -rf "$out"
  else
    echo "DIFFERENT (new outputs kept in $out)"; exit 1
  fi
fi
