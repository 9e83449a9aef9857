#!/usr/bin/env bash
# Runs each fuzz target for N seconds, one after the other (`make fuzz FUZZ_SECONDS=N`).
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]     (default: every fuzz_* program in BUILD_DIR)
# New corpus entries go to BUILD_DIR/fuzz/corpus/<target> (the seeds in tests/fuzz/corpus/ are only
# read), crash inputs to BUILD_DIR/fuzz/crashes/<target>/, the log to BUILD_DIR/fuzz/logs/.
# FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-max_len=4096). Prints executions per target
# and exits 1 when a target found a crash, a leak or a hang.
set -uo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/tests/fuzz"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for program in "$bin"/fuzz_*; do targets+=("$(basename "$program" | sed 's/^fuzz_//')"); done
fi

failed=0
summary=()
for target in "${targets[@]}"; do
  program="$bin/fuzz_$target"
  if [ ! -x "$program" ]; then
    echo "run.sh: no fuzz program $program (build with: make fuzz-build)" >&2
    exit 2
  fi
  work="$build/fuzz/corpus/$target"
  crashes="$build/fuzz/crashes/$target"
  log="$build/fuzz/logs/$target.log"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  # The dictionary of tokens for the target's input kind (libFuzzer takes one file).
  dict="$build/fuzz/$target.dict"
  case "$target" in
    *_webhook) cat "$here/dict/json.dict" "$here/dict/webhook.dict" >"$dict" ;;
    *_page | lenient_json) cat "$here/dict/json.dict" >"$dict" ;;
    *_yaml) cat "$here/dict/yaml.dict" >"$dict" ;;
    message_codec) cat "$here/dict/message.dict" >"$dict" ;;
    *) : >"$dict" ;;
  esac
  echo "fuzz: $target for ${seconds}s (log $log)"
  # shellcheck disable=SC2086
  "$program" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" $([ -s "$dict" ] && echo "-dict=$dict") ${FUZZ_ARGS:-} "$work" "$here/corpus/$target" >"$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=$(find "$crashes" -type f | wc -l)
  if [ $status -ne 0 ] || [ "$found" -gt 0 ]; then
    failed=1
    echo "fuzz: $target FAILED (exit $status, $found input(s) in $crashes):" >&2
    grep -m1 -E 'ERROR: |runtime error|terminate called|deadly signal|Timeout|out-of-memory' "$log" >&2
  fi
  summary+=("$(printf '%-18s %12s executions  %3s crash input(s)' "$target" "${execs:-?}" "$found")")
done

echo "fuzz: ${seconds}s per target"
printf '%s\n' "${summary[@]}"
exit $failed
