"""The harness of the notaryd process tests (tests/it_node_*.py): a small
BIP-340 implementation to sign test records, homes made with `notary init`
when the CLI has it (else written here), a notaryd process (Node) and a
unittest base class that gives each test a fresh home (NodeTest).

The build directory comes from $NT_BUILD (default: build). Python 3
standard library only.
"""
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
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


def req(method, params=None, id=1):
    r = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        r["params"] = params
    return r
