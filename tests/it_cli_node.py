#!/usr/bin/env python3
"""Process tests of the notary command-line tool against a real
one-validator node on a random loopback port: submit, verify, find,
receipt, status, block, audit while running; a relay in front of the node
(FakeNode) that refuses batches or answers busy. The harness is
tests/clitest.py. Every wait is bounded; every process started is killed.
"""
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nngwire  # noqa: E402
from clitest import (  # noqa: E402
    BUILD,
    free_port_pair,
    HEX64,
    Node,
    NodeCase,
    NOTARY,
    NOTARYD,
    ROOT,
    run)


class FakeNode:
    """A REP0 server in front of a real node: relays each request to it, but
    can refuse batches as a whole (as a node without batch support does) or
    make chosen elements of a batch answer -32003 (busy). Counts what came."""

    def __init__(self, upstream_url, refuse_batches=False, busy_every=0):
        self.upstream = upstream_url
        self.refuse_batches = refuse_batches
        self.busy_every = busy_every
        self.batches = []  # (method of the first element, size) of each array received
        self.singles = 0
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.url = "tcp://127.0.0.1:%d" % self.srv.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping = True
        self.srv.close()
        self.thread.join(timeout=10)

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            try:
                self._session(conn)
            except (OSError, nngwire.WireError):
                pass
            finally:
                conn.close()

    def _session(self, conn):
        conn.settimeout(120)
        conn.sendall(nngwire.sp_header(nngwire.PROTO_REP0))
        hdr = nngwire._read_exact(conn, 8)
        if hdr != nngwire.sp_header(nngwire.PROTO_REQ0):
            return
        with nngwire.ReqClient.from_url(self.upstream, timeout=120) as up:
            while True:
                (n,) = struct.unpack(">Q", nngwire._read_exact(conn, 8))
                frame = nngwire._read_exact(conn, n)
                rid, body = frame[:4], frame[4:]
                reply = self._answer(up, body)
                conn.sendall(struct.pack(">Q", 4 + len(reply)) + rid + reply)

    def _answer(self, up, body):
        req = json.loads(body)
        if not isinstance(req, list):
            self.singles += 1
            return up.request(body)
        self.batches.append((req[0].get("method") if req and isinstance(req[0], dict) else None,
                             len(req)))
        if self.refuse_batches:
            return json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                "code": -32600, "message": "batch requests are not supported"}}).encode()
        if not self.busy_every:
            return up.request(body)
        # Elements chosen to be busy are not passed on, as if the mempool
        # had been full for them.
        keep = [(i, r) for i, r in enumerate(req) if (r["id"] % self.busy_every) != 0]
        answers = json.loads(up.request(json.dumps([r for _, r in keep]).encode())) if keep else []
        out = [None] * len(req)
        for (i, _), a in zip(keep, answers):
            out[i] = a
        for i, r in enumerate(req):
            if out[i] is None:
                out[i] = {"jsonrpc": "2.0", "id": r["id"], "error": {
                    "code": -32003, "message": "busy: the mempool is full"}}
        return json.dumps(out).encode()


class TestWithNode(NodeCase):
    """One node for the class; each test uses its own files."""

    PREFIX = "it_cli_node_"

    def submit(self, *args, timeout=60):
        return run("submit", "--node", self.node.url, "--key", self.key, *args, timeout=timeout)

    def verify(self, receipt, *files, json_out=False):
        args = ["verify", "--genesis", self.node.genesis, "--receipt", receipt, *files]
        if json_out:
            args.append("--json")
        return run(*args)

    def submitted_id(self, out, path):
        m = re.search(r"^([0-9a-f]{64})  " + re.escape(path) + " -> ", out, re.M)
        self.assertIsNotNone(m, out)
        return m.group(1)

    def test_submit_verify_tamper(self):
        f = self.file("contract.pdf", b"%PDF-1.4 the contract\n" * 100)
        p = self.submit("--case", "(2026) Zhe 0192 Min Chu 123", "--title", "the contract",
                        "--media-type", "application/pdf", f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rid = self.submitted_id(p.stdout, f)
        self.assertIn("(block ", p.stdout)
        receipt = f + ".receipt.json"
        # for people: the record id and the file's digest, labelled, and
        # which file to keep and hand over
        with open(f, "rb") as fh:
            fd = hashlib.sha256(fh.read()).hexdigest()
        self.assertNotEqual(rid, fd)
        self.assertIn("    Record id:          " + rid + "\n", p.stdout)
        self.assertIn("it is not the file's digest", p.stdout)
        self.assertIn("    The file's digest:  sha256 " + fd + "\n", p.stdout)
        self.assertIn("    Keep and hand over: " + receipt + ", with the file " + f, p.stdout)
        with open(receipt) as fh:
            doc = json.load(fh)
        self.assertEqual(doc["record_id"], rid)
        # notary init writes a notary-genesis/2: the chain is version 2
        self.assertEqual(doc["format"], "notary-receipt/2")
        self.assertEqual(doc["valset_changes"], [])
        v = self.verify(receipt, f)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertIn('VALID: this record is part of chain "cli-test"', v.stdout)
        self.assertIn("Test Office", v.stdout)
        v = self.verify(receipt, f, json_out=True)
        out = json.loads(v.stdout)
        self.assertEqual(out["meta"], {"case": "(2026) Zhe 0192 Min Chu 123",
                                       "title": "the contract", "media_type": "application/pdf",
                                       "file_name": "contract.pdf"})
        self.assertEqual(out["submitter"], self.pubkey)
        with open(f, "rb") as fh:
            self.assertEqual(out["digest"], hashlib.sha256(fh.read()).hexdigest())
        self.assertEqual(out["size"], os.path.getsize(f))
        self.assertEqual(out["record_id"], rid)
        # Without the file it is still valid, but says the file was not checked.
        v = self.verify(receipt)
        self.assertEqual(v.returncode, 0)
        self.assertIn("not checked", v.stdout)
        # One changed byte in the evidence: invalid.
        with open(f, "r+b") as fh:
            fh.seek(5)
            fh.write(b"X")
        v = self.verify(receipt, f)
        self.assertEqual(v.returncode, 1, v.stdout)
        self.assertTrue(v.stdout.startswith("INVALID: "))
        # And a changed receipt: invalid too.
        doc["leaf_index"] = doc["leaf_index"] + 1
        bad = self.file("bad.receipt.json", json.dumps(doc).encode())
        self.assertEqual(self.verify(bad).returncode, 1)

    def test_chain_identity(self):
        """The fingerprint of the genesis is the one the node, the verdict and
        `notary genesis fingerprint` show; a genesis that renames the office,
        or names another time, makes the receipt INVALID and says why."""
        f = self.file("identity.txt", b"chain identity\n")
        p = self.submit(f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        receipt = f + ".receipt.json"
        fp = run("genesis", "fingerprint", self.node.genesis)
        self.assertEqual(fp.returncode, 0, fp.stderr)
        fp = fp.stdout.strip()
        self.assertRegex(fp, r"^[0-9a-f]{8}(-[0-9a-f]{8}){3}$")
        st = run("status", "--node", self.node.url)
        self.assertIn("fingerprint   " + fp, st.stdout)
        v = self.verify(receipt, f)
        self.assertEqual(v.returncode, 0, v.stdout)
        self.assertIn(fp, v.stdout)
        with open(self.node.genesis, encoding="utf-8") as fh:
            g = json.load(fh)
        self.assertEqual(g["format"], "notary-genesis/2")
        for change in ("rename", "time"):
            h = json.loads(json.dumps(g))
            if change == "rename":
                h["validators"][0]["name"] = h["validators"][0]["name"] + " (forged)"
            else:
                h["genesis_time"] = "2020-01-01T00:00:00.000Z"
            path = self.file(change + ".genesis.json", json.dumps(h).encode())
            v = run("verify", "--genesis", path, "--receipt", receipt, f)
            self.assertEqual(v.returncode, 1, v.stdout)
            self.assertTrue(v.stdout.startswith("INVALID: genesis_hash differs"), v.stdout)
            self.assertIn(fp, v.stdout)  # the receipt's network, named

    def test_submit_two_at_once(self):
        a = self.file("a.txt", b"first exhibit\n")
        b = self.file("b.txt", b"second exhibit\n")
        p = self.submit("--case", "two", a, b)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        ids = [self.submitted_id(p.stdout, a), self.submitted_id(p.stdout, b)]
        self.assertNotEqual(ids[0], ids[1])
        self.assertLess(p.stdout.index(a + " ->"), p.stdout.index(b + " ->"))  # in order
        for path, rid in zip((a, b), ids):
            v = self.verify(path + ".receipt.json", path, json_out=True)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
            self.assertEqual(json.loads(v.stdout)["record_id"], rid)
        # A receipt does not vouch for the other file.
        v = self.verify(a + ".receipt.json", b)
        self.assertEqual(v.returncode, 1)

    def test_same_file_twice_same_record(self):
        f = self.file("chat.zip", b"PK\x03\x04 chat export" + os.urandom(64))
        p1 = self.submit("--title", "chat export", f)
        self.assertEqual(p1.returncode, 0, p1.stdout + p1.stderr)
        with open(f + ".receipt.json", "rb") as fh:
            first = json.load(fh)
        p2 = self.submit("--title", "chat export", f)
        self.assertEqual(p2.returncode, 0, p2.stdout + p2.stderr)
        self.assertEqual(self.submitted_id(p1.stdout, f), self.submitted_id(p2.stdout, f))
        self.assertIn("already notarized", p2.stdout)
        with open(f + ".receipt.json", "rb") as fh:
            second = json.load(fh)
        self.assertEqual(first["record"], second["record"])
        self.assertEqual(first["height"], second["height"])
        # Changed content with the old receipt beside it: refused, old receipt kept.
        with open(f, "ab") as fh:
            fh.write(b"more")
        p3 = self.submit("--title", "chat export", f)
        self.assertEqual(p3.returncode, 1, p3.stdout + p3.stderr)
        self.assertIn("--out", p3.stderr)
        with open(f + ".receipt.json", "rb") as fh:
            self.assertEqual(json.load(fh), second)

    def test_other_algorithms(self):
        f = self.file("photo.jpg", os.urandom(100000))
        for alg in ("sm3", "sha512", "sha3-256"):
            with self.subTest(alg):
                out = os.path.join(self.dir, alg + ".receipt.json")
                p = self.submit("--alg", alg, "--out", out, f)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn(" -> " + out, p.stdout)
                v = self.verify(out, f, json_out=True)
                self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
                res = json.loads(v.stdout)
                self.assertEqual(res["digest_alg"], alg)
                if alg == "sha512":
                    with open(f, "rb") as fh:
                        self.assertEqual(res["digest"], hashlib.sha512(fh.read()).hexdigest())
                p = run("find", "--node", self.node.url, "--alg", alg, f)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn(res["record_id"], p.stdout)

    def test_hostile_metadata_is_defused(self):
        # A submitter's metadata must not rewrite what a judge's terminal shows.
        f = self.file("x.txt", b"escape " + os.urandom(8))
        title = "ok\x1b[2J\x1b[32mVALID\u202egpj.exe"
        p = self.submit("--title", title, "--case", "line1\nline2", f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        v = self.verify(f + ".receipt.json", f)
        self.assertEqual(v.returncode, 0, v.stdout)
        self.assertNotIn("\x1b", v.stdout)
        self.assertNotIn("\u202e", v.stdout)
        self.assertIn("line1?line2", v.stdout)
        v = self.verify(f + ".receipt.json", f, json_out=True)
        self.assertEqual(json.loads(v.stdout)["meta"]["title"], title)
        p = run("find", "--node", self.node.url, f)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("\x1b", p.stdout)

    def test_find(self):
        data = b"evidence to look up " + os.urandom(16)
        f = self.file("lookup.txt", data)
        p = self.submit("--case", "find me", f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rid = self.submitted_id(p.stdout, f)
        p = run("find", "--node", self.node.url, f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(rid, p.stdout)
        self.assertIn("find me", p.stdout)
        digest = hashlib.sha256(data).hexdigest()
        p = run("find", "--node", self.node.url, "--digest", digest, "--json")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        recs = json.loads(p.stdout)["records"]
        self.assertEqual([r["record_id"] for r in recs], [rid])
        self.assertEqual(recs[0]["meta"]["case"], "find me")
        # The env var picks the node too.
        p = run("find", "--digest", digest.upper(), env={"NOTARY_NODE": self.node.url})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = run("find", "--node", self.node.url, self.file("never.txt", os.urandom(32)))
        self.assertEqual(p.returncode, 1)
        self.assertIn("not found", p.stdout)

    def test_receipt_by_id(self):
        f = self.file("r.txt", b"receipt by id " + os.urandom(8))
        p = self.submit(f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rid = self.submitted_id(p.stdout, f)
        out = os.path.join(self.dir, "fetched.json")
        p = run("receipt", "--node", self.node.url, "--out", out, rid)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        v = self.verify(out, f)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        p = run("receipt", "--node", self.node.url, rid)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(json.loads(p.stdout)["record_id"], rid)
        # Never over another record's receipt.
        other = self.file("other.txt", b"other " + os.urandom(8))
        self.assertEqual(self.submit(other).returncode, 0)
        p = run("receipt", "--node", self.node.url, "--out", other + ".receipt.json", rid)
        self.assertEqual(p.returncode, 1)
        p = run("receipt", "--node", self.node.url, "00" * 32)
        self.assertEqual(p.returncode, 1)
        self.assertIn("code -32001", p.stderr)

    def test_pending_then_receipt(self):
        f = self.file("slow.txt", b"pending " + os.urandom(8))
        p = self.submit("--timeout", "0", f)
        self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
        if p.returncode == 3:
            m = re.search(r"^([0-9a-f]{64})  .*pending", p.stdout, re.M)
            self.assertIsNotNone(m, p.stdout)
            self.assertIn("notary receipt", p.stdout)
            rid = m.group(1)
            out = f + ".receipt.json"
            p = run("receipt", "--node", self.node.url, "--wait", "10", "--out", out, rid)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(self.verify(out, f).returncode, 0)

    # ---- many files: sent in JSON-RPC batches ----

    def files(self, n, prefix="many"):
        return [self.file("%s%03d.txt" % (prefix, i), b"exhibit %d " % i + os.urandom(8))
                for i in range(n)]

    def assert_done_in_order(self, out, paths):
        lines = [ln for ln in out.splitlines() if not ln.startswith("    ")]
        self.assertEqual(len(lines), len(paths), out)
        for ln, path in zip(lines, paths):
            self.assertRegex(ln, r"^[0-9a-f]{64}  " + re.escape(path) + " -> " +
                             re.escape(path + ".receipt.json") + r" \(block \d+, attested ")

    def test_submit_many(self):
        paths = self.files(150)
        p = self.submit("--case", "many", *paths, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, "")  # no progress unless stderr is a terminal
        self.assert_done_in_order(p.stdout, paths)
        ids = set()
        for path in paths:
            rid = self.submitted_id(p.stdout, path)
            ids.add(rid)
            v = self.verify(path + ".receipt.json", path, json_out=True)
            self.assertEqual(v.returncode, 0, path + v.stdout + v.stderr)
            self.assertEqual(json.loads(v.stdout)["record_id"], rid)
        self.assertEqual(len(ids), len(paths))
        self.assertEqual(sorted(os.listdir(self.dir)),
                         sorted([os.path.basename(x) for x in paths] +
                                [os.path.basename(x) + ".receipt.json" for x in paths]))

    def test_submit_many_big_metadata(self):
        # Records near the size limit: a batch is cut by bytes (512 KiB)
        # before it has 64 of them.
        fake = FakeNode(self.node.url)
        try:
            paths = self.files(70, "big")
            p = run("submit", "--node", fake.url, "--key", self.key, "--case", "c" * 3900,
                    *paths, timeout=120)
        finally:
            fake.close()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        sizes = [k for m, k in fake.batches if m == "submit"]
        self.assertEqual(sum(sizes), 70, fake.batches)
        self.assertTrue(50 < sizes[0] < 64, sizes)
        self.assertTrue(all(m in ("submit", "receipt") for m, _ in fake.batches))
        self.assert_done_in_order(p.stdout, paths)
        for path in (paths[0], paths[-1]):
            self.assertEqual(self.verify(path + ".receipt.json", path).returncode, 0)

    def test_submit_many_with_one_committed(self):
        paths = self.files(80, "mix")
        old = paths[40]
        p = self.submit(old)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        first_id = self.submitted_id(p.stdout, old)
        with open(old + ".receipt.json", "rb") as fh:
            first = json.load(fh)
        p = self.submit(*paths, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assert_done_in_order(p.stdout, paths)
        lines = p.stdout.splitlines()
        self.assertIn("already notarized", lines[40])
        self.assertEqual(sum("already notarized" in ln for ln in lines), 1)
        self.assertEqual(self.submitted_id(p.stdout, old), first_id)
        with open(old + ".receipt.json", "rb") as fh:
            again = json.load(fh)
        self.assertEqual(again["record"], first["record"])
        self.assertEqual(again["height"], first["height"])
        for path in (paths[0], old, paths[-1]):
            self.assertEqual(self.verify(path + ".receipt.json", path).returncode, 0)

    def test_submit_many_pending(self):
        # --timeout 0: nothing is waited for. The file already committed is
        # done at once; every other one is reported pending, in order.
        paths = self.files(100, "pend")
        old = paths[7]
        self.assertEqual(self.submit(old).returncode, 0)
        p = self.submit("--timeout", "0", *paths, timeout=120)
        self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
        lines = [ln for ln in p.stdout.splitlines() if not ln.startswith("    ")]
        self.assertEqual(len(lines), len(paths), p.stdout)
        pending = []
        for ln, path in zip(lines, paths):
            m = re.match(r"^([0-9a-f]{64})  " + re.escape(path) + "(: pending| -> )", ln)
            self.assertIsNotNone(m, ln)
            if m.group(2) == ": pending":
                pending.append((m.group(1), path))
        self.assertIn("already notarized", lines[7])
        # Sent with wait_ms 0 and not waited for: every new record is pending.
        self.assertEqual([path for _, path in pending], paths[:7] + paths[8:])
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stdout.count("notary receipt --node"), len(pending))
        for rid, path in pending[:1] + pending[-1:]:
            out = path + ".receipt.json"
            self.assertFalse(os.path.exists(out))
            r = run("receipt", "--node", self.node.url, "--wait", "10", "--out", out, rid)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(self.verify(out, path).returncode, 0)

    def test_submit_node_without_batches(self):
        # A node that answers any array with one -32600: the CLI falls back
        # to one request per file and still gets every receipt.
        fake = FakeNode(self.node.url, refuse_batches=True)
        try:
            paths = self.files(100, "old")
            p = run("submit", "--node", fake.url, "--key", self.key, *paths, timeout=120)
        finally:
            fake.close()
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr, "")
        self.assert_done_in_order(p.stdout, paths)
        self.assertEqual(fake.batches, [("submit", 64)])  # refused once, then never again
        self.assertGreaterEqual(fake.singles, 1 + 100 + 1)  # status, submits, receipts
        for path in (paths[0], paths[63], paths[64], paths[-1]):
            self.assertEqual(self.verify(path + ".receipt.json", path).returncode, 0)

    def test_submit_busy_elements(self):
        # A batch whose elements come back -32003 one by one: those files
        # fail as a single busy submit does; the others are committed.
        fake = FakeNode(self.node.url, busy_every=10)
        try:
            paths = self.files(70, "busy")
            p = run("submit", "--node", fake.url, "--key", self.key, *paths, timeout=120)
        finally:
            fake.close()
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertTrue(fake.batches)
        busy = [ln for ln in p.stderr.splitlines() if "busy" in ln]
        self.assertTrue(busy, p.stderr)
        for ln in busy:
            self.assertRegex(ln, r"^[0-9a-f]{64}  .*: the node is busy, try again later: "
                                 r".*\(code -32003\)$")
        done = [ln for ln in p.stdout.splitlines() if " -> " in ln]
        self.assertEqual(len(done) + len(busy), len(paths), p.stdout + p.stderr)
        failed = {ln.split("  ", 1)[1].split(": ", 1)[0] for ln in busy}
        done_paths = [x for x in paths if x not in failed]
        self.assert_done_in_order(p.stdout, done_paths)
        for path in paths:
            self.assertEqual(os.path.exists(path + ".receipt.json"), path not in failed)

    def test_status_block_validators(self):
        f = self.file("s.txt", b"status " + os.urandom(8))
        self.assertEqual(self.submit(f).returncode, 0)
        p = run("status", "--node", self.node.url, "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        st = json.loads(p.stdout)
        self.assertEqual(st["chain_id"], "cli-test")
        self.assertGreaterEqual(st["height"], 1)
        p = run("status", "--node", self.node.url)
        self.assertEqual(p.returncode, 0)
        self.assertIn("cli-test", p.stdout)
        p = run("block", "--node", self.node.url, "1", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        blk = json.loads(p.stdout)
        self.assertEqual(blk["height"], 1)
        self.assertRegex(blk["hash"], HEX64)
        p = run("block", "--node", self.node.url, "1")
        self.assertEqual(p.returncode, 0)
        self.assertIn(blk["hash"], p.stdout)
        p = run("block", "--node", self.node.url, "999999")
        self.assertEqual(p.returncode, 1)
        self.assertIn("code -32001", p.stderr)
        p = run("validators", "--node", self.node.url)
        self.assertEqual(p.returncode, 0)
        self.assertIn("Test Office", p.stdout)
        p = run("validators", "--node", self.node.url, "--json")
        self.assertEqual(json.loads(p.stdout)["quorum"], 1)

    def test_node_not_running(self):
        f = self.file("n.txt", b"nobody home")
        url = "tcp://127.0.0.1:%d" % free_port_pair()
        start = time.time()
        p = run("submit", "--node", url, "--key", self.key, f, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("error", p.stderr)
        self.assertIn(url, p.stderr)
        self.assertLess(time.time() - start, 30)
        self.assertFalse(os.path.exists(f + ".receipt.json"))
        p = run("status", "--node", url)
        self.assertEqual(p.returncode, 1)

    def test_meta_too_long(self):
        f = self.file("m.txt", b"meta")
        p = self.submit("--case", "c" * 5000, f)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("4096", p.stderr)
        self.assertFalse(os.path.exists(f + ".receipt.json"))
        # Just under the limit is fine (4096 bytes of JSON in all).
        fixed = len('{"case":"","file_name":"m.txt"}')
        p = self.submit("--case", "c" * (4096 - fixed), f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_audit_while_running(self):
        p = run("audit", "--home", self.node.home)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("in use", p.stderr)


if __name__ == "__main__":
    for exe in (NOTARY, NOTARYD):
        if not os.access(exe, os.X_OK):
            print(f"{exe} is missing; build first (make B={os.path.relpath(BUILD, ROOT)})",
                  file=sys.stderr)
            sys.exit(1)
    unittest.main()
