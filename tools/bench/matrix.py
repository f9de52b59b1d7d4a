#!/usr/bin/env python3
"""Runs notary-bench over a set of configurations several times each and
prints the medians as the Markdown table docs/PERFORMANCE.md shows.

  python3 tools/bench/matrix.py                 # the standard set, 3 runs each
  python3 tools/bench/matrix.py --runs 1 --only "1 val"
  python3 tools/bench/matrix.py --json out.json # also keep every run's JSON

Runs one benchmark at a time (each one loads the whole machine); a
configuration whose run fails is reported as failed, not left out."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name -> notary-bench arguments
STANDARD = [
    ("1 val, 64 clients", ["--validators", "1", "--clients", "64"]),
    ("1 val, 256 clients", ["--validators", "1", "--clients", "256"]),
    ("1 val, 64 clients, batch 16", ["--validators", "1", "--clients", "64", "--batch", "16"]),
    ("4 val, 64 clients", ["--validators", "4", "--clients", "64"]),
    ("4 val, 256 clients", ["--validators", "4", "--clients", "256"]),
    ("4 val, 64 clients, batch 16", ["--validators", "4", "--clients", "64", "--batch", "16"]),
]

ROWS = [
    ("committed records/s", lambda d: d["records_per_s"], "{:,.0f}"),
    ("latency p50 full load (ms)", lambda d: d["latency_ms"]["full_load"]["p50"], "{:.0f}"),
    ("latency p99 full load (ms)", lambda d: d["latency_ms"]["full_load"]["p99"], "{:.0f}"),
    ("latency p99 half load (ms)", lambda d: d["latency_ms"]["half_load"]["p99"], "{:.0f}"),
    ("CPU per record per node (us)",
     lambda d: 1e6 * statistics.mean(d["cpu_s_per_record"]), "{:.0f}"),
    ("peak RSS per node (MiB)", lambda d: max(d["peak_rss_mb"]), "{:.0f}"),
    ("disk bytes per record", lambda d: statistics.mean(d["disk_bytes_per_record"]), "{:.0f}"),
    ("receipt queries/s", lambda d: d["receipt_queries_per_s"], "{:,.0f}"),
    ("find queries/s", lambda d: d["find_queries_per_s"], "{:,.0f}"),
    ("observer catch-up (records/s)", lambda d: d["observer"]["records_per_s"], "{:,.0f}"),
    ("floor: verifies/s on one core", lambda d: d["floor"]["verifies_per_s_core"], "{:,.0f}"),
    ("efficiency", lambda d: d["efficiency"], "{:.3f}"),
]


def run_one(bench, args, records, timeout):
    cmd = [bench, "--json", "--records", str(records)] + args
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.strip()[-300:]))
    d = json.loads(p.stdout)
    d["_wall_s"] = time.time() - t0
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="folder holding notary-bench (build)")
    ap.add_argument("--runs", type=int, default=3, help="runs per configuration (3)")
    ap.add_argument("--records", type=int, default=20000, help="records per run (20000)")
    ap.add_argument("--only", default="", help="only configurations whose name contains this")
    ap.add_argument("--json", default="", help="write every run's JSON to this file")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run (900)")
    a = ap.parse_args()
    bench = os.path.join(ROOT, a.build, "notary-bench")
    if not os.access(bench, os.X_OK):
        sys.exit("matrix: %s not found; run `make bench` first" % bench)
    configs = [c for c in STANDARD if a.only in c[0]]
    if not configs:
        sys.exit("matrix: no configuration matches %r" % a.only)
    results = {}
    for name, args in configs:
        runs = []
        for i in range(a.runs):
            print("matrix: %s, run %d of %d ..." % (name, i + 1, a.runs), file=sys.stderr,
                  flush=True)
            try:
                runs.append(run_one(bench, args, a.records, a.timeout))
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                print("matrix: %s failed: %s" % (name, e), file=sys.stderr)
        results[name] = runs
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    names = list(results)
    print("| metric (median of %d) | %s |" % (a.runs, " | ".join(names)))
    print("|---|%s" % ("---|" * len(names)))
    for label, get, fmt in ROWS:
        cells = []
        for n in names:
            vals = []
            for d in results[n]:
                try:
                    vals.append(get(d))
                except (KeyError, TypeError, statistics.StatisticsError):
                    pass
            cells.append(fmt.format(statistics.median(vals)) if vals else "failed")
        print("| %s | %s |" % (label, " | ".join(cells)))
    failed = sum(a.runs - len(r) for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
