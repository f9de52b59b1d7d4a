#!/usr/bin/env python3
"""Process tests of `notary testnet`: the homes it writes (one shared
genesis, keys 0600, ports, peers), refusing to overwrite, usage errors, a
one-validator testnet that notarizes and verifies, and --run as a
supervisor that stops its nodes on SIGTERM. Multi-node consensus scenarios
are in tests/it_cluster.py. Every wait is bounded; every process started is
killed in tearDown.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cluster  # noqa: E402
from cluster import NOTARY, Cluster, run_cli, wait_until  # noqa: E402


def read_json(path):
    with open(path) as f:
        return json.load(f)


class TestLayout(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nt-testnet-")
        self.dir = os.path.join(self.tmp, "net")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def testnet(self, *args):
        return run_cli("testnet", "--dir", self.dir, *args)

    def check_homes(self, nv, no, base):
        total = nv + no
        homes = [os.path.join(self.dir, "node%d" % i) for i in range(total)]
        self.assertFalse(os.path.exists(os.path.join(self.dir, "node%d" % total)))
        with open(os.path.join(homes[0], "genesis.json"), "rb") as f:
            genesis_bytes = f.read()
        genesis = json.loads(genesis_bytes)
        vals = genesis["validators"]
        self.assertEqual(len(vals), nv)
        pubkeys = []
        for i, home in enumerate(homes):
            self.assertEqual(stat.S_IMODE(os.stat(home).st_mode), 0o700, home)
            kpath = os.path.join(home, "validator.key")
            self.assertEqual(stat.S_IMODE(os.stat(kpath).st_mode), 0o600, kpath)
            pubkeys.append(read_json(kpath)["pubkey"])
            with open(os.path.join(home, "genesis.json"), "rb") as f:
                self.assertEqual(f.read(), genesis_bytes, "genesis differs in " + home)
            cfg = read_json(os.path.join(home, "config.json"))
            self.assertEqual(cfg["rpc"], "tcp://127.0.0.1:%d" % (base + 10 * i))
            self.assertEqual(cfg["p2p"], "tcp://127.0.0.1:%d" % (base + 10 * i + 1))
            self.assertEqual(cfg["moniker"], "node%d" % i)
            want = [{"p2p": "tcp://127.0.0.1:%d" % (base + 10 * j + 1),
                     "rpc": "tcp://127.0.0.1:%d" % (base + 10 * j)}
                    for j in range(total) if j != i]
            self.assertEqual([{k: p[k] for k in ("p2p", "rpc")} for p in cfg["peers"]], want,
                             home)
            # every peer's certificate is listed with its fingerprint and binding
            others = [j for j in range(total) if j != i]
            for j, p in zip(others, cfg["peers"]):
                self.assertEqual(p["tls_cert"], "peers/node%d.crt" % j)
                with open(os.path.join(home, p["tls_cert"]), "rb") as f:
                    pem = f.read()
                with open(os.path.join(homes[j], "tls.crt"), "rb") as f:
                    self.assertEqual(pem, f.read())
                der = ssl.PEM_cert_to_DER_cert(pem.decode())
                self.assertEqual(p["tls_fingerprint"], hashlib.sha256(der).hexdigest())
                self.assertEqual(len(p["tls_binding"]), 128)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(home, "tls.key")).st_mode), 0o600)
        self.assertEqual(len(set(pubkeys)), total, "keys must differ")
        self.assertEqual([v["pubkey"] for v in vals], pubkeys[:nv])
        for k in pubkeys[nv:]:
            self.assertNotIn(k, [v["pubkey"] for v in vals], "observer key in genesis")
        self.assertEqual([v["name"] for v in vals],
                         ["Notary Office %s" % chr(ord("A") + i) for i in range(min(nv, 26))]
                         + [v["name"] for v in vals[26:]])
        return homes, genesis

    def test_four_validators(self):
        p = self.testnet("--validators", "4", "--base-port", "7600", "--chain-id", "four-net")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        homes, genesis = self.check_homes(4, 0, 7600)
        self.assertEqual(genesis["chain_id"], "four-net")
        # The table: node, role, RPC URL.
        for i in range(4):
            self.assertRegex(p.stdout, r"node%d\s+validator\s+tcp://127\.0\.0\.1:%d\b" %
                             (i, 7600 + 10 * i))
        # A second run refuses and changes nothing.
        before = {h: open(os.path.join(h, "validator.key")).read() for h in homes}
        p = self.testnet("--validators", "4", "--base-port", "7600")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("already exists", p.stderr)
        p = self.testnet("--validators", "2", "--base-port", "9000")
        self.assertEqual(p.returncode, 1)
        for h in homes:
            self.assertEqual(open(os.path.join(h, "validator.key")).read(), before[h])
        self.assertEqual(read_json(os.path.join(homes[0], "config.json"))["rpc"],
                         "tcp://127.0.0.1:7600")

    def test_observers_and_default_port(self):
        p = self.testnet("--validators", "3", "--observers", "2")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.check_homes(3, 2, 7400)
        self.assertRegex(p.stdout, r"node3\s+observer\s+tcp://127\.0\.0\.1:7430\b")
        self.assertRegex(p.stdout, r"node4\s+observer\s+tcp://127\.0\.0\.1:7440\b")
        genesis = read_json(os.path.join(self.dir, "node0", "genesis.json"))
        self.assertEqual(genesis["chain_id"], "local-testnet")

    def test_many_validators_names(self):
        p = self.testnet("--validators", "28", "--base-port", "30000")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        _, genesis = self.check_homes(28, 0, 30000)
        names = [v["name"] for v in genesis["validators"]]
        self.assertEqual(names[25:], ["Notary Office Z", "Notary Office AA",
                                      "Notary Office AB"])

    def test_usage(self):
        cases = [
            (),                                        # no --validators
            ("--validators", "0"),
            ("--validators", "65"),
            ("--validators", "-1"),
            ("--validators", "four"),
            ("--validators", "2", "--observers", "65"),
            ("--validators", "2", "--chain-id", "Bad Chain"),
            ("--validators", "2", "--base-port", "0"),
            ("--validators", "2", "--base-port", "65530"),  # node1 would need 65541
            ("--validators", "2", "--bogus"),
            ("--validators", "2", "extra"),
        ]
        for args in cases:
            p = self.testnet(*args)
            self.assertEqual(p.returncode, 2, "%s: %s%s" % (args, p.stdout, p.stderr))
            self.assertIn("notary testnet:", p.stderr, args)
            self.assertFalse(os.path.exists(os.path.join(self.dir, "node0")), args)
        p = run_cli("testnet", "--validators", "2")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--dir", p.stderr)
        p = run_cli("testnet", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--validators", p.stdout)
        p = run_cli("--help")
        self.assertIn(" testnet ", p.stdout)
        # The largest network fits.
        p = self.testnet("--validators", "64", "--observers", "1", "--base-port", "40000")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(read_json(os.path.join(self.dir, "node64", "genesis.json"))
                             ["validators"]), 64)


class TestOneValidator(unittest.TestCase):
    """A one-validator testnet is a working network today."""

    def setUp(self):
        self.c = Cluster(validators=1, chain_id="tn-one")

    def tearDown(self):
        self.c.close()

    def test_submit_verify(self):
        c = self.c
        self.assertEqual(c.nodes[0].role, "validator")
        c.start(0)
        st = c.status(0)
        self.assertEqual(st["chain_id"], "tn-one")
        self.assertTrue(st["is_validator"])
        f = c.write_file("contract.txt", b"the contract " + os.urandom(8))
        r = c.submit(0, f, args=("--case", "tn-1"))
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.record_id or "", cluster.HEX64)
        self.assertIsNotNone(r.receipt, r)
        rc, out = c.verify(r.receipt, f)
        self.assertEqual(rc, 0, out)
        self.assertTrue(out["valid"])
        self.assertEqual(out["chain_id"], "tn-one")
        self.assertEqual(out["record_id"], r.record_id)
        self.assertGreaterEqual(out["signatures"], 1)
        self.assertEqual(out["signers"][0]["name"], "Notary Office A")
        # Verified against another network's genesis: invalid.
        other = os.path.join(c.tmp, "other")
        self.assertEqual(run_cli("init", "--home", other).returncode, 0)
        rc, out = c.verify(r.receipt, f, genesis=os.path.join(other, "genesis.json"))
        self.assertEqual(rc, 1, out)
        # Heights and hashes through the harness.
        c.wait_height(r.height, timeout=10)
        self.assertEqual(c.assert_same_chain(), c.height(0))
        self.assertRegex(c.block_hash(0, r.height), cluster.HEX64)
        # A pending submit comes back through `notary receipt`.
        f2 = c.write_file()
        r2 = c.submit(0, f2, timeout=0)
        self.assertIn(r2.rc, (0, 3), r2)
        out = os.path.join(c.tmp, "r2.json")
        p = c.receipt(0, r2.record_id, out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(c.verify(out, f2)[0], 0)

    def test_restart_and_kill(self):
        c = self.c
        c.start(0)
        r = c.submit(0, c.write_file())
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(c.stop(0), 0)
        self.assertIsNone(c.status(0, timeout=1))
        c.start(0)
        self.assertGreaterEqual(c.height(0), r.height)
        self.assertEqual(c.kill(0), -signal.SIGKILL)
        c.start(0)
        self.assertGreaterEqual(c.height(0), r.height)
        with cluster.Load(c, timeout=5) as load:
            wait_until(lambda: len(load.committed) >= 3, 30, what="3 records under load")
        self.assertEqual(c.crashed(), [])
        c.assert_same_chain()


class TestRun(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nt-testnet-run-")
        self.dir = os.path.join(self.tmp, "net")
        self.proc = None
        self.out = None
        self.base = cluster.free_base_port(1)
        self.url = "tcp://127.0.0.1:%d" % self.base

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.out is not None:
            self.out.close()
        # A node the supervisor started and left behind would be a bug, but
        # must not outlive the test.
        for pid in getattr(self, "child_pids", []):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_run(self, *args):
        if self.out is not None:
            self.out.close()
        self.out = open(os.path.join(self.tmp, "run.out"), "w+")
        self.proc = subprocess.Popen([NOTARY, "testnet", "--dir", self.dir, *args, "--run"],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def output(self):
        self.out.flush()
        with open(self.out.name) as f:
            return f.read()

    def child_pid(self):
        m = re.search(r"node0\s+validator\s+pid (\d+)", self.output())
        return int(m.group(1)) if m else None

    def wait_status(self):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("testnet --run exited: " + self.output())
            p = run_cli("status", "--node", self.url, "--json", timeout=10)
            return p.returncode == 0 and json.loads(p.stdout)
        return wait_until(up, 20, 0.1, "status from the testnet's node")

    def test_run_sigterm(self):
        self.start_run("--validators", "1", "--base-port", str(self.base))
        st = self.wait_status()
        self.assertEqual(st["chain_id"], "local-testnet")
        pid = wait_until(self.child_pid, 5, what="the child's pid in the output")
        self.child_pids = [pid]
        out = self.output()
        self.assertIn(self.url, out)
        self.assertIn("notary submit --node " + self.url, out)
        # Serves submits like any node.
        key = os.path.join(self.tmp, "k.key")
        self.assertEqual(run_cli("keygen", "--out", key).returncode, 0)
        f = os.path.join(self.tmp, "e.txt")
        with open(f, "w") as fh:
            fh.write("evidence\n")
        p = run_cli("submit", "--node", self.url, "--key", key, f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=15), 0, self.output())
        self.assertFalse(os.path.exists("/proc/%d" % pid), "the node outlived --run")
        self.assertFalse(cluster.port_open(self.url))
        self.assertIn("node0 stopped (exit status 0)", self.output())
        log = os.path.join(self.dir, "node0", "notaryd.log")
        self.assertGreater(os.path.getsize(log), 0)

        # --run on the existing testnet runs it again, with the chain kept.
        self.start_run()
        st = self.wait_status()
        self.assertGreaterEqual(st["height"], 1)
        self.assertIn("running the testnet found in", self.output())
        pid = wait_until(self.child_pid, 5, what="the child's pid in the output")
        self.child_pids.append(pid)
        # SIGINT (Ctrl-C) stops it just as well.
        self.proc.send_signal(signal.SIGINT)
        self.assertEqual(self.proc.wait(timeout=15), 0, self.output())
        self.assertFalse(os.path.exists("/proc/%d" % pid))

    def test_child_dies(self):
        self.start_run("--validators", "1", "--base-port", str(self.base))
        self.wait_status()
        pid = wait_until(self.child_pid, 5, what="the child's pid in the output")
        self.child_pids = [pid]
        os.kill(pid, signal.SIGKILL)
        # Its only node gone, the supervisor reports it and gives up.
        rc = self.proc.wait(timeout=15)
        out = self.output()
        self.assertEqual(rc, 1, out)
        self.assertIn("node0", out)
        self.assertIn("killed by signal 9", out)
        self.assertIn("last lines of", out)

    def test_run_refuses_half_written(self):
        os.makedirs(os.path.join(self.dir, "node0"))
        self.start_run("--validators", "1", "--base-port", str(self.base))
        self.assertEqual(self.proc.wait(timeout=15), 1, self.output())
        self.assertIn("already exists", self.output())


if __name__ == "__main__":
    unittest.main()
