#!/usr/bin/env python3
"""Process tests of notaryd's lifecycle: clean SIGTERM (with waiting clients),
a second node on one home, startup errors, a corrupt WAL or table, a full
disk, no quorum, kill -9 under load. The harness is tests/nodetest.py.
"""
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nngwire  # noqa: E402
from nodetest import (  # noqa: E402
    cli_has,
    Key,
    make_record,
    Node,
    NodeTest,
    NOTARY,
    NOTARYD,
    record_id,
    req,
    set_config)


class TestLifecycle(NodeTest):
    block = {"interval_ms": 20, "max_records": 25}

    def test_sigterm_clean_exit(self):
        self.node.start()
        with self.node.client() as c:
            recs = [make_record(self.submitter) for _ in range(5)]
            for r in recs:
                self.ok(c, "submit", {"record": r.hex()})
        rc = self.node.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, self.node.log())
        log = self.node.log()
        self.assertIn("stopped cleanly", log)
        # the pending records were committed before exit
        self.node.start()
        with self.node.client() as c:
            for r in recs:
                self.assertEqual(self.ok(c, "receipt", {"record_id": record_id(r)})["status"],
                                 "committed")
        self.assertEqual(self.node.stop(signal.SIGINT), 0)

    def test_second_node_same_home_refused(self):
        self.node.start()
        other = Node(self.home, self.url)
        self.nodes.append(other)
        other.start(wait=False)
        rc = other.proc.wait(timeout=15)
        self.assertEqual(rc, 1)
        self.assertIn("in use", other.log())

    def test_startup_errors(self):
        p = subprocess.run([NOTARYD], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([NOTARYD, "--home", self.home, "--bogus"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([NOTARYD, "--home", self.home, "--log-level", "loud"], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([NOTARYD, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--home", p.stdout)
        p = subprocess.run([NOTARYD, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        p = subprocess.run([NOTARYD, "--home", os.path.join(self.dir, "missing")], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("config.json", p.stderr)
        # an unsafe key file mode is refused
        with open(os.path.join(self.home, "config.json")) as f:
            key_file = json.load(f).get("key_file", "validator.key")
        key_path = os.path.join(self.home, key_file)
        os.chmod(key_path, 0o644)
        p = subprocess.run([NOTARYD, "--home", self.home], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("key", p.stderr)
        os.chmod(key_path, 0o600)
        # a bad config value names the member
        cfg_path = os.path.join(self.home, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["block"]["interval_ms"] = "fast"
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        p = subprocess.run([NOTARYD, "--home", self.home], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("block.interval_ms", p.stderr)

    def test_corrupt_wal_and_quarantine(self):
        self.node.start()
        with self.node.client() as c:
            rec = make_record(self.submitter)
            self.assertEqual(self.ok(c, "submit", {"record": rec.hex(), "wait_ms": 5000})["status"],
                             "committed")
        self.assertEqual(self.node.stop(), 0)
        wal = os.path.join(self.home, "consensus", "cs.wal")
        self.assertTrue(os.path.exists(wal))
        self.assertTrue(os.path.exists(os.path.join(self.home, "consensus", "sign_state")))
        # a bad frame followed by more data: corruption, not a torn tail
        with open(wal, "ab") as f:
            f.write(struct.pack(">II", 5, 0) + b"abcde" + struct.pack(">II", 5, 0) + b"abcde")
        p = subprocess.run([NOTARYD, "--home", self.home], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--quarantine-wal", p.stderr)
        # the documented recovery moves it aside and starts normally
        p = subprocess.Popen([NOTARYD, "--home", self.home, "--quarantine-wal"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.node.proc = p
            self.node.logf = open(os.devnull, "w")
            self.node.wait_ready()
            with self.node.client() as c:
                self.assertEqual(self.ok(c, "status")["height"], 1)
                self.assertEqual(self.ok(c, "receipt", {"record_id": record_id(rec)})["status"],
                                 "committed")
        finally:
            self.assertEqual(self.node.stop(), 0)
        moved = [f for f in os.listdir(os.path.join(self.home, "consensus"))
                 if f.startswith("cs.wal.corrupt-")]
        self.assertEqual(len(moved), 1, moved)

    def test_corrupt_table_block_logged_and_counted(self):
        """A flipped byte in a LevelDB table file: the block it hits is
        answered -32005, and the node logs it (pointing to notary audit) and
        counts it in status, instead of failing that query silently."""
        self.node.start()
        recs = {}
        with self.node.client() as c:
            self.assertEqual(self.ok(c, "status")["store_corruptions"], 0)
            for i in range(12):
                # ~1.5 KB records, one per block: heights far apart sit in
                # different 4 KiB table blocks
                rec = make_record(self.submitter, meta={"title": "it", "pad": os.urandom(700).hex()})
                res = self.ok(c, "submit", {"record": rec.hex(), "wait_ms": 5000})
                self.assertEqual(res["status"], "committed", res)
                recs.setdefault(res["height"], rec)
        self.assertEqual(self.node.stop(), 0)
        # LevelDB writes the log it recovers into a table file at open: one
        # start and stop more puts every block in an .ldb file.
        self.node.start()
        self.assertEqual(self.node.stop(), 0)

        heights = sorted(recs)
        self.assertGreaterEqual(len(heights), 8, heights)
        target = heights[len(heights) // 2]
        sig = recs[target][-64:]  # the record's signature: stored once, as is
        data = os.path.join(self.home, "data")
        hits = 0
        for name in sorted(os.listdir(data)):
            if not name.endswith(".ldb"):
                continue
            path = os.path.join(data, name)
            with open(path, "r+b") as f:
                blob = f.read()
                at = blob.find(sig)
                if at < 0:
                    continue
                f.seek(at + 10)
                f.write(bytes([blob[at + 10] ^ 0x40]))
                hits += 1
        self.assertEqual(hits, 1, "record of height %d not found in one table file: %s"
                         % (target, os.listdir(data)))

        self.node.start()
        with self.node.client() as c:
            msg = self.err(c, "block", {"height": target}, -32005)
            self.assertIn("corrupt", msg)
            self.assertEqual(self.ok(c, "status")["store_corruptions"], 1)
            self.err(c, "receipt", {"record_id": record_id(recs[target])}, -32005)
            self.assertEqual(self.ok(c, "status")["store_corruptions"], 2)
            # the rest of the chain is still served
            self.assertEqual(self.ok(c, "block", {"height": heights[0]})["height"], heights[0])
            self.assertEqual(self.ok(c, "block", {"height": heights[-1]})["height"], heights[-1])
            self.assertEqual(self.ok(c, "status")["store_corruptions"], 2)
        with open(self.node.log_path, errors="replace") as f:
            log = f.read()
        lines = [l for l in log.splitlines() if "store corruption" in l]
        self.assertEqual(len(lines), 2, log[-3000:])
        self.assertIn("ERROR", lines[0])
        self.assertIn("block %d" % target, lines[0])
        self.assertIn("notary audit", lines[0])
        self.assertIn(record_id(recs[target]), lines[1])
        self.assertEqual(self.node.stop(), 0)
        if cli_has("audit"):
            p = subprocess.run([NOTARY, "audit", "--home", self.home], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)

    def test_disk_full_says_so(self):
        """The store on a full disk: the node stops and its log says "no
        space left on device" and what to do, not "input/output error".
        data_dir is a 1 MiB tmpfs mounted in a private mount namespace
        (unshare -m), so nothing is mounted outside the test; skipped where
        that is not allowed."""
        small = os.path.join(self.dir, "small")
        os.makedirs(small)
        wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$@"', small]
        try:
            probe = subprocess.run(wrap + ["true"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise unittest.SkipTest("cannot run unshare: %s" % e)
        if probe.returncode != 0:
            raise unittest.SkipTest("cannot mount a tmpfs in a private namespace: "
                                    + probe.stderr.strip())
        cfg_path = os.path.join(self.home, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["data_dir"] = small
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        node = self.node
        node.logf = open(node.log_path, "ab")
        node.proc = subprocess.Popen(wrap + [NOTARYD, "--home", self.home], stdout=node.logf,
                                     stderr=node.logf)
        node.wait_ready()
        # ~4.5 KB records in batches of 50: the 1 MiB is gone in a few blocks
        answers = []
        with node.client(timeout=30) as c:
            for _ in range(20):
                if node.proc.poll() is not None:
                    break
                recs = [make_record(self.submitter, meta={"pad": os.urandom(1900).hex()})
                        for _ in range(50)]
                body = json.dumps([req("submit", {"record": r.hex(), "wait_ms": 3000}, id=i)
                                   for i, r in enumerate(recs)]).encode()
                try:
                    answers.extend(json.loads(c.request(body)))
                except (OSError, nngwire.WireError):
                    break
        rc = node.proc.wait(timeout=30)
        node.proc = None
        node.logf.close()
        self.assertEqual(rc, 1)
        with open(node.log_path, errors="replace") as f:
            log = f.read()
        self.assertNotIn("input/output error", log)
        lines = [l for l in log.splitlines() if "no space left on device" in l]
        self.assertTrue(lines, log[-3000:])
        sys.stderr.write("\n  " + lines[0][25:] + " ")
        self.assertIn("ERROR", lines[0])
        self.assertIn("free space", lines[0])
        self.assertIn("restart the node", lines[0])
        self.assertIn("No space left on device", lines[0])  # LevelDB's own words kept
        # nobody got a receipt for a block that was not stored
        failed = [a for a in answers if "error" in a]
        self.assertTrue(all(a["error"]["code"] in (-32005, -32003) for a in failed), failed[:3])

    def test_without_quorum_stays_pending(self):
        # Two validators, the other one absent: the node runs consensus,
        # takes the record, and it stays pending (no quorum), no crash.
        self._two_validators_one_absent()
        self.node.start()
        with self.node.client() as c:
            st = self.ok(c, "status")
            self.assertEqual(st["validators"], 2)
            self.assertTrue(st["is_validator"])
            rec = make_record(self.submitter)
            res = self.ok(c, "submit", {"record": rec.hex(), "wait_ms": 1500})
            self.assertEqual(res["status"], "pending")
            self.assertEqual(self.ok(c, "status")["height"], 0)
        self.assertEqual(self.node.stop(), 0, self.node.log())

    def _hold_waiters(self, count, wait_ms=60000):
        """count clients, each on its own connection, submit a record and
        wait for its block; returns (threads, answers, errors)."""
        answers, errors = [], []
        lock = threading.Lock()
        ready = threading.Semaphore(0)

        def worker():
            try:
                with self.node.client(timeout=30) as c:
                    rec = make_record(self.submitter)
                    ready.release()
                    r = c.call("submit", {"record": rec.hex(), "wait_ms": wait_ms})
                    with lock:
                        answers.append(r)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))
                ready.release()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(count)]
        for t in threads:
            t.start()
        for _ in range(count):
            ready.acquire(timeout=60)
        return threads, answers, errors

    def _wait_mempool(self, count, timeout=20):
        end = time.time() + timeout
        with self.node.client() as c:
            while time.time() < end:
                if self.ok(c, "status").get("mempool", {}).get("records", -1) >= count:
                    return
                time.sleep(0.05)
        self.fail("the node did not take %d records:\n%s" % (count, self.node.log()))

    def _sigterm_bounded(self, threads, answers, errors, count, limit=5.0):
        t0 = time.time()
        self.node.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.node.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.node.proc.kill()
            self.node.proc.wait(timeout=10)
            self.fail("notaryd hung on SIGTERM with %d waiters:\n%s" % (count, self.node.log()))
        took = time.time() - t0
        self.node.proc = None
        self.node.logf.close()
        for t in threads:
            t.join(timeout=10)
        sys.stderr.write("\n  SIGTERM with %d waiters: exit %d after %.2f s " % (count, rc, took))
        self.assertEqual(rc, 0, self.node.log())
        self.assertLess(took, limit, self.node.log())
        self.assertFalse(errors, errors)
        self.assertEqual(len(answers), count)
        return answers

    def test_sigterm_with_waiters_commits_them(self):
        # One validator, blocks cut only after a minute: 64 submits wait.
        # SIGTERM commits them and every client gets its receipt.
        set_config(self.home, block={"interval_ms": 600000, "max_records": 2000})
        self.node.start()
        threads, answers, errors = self._hold_waiters(64)
        self._wait_mempool(64)
        answers = self._sigterm_bounded(threads, answers, errors, 64)
        for r in answers:
            self.assertEqual(r.get("result", {}).get("status"), "committed", r)

    def test_sigterm_with_waiters_without_quorum(self):
        # Two validators, the other absent: nothing can commit. SIGTERM
        # answers all 64 waiters (pending) and exits 0 within seconds.
        self._two_validators_one_absent()
        self.node.start()
        threads, answers, errors = self._hold_waiters(64)
        self._wait_mempool(64)
        answers = self._sigterm_bounded(threads, answers, errors, 64)
        for r in answers:
            ok = r.get("result", {}).get("status") == "pending" or "error" in r
            self.assertTrue(ok, r)

    def _two_validators_one_absent(self):
        gpath = os.path.join(self.home, "genesis.json")
        with open(gpath) as f:
            g = json.load(f)
        g["validators"].append({"name": "Other", "pubkey": Key().pub.hex()})
        with open(gpath, "w") as f:
            json.dump(g, f)
        cfg_path = os.path.join(self.home, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["p2p"] = "tcp://127.0.0.1:%d" % nngwire.free_port()
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)

    def test_kill9_under_load(self):
        self.node.start()
        nthreads, per_thread = 8, 40
        recs = [[make_record(self.submitter) for _ in range(per_thread)] for _ in range(nthreads)]
        receipts = {}
        lock = threading.Lock()
        errors = []

        def worker(batch):
            try:
                with self.node.client(timeout=10) as c:
                    for r in batch:
                        res = c.call("submit", {"record": r.hex(), "wait_ms": 5000})
                        if res.get("result", {}).get("status") == "committed":
                            with lock:
                                receipts[res["result"]["record_id"]] = res["result"]["receipt"]
            except (OSError, nngwire.WireError, ValueError):
                pass  # the node was killed under us
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(b,), daemon=True) for b in recs]
        for t in threads:
            t.start()
        # kill once blocks are being written
        end = time.time() + 20
        while time.time() < end:
            with lock:
                if len(receipts) >= nthreads * per_thread // 3:
                    break
            time.sleep(0.005)
        self.node.proc.send_signal(signal.SIGKILL)
        self.node.proc.wait(timeout=10)
        self.node.proc = None
        self.node.logf.close()
        for t in threads:
            t.join(timeout=15)
        self.assertFalse(errors, errors)
        with lock:
            got = dict(receipts)
        self.assertGreater(len(got), 0)

        self.node.start()
        with self.node.client() as c:
            for rid, receipt in got.items():
                res = self.ok(c, "receipt", {"record_id": rid})
                self.assertEqual(res["status"], "committed")
                self.assertEqual(res["receipt"], receipt)
            st = self.ok(c, "status")
            self.assertGreaterEqual(st["log_size"], len(got))
        sys.stderr.write("\n  kill -9 after %d receipts; store after restart: height %d, %d records "
                         % (len(got), st["height"], st["log_size"]))
        self.assertEqual(self.node.stop(), 0)
        if cli_has("audit"):
            p = subprocess.run([NOTARY, "audit", "--home", self.home], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
