#!/bin/sh
# Runs libFuzzer targets built by `make fuzz` (see tests/fuzz/README.md):
#   B=build FUZZ_SECONDS=60 sh tests/fuzz/run.sh record header ...
# Each target runs FUZZ_SECONDS with two corpus directories: the growing
# working corpus $B/fuzz/corpus/<target> (libFuzzer adds new inputs there)
# and the committed seeds tests/fuzz/corpus/<target> (read only). Crashes,
# leaks, timeouts and out-of-memory inputs are written to
# tests/fuzz/crashes/<target>/. Logs: $B/fuzz/<target>.log. Exit 1 if any
# target found something.
set -u
B=${B:-build}
SECS=${FUZZ_SECONDS:-60}
found=0
summary=""

max_len() {
	case "$1" in
	header) echo 256 ;;
	record) echo 4500 ;;
	commit) echo 10000 ;;
	block) echo 32768 ;;
	receipt) echo 16384 ;;
	genesis) echo 16384 ;;
	peermsg) echo 16384 ;;
	rpc) echo 16384 ;;
	wal) echo 4096 ;;
	merklelog) echo 2100 ;;
	signstate) echo 64 ;;
	config) echo 16384 ;;
	keyfile) echo 4200 ;;
	change) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

for t in "$@"; do
	bin="$B/fuzz/fuzz_$t"
	work="$B/fuzz/corpus/$t"
	crashes="tests/fuzz/crashes/$t"
	log="$B/fuzz/$t.log"
	mkdir -p "$work" "$crashes"
	before=$(ls "$crashes" | wc -l)
	echo "fuzz: $t for ${SECS}s (max_len $(max_len "$t"), log $log)"
	"$bin" -max_total_time="$SECS" -max_len="$(max_len "$t")" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	after=$(ls "$crashes" | wc -l)
	new=$((after - before))
	# The last status line: "#N DONE cov: C ft: F corp: K/S ... exec/s: E ..."
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
	eps=$(echo "$last" | grep -o 'exec/s: [0-9]*' | awk '{print $2}')
	cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
	ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
	corp=$(echo "$last" | grep -o 'corp: [0-9]*' | awk '{print $2}')
	status=ok
	if [ "$rc" -ne 0 ] || [ "$new" -gt 0 ]; then
		status="FOUND (exit $rc, $new new file(s) in $crashes)"
		found=1
		grep -E 'ERROR: |runtime error|property failed|SUMMARY' "$log" | head -5
	fi
	summary="$summary$(printf '%-8s runs %-10s exec/s %-7s cov %-6s ft %-6s corpus %-6s %s' \
		"$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$status")
"
done
echo "fuzz summary (${SECS}s each):"
printf '%s' "$summary"
exit $found
