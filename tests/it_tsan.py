#!/usr/bin/env python3
"""ThreadSanitizer smoke: a short 4-validator bench (`make tsan` build) with
every process under TSan -- the bench, four validators with their RPC, peer
and loop threads -- passes when no process reports anything; and the
validator-set life of tests/it_valset.py (add, rotate, remove: the threads
that read the node's key, role and peer keys while the loop changes them)
on TSan binaries. Each process
writes its reports to its own file (TSAN_OPTIONS log_path), which this test
collects. Skipped when build/tsan/notary-bench has not been built (make
test builds it).
"""
import glob
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
BENCH = os.path.join(BUILD, "tsan", "notary-bench")
NOTARYD = os.path.join(BUILD, "tsan", "notaryd")
ARGS = ["--validators", "4", "--clients", "32", "--records", "1000", "--queries", "1000",
        "--no-observer"]


class TestThreadSanitizer(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(BENCH), "no %s (make tsan)" % BENCH)
    def test_bench_four_validators_reports_nothing(self):
        with tempfile.TemporaryDirectory(prefix="notary-tsan-") as d:
            env = dict(os.environ)
            env["TSAN_OPTIONS"] = "log_path=%s halt_on_error=0" % os.path.join(d, "tsan")
            p = subprocess.run([BENCH] + ARGS, cwd=d, env=env, capture_output=True, text=True,
                               timeout=600)
            logs = sorted(glob.glob(os.path.join(d, "tsan.*")))
            text = ""
            for path in logs:
                with open(path, errors="replace") as f:
                    text += "--- %s\n%s" % (os.path.basename(path), f.read())
            n = text.count("WARNING: ThreadSanitizer")
            print("  tsan: bench exit %d, %d report(s) in %d file(s)" % (p.returncode, n, len(logs)),
                  end=" ", flush=True)
            self.assertEqual(p.returncode, 0, (p.stdout + p.stderr)[-4000:])
            self.assertEqual(n, 0, text[:12000])

    @unittest.skipUnless(os.path.exists(NOTARYD), "no %s (make tsan)" % NOTARYD)
    def test_set_changes_report_nothing(self):
        with tempfile.TemporaryDirectory(prefix="notary-tsan-") as d:
            env = dict(os.environ)
            env["TSAN_OPTIONS"] = "log_path=%s halt_on_error=0" % os.path.join(d, "tsan")
            env["NT_BUILD"] = os.path.join(BUILD, "tsan")
            p = subprocess.run(["python3", os.path.join(HERE, "it_valset.py"),
                                "TestLifeOfASet"], cwd=d, env=env, capture_output=True,
                               text=True, timeout=600)
            text = ""
            for path in sorted(glob.glob(os.path.join(d, "tsan.*"))):
                with open(path, errors="replace") as f:
                    text += "--- %s\n%s" % (os.path.basename(path), f.read())
            n = text.count("WARNING: ThreadSanitizer")
            print("  tsan: set changes exit %d, %d report(s)" % (p.returncode, n), end=" ",
                  flush=True)
            self.assertEqual(p.returncode, 0, (p.stdout + p.stderr)[-4000:])
            self.assertEqual(n, 0, text[:12000])


if __name__ == "__main__":
    unittest.main()
