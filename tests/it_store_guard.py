#!/usr/bin/env python3
"""Process tests of the store guard and the sign-state repair of notaryd
(node/store_guard.c, node/sign_repair.c, docs/OPERATIONS.md): a validator
whose data/ (or consensus/) was deleted or restored from an old backup says
so loudly and does not build a second chain; in a network it catches up from
its peers and signs again; `notaryd --repair-sign-state H` is the documented
way back from a damaged sign-state.

Real notaryd processes on 127.0.0.1 only; every wait is bounded. The build
directory comes from $NT_BUILD (default: build). Standard library only.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nngwire  # noqa: E402
from cluster import Cluster, wait_until  # noqa: E402
from nodetest import NOTARY, NOTARYD, Key, Node, make_home, make_record, record_id  # noqa: E402

START_TIMEOUT = 20  # s: a refusing notaryd must have exited by then


def read_sign_state(home):
    """(height, round, step) of DIR/consensus/sign_state (node/privval.h)."""
    with open(os.path.join(home, "consensus", "sign_state"), "rb") as f:
        b = f.read()
    assert len(b) == 22 and b[:4] == b"NTSS", b
    return struct.unpack(">QIB", b[5:18])


def log_since(path, mark=0):
    """The text of a log file from byte mark on."""
    with open(path, "rb") as f:
        f.seek(mark)
        return f.read().decode(errors="replace")


def notaryd(home, *args, timeout=START_TIMEOUT):
    """Runs notaryd to completion; a node that does not exit by itself
    within timeout is a failure (it should have refused)."""
    try:
        return subprocess.run([NOTARYD, "--home", home] + list(args), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("notaryd %s did not exit within %d s (it should have refused "
                             "to start); its log:\n%s" % (" ".join(args), timeout,
                                                          (e.stderr or b"")[-3000:])) from None


class OneValidator(unittest.TestCase):
    """A network of one: nobody to catch up from."""

    @classmethod
    def setUpClass(cls):
        if not os.access(NOTARYD, os.X_OK):
            raise unittest.SkipTest("%s not built" % NOTARYD)
        cls.submitter = Key()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nt-guard-")
        self.url = "tcp://127.0.0.1:%d" % nngwire.free_port()
        self.home = os.path.join(self.dir, "home")
        make_home(self.home, self.url, {"interval_ms": 50})
        self.node = Node(self.home, self.url)

    def tearDown(self):
        if self.node.proc is not None and self.node.proc.poll() is None:
            self.node.proc.kill()
            self.node.proc.wait(timeout=10)
        if self.node.proc is not None:
            self.node.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, params=None):
        with self.node.client() as c:
            return c.call(method, params)

    def commit(self, count):
        """Submits count records, each waiting for its block; the height."""
        h = None
        for _ in range(count):
            r = self.call("submit", {"record": make_record(self.submitter).hex(),
                                     "wait_ms": 5000})
            self.assertEqual(r["result"]["status"], "committed", r)
            h = r["result"]["height"]
        return h

    def stop(self):
        self.assertEqual(self.node.stop(), 0, self.node.log())

    def rm(self, *names):
        for n in names:
            shutil.rmtree(os.path.join(self.home, n))

    def test_a_data_lost_or_old_refuses_loudly(self):
        self.node.start()
        self.assertEqual(self.commit(1), 1)
        self.stop()
        backup = os.path.join(self.dir, "data-at-1")
        shutil.copytree(os.path.join(self.home, "data"), backup)
        self.node.start()
        top = self.commit(2)
        self.assertEqual(top, 3)
        self.stop()
        signed = read_sign_state(self.home)[0]
        self.assertEqual(signed, top)
        newest = os.path.join(self.dir, "data-at-3")
        shutil.copytree(os.path.join(self.home, "data"), newest)

        # data/ restored from an older backup: blocks 2..3 are missing.
        self.rm("data")
        shutil.copytree(backup, os.path.join(self.home, "data"))
        p = notaryd(self.home)
        print("\n--- old backup restored:\n" + p.stderr, file=sys.stderr)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("ERROR STORE BEHIND", p.stderr)
        self.assertIn("holds blocks up to height 1, but this node had already reached "
                      "height 3", p.stderr)
        self.assertIn("the only validator", p.stderr)
        self.assertIn("restore data/ from a backup that reaches height 3", p.stderr)

        # data/ deleted: the same, from height 0; the store stays empty.
        self.rm("data")
        p = notaryd(self.home)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("holds blocks up to height 0", p.stderr)
        self.assertIn("--allow-store-behind", p.stderr)

        # The explicit flag: read-only, the status says why, nothing is
        # signed and no block is made.
        self.node.logf = open(self.node.log_path, "ab")
        self.node.proc = subprocess.Popen([NOTARYD, "--home", self.home, "--allow-store-behind"],
                                          stdout=self.node.logf, stderr=self.node.logf)
        self.node.wait_ready()
        st = self.call("status")["result"]
        print("--- status with --allow-store-behind: store_behind_sign_state = %s"
              % json.dumps(st["store_behind_sign_state"]), file=sys.stderr)
        self.assertEqual(st["store_behind_sign_state"],
                         {"store_height": 0, "sign_state_height": 3, "needed_height": 3,
                          "read_only": True})
        self.assertTrue(st["is_validator"])
        self.assertFalse(st["observer"])
        r = self.call("submit", {"record": make_record(self.submitter).hex(), "wait_ms": 500})
        self.assertIn("read-only", r["error"]["message"], r)
        self.assertEqual(r["error"]["code"], -32006, r)
        p = subprocess.run([NOTARY, "status", "--node", self.url], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("STORE BEHIND: it holds height 0, this validator had reached 3; "
                      "read-only", p.stdout)
        time.sleep(0.5)
        self.assertEqual(self.call("status")["result"]["height"], 0)
        self.stop()
        self.assertEqual(read_sign_state(self.home)[0], signed)
        self.assertIn("WARN  --allow-store-behind", self.node.log())

        # The way out: the newest backup (taken with the node stopped).
        self.rm("data")
        shutil.copytree(newest, os.path.join(self.home, "data"))
        self.node.start()
        self.assertIsNone(self.call("status")["result"]["store_behind_sign_state"])
        self.assertEqual(self.commit(1), top + 1)
        self.stop()


    def test_b_data_and_consensus_lost_refuses(self):
        self.node.start()
        self.commit(2)
        self.stop()
        self.rm("data", "consensus")
        p = notaryd(self.home)
        print("\n--- data/ and consensus/ deleted:\n" + p.stderr, file=sys.stderr)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.home, "node_state")))
        self.assertIn("ERROR SIGN-STATE LOST", p.stderr)
        self.assertIn("the store is empty too", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "consensus", "sign_state")))
        # The repair cannot help a lone validator with an empty store.
        p = notaryd(self.home, "--repair-sign-state", "2")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("store is empty", p.stderr)
        # Nor without a store, and it does not make one.
        self.rm("data")
        p = notaryd(self.home, "--repair-sign-state", "2")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("there is no store at", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "data")))

    def test_c_repair_sign_state(self):
        self.node.start()
        top = self.commit(3)
        st = self.call("status")["result"]
        self.assertIsNone(st["store_behind_sign_state"])
        # The repair refuses to race a running node.
        p = notaryd(self.home, "--repair-sign-state", str(top))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("stop the node first", p.stderr)
        self.stop()

        # A damaged sign-state stops the node and names the repair.
        path = os.path.join(self.home, "consensus", "sign_state")
        with open(path, "r+b") as f:
            f.seek(9)
            b = f.read(1)
            f.seek(9)
            f.write(bytes([b[0] ^ 0x40]))
        p = notaryd(self.home)
        print("\n--- corrupt sign-state:\n" + p.stderr, file=sys.stderr)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("is corrupt", p.stderr)
        self.assertIn("notaryd --home %s --repair-sign-state H" % self.home, p.stderr)

        # Below the store's height: refused, and said why.
        p = notaryd(self.home, "--repair-sign-state", str(top - 1))
        print("--- repair below the store:\n" + p.stderr, file=sys.stderr)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("below this store's height %d" % top, p.stderr)
        # Above it, for the only validator: it would never make a block.
        p = notaryd(self.home, "--repair-sign-state", str(top + 1))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("only validator", p.stderr)
        p = notaryd(self.home, "--repair-sign-state", "abc")
        self.assertEqual(p.returncode, 2, p.stderr)
        # The file is still the damaged one.
        self.assertEqual(notaryd(self.home).returncode, 1)

        p = notaryd(self.home, "--repair-sign-state", str(top))
        print("--- repair:\n" + p.stderr, file=sys.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_sign_state(self.home), (top, 0xFFFFFFFF, 3))
        self.node.start()
        rec = make_record(self.submitter)
        r = self.call("submit", {"record": rec.hex(), "wait_ms": 5000})
        self.assertEqual(r["result"]["status"], "committed", r)
        self.assertEqual(r["result"]["height"], top + 1)
        self.assertIsNone(self.call("status")["result"]["store_behind_sign_state"])
        self.stop()
        self.assertEqual(read_sign_state(self.home)[0], top + 1)

    def test_d_consensus_lost_names_repair(self):
        self.node.start()
        top = self.commit(2)
        self.stop()
        self.rm("consensus")
        p = notaryd(self.home)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("ERROR SIGN-STATE LOST", p.stderr)
        self.assertIn("--repair-sign-state H", p.stderr)
        self.assertEqual(notaryd(self.home, "--repair-sign-state", str(top)).returncode, 0)
        self.node.start()
        self.assertEqual(self.commit(1), top + 1)
        self.stop()

    def test_e_help_states_the_risk(self):
        p = subprocess.run([NOTARYD, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        for s in ("--repair-sign-state H", "--allow-store-behind",
                  "NEVER delete DIR/data/ or DIR/consensus/"):
            self.assertIn(s, p.stdout)


class CatchUp(unittest.TestCase):
    """Two validators (both needed for a block): the one that lost its store
    says so, signs nothing while its only peer is down, then fetches the
    chain from it and signs again."""

    def test_data_deleted_catches_up_and_signs(self):
        if not os.access(NOTARYD, os.X_OK):
            raise unittest.SkipTest("%s not built" % NOTARYD)
        t0 = time.monotonic()
        with Cluster(validators=2, chain_id="guard-test") as c:
            c.start_all()
            for i in range(3):
                r = c.submit(i % 2, c.write_file(), timeout=15)
                self.assertEqual(r.rc, 0, r)
            top = c.wait_same_height(timeout=15, at_least=3)
            c.stop(1)
            c.stop(0)
            with open(os.path.join(c.nodes[1].home, "consensus", "sign_state"), "rb") as f:
                before = f.read()
            signed = read_sign_state(c.nodes[1].home)[0]
            self.assertGreaterEqual(signed, 3)
            c.wipe(1)
            c.start(1)  # starts: it has a peer to catch up from (once it is back)
            st = c.status(1)
            print("\n--- node1 behind, its peer down: store_behind_sign_state = %s"
                  % json.dumps(st["store_behind_sign_state"]), file=sys.stderr)
            self.assertEqual(st["store_behind_sign_state"],
                             {"store_height": 0, "sign_state_height": signed,
                              "needed_height": top, "read_only": False})
            self.assertTrue(st["is_validator"])
            # A record makes it run height 1, where it may sign nothing.
            r = c.submit(1, c.write_file(), timeout=3)
            self.assertTrue(r.pending, r)
            time.sleep(1.5)
            with open(os.path.join(c.nodes[1].home, "consensus", "sign_state"), "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual(c.height(1), 0)
            c.start(0)
            c.wait_height(top, [1], timeout=20)
            log = c.nodes[1].log_text(20000)
            print("--- node1 after losing data/:\n" +
                  "\n".join(ln for ln in log.splitlines()
                            if "STORE BEHIND" in ln or "caught up" in ln or "fetched" in ln
                            or ln.startswith("  ") or " ERROR " in ln), file=sys.stderr)
            self.assertIn("ERROR STORE BEHIND", log)
            self.assertIn("follows its peers and fetches the missing blocks", log)
            wait_until(lambda: "the store caught up" in c.nodes[1].log_text(20000), 10,
                       what="the caught-up message")
            # A block needs both validators: node1 signs again, and the
            # record it kept while behind is committed.
            self.assertEqual(c.receipt(1, r.record_id, os.path.join(c.tmp, "r.json"),
                                       wait=20).returncode, 0)
            self.assertIsNone(c.status(1)["store_behind_sign_state"])
            self.assertGreater(read_sign_state(c.nodes[1].home)[0], signed)
            c.wait_same_height(timeout=10, at_least=top + 1)
            c.assert_same_chain()
            c.assert_alive()
        self.assertLess(time.monotonic() - t0, 90)


class CatchUpFour(unittest.TestCase):
    """Four validators: the network moves on while one of them is down with
    its data/ deleted; back up, it fetches the blocks it lacks, decides no
    block of its own below them, and its vote is then part of a quorum."""

    def test_network_moved_on(self):
        if not os.access(NOTARYD, os.X_OK):
            raise unittest.SkipTest("%s not built" % NOTARYD)
        t0 = time.monotonic()
        with Cluster(validators=4, chain_id="guard-four") as c:
            c.start_all()
            for i in range(4):
                self.assertEqual(c.submit(i, c.write_file(), timeout=15).rc, 0)
            c.wait_same_height(timeout=15, at_least=4)
            c.stop(3)
            signed = read_sign_state(c.nodes[3].home)[0]
            c.wipe(3)
            for i in range(3):  # 3 of 4 are a quorum
                self.assertEqual(c.submit(i, c.write_file(), timeout=15).rc, 0)
            top = c.wait_same_height([0, 1, 2], timeout=15)
            self.assertGreater(top, signed)
            mark = os.path.getsize(c.nodes[3].log_path)
            c.start(3)
            c.wait_height(top, [3], timeout=20)
            wait_until(lambda: "the store caught up" in log_since(c.nodes[3].log_path, mark), 10,
                       what="the caught-up message")
            log = log_since(c.nodes[3].log_path, mark)
            self.assertIn("ERROR STORE BEHIND", log)
            # Every block it holds up to the network's height was fetched
            # and checked, none decided by itself on an empty store.
            own = [ln for ln in log.splitlines() if " INFO  block " in ln
                   and "fetched from a peer" not in ln
                   and int(ln.split(" INFO  block ")[1].split(":")[0]) <= top]
            self.assertEqual(own, [], log)
            # Without node0, blocks need node3's precommit.
            c.stop(0)
            r = c.submit(1, c.write_file(), timeout=30)
            self.assertEqual(r.rc, 0, r)
            self.assertGreater(read_sign_state(c.nodes[3].home)[0], top)
            c.wait_height(r.height, [1, 2, 3], timeout=10)
            c.assert_same_chain([1, 2, 3])
            c.assert_alive([1, 2, 3])
        self.assertLess(time.monotonic() - t0, 90)


class RepairFour(unittest.TestCase):
    """The documented repair in a network of four: a damaged sign-state,
    H = the network's consensus_height, the node catches up, stays silent at
    H and signs from H+1, where its vote completes a quorum."""

    def test_repair_to_consensus_height(self):
        if not os.access(NOTARYD, os.X_OK):
            raise unittest.SkipTest("%s not built" % NOTARYD)
        t0 = time.monotonic()
        with Cluster(validators=4, chain_id="guard-repair") as c:
            c.start_all()
            for i in range(4):
                self.assertEqual(c.submit(i, c.write_file(), timeout=15).rc, 0)
            c.wait_same_height(timeout=15, at_least=4)
            c.stop(3)
            home = c.nodes[3].home
            with open(os.path.join(home, "consensus", "sign_state"), "r+b") as f:
                f.seek(20)
                f.write(b"\xff")
            for i in range(3):
                self.assertEqual(c.submit(i, c.write_file(), timeout=15).rc, 0)
            top = c.wait_same_height([0, 1, 2], timeout=15)
            p = notaryd(home)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("--repair-sign-state H", p.stderr)
            h = c.status(0)["consensus_height"]
            self.assertEqual(h, top + 1)
            p = notaryd(home, "--repair-sign-state", str(h))
            self.assertEqual(p.returncode, 0, p.stderr)
            mark = os.path.getsize(c.nodes[3].log_path)
            c.start(3)
            c.wait_height(top, [3], timeout=20)
            wait_until(lambda: "the store caught up" in log_since(c.nodes[3].log_path, mark), 10,
                       what="the caught-up message")
            self.assertIn("set by --repair-sign-state to height %d" % h,
                          log_since(c.nodes[3].log_path, mark))
            # Height h is decided without it (it may not sign there) ...
            self.assertEqual(c.submit(0, c.write_file(), timeout=15).rc, 0)
            c.wait_height(h, [3], timeout=15)
            self.assertEqual(read_sign_state(home), (h, 0xFFFFFFFF, 3))
            # ... and from h+1 its vote completes a quorum without node0.
            c.stop(0)
            r = c.submit(1, c.write_file(), timeout=30)
            self.assertEqual(r.rc, 0, r)
            self.assertGreater(r.height, h)
            self.assertGreater(read_sign_state(home)[0], h)
            c.wait_height(r.height, [1, 2, 3], timeout=10)
            c.assert_same_chain([1, 2, 3])
            c.assert_alive([1, 2, 3])
        self.assertLess(time.monotonic() - t0, 90)


if __name__ == "__main__":
    if not os.access(NOTARYD, os.X_OK):
        print("%s is missing; build first" % NOTARYD, file=sys.stderr)
        sys.exit(1)
    unittest.main()
