#!/usr/bin/env python3
"""Process tests of the notary command-line tool.

Runs build/notary (and build/notaryd) as a user would: verify against the
independent receipt vectors, usage errors, keygen, and a real one-validator
node on a random loopback port (submit, verify, find, receipt, status, block,
audit). The build directory comes from $NT_BUILD (default "build").
Every wait is bounded; every process started is killed in tearDown.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
NOTARY = os.path.join(BUILD, "notary")
NOTARYD = os.path.join(BUILD, "notaryd")
VECTORS = os.path.join(os.environ.get("NT_VECTORS", os.path.join(ROOT, "tests", "vectors")),
                       "receipt-v1")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")

sys.path.insert(0, HERE)
import nngwire  # noqa: E402


def run(*args, timeout=60, env=None, cwd=None):
    """Runs notary with args; returns the CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("NOTARY_NODE", None)
    if env:
        e.update(env)
    return subprocess.run([NOTARY] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd)


def free_port_pair():
    """A loopback port p such that p and p+1 were both free just now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p >= 65000:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port pair")


def vec(name):
    return os.path.join(VECTORS, name)


class Node:
    """A one-validator network made with `notary init`, run as notaryd."""

    def __init__(self, tmp, name="home"):
        self.port = free_port_pair()
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.home = os.path.join(tmp, name)
        self.log_path = os.path.join(tmp, name + ".log")
        self.proc = None
        p = run("init", "--home", self.home, "--chain-id", "cli-test", "--rpc", self.url,
                "--name", "Test Office")
        if p.returncode != 0:
            raise RuntimeError("notary init failed: " + p.stderr)
        self.genesis = os.path.join(self.home, "genesis.json")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([NOTARYD, "--home", self.home], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("notaryd exited: " + self.log_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("notaryd did not listen within 15 s: " + self.log_text())

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


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


class TestVerifyVectors(unittest.TestCase):
    """Every case of the independent vectors: exit code and reported fields."""

    def test_cases(self):
        with open(vec("cases.json")) as f:
            cases = json.load(f)
        self.assertGreater(len(cases), 0)
        for c in cases:
            with self.subTest(receipt=c["receipt"]):
                args = ["verify", "--genesis", vec("genesis.json"), "--receipt", vec(c["receipt"])]
                if c["file"] is not None:
                    args.append(vec(c["file"]))
                p = run(*args, "--json")
                want = 0 if c["valid"] else 1
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)
                out = json.loads(p.stdout)
                self.assertEqual(out["valid"], c["valid"])
                if c["valid"]:
                    exp = c["expect"]
                    self.assertIsNone(out["why"])
                    for k in ("chain_id", "height", "time", "submitter", "digest", "meta"):
                        self.assertEqual(out[k], exp[k], k)
                    self.assertEqual(out["signatures"], exp["signatures"])
                    self.assertEqual(len(out["signers"]), exp["signatures"])
                    self.assertEqual(out["file_checked"], c["file"] is not None)
                    self.assertRegex(out["record_id"], HEX64)
                else:
                    self.assertTrue(out["why"])
                # The plain-language verdict agrees.
                p = run(*args)
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)
                first = p.stdout.splitlines()[0]
                if c["valid"]:
                    self.assertTrue(first.startswith("VALID: "), first)
                    self.assertIn('chain "%s" at block %d' % (exp["chain_id"], exp["height"]),
                                  first)
                    self.assertIn("Notary Office A", p.stdout)  # names from the genesis
                    self.assertIn(exp["meta"]["case"], p.stdout)
                    self.assertIn("of 4 validators", p.stdout)
                else:
                    self.assertTrue(first.startswith("INVALID: "), first)

    def test_wrong_genesis_is_invalid(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = run("init", "--home", os.path.join(tmp, "h"), "--chain-id", "vector-net-1")
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run("verify", "--genesis", os.path.join(tmp, "h", "genesis.json"), "--receipt",
                    vec("valid-0.receipt.json"), vec("evidence-0.txt"))
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertTrue(p.stdout.startswith("INVALID: "))


class TestUsage(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="it_cli_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def verify(self, *args):
        return run("verify", "--genesis", vec("genesis.json"), *args)

    def test_global(self):
        self.assertEqual(run().returncode, 2)
        p = run("frobnicate")
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown command", p.stderr)
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertTrue(p.stdout.startswith("notary "))
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        for cmd in ("keygen", "init", "submit", "verify", "find", "receipt", "status", "block",
                    "validators", "audit"):
            self.assertIn(cmd, p.stdout)
            h = run(cmd, "--help")
            self.assertEqual(h.returncode, 0, cmd)
            self.assertIn("usage: notary " + cmd, h.stdout)
            self.assertIn("Example", h.stdout)
            bad = run(cmd, "--no-such-option")
            self.assertEqual(bad.returncode, 2, cmd)
            self.assertIn("unknown option", bad.stderr)

    def test_verify_missing_args(self):
        p = run("verify", "--receipt", vec("valid-0.receipt.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("--genesis", p.stderr)
        self.assertEqual(self.verify().returncode, 2)
        self.assertEqual(self.verify("--receipt").returncode, 2)
        p = self.verify("--receipt", vec("valid-0.receipt.json"), vec("evidence-0.txt"),
                        vec("evidence-1.txt"))
        self.assertEqual(p.returncode, 2)

    def test_verify_missing_files(self):
        p = self.verify("--receipt", os.path.join(self.tmp, "nope.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("nope.json", p.stderr)
        self.assertEqual(p.stdout, "")
        p = self.verify("--receipt", vec("valid-0.receipt.json"), os.path.join(self.tmp, "gone"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("gone", p.stderr)
        p = run("verify", "--genesis", os.path.join(self.tmp, "g.json"), "--receipt",
                vec("valid-0.receipt.json"))
        self.assertEqual(p.returncode, 2)
        g = self.write("g.json", b'{"chain_id": "x", "validators": []}')
        p = run("verify", "--genesis", g, "--receipt", vec("valid-0.receipt.json"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("genesis", p.stderr)

    def test_verify_damaged_receipts(self):
        with open(vec("valid-0.receipt.json"), "rb") as f:
            good = f.read()
        # Not JSON at all (garbage, or cut short): unreadable input.
        for name, data in (("garbage", os.urandom(300)), ("truncated", good[: len(good) // 2]),
                           ("empty", b""), ("huge", b" " * (300 * 1024) + good)):
            with self.subTest(name):
                p = self.verify("--receipt", self.write(name, data), vec("evidence-0.txt"))
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertTrue(p.stderr)
        # JSON but not a well-formed receipt: an invalid receipt.
        doc = json.loads(good)
        variants = {
            "wrong-format": dict(doc, format="notary-receipt/9"),
            "not-object": [1, 2],
            "record-cut": dict(doc, record=doc["record"][:-20]),
            "bad-hex": dict(doc, header="zz" + doc["header"][2:]),
            "no-commit": {k: v for k, v in doc.items() if k != "commit"},
            "height-string": dict(doc, height="42"),
        }
        for name, d in variants.items():
            with self.subTest(name):
                path = self.write(name + ".json", json.dumps(d).encode())
                p = self.verify("--receipt", path, vec("evidence-0.txt"))
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertTrue(p.stdout.startswith("INVALID: "), p.stdout)
                p = self.verify("--receipt", path, "--json")
                self.assertEqual(p.returncode, 1)
                self.assertFalse(json.loads(p.stdout)["valid"])

    def test_keygen(self):
        key = os.path.join(self.tmp, "party.key")
        p = run("keygen", "--out", key)
        self.assertEqual(p.returncode, 0, p.stderr)
        first = p.stdout
        self.assertRegex(p.stdout.strip(), r"^[0-9a-f]{64}$")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        with open(key, "rb") as f:
            before = f.read()
        self.assertIn(p.stdout.strip().encode(), before)
        p2 = run("keygen", "--out", key)
        self.assertEqual(p2.returncode, 1)
        self.assertIn("exists", p2.stderr)
        with open(key, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(run("keygen").returncode, 2)
        self.assertEqual(run("keygen", "--out", key, "extra").returncode, 2)
        p = run("keygen", "--out", os.path.join(self.tmp, "no", "such", "dir.key"))
        self.assertEqual(p.returncode, 1)
        # Two keys differ.
        k2 = os.path.join(self.tmp, "two.key")
        p = run("keygen", "--out", k2)
        self.assertEqual(p.returncode, 0)
        self.assertNotEqual(p.stdout, first)

    def test_init(self):
        home = os.path.join(self.tmp, "office")
        p = run("init", "--home", home, "--chain-id", "demo-net", "--rpc", "tcp://127.0.0.1:7500",
                "--name", "Office X")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("notaryd --home", p.stdout)
        self.assertEqual(os.stat(home).st_mode & 0o777, 0o700)
        self.assertEqual(os.stat(os.path.join(home, "validator.key")).st_mode & 0o777, 0o600)
        with open(os.path.join(home, "config.json")) as f:
            cfg = json.load(f)
        self.assertEqual(cfg["rpc"], "tcp://127.0.0.1:7500")
        self.assertEqual(cfg["p2p"], "tcp://127.0.0.1:7501")
        with open(os.path.join(home, "genesis.json")) as f:
            g = json.load(f)
        self.assertEqual(g["chain_id"], "demo-net")
        self.assertEqual([v["name"] for v in g["validators"]], ["Office X"])
        self.assertRegex(g["genesis_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        p = run("init", "--home", home)
        self.assertEqual(p.returncode, 1)
        self.assertIn("config.json", p.stderr)
        self.assertEqual(run("init").returncode, 2)
        self.assertEqual(run("init", "--home", os.path.join(self.tmp, "b"), "--chain-id",
                             "Bad Chain").returncode, 2)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b")))

    def test_submit_usage(self):
        key = os.path.join(self.tmp, "k.key")
        self.assertEqual(run("keygen", "--out", key).returncode, 0)
        f = self.write("a.txt", b"a")
        url = "tcp://127.0.0.1:1"  # never reached: these fail before any network
        self.assertEqual(run("submit", "--node", url, f).returncode, 2)  # no key
        self.assertEqual(run("submit", "--node", url, "--key", key).returncode, 2)  # no file
        p = run("submit", "--node", url, "--key", key, os.path.join(self.tmp, "missing.txt"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing.txt", p.stderr)
        self.assertEqual(run("submit", "--node", url, "--key", key, "--alg", "md5", f).returncode,
                         2)
        g = self.write("b.txt", b"b")
        self.assertEqual(run("submit", "--node", url, "--key", key, "--out", "x.json", f,
                             g).returncode, 2)
        p = run("submit", "--node", url, "--key", key, "--case", "x" * 5000, f)
        self.assertEqual(p.returncode, 2)
        self.assertIn("4096", p.stderr)
        self.assertFalse(os.path.exists(f + ".receipt.json"))
        p = run("submit", "--node", url, "--key", os.path.join(self.tmp, "nokey"), f)
        self.assertEqual(p.returncode, 2)
        os.chmod(key, 0o644)
        p = run("submit", "--node", url, "--key", key, f)
        self.assertEqual(p.returncode, 2, p.stderr)  # key readable by others: refused

    def test_not_a_regular_file(self):
        # A FIFO blocks open() and /dev/zero never ends: every command that
        # reads a user's file refuses both at once (exit 2) instead of hanging.
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        key = os.path.join(self.tmp, "k.key")
        self.assertEqual(run("keygen", "--out", key).returncode, 0)
        url = "tcp://127.0.0.1:1"  # never reached: the file is refused first
        receipt = vec("valid-0.receipt.json")
        for special in (fifo, "/dev/zero"):
            cases = {
                "verify FILE": ("verify", "--genesis", vec("genesis.json"), "--receipt",
                                receipt, special),
                "verify --receipt": ("verify", "--genesis", vec("genesis.json"), "--receipt",
                                     special),
                "verify --genesis": ("verify", "--genesis", special, "--receipt", receipt),
                "submit": ("submit", "--node", url, "--key", key, special),
                "find": ("find", "--node", url, special),
            }
            for name, args in cases.items():
                with self.subTest(name, file=special):
                    try:
                        p = run(*args, timeout=10)
                    except subprocess.TimeoutExpired:
                        self.fail(f"{name} {special}: still running after 10 s")
                    self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                    self.assertIn("not a regular file", p.stderr)
                    self.assertIn(special, p.stderr)

    def test_config_not_a_regular_file(self):
        # A home whose config.json is a FIFO: notaryd and notary audit say
        # so at once instead of waiting for a writer.
        home = os.path.join(self.tmp, "fifo-home")
        p = run("init", "--home", home, "--chain-id", "fifo-net")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        cfg = os.path.join(home, "config.json")
        os.unlink(cfg)
        os.mkfifo(cfg)
        for args in ([NOTARYD, "--home", home], [NOTARY, "audit", "--home", home]):
            with self.subTest(args[0]):
                try:
                    p = subprocess.run(args, capture_output=True, text=True, timeout=10)
                except subprocess.TimeoutExpired:
                    self.fail(f"{args}: still running after 10 s")
                self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn("not a regular file", p.stderr)

    def test_queries_usage(self):
        url = "tcp://127.0.0.1:1"
        self.assertEqual(run("find", "--node", url).returncode, 2)
        self.assertEqual(run("find", "--node", url, "--digest", "abc").returncode, 2)
        self.assertEqual(run("find", "--node", url, os.path.join(self.tmp, "nope")).returncode, 2)
        self.assertEqual(run("receipt", "--node", url).returncode, 2)
        self.assertEqual(run("receipt", "--node", url, "12zz").returncode, 2)
        self.assertEqual(run("block", "--node", url).returncode, 2)
        self.assertEqual(run("block", "--node", url, "-3").returncode, 2)
        self.assertEqual(run("block", "--node", url, "x").returncode, 2)
        self.assertEqual(run("audit").returncode, 2)
        self.assertEqual(run("audit", "--home", os.path.join(self.tmp, "nohome")).returncode, 2)


class TestWithNode(unittest.TestCase):
    """One node for the class; each test uses its own files."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="it_cli_node_")
        cls.node = Node(cls.tmp)
        cls.node.start()
        cls.key = os.path.join(cls.tmp, "party.key")
        p = run("keygen", "--out", cls.key)
        assert p.returncode == 0, p.stderr
        cls.pubkey = p.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.tmp)

    def tearDown(self):
        if self.node.proc is None or self.node.proc.poll() is not None:
            self.fail("notaryd died: " + self.node.log_text())

    def file(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

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
        with open(receipt) as fh:
            doc = json.load(fh)
        self.assertEqual(doc["record_id"], rid)
        self.assertEqual(doc["format"], "notary-receipt/1")
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


class TestAudit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="it_cli_audit_")
        self.node = Node(self.tmp)

    def tearDown(self):
        self.node.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_audit(self):
        self.node.start()
        key = os.path.join(self.tmp, "k.key")
        self.assertEqual(run("keygen", "--out", key).returncode, 0)
        files = []
        for i in range(3):
            path = os.path.join(self.tmp, "f%d.txt" % i)
            with open(path, "wb") as f:
                f.write(os.urandom(100))
            files.append(path)
            p = run("submit", "--node", self.node.url, "--key", key, path)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.node.stop()
        p = run("audit", "--home", self.node.home, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        m = re.search(r"^audit OK: (\d+) blocks, (\d+) records, log_root [0-9a-f]{64}$",
                      p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout)
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertEqual(int(m.group(2)), 3)

        # Damage the store: flip bytes in every table file.
        data = os.path.join(self.node.home, "data")
        tables = [n for n in os.listdir(data) if n.endswith(".ldb")]
        self.assertTrue(tables, os.listdir(data))
        for name in tables:
            path = os.path.join(data, name)
            with open(path, "r+b") as f:
                size = os.path.getsize(path)
                for off in range(size // 8, size // 2, 97):
                    f.seek(off)
                    b = f.read(1)
                    f.seek(off)
                    f.write(bytes([b[0] ^ 0xFF]))
        p = run("audit", "--home", self.node.home, timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("audit FAILED", p.stdout)


if __name__ == "__main__":
    for exe in (NOTARY, NOTARYD):
        if not os.access(exe, os.X_OK):
            print(f"{exe} is missing; build first (make B={os.path.relpath(BUILD, ROOT)})",
                  file=sys.stderr)
            sys.exit(1)
    unittest.main()
