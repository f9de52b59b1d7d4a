#!/usr/bin/env python3
"""Smoke test of the benchmark program: `notary-bench --quick --json` runs a
one-validator network, and its JSON has every documented member with sane
values (every record committed, records_per_s > 0, p50 <= p99, ...). Not a
speed assertion: the numbers depend on the machine (docs/PERFORMANCE.md).
Also checks usage errors and that no notaryd outlives the bench.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
BENCH = os.path.join(BUILD, "notary-bench")


def notaryd_children_of(tmpdir_prefix):
    """pids of notaryd processes whose --home lies in a bench folder."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"notaryd") and any(tmpdir_prefix in a for a in argv):
            pids.append(int(d))
    return pids


@unittest.skipUnless(os.path.exists(BENCH), "notary-bench not built (make bench)")
class TestBench(unittest.TestCase):
    ARGS = ("--quick", "--json")

    @classmethod
    def setUpClass(cls):
        # A private TMPDIR: the bench makes its folder there, so the leftover
        # check below looks only at this run's nodes, not at other benches
        # that may run on the same machine.
        cls.tmp = tempfile.mkdtemp(prefix="nt-it-bench-")
        env = dict(os.environ, TMPDIR=cls.tmp)
        cls.p = subprocess.run([BENCH, *cls.ARGS], cwd=ROOT, capture_output=True,
                               text=True, timeout=120, env=env)
        cls.out = None
        if cls.p.returncode == 0:
            cls.out = json.loads(cls.p.stdout)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.p.returncode, 0, self.p.stdout[-3000:] + self.p.stderr[-3000:])

    def test_throughput_and_commit(self):
        j = self.out
        self.assertGreater(j["records_per_s"], 0)
        self.assertEqual(j["records"], 2000)
        self.assertEqual(j["committed"], j["records"])
        self.assertEqual(j["full_load"]["failed"], 0)
        self.assertEqual(j["half_load"]["committed"], j["half_load"]["offered"])
        self.assertGreater(j["half_load"]["offered"], 0)
        self.assertGreater(j["full_load"]["max_height"], 0)
        self.assertAlmostEqual(j["half_load_offered_per_s"], j["records_per_s"] / 2, delta=1e-3 *
                               j["records_per_s"] + 1e-6)

    def test_latency(self):
        for phase in ("full_load", "half_load"):
            lat = self.out["latency_ms"][phase]
            self.assertGreater(lat["p50"], 0, phase)
            self.assertLessEqual(lat["p50"], lat["p95"], phase)
            self.assertLessEqual(lat["p95"], lat["p99"], phase)
            self.assertLessEqual(lat["p99"], lat["max"], phase)

    def test_node_costs(self):
        j = self.out
        for key in ("cpu_s_per_record", "peak_rss_mb", "disk_bytes_per_record"):
            self.assertEqual(len(j[key]), 1, key)
            self.assertGreater(j[key][0], 0, key)
        self.assertLess(j["cpu_s_per_record"][0], 1.0)
        self.assertLess(j["peak_rss_mb"][0], 4096)
        self.assertLess(j["disk_bytes_per_record"][0], 1e6)

    def test_queries_and_observer(self):
        j = self.out
        for key in ("receipt_queries", "find_queries"):
            self.assertEqual(j[key]["failed"], 0, key)
            self.assertEqual(j[key]["done"], 5000, key)
        self.assertGreater(j["receipt_queries_per_s"], 0)
        self.assertGreater(j["find_queries_per_s"], 0)
        self.assertTrue(j["observer"]["caught_up"])
        self.assertGreater(j["observer"]["records_per_s"], 0)

    def test_floor(self):
        f = self.out["floor"]
        self.assertGreater(f["verifies_per_s_core"], 100)
        self.assertGreater(f["sha256_per_s"], f["verifies_per_s_core"])
        self.assertGreater(f["leveldb_puts_per_s"], 0)
        self.assertGreaterEqual(f["cores"], 1)
        want = self.out["records_per_s"] / (f["verifies_per_s_core"] * f["cores"])
        self.assertAlmostEqual(self.out["efficiency"], want, delta=want * 1e-3 + 1e-9)

    def test_nothing_left_behind(self):
        self.assertEqual(notaryd_children_of(self.tmp.encode()), [])


class TestBenchTls(TestBench):
    """The same with every link over TLS: peers mutual, clients (and the
    observer's catch-up) pinned to their node's certificate."""
    ARGS = ("--quick", "--json", "--tls", "--tls-clients")

    def test_config_says_tls(self):
        self.assertTrue(self.out["config"]["tls"])
        self.assertTrue(self.out["config"]["tls_clients"])


@unittest.skipUnless(os.path.exists(BENCH), "notary-bench not built (make bench)")
class TestBenchUsage(unittest.TestCase):
    def run_bench(self, *args):
        return subprocess.run([BENCH] + list(args), capture_output=True, text=True, timeout=30)

    def test_bad_options(self):
        for args in (["--validators", "0"], ["--records", "x"], ["--clients", "-1"],
                     ["--bogus"], ["extra"]):
            p = self.run_bench(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("notary-bench", p.stderr + p.stdout)

    def test_help(self):
        p = self.run_bench("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--validators", p.stdout)


if __name__ == "__main__":
    unittest.main()
