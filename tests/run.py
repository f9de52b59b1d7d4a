#!/usr/bin/env python3
"""Runs every test of the project and prints one summary line (--fast: the
quick tier of `make check`, plain unit tests and fuzz corpora only).

Layering: tests/layers.py (the include and purity rules of
docs/ARCHITECTURE.md), one test, in both tiers.
Unit tests: each build/tests/test_* (cmocka) and its ASan+UBSan twin in
build/asan/tests/. Fuzz corpora: each build/asan/fuzz/fuzz_<target> (gcc,
ASan+UBSan, tests/fuzz/standalone.c) over tests/fuzz/corpus/<target> and
tests/fuzz/regressions/<target>, one test per target. Process tests: each
tests/it_*.py (unittest), which start real notaryd processes on loopback. The last line is "N passed, N failed",
counting individual test cases.

-j N runs N tests at once (make test and make check use -j2). They are
independent: each unit test and process test makes its own temporary
directories (mkdtemp), and every port a test listens on is drawn at random
when it runs and checked free (nngwire.free_port, cluster.free_base_port,
the C tests' own free_port), never a fixed one. Each test's result is
printed whole when it ends, so the lines never interleave; the order is the
order they end in.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_layers(path, env):
    start = time.time()
    p = subprocess.run([sys.executable, path], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=120)
    out = p.stdout + p.stderr
    ok = p.returncode == 0
    last = out.strip().splitlines()[-1] if out.strip() else "no output"
    report = (f"{'ok' if ok else 'FAIL':4} {os.path.relpath(path, ROOT)}: {last} "
              f"({time.time() - start:.1f}s)")
    if not ok:
        report += "\n" + out[-6000:]
    return (1, 0, report) if ok else (0, 1, report)


def run_cmocka(path, env):
    start = time.time()
    try:
        p = subprocess.run([path], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        out = p.stdout + p.stderr
        rc = p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out after 600 s", -1
    passed = sum(int(m) for m in re.findall(r"\[  PASSED  \] (\d+) test", out))
    failed = sum(int(m) for m in re.findall(r"\[  FAILED  \] (\d+) test", out))
    if rc != 0 and failed == 0:
        failed = 1  # crashed or sanitizer abort: count the binary as one failure
    status = "ok" if rc == 0 and failed == 0 else "FAIL"
    report = (f"{status:4} {os.path.relpath(path, ROOT)}: {passed} passed, {failed} failed "
              f"({time.time() - start:.1f}s)")
    if status != "ok":
        report += "\n" + out[-6000:]
    return passed, failed, report


def run_fuzz_corpus(path, env):
    start = time.time()
    target = os.path.basename(path)[len("fuzz_"):]
    dirs = [os.path.join(HERE, "fuzz", sub, target) for sub in ("corpus", "regressions")]
    try:
        p = subprocess.run([path] + dirs, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        out = p.stdout + p.stderr
        rc = p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out after 120 s", -1
    m = re.search(r"standalone: (\d+) inputs ran", out)
    ran = int(m.group(1)) if m else 0
    ok = rc == 0 and ran > 0
    report = (f"{'ok' if ok else 'FAIL':4} {os.path.relpath(path, ROOT)}: {ran} inputs "
              f"({time.time() - start:.1f}s)")
    if not ok:
        # The driver names each input before running it: the last one crashed.
        report += "\n" + out[-6000:]
    return (1, 0, report) if ok else (0, 1, report)


def run_unittest(path, env):
    start = time.time()
    try:
        p = subprocess.run([sys.executable, path, "-v"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=900)
        out = p.stdout + p.stderr
        rc = p.returncode
    except subprocess.TimeoutExpired:
        out, rc = "timed out after 900 s", -1
    m = re.search(r"^Ran (\d+) test", out, re.M)
    ran = int(m.group(1)) if m else 0
    m = re.search(r"FAILED \((.*)\)", out)
    failed = 0
    if m:
        failed = sum(int(x) for x in re.findall(r"(?:failures|errors)=(\d+)", m.group(1)))
    if rc != 0 and failed == 0:
        failed = 1
    passed = max(ran - failed, 0)
    status = "ok" if rc == 0 else "FAIL"
    report = (f"{status:4} {os.path.relpath(path, ROOT)}: {passed} passed, {failed} failed "
              f"({time.time() - start:.1f}s)")
    if status != "ok":
        report += "\n" + out[-8000:]
    return passed, failed, report


def timed(fn, path, env):
    start = time.time()
    return fn(path, env) + (time.time() - start,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", help="run only tests whose path contains this")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="run this many tests at once (default 1)")
    ap.add_argument("--fast", action="store_true",
                    help="the fast tier (make check): plain unit tests and the fuzz corpora, "
                         "no sanitizer unit tests, no process tests")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    env = dict(os.environ)
    env.setdefault("NT_VECTORS", os.path.join(ROOT, "tests", "vectors"))
    env["NT_BUILD"] = build
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

    jobs = [(run_layers, os.path.join(HERE, "layers.py"))]
    unit_dirs = [os.path.join(build, "tests")]
    if not args.fast:
        unit_dirs.append(os.path.join(build, "asan", "tests"))
    for d in unit_dirs:
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                # a binary left in build/ by a test file since removed or
                # split is not run
                if name.startswith("test_") and os.path.exists(os.path.join(HERE, name + ".c")):
                    jobs.append((run_cmocka, os.path.join(d, name)))
    fuzz_dir = os.path.join(build, "asan", "fuzz")
    if os.path.isdir(fuzz_dir):
        for name in sorted(os.listdir(fuzz_dir)):
            if name.startswith("fuzz_"):
                jobs.append((run_fuzz_corpus, os.path.join(fuzz_dir, name)))
    for name in sorted(os.listdir(HERE)) if not args.fast else []:
        if name.startswith("it_") and name.endswith(".py"):
            jobs.append((run_unittest, os.path.join(HERE, name)))
    if args.only:
        # Matched against the path from the repository root, so that the
        # name of the checkout's own directory matches nothing.
        jobs = [j for j in jobs if args.only in os.path.relpath(j[1], ROOT)]

    # Longest first, so that no long test ends last on one worker while the
    # others idle: by the times of the last run (build/.run-times.json), and
    # a test not timed yet counts as long if it is a process test.
    times_path = os.path.join(build, ".run-times.json")
    try:
        with open(times_path) as f:
            times = json.load(f)
    except (OSError, ValueError):
        times = {}
    if args.jobs > 1:
        jobs.sort(key=lambda j: -times.get(os.path.relpath(j[1], ROOT),
                                           60.0 if j[0] is run_unittest else 0.0))

    total_p = total_f = 0
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(timed, fn, path, env): path for fn, path in jobs}
        # Each test's report is printed whole when it ends (in the order
        # they end), so parallel tests never interleave their lines.
        for fut in concurrent.futures.as_completed(futures):
            p, f, report, secs = fut.result()
            print(report, flush=True)
            total_p += p
            total_f += f
            times[os.path.relpath(futures[fut], ROOT)] = round(secs, 1)
    try:
        with open(times_path, "w") as f:
            json.dump(times, f, indent=0, sort_keys=True)
    except OSError:
        pass
    print(f"{len(jobs)} tests on {max(args.jobs, 1)} workers in {time.time() - start:.1f}s")
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_f == 0 and total_p > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
