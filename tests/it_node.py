#!/usr/bin/env python3
"""Process tests of notaryd: real nodes on loopback, raw JSON-RPC over nng's
TCP wire (tests/nngwire.py), every error code, hostile bytes, kill -9 under
load, clean SIGTERM. Python 3 standard library only.

The build directory comes from $NT_BUILD (default: build). A home is made
with `notary init` when the CLI has it, else written here. Records are
signed here with a small BIP-340 implementation, so the tests do not depend
on the CLI's submit command.
"""
import hashlib
import json
import os
import random
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
sys.path.insert(0, HERE)
import nngwire  # noqa: E402

BUILD = os.environ.get("NT_BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
NOTARYD = os.path.join(BUILD, "notaryd")
NOTARY = os.path.join(BUILD, "notary")

# ---- BIP-340 (secp256k1 Schnorr), enough to sign test records ----

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _jac_double(p):
    x, y, z = p
    if y == 0:
        return (0, 0, 0)
    s = 4 * x * y * y % P
    m = 3 * x * x % P
    nx = (m * m - 2 * s) % P
    ny = (m * (s - nx) - 8 * y * y * y * y) % P
    return (nx, ny, 2 * y * z % P)


def _jac_add(p, q):
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1s, z2s = z1 * z1 % P, z2 * z2 % P
    u1, u2 = x1 * z2s % P, x2 * z1s % P
    s1, s2 = y1 * z2s * z2 % P, y2 * z1s * z1 % P
    if u1 == u2:
        return _jac_double(p) if s1 == s2 else (0, 0, 0)
    h, r = (u2 - u1) % P, (s2 - s1) % P
    h2 = h * h % P
    h3 = h * h2 % P
    nx = (r * r - h3 - 2 * u1 * h2) % P
    ny = (r * (u1 * h2 - nx) - s1 * h3) % P
    return (nx, ny, h * z1 * z2 % P)


def point_mul(k):
    r = (0, 0, 0)
    q = (G[0], G[1], 1)
    while k:
        if k & 1:
            r = _jac_add(r, q)
        q = _jac_double(q)
        k >>= 1
    zi = pow(r[2], -1, P)
    return (r[0] * zi * zi % P, r[1] * zi * zi * zi % P)


def tagged_hash(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


class Key:
    def __init__(self, secret=None):
        self.secret = secret or os.urandom(32)
        d = int.from_bytes(self.secret, "big") % N
        assert d != 0
        px, py = point_mul(d)
        self.d = d if py % 2 == 0 else N - d
        self.pub = px.to_bytes(32, "big")

    def sign(self, msg):
        aux = tagged_hash("BIP0340/aux", os.urandom(32))
        t = bytes(a ^ b for a, b in zip(self.d.to_bytes(32, "big"), aux))
        k0 = int.from_bytes(tagged_hash("BIP0340/nonce", t + self.pub + msg), "big") % N
        rx, ry = point_mul(k0)
        k = k0 if ry % 2 == 0 else N - k0
        rb = rx.to_bytes(32, "big")
        e = int.from_bytes(tagged_hash("BIP0340/challenge", rb + self.pub + msg), "big") % N
        return rb + ((k + e * self.d) % N).to_bytes(32, "big")


def make_record(key, data=None, meta=None, alg=1, digest=None):
    """Encoded, signed evidence record (FORMATS.md)."""
    data = data if data is not None else os.urandom(16)
    if digest is None:
        digest = hashlib.sha256(data).digest()
    m = json.dumps(meta if meta is not None else {"title": "it"}).encode()
    body = (struct.pack(">BBB", 1, alg, len(digest)) + digest +
            struct.pack(">QQ", len(data), int(time.time() * 1000)) +
            struct.pack(">H", len(m)) + m + key.pub)
    return body + key.sign(tagged_hash("notary/record", body))


def record_id(rec):
    return hashlib.sha256(b"\x00" + rec).hexdigest()


# ---- homes and processes ----

def cli_has(cmd):
    if not os.access(NOTARY, os.X_OK):
        return False
    try:
        p = subprocess.run([NOTARY, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return (" " + cmd) in (p.stdout + p.stderr)


def make_home(home, url, block=None):
    if cli_has("init"):
        subprocess.run([NOTARY, "init", "--home", home, "--chain-id", "it-net", "--rpc", url],
                       check=True, capture_output=True, timeout=30)
    else:
        os.makedirs(home, exist_ok=True)
        k = Key()
        path = os.path.join(home, "validator.key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"type": "notary-secret-key/1", "secret": k.secret.hex(),
                       "pubkey": k.pub.hex()}, f)
        with open(os.path.join(home, "genesis.json"), "w") as f:
            json.dump({"chain_id": "it-net", "genesis_time": "2026-01-01T00:00:00.000Z",
                       "validators": [{"name": "Test Office", "pubkey": k.pub.hex()}]}, f)
        with open(os.path.join(home, "config.json"), "w") as f:
            json.dump({"rpc": url}, f)
    set_config(home, rpc=url, block=block or {"interval_ms": 50})


def set_config(home, rpc=None, block=None):
    cfg_path = os.path.join(home, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if rpc is not None:
        cfg["rpc"] = rpc
    if block is not None:
        cfg["block"] = dict(cfg.get("block", {}), **block)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)


class Node:
    def __init__(self, home, url):
        self.home, self.url = home, url
        self.proc = None
        self.log_path = os.path.join(home, "notaryd.log")

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([NOTARYD, "--home", self.home, "--log-level", "debug"],
                                     stdout=self.logf, stderr=self.logf)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise AssertionError("notaryd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                with nngwire.ReqClient.from_url(self.url, timeout=2) as c:
                    if "result" in c.call("status"):
                        return
            except (OSError, nngwire.WireError):
                time.sleep(0.05)
        raise AssertionError("notaryd did not answer within %d s:\n%s" % (timeout, self.log()))

    def client(self, timeout=10):
        return nngwire.ReqClient.from_url(self.url, timeout=timeout)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                raise AssertionError("notaryd did not stop within %d s" % timeout)
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        return rc


class NodeTest(unittest.TestCase):
    block = None

    @classmethod
    def setUpClass(cls):
        if not os.access(NOTARYD, os.X_OK):
            raise unittest.SkipTest("%s not built" % NOTARYD)
        cls.submitter = Key()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nt-it-")
        self.url = "tcp://127.0.0.1:%d" % nngwire.free_port()
        self.home = os.path.join(self.dir, "home")
        make_home(self.home, self.url, self.block)
        self.node = Node(self.home, self.url)
        self.nodes = [self.node]

    def tearDown(self):
        for n in self.nodes:
            if n.proc is not None and n.proc.poll() is None:
                n.proc.kill()
                n.proc.wait(timeout=10)
            if n.proc is not None:
                n.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def rpc(self, c, method, params=None, id=1):
        r = c.call(method, params, id)
        self.assertEqual(r.get("jsonrpc"), "2.0", r)
        self.assertEqual(r.get("id"), id, r)
        return r

    def ok(self, c, method, params=None):
        r = self.rpc(c, method, params)
        self.assertIn("result", r, r)
        return r["result"]

    def err(self, c, method, params, code):
        r = self.rpc(c, method, params, id="e")
        self.assertIn("error", r, r)
        self.assertEqual(r["error"]["code"], code, r)
        self.assertTrue(r["error"]["message"])
        return r["error"]["message"]

    def raw_err(self, c, body, code, id=None):
        r = json.loads(c.request(body))
        self.assertEqual(r["error"]["code"], code, r)
        self.assertEqual(r.get("id"), id, r)
        return r["error"]["message"]


class TestRpc(NodeTest):
    def test_status_submit_receipt_block(self):
        self.node.start()
        with self.node.client() as c:
            st = self.ok(c, "status")
            self.assertEqual(st["chain_id"], "it-net")
            self.assertEqual(st["height"], 0)
            self.assertIsNone(st["tip_hash"])
            self.assertIsNone(st["tip_time"])
            self.assertTrue(st["is_validator"])
            self.assertEqual(st["validators"], 1)
            self.assertEqual(st["mempool"], {"records": 0, "bytes": 0})
            vals = self.ok(c, "validators")
            self.assertEqual(vals["quorum"], 1)
            self.assertEqual(vals["validators"][0]["index"], 0)
            self.assertEqual(vals["validators"][0]["pubkey"], st["node_pubkey"])
            self.err(c, "block", {"height": 1}, -32001)

            data = os.urandom(100)
            rec = make_record(self.submitter, data, {"case": "it-1"})
            rid = record_id(rec)
            res = self.ok(c, "submit", {"record": rec.hex(), "wait_ms": 5000})
            self.assertEqual(res["record_id"], rid)
            self.assertEqual(res["status"], "committed", res)
            self.assertEqual(res["height"], 1)
            receipt = res["receipt"]
            self.assertEqual(receipt["record"], rec.hex())
            self.assertEqual(receipt["record_id"], rid)
            self.assertEqual(receipt["height"], 1)

            # the same bytes again: the same record, answered at once
            again = self.ok(c, "submit", {"record": rec.hex()})
            self.assertEqual(again["status"], "committed")
            self.assertEqual(again["receipt"], receipt)
            by_id = self.ok(c, "receipt", {"record_id": rid})
            self.assertEqual(by_id["receipt"], receipt)

            blk = self.ok(c, "block", {"height": 1})
            self.assertEqual(blk["height"], 1)
            self.assertEqual(blk["records"], [rid])
            self.assertEqual(blk["record_count"], 1)
            self.assertEqual(blk["signers"], [0])
            self.assertEqual(blk["header"], receipt["header"])
            self.assertEqual(blk["commit"], receipt["commit"])
            self.assertEqual(blk["hash"], hashlib.sha256(bytes.fromhex(blk["header"])).hexdigest())
            self.assertEqual(blk["proposer"], st["node_pubkey"])
            st = self.ok(c, "status")
            self.assertEqual(st["height"], 1)
            self.assertEqual(st["tip_hash"], blk["hash"])
            self.assertEqual(st["log_size"], 1)

            found = self.ok(c, "find", {"digest": hashlib.sha256(data).hexdigest()})
            self.assertEqual(len(found["records"]), 1)
            f0 = found["records"][0]
            self.assertEqual(f0["record_id"], rid)
            self.assertEqual(f0["size"], 100)
            self.assertEqual(f0["meta"], {"case": "it-1"})
            self.assertEqual(f0["submitter"], self.submitter.pub.hex())
            self.err(c, "find", {"digest": "00" * 32}, -32001)
            self.err(c, "find", {"digest": "00" * 64, "alg": "sha512"}, -32001)
            self.err(c, "receipt", {"record_id": "11" * 32}, -32001)

    def test_cli_submit_and_verify(self):
        if not (cli_has("keygen") and cli_has("submit") and cli_has("verify")):
            self.skipTest("notary CLI without keygen/submit/verify")
        self.node.start()
        key = os.path.join(self.dir, "party.key")
        ev = os.path.join(self.dir, "evidence.bin")
        with open(ev, "wb") as f:
            f.write(os.urandom(5000))
        run = lambda *a: subprocess.run([NOTARY, *a], capture_output=True, text=True, timeout=60)
        p = run("keygen", "--out", key)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("submit", "--node", self.url, "--key", key, "--case", "it-case", ev)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(ev + ".receipt.json") as f:
            receipt = json.load(f)
        p = run("verify", "--genesis", os.path.join(self.home, "genesis.json"), "--receipt",
                ev + ".receipt.json", ev)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with self.node.client() as c:
            res = self.ok(c, "receipt", {"record_id": receipt["record_id"]})
            self.assertEqual(res["receipt"], receipt)

    def test_mempool_full_is_busy(self):
        cfg_path = os.path.join(self.home, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["mempool"] = {"max_records": 2}
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        set_config(self.home, block={"interval_ms": 30000})
        self.node.start()
        with self.node.client() as c:
            recs = [make_record(self.submitter) for _ in range(3)]
            self.assertEqual(self.ok(c, "submit", {"record": recs[0].hex()})["status"], "pending")
            self.assertEqual(self.ok(c, "submit", {"record": recs[1].hex()})["status"], "pending")
            self.assertIn("mempool is full", self.err(c, "submit", {"record": recs[2].hex()}, -32003))
            # a pending duplicate is not refused
            self.assertEqual(self.ok(c, "submit", {"record": recs[1].hex()})["status"], "pending")
            self.assertEqual(self.ok(c, "status")["mempool"]["records"], 2)
        # SIGTERM commits what is pending before exiting
        self.assertEqual(self.node.stop(), 0)
        self.assertIn("block 1: 2 records", self.node.log())

    def test_heartbeat(self):
        set_config(self.home, block={"heartbeat_s": 1})
        self.node.start()
        time.sleep(2.6)
        with self.node.client() as c:
            st = self.ok(c, "status")
            self.assertGreaterEqual(st["height"], 2)
            self.assertEqual(st["log_size"], 0)
            self.assertEqual(self.ok(c, "block", {"height": 1})["record_count"], 0)

    def test_pending_then_committed(self):
        # Slow blocks: a submit without waiting is pending, a receipt call
        # waiting long enough gets the commit.
        set_config(self.home, block={"interval_ms": 700})
        self.node.start()
        with self.node.client() as c:
            rec = make_record(self.submitter)
            res = self.ok(c, "submit", {"record": rec.hex()})
            self.assertEqual(res, {"record_id": record_id(rec), "status": "pending"})
            res = self.ok(c, "submit", {"record": rec.hex(), "wait_ms": 1})
            self.assertEqual(res["status"], "pending")
            res = self.ok(c, "receipt", {"record_id": record_id(rec), "wait_ms": 5000})
            self.assertEqual(res["status"], "committed")
            self.assertEqual(res["height"], 1)

    def test_error_codes(self):
        self.node.start()
        key = self.submitter
        with self.node.client() as c:
            self.raw_err(c, b"\xff\xfe\x00garbage", -32700)
            self.raw_err(c, b"{\"jsonrpc\":", -32700)
            self.raw_err(c, b"", -32700)
            self.raw_err(c, b"42", -32600)
            self.raw_err(c, b"\"str\"", -32600)
            self.raw_err(c, b'[]', -32600)
            self.raw_err(c, b'[{"jsonrpc":"2.0",', -32700)
            self.raw_err(c, b'{"jsonrpc":"1.0","id":7,"method":"status"}', -32600, id=7)
            self.raw_err(c, b'{"jsonrpc":"2.0","id":7,"method":5}', -32600, id=7)
            self.raw_err(c, b'{"jsonrpc":"2.0","id":{"a":1},"method":"status"}', -32600)
            self.err(c, "nope", None, -32601)
            self.err(c, "block", None, -32602)
            self.err(c, "block", {"height": "1"}, -32602)
            self.err(c, "block", {"height": 0}, -32602)
            self.err(c, "block", {"height": 1, "extra": 1}, -32602)
            self.raw_err(c, b'{"jsonrpc":"2.0","id":"e","method":"status","params":[1]}', -32602, id="e")
            self.err(c, "submit", {}, -32602)
            self.err(c, "submit", {"record": 5}, -32602)
            self.err(c, "submit", {"record": "zz"}, -32602)
            self.err(c, "submit", {"record": "abc"}, -32602)
            rec = make_record(key)
            self.err(c, "submit", {"record": rec.hex(), "wait_ms": 60001}, -32602)
            self.err(c, "submit", {"record": rec.hex(), "wait_ms": -1}, -32602)
            self.err(c, "submit", {"record": rec.hex(), "wait_ms": 1.5}, -32602)
            self.err(c, "receipt", {"record_id": "ab"}, -32602)
            self.err(c, "receipt", {"record_id": "xy" * 32}, -32602)
            self.err(c, "find", {"digest": "00" * 31}, -32602)
            self.err(c, "find", {"digest": "00" * 32, "alg": "md5"}, -32602)
            # records that do not decode or verify: -32002 with the reason
            short = make_record(key, digest=b"\x01" * 31)
            msg = self.err(c, "submit", {"record": short.hex()}, -32002)
            self.assertIn("decode", msg)
            bad = bytearray(make_record(key))
            bad[-1] ^= 1
            msg = self.err(c, "submit", {"record": bytes(bad).hex()}, -32002)
            self.assertIn("signature", msg)
            self.err(c, "submit", {"record": (rec + b"\x00").hex()}, -32002)
            self.err(c, "submit", {"record": ""}, -32002)
            # too large: answered by the transport, connection stays usable
            big = b'{"jsonrpc":"2.0","id":1,"method":"status","pad":"' + b"x" * (1536 * 1024) + b'"}'
            msg = self.raw_err(c, big, -32004)
            self.assertIn("limit 1048576", msg)
            # the id is echoed whatever its type
            for rid in ("abc", 12345, None, 1.5):
                r = json.loads(c.request(json.dumps(
                    {"jsonrpc": "2.0", "id": rid, "method": "status"}).encode()))
                self.assertEqual(r["id"], rid)
                self.assertIn("result", r)
            st = self.ok(c, "status")
            self.assertEqual(st["height"], 0)
            self.assertEqual(st["mempool"]["records"], 0)

    def test_hostile_connections(self):
        self.node.start()
        host, port = nngwire.parse_tcp_url(self.url)
        blobs = [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(4096), b"\x00SP\x00\x00\x31\x00\x00",
                 nngwire.sp_header(nngwire.PROTO_REQ0) + struct.pack(">Q", 1 << 60) + b"x" * 100,
                 nngwire.sp_header(nngwire.PROTO_REQ0) + struct.pack(">Q", 3) + b"abc",
                 b"\x00SP"]
        for blob in blobs:
            s = socket.create_connection((host, port), timeout=5)
            try:
                s.sendall(blob)
                s.settimeout(0.5)
                try:
                    s.recv(100)
                except (socket.timeout, OSError):
                    pass
            finally:
                s.close()
        # a connection that sends nothing at all and just stays open
        idle = socket.create_connection((host, port), timeout=5)
        try:
            with self.node.client() as c:
                self.assertEqual(self.ok(c, "status")["height"], 0)
        finally:
            idle.close()
        self.assertIsNone(self.node.proc.poll())


def req(method, params=None, id=1):
    r = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        r["params"] = params
    return r


class TestBatch(NodeTest):
    def batch(self, c, elems):
        body = elems if isinstance(elems, bytes) else json.dumps(elems).encode()
        r = json.loads(c.request(body))
        self.assertIsInstance(r, list, r)
        return r

    def test_submits_commit_with_receipts(self):
        self.node.start()
        with self.node.client() as c:
            recs = [make_record(self.submitter) for _ in range(3)]
            out = self.batch(c, [req("submit", {"record": r.hex(), "wait_ms": 5000}, id=10 + i)
                                 for i, r in enumerate(recs)])
            self.assertEqual(len(out), 3)
            for i, (r, rec) in enumerate(zip(out, recs)):
                self.assertEqual(r["jsonrpc"], "2.0")
                self.assertEqual(r["id"], 10 + i)
                res = r["result"]
                self.assertEqual(res["status"], "committed", r)
                self.assertEqual(res["record_id"], record_id(rec))
                self.assertEqual(res["receipt"]["record"], rec.hex())
                # the same receipt a later single call gives
                self.assertEqual(self.ok(c, "receipt", {"record_id": record_id(rec)})["receipt"],
                                 res["receipt"])
            # a batch of queries answered on the RPC threads, in order
            out = self.batch(c, [req("receipt", {"record_id": record_id(r)}, id="r%d" % i)
                                 for i, r in enumerate(recs)] + [req("validators", id=99)])
            self.assertEqual([r["id"] for r in out], ["r0", "r1", "r2", 99])
            for r, rec in zip(out, recs):
                self.assertEqual(r["result"]["record_id"], record_id(rec))
            self.assertEqual(out[3]["result"]["quorum"], 1)
            # single requests are unchanged after batches
            self.assertEqual(self.ok(c, "status")["log_size"], 3)
        if cli_has("verify"):
            gen = os.path.join(self.home, "genesis.json")
            for i, rec in enumerate(recs):
                path = os.path.join(self.dir, "r%d.json" % i)
                with open(path, "w") as f:
                    json.dump(out[i]["result"]["receipt"], f)
                p = subprocess.run([NOTARY, "verify", "--genesis", gen, "--receipt", path],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_mixed_elements(self):
        self.node.start()
        with self.node.client() as c:
            rec = make_record(self.submitter)
            out = self.batch(c, [req("submit", {"record": rec.hex(), "wait_ms": 5000}, id=1),
                                 42,
                                 req("nope", id=3),
                                 req("status", id=4),
                                 req("block", {"height": 0}, id=5),
                                 req("receipt", {"record_id": "11" * 32}, id=6)])
            self.assertEqual(len(out), 6, out)
            self.assertEqual(out[0]["id"], 1)
            self.assertEqual(out[0]["result"]["status"], "committed", out[0])
            self.assertIsNone(out[1]["id"])
            self.assertEqual(out[1]["error"]["code"], -32600)
            self.assertEqual(out[2]["id"], 3)
            self.assertEqual(out[2]["error"]["code"], -32601)
            self.assertEqual(out[3]["id"], 4)
            self.assertEqual(out[3]["result"]["chain_id"], "it-net")
            self.assertEqual(out[4]["error"]["code"], -32602)
            self.assertEqual(out[5]["error"]["code"], -32001)
            # a bad record fails alone; the good one beside it is taken
            bad = bytearray(make_record(self.submitter))
            bad[-1] ^= 1
            good = make_record(self.submitter)
            out = self.batch(c, [req("submit", {"record": bytes(bad).hex()}, id="b"),
                                 req("submit", {"record": good.hex(), "wait_ms": 5000}, id="g")])
            self.assertEqual(out[0]["error"]["code"], -32002)
            self.assertEqual(out[1]["result"]["status"], "committed")
            # whitespace before the array; nested arrays are elements that fail
            out = self.batch(c, b' \n\t[[], {"jsonrpc":"2.0","id":7,"method":"status"}]')
            self.assertEqual(out[0]["error"]["code"], -32600)
            self.assertEqual(out[1]["id"], 7)

    def test_limits(self):
        self.node.start()
        with self.node.client() as c:
            self.raw_err(c, b"[]", -32600)
            self.raw_err(c, b" [ ] ", -32600)
            msg = self.raw_err(c, json.dumps([req("status", id=i) for i in range(257)]).encode(),
                               -32600)
            self.assertIn("256", msg)
            out = self.batch(c, [req("status", id=i) for i in range(256)])
            self.assertEqual([r["id"] for r in out], list(range(256)))
            # the 1 MiB message limit holds for the whole batch
            recs = [make_record(self.submitter, meta={"pad": "x" * 3000}) for _ in range(200)]
            body = json.dumps([req("submit", {"record": r.hex()}, id=i)
                               for i, r in enumerate(recs)]).encode()
            self.assertGreater(len(body), 1 << 20)
            self.raw_err(c, body, -32004)
            self.assertEqual(self.ok(c, "status")["mempool"]["records"], 0)

    def test_duplicate_in_one_batch(self):
        set_config(self.home, block={"interval_ms": 700})
        self.node.start()
        with self.node.client() as c:
            rec = make_record(self.submitter)
            p = {"record": rec.hex(), "wait_ms": 5000}
            out = self.batch(c, [req("submit", p, id=1), req("submit", p, id=2),
                                 req("submit", {"record": rec.hex()}, id=3)])
            self.assertEqual(out[0]["result"]["status"], "committed", out)
            self.assertEqual(out[1]["result"]["receipt"], out[0]["result"]["receipt"])
            self.assertEqual(out[2]["result"]["status"], "pending")
            self.assertEqual(self.ok(c, "status")["log_size"], 1)

    def test_sigterm_answers_waiting_batch(self):
        # Blocks only after a minute: a batch of submits waits; SIGTERM
        # commits them and the batch gets its whole array.
        set_config(self.home, block={"interval_ms": 600000, "max_records": 2000})
        self.node.start()
        recs = [make_record(self.submitter) for _ in range(8)]
        got, errors = [], []

        def worker():
            try:
                with self.node.client(timeout=30) as c:
                    got.append(json.loads(c.request(json.dumps(
                        [req("submit", {"record": r.hex(), "wait_ms": 60000}, id=i)
                         for i, r in enumerate(recs)]).encode())))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        t = threading.Thread(target=worker, daemon=True)
        t.start()
        end = time.time() + 20
        with self.node.client() as c:
            while self.ok(c, "status")["mempool"]["records"] < 8 and time.time() < end:
                time.sleep(0.05)
        self.assertEqual(self.node.stop(), 0, self.node.log())
        t.join(timeout=15)
        self.assertFalse(errors, errors)
        self.assertEqual(len(got), 1)
        self.assertEqual([r["id"] for r in got[0]], list(range(8)))
        for r in got[0]:
            self.assertEqual(r["result"]["status"], "committed", r)


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
