#!/usr/bin/env python3
"""Runs every test of the project and prints one summary line (--fast: the
quick tier of `make check`, plain unit tests and fuzz corpora only).

Unit tests: each build/tests/test_* (cmocka) and its ASan+UBSan twin in
build/asan/tests/. Fuzz corpora: each build/asan/fuzz/fuzz_<target> (gcc,
ASan+UBSan, tests/fuzz/standalone.c) over tests/fuzz/corpus/<target> and
tests/fuzz/regressions/<target>, one test per target. Process tests: each
tests/it_*.py (unittest), which start real notaryd processes on loopback. The last line is "N passed, N failed",
counting individual test cases.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


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
    print(f"{status:4} {os.path.relpath(path, ROOT)}: {passed} passed, {failed} failed "
          f"({time.time() - start:.1f}s)", flush=True)
    if status != "ok":
        print(out[-6000:], flush=True)
    return passed, failed


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
    print(f"{'ok' if ok else 'FAIL':4} {os.path.relpath(path, ROOT)}: {ran} inputs "
          f"({time.time() - start:.1f}s)", flush=True)
    if not ok:
        # The driver names each input before running it: the last one crashed.
        print(out[-6000:], flush=True)
    return (1, 0) if ok else (0, 1)


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
    print(f"{status:4} {os.path.relpath(path, ROOT)}: {passed} passed, {failed} failed "
          f"({time.time() - start:.1f}s)", flush=True)
    if status != "ok":
        print(out[-8000:], flush=True)
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", help="run only tests whose path contains this")
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

    jobs = []
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
        jobs = [j for j in jobs if args.only in j[1]]

    total_p = total_f = 0
    for fn, path in jobs:
        p, f = fn(path, env)
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_f == 0 and total_p > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
