#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Valid seeds come from the independent receipt vectors
(tests/vectors/receipt-v1): their record, header and commit hex fields
decoded to bytes, blocks and RPC requests assembled from them. Edge seeds
(empty, truncated, off-by-one lengths, torn WAL tails) are built here. The
output is committed; rerun after a format change:

    python3 tests/fuzz/make_seeds.py            # every corpus
    python3 tests/fuzz/make_seeds.py keyfile    # only the ones named

Deterministic: the same tree gives the same files. Each corpus directory is
rewritten; crash regressions live in tests/fuzz/regressions/ and are never
touched.
"""
import hashlib
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VEC = os.path.join(ROOT, "tests", "vectors", "receipt-v1")
OUT = os.path.join(HERE, "corpus")

# Public keys of the fuzz_peermsg validators (secret keys 32 x 0x01..0x04).
FUZZ_KEYS = [bytes.fromhex(h) for h in (
    "1b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f",
    "4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766",
    "531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337",
    "462779ad4aad39514614751a71085f2f10e1c7a593e4e030efb5b8721ce55b0b",
)]
FUZZ_CHAIN = b"fuzz-net"
FUZZ_GENESIS_MS = 1796083200000  # 2026-12-01T00:00:00.000Z, as in fuzz_peermsg.c


def sha256(b):
    return hashlib.sha256(b).digest()


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


# Targets named on the command line (all when none): the others are not rewritten.
ONLY = set(sys.argv[1:])


class Corpus:
    def __init__(self, name):
        self.seen = set()
        self.dir = None
        if ONLY and name not in ONLY:
            return
        self.dir = os.path.join(OUT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)

    def add(self, label, data):
        if self.dir is None:
            return
        if isinstance(data, str):
            data = data.encode()
        if data in self.seen:
            return
        self.seen.add(data)
        with open(os.path.join(self.dir, label), "wb") as f:
            f.write(data)


def load_vectors():
    receipts = {}
    for name in sorted(os.listdir(VEC)):
        if name.endswith(".receipt.json"):
            with open(os.path.join(VEC, name), "rb") as f:
                receipts[name[: -len(".receipt.json")]] = f.read()
    with open(os.path.join(VEC, "genesis.json"), "rb") as f:
        genesis = f.read()
    return receipts, genesis


def record(alg=1, digest=None, meta=b"", submitter=b"\x02" * 32, sig=b"\x03" * 64):
    dl = {1: 32, 2: 32, 3: 32, 4: 64}.get(alg, 32)
    digest = digest if digest is not None else bytes(range(dl))
    return (bytes([1, alg, len(digest)]) + digest + u64(1234) + u64(1796083200000) +
            u16(len(meta)) + meta + submitter + sig)


def header(chain=b"vector-net-1", height=1, time=1796083200000, prev=b"\0" * 32,
           last_commit=b"\0" * 32, records_root=None, count=0, log_root=None, log_size=0,
           vals_hash=b"\0" * 32, proposer=b"\0" * 32):
    empty = sha256(b"")
    return (b"\x01" + bytes([len(chain)]) + chain + u64(height) + u64(time) + prev +
            last_commit + (records_root or empty) + u32(count) + (log_root or empty) +
            u64(log_size) + vals_hash + proposer)


def commit(height, rnd, block_hash, sigs):
    out = u64(height) + u32(rnd) + block_hash + u16(len(sigs))
    for idx, ts, sig in sigs:
        out += u16(idx) + u64(ts) + sig
    return out


def block(hdr, recs):
    out = hdr + u32(len(recs))
    for r in recs:
        out += u16(len(r)) + r
    return out


def main():
    receipts, genesis_text = load_vectors()
    parsed = {k: json.loads(v) for k, v in receipts.items()}
    recs = [bytes.fromhex(p["record"]) for p in parsed.values()]
    hdrs = [bytes.fromhex(p["header"]) for p in parsed.values()]
    commits = [bytes.fromhex(p["commit"]) for p in parsed.values()]
    valid = [k for k in sorted(parsed) if k.startswith("valid-")]

    # ---- record ----
    c = Corpus("record")
    for k, p in sorted(parsed.items()):
        c.add(k, bytes.fromhex(p["record"]))
    r0 = bytes.fromhex(parsed["valid-0"]["record"])
    c.add("edge-empty", b"")
    c.add("edge-version-only", b"\x01")
    c.add("edge-truncated", r0[:-1])
    c.add("edge-trailing", r0 + b"\0")
    c.add("edge-no-meta", record())
    c.add("edge-meta-empty-object", record(meta=b"{}"))
    c.add("edge-meta-not-object", record(meta=b"[1,2]"))
    c.add("edge-meta-nul", record(meta=b'{"a":"\x00"}'))
    c.add("edge-meta-max", record(meta=b'{"a":"' + b"x" * 4088 + b'"}'))
    c.add("edge-sha512", record(alg=4))
    c.add("edge-sm3", record(alg=3))
    c.add("edge-alg-unknown", record(alg=9))
    c.add("edge-digest-len-mismatch", record(alg=4, digest=b"\1" * 32))

    # ---- header ----
    c = Corpus("header")
    for k, p in sorted(parsed.items()):
        c.add(k, bytes.fromhex(p["header"]))
    h0 = hdrs[0]
    c.add("edge-empty", b"")
    c.add("edge-truncated", h0[:-1])
    c.add("edge-trailing", h0 + b"\0")
    c.add("edge-chain-max", header(chain=b"a" * 50))
    c.add("edge-chain-too-long", header(chain=b"a" * 51))
    c.add("edge-chain-empty", header(chain=b""))
    c.add("edge-chain-upper", header(chain=b"Net"))
    c.add("edge-height-0", header(height=0))
    c.add("edge-height-max", header(height=2**64 - 1, time=2**64 - 1, count=2**32 - 1))

    # ---- commit ----
    c = Corpus("commit")
    for k, p in sorted(parsed.items()):
        c.add(k, bytes.fromhex(p["commit"]))
    c0 = commits[0]
    c.add("edge-empty", b"")
    c.add("edge-truncated", c0[:-1])
    c.add("edge-trailing", c0 + b"\0")
    c.add("edge-count-0", commit(1, 0, b"\1" * 32, []))
    c.add("edge-count-too-big", c0[:44] + u16(129))
    c.add("edge-index-high", commit(42, 1, b"\1" * 32, [(65535, 5, b"\4" * 64)] * 3))
    c.add("edge-unsorted", commit(42, 1, b"\1" * 32, [(2, 5, b"\4" * 64), (1, 6, b"\4" * 64),
                                                      (0, 7, b"\4" * 64)]))

    # ---- block ----
    c = Corpus("block")
    c.add("valid-six-records", block(h0, recs[:6]))
    c.add("valid-one-record", block(h0, recs[:1]))
    c.add("valid-no-records", block(h0, []))
    c.add("edge-empty", b"")
    c.add("edge-header-only", h0)
    c.add("edge-truncated", block(h0, recs[:2])[:-1])
    c.add("edge-trailing", block(h0, recs[:1]) + b"\0")
    c.add("edge-count-huge", h0 + u32(0xFFFFFFFF))
    c.add("edge-count-over-max", h0 + u32(20001) + b"\0" * 64)
    c.add("edge-record-len-0", h0 + u32(1) + u16(0))

    # ---- receipt ----
    c = Corpus("receipt")
    for k, text in sorted(receipts.items()):
        c.add(k, text)
    v0 = receipts["valid-0"]
    c.add("edge-empty", b"")
    c.add("edge-object", b"{}")
    c.add("edge-array", b"[]")
    c.add("edge-truncated", v0[: len(v0) // 2])
    p = dict(parsed["valid-0"])
    p["proof"] = p["proof"] * 30
    c.add("edge-proof-long", json.dumps(p))
    p = dict(parsed["valid-0"])
    p["height"] = -1
    p["leaf_index"] = 2**64
    c.add("edge-numbers", json.dumps(p))
    p = dict(parsed["valid-0"])
    p["record"] = p["record"].upper()
    c.add("edge-hex-upper", json.dumps(p))
    p = dict(parsed["valid-0"])
    p["format"] = "notary-receipt/2"
    c.add("edge-format", json.dumps(p))
    p = dict(parsed["valid-0"])
    p["record"] = p["record"] + "0"
    c.add("edge-hex-odd", json.dumps(p))

    # ---- genesis (and nt_time_parse strings) ----
    c = Corpus("genesis")
    c.add("valid-vectors", genesis_text)
    g = json.loads(genesis_text)
    one = {"chain_id": "a", "genesis_time": "1970-01-01T00:00:00.000Z",
           "validators": [g["validators"][0]]}
    c.add("valid-one", json.dumps(one))
    fz = {"chain_id": "fuzz-net", "genesis_time": "2026-12-01T00:00:00.000Z",
          "validators": [{"name": "fuzz %d" % i, "pubkey": k.hex()}
                         for i, k in enumerate(FUZZ_KEYS)]}
    c.add("valid-fuzz-net", json.dumps(fz, indent=2))
    dup = dict(g, validators=g["validators"] + g["validators"][:1])
    c.add("edge-duplicate-key", json.dumps(dup))
    c.add("edge-no-validators", json.dumps(dict(g, validators=[])))
    c.add("edge-bad-time", json.dumps(dict(g, genesis_time="2026-13-01T00:00:00.000Z")))
    c.add("edge-leap-day", json.dumps(dict(g, genesis_time="2024-02-29T23:59:59.999Z")))
    c.add("edge-not-on-curve", json.dumps(dict(g, validators=[{"name": "x", "pubkey": "00" * 32}])))
    c.add("edge-long-name", json.dumps(dict(g, validators=[dict(g["validators"][0], name="n" * 65)])))
    c.add("edge-empty", b"")
    for i, t in enumerate(["2026-11-29T16:00:00.123Z", "1970-01-01T00:00:00.000Z",
                           "9999-12-31T23:59:59.999Z", "2100-02-29T00:00:00.000Z",
                           "2026-11-29T24:00:00.000Z", "2026-11-29T16:00:00Z"]):
        c.add("time-%d" % i, t)

    # ---- rpc ----
    c = Corpus("rpc")

    def req(method, params=None, rid=1):
        m = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            m["params"] = params
        return json.dumps(m)

    rec_hex = parsed["valid-0"]["record"]
    c.add("status", req("status"))
    c.add("validators", req("validators", {}, "abc"))
    c.add("submit", req("submit", {"record": rec_hex, "wait_ms": 5000}))
    c.add("submit-bad-sig", req("submit", {"record": parsed["bad-record-bit"]["record"]}))
    c.add("receipt", req("receipt", {"record_id": parsed["valid-0"]["record_id"], "wait_ms": 0}))
    c.add("find", req("find", {"digest": "ab" * 32}))
    c.add("find-sha512", req("find", {"digest": "cd" * 64, "alg": "sha512"}, None))
    c.add("block", req("block", {"height": 42}))
    c.add("sync", req("sync", {"from": 1, "max": 100}))
    c.add("edge-batch", "[" + req("status") + "]")
    c.add("edge-id-object", req("status", None, {"a": 1}))
    c.add("edge-version", '{"jsonrpc":"1.0","id":1,"method":"status"}')
    c.add("edge-method", req("nope"))
    c.add("edge-method-nul", '{"jsonrpc":"2.0","id":1,"method":"status\\u0000x"}')
    c.add("edge-unknown-param", req("block", {"height": 1, "x": 2}))
    c.add("edge-wait-big", req("receipt", {"record_id": "00" * 32, "wait_ms": 2**40}))
    c.add("edge-hex-nul", '{"jsonrpc":"2.0","id":1,"method":"find","params":{"digest":"ab\\u0000"}}')
    c.add("edge-utf8", req("\u00e9" * 40))
    c.add("edge-empty", b"")
    # batches (docs/RPC.md): the bytes as first committed, kept exact
    c.add("batch-empty", "  []")
    c.add("batch-nested", '[[{"jsonrpc":"2.0","id":1,"method":"status"}]]')
    c.add("batch-mixed", '[{"jsonrpc":"2.0","id":1,"method":"status"},42,'
          '{"jsonrpc":"2.0","id":"x","method":"nope"},'
          '{"jsonrpc":"2.0","id":3,"method":"find","params":{"digest":"zz"}}]')
    c.add("batch-queries", '[{"jsonrpc":"2.0","id":7,"method":"sync","params":{"from":1,"max":5}},'
          '{"jsonrpc":"2.0","id":8,"method":"receipt","params":{"record_id":"%s","wait_ms":100}}]'
          % ("ab" * 32))
    # repeated member names: refused as a whole (-32600), never "last wins"
    c.add("dup-id", '{"jsonrpc":"2.0","id":1,"method":"status","id":2}')
    c.add("dup-method", '{"jsonrpc":"2.0","id":1,"method":"submit","method":"status"}')
    c.add("dup-params", '{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":1},'
          '"params":{"height":2}}')
    c.add("dup-param-member", '{"jsonrpc":"2.0","id":1,"method":"submit","params":{"record":"%s",'
          '"wait_ms":0,"record":"%s"}}' % (rec_hex, parsed["bad-record-bit"]["record"]))
    c.add("dup-in-id-object", '{"jsonrpc":"2.0","id":{"a":1,"a":2},"method":"status"}')
    c.add("dup-escaped", '{"jsonrpc":"2.0","id":1,"method":"status","\\u006dethod":"sync"}')
    c.add("batch-dup-element", '[{"jsonrpc":"2.0","id":1,"method":"status"},'
          '{"jsonrpc":"2.0","id":2,"method":"find","params":{"digest":"%s","digest":"%s"}}]'
          % ("ab" * 32, "cd" * 32))
    # oversized members: each one past its documented bound (docs/RPC.md,
    # node/rpc.h), within the 1 MiB message limit
    rec_max = 3 + 64 + 8 + 8 + 2 + 4096 + 32 + 64  # NT_RECORD_MAX
    c.add("big-record", req("submit", {"record": "00" * (rec_max + 1)}))
    c.add("big-record-valid-prefix", req("submit", {"record": rec_hex + "00" * (rec_max + 1)}))
    c.add("big-id", req("status", None, "i" * 65536))
    c.add("big-id-number", '{"jsonrpc":"2.0","id":1%s,"method":"status"}' % ("0" * 400))
    c.add("big-method", req("s" * 65536))
    c.add("big-param-name", req("status", {"p" * 65536: 1}))
    c.add("big-digest", req("find", {"digest": "ab" * 65, "alg": "sha512"}))
    c.add("big-record-id", req("receipt", {"record_id": "ab" * 33}))
    c.add("big-height", req("block", {"height": 2**64}))
    c.add("big-sync-max", req("sync", {"from": 1, "max": 101}))
    c.add("batch-257", "[" + ",".join([req("status", None, i) for i in range(257)]) + "]")

    # ---- wal ----
    c = Corpus("wal")

    def wal_header(height):
        h = b"NTWAL001" + u64(height)
        return h + u32(crc32c(h))

    def frame(payload):
        return u32(len(payload)) + u32(crc32c(payload)) + payload

    hdr = wal_header(7)
    two = hdr + frame(b"\x02" + b"v" * 40) + frame(b"\x01" + b"p" * 100)
    c.add("valid-empty", wal_header(0))
    c.add("valid-two", two)
    c.add("torn-partial-header", two + b"\0\0\0")
    c.add("torn-past-end", two + u32(50) + u32(0) + b"abc")
    c.add("torn-bad-crc-at-end", two + u32(3) + u32(1) + b"abc")
    c.add("torn-zero-tail", two + b"\0" * 64)
    c.add("corrupt-middle", hdr + u32(3) + u32(1) + b"abc" + frame(b"x"))
    c.add("corrupt-length", hdr + u32(0xFFFFFFFF) + u32(0))
    c.add("corrupt-magic", b"NTWAL002" + hdr[8:])
    c.add("corrupt-short", hdr[:19])
    c.add("edge-empty", b"")

    # ---- peermsg ----
    c = Corpus("peermsg")

    def vote_msg(vtype, index, height, rnd, bh, ts=FUZZ_GENESIS_MS + 500):
        return (b"\x02" + bytes([vtype]) + u16(index) + u64(height) + u32(rnd) + bh + u64(ts) +
                b"\0" * 64)

    vals_hash = sha256(u16(4) + b"".join(FUZZ_KEYS))
    h1 = header(chain=FUZZ_CHAIN, height=1, time=FUZZ_GENESIS_MS + 100, vals_hash=vals_hash,
                proposer=FUZZ_KEYS[1])
    b1 = block(h1, [])
    bh1 = sha256(h1)

    def prop_msg(height, rnd, proposer, blk, vr=0xFFFFFFFF, last_commit=b""):
        return (b"\x01" + u64(height) + u32(rnd) + u32(vr) + u16(proposer) + b"\0" * 64 +
                u16(len(last_commit)) + last_commit + u32(len(blk)) + blk)

    p1 = prop_msg(1, 0, 1, b1)
    c.add("vote-prevote", vote_msg(1, 1, 1, 0, bh1))
    c.add("vote-precommit-nil", vote_msg(2, 3, 1, 0, b"\0" * 32))
    c.add("vote-bad-type", vote_msg(3, 1, 1, 0, bh1))
    c.add("vote-index-128", vote_msg(1, 128, 1, 0, bh1))
    c.add("proposal-h1", p1)
    c.add("proposal-vector-block", prop_msg(42, 1, 2, block(h0, recs[:2]), vr=0,
                                            last_commit=c0))
    c.add("proposal-last-commit", prop_msg(42, 0, 2, block(h0, []), last_commit=c0))
    c.add("signed-type-3", b"\x03" + u16(1) + u32(5) + b"hello" + b"\0" * 64)
    c.add("signed-sender-out", b"\x03" + u16(4) + u32(0) + b"\0" * 64)
    c.add("edge-empty", b"")
    c.add("seal-status", b"\xfd\x05\x01" + b'{"height":3}')
    c.add("seal-empty-body", b"\xfd\x07\x02")
    c.add("seal-vote-type", b"\xfd\x02\x00abc")

    def script(*msgs):
        return b"\xfe" + b"".join(u16(len(m)) + m for m in msgs)

    def timeout(step, rnd):
        return b"\x03" + bytes([step]) + u32(rnd)

    votes = lambda t, bh, r=0: [vote_msg(t, i, 1, r, bh) for i in (1, 2, 3)]
    c.add("script-decide-h1", script(p1, *votes(1, bh1), *votes(2, bh1)))
    c.add("script-nil-round", script(timeout(1, 0), *votes(1, b"\0" * 32),
                                     *votes(2, b"\0" * 32), timeout(3, 0),
                                     b"\x04" + u32(4000)))
    c.add("script-lock-then-round1", script(p1, *votes(1, bh1), timeout(3, 0),
                                            *votes(1, b"\0" * 32, 1)))
    c.add("script-future-round", script(*votes(1, bh1, 5), *votes(2, bh1, 999)))
    c.add("script-equivocation", script(p1, vote_msg(1, 2, 1, 0, bh1),
                                        vote_msg(1, 2, 1, 0, b"\0" * 32)))
    c.add("script-next-height", script(vote_msg(1, 1, 2, 0, bh1), p1, *votes(1, bh1),
                                       *votes(2, bh1)))
    # what anyone can send: the same messages unsigned, fed without re-signing
    def outsider(*msgs):
        return b"\xfc" + b"".join(u16(len(m)) + m for m in msgs)

    c.add("outsider-votes", outsider(*votes(1, bh1), *votes(2, bh1), vote_msg(1, 2, 2, 0, bh1),
                                     vote_msg(2, 1, 900, 0, b"\0" * 32)))
    c.add("outsider-proposal", outsider(p1, *votes(1, bh1), prop_msg(2, 0, 2, b1)))
    c.add("proposal-oversized", p1[:1 + 8 + 4 + 4 + 2 + 64 + 2] + u32(0xFFFFFFF0) + b1[:64])
    node_seeds(recs)
    change_seeds()
    print("seeds written to", os.path.relpath(OUT, ROOT))


# Fuzz keys' secrets (32 x 0x01..0x04) and the secp256k1 group order.
FUZZ_SECRETS = [bytes([i]) * 32 for i in (1, 2, 3, 4)]
SECP_N = bytes.fromhex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141")


def leaf_hash(data):
    return sha256(b"\0" + data)


def merkle_log(leaves):
    """The peaks of core/merkle.c's incremental log after appending leaves."""
    size, peaks = 0, [None] * 64
    for h in leaves:
        i = 0
        while size >> i & 1:
            h = sha256(b"\1" + peaks[i] + h)
            peaks[i] = None
            i += 1
        peaks[i] = h
        size += 1
    return size, peaks


def merkle_log_bytes(size, peaks):
    return u64(size) + b"".join(peaks[i] for i in range(63, -1, -1) if size >> i & 1)


def sign_state(height, rnd, step, magic=b"NTSS", version=1, crc_xor=0):
    body = magic + bytes([version]) + u64(height) + u32(rnd) + bytes([step])
    return body + u32(crc32c(body) ^ crc_xor)


def keyfile(secret, pub, **extra):
    # The exact text nt_keyfile_write produces (crypto/keyfile.c).
    text = '{"type":"notary-secret-key/1","secret":"%s","pubkey":"%s"}\n' % (
        secret.hex(), pub.hex())
    if extra:
        obj = {"type": "notary-secret-key/1", "secret": secret.hex(), "pubkey": pub.hex()}
        obj.update(extra)
        text = json.dumps(obj)
    return text


def node_seeds(recs):
    """Corpora of the on-disk node files: merklelog, signstate, config, keyfile,
    nodestate."""
    # ---- merklelog (the log stored with the chain tip) ----
    c = Corpus("merklelog")
    ids = [leaf_hash(r) for r in recs]
    for n in (0, 1, 2, 3, 6, len(ids)):
        c.add("valid-%d-leaves" % n, merkle_log_bytes(*merkle_log(ids[:n])))
    six = merkle_log_bytes(*merkle_log(ids[:6]))
    seven = merkle_log_bytes(*merkle_log((ids * 2)[:7]))
    c.add("valid-7-leaves", seven)
    # Arbitrary peaks are accepted: the log cannot check them without its leaves.
    c.add("edge-size-2^32", u64(2**32) + b"\x11" * 32)
    c.add("edge-size-max-minus-1", u64(2**64 - 2) + b"\x22" * 32 * 63)
    # 2^64 - 1 decodes, but appending to it would overflow (see fuzz_merklelog.c).
    c.add("edge-size-max", u64(2**64 - 1) + b"\x33" * 32 * 64)
    c.add("edge-empty", b"")
    c.add("edge-size-only-short", u64(0)[:7])
    c.add("edge-truncated", six[:-1])
    c.add("edge-trailing", six + b"\0")
    c.add("edge-popcount-mismatch", u64(3) + b"\x44" * 32)

    # ---- signstate (node/privval.h, 22 bytes) ----
    c = Corpus("signstate")
    c.add("valid-nothing-signed", sign_state(0, 0, 0))
    c.add("valid-propose-h1", sign_state(1, 0, 1))
    c.add("valid-prevote", sign_state(42, 3, 2))
    c.add("valid-precommit", sign_state(1000, 0, 3))
    c.add("valid-repaired", sign_state(77, 2**32 - 1, 3))  # what --repair-sign-state writes
    c.add("valid-max", sign_state(2**64 - 1, 2**32 - 1, 3))
    c.add("corrupt-crc", sign_state(42, 3, 2, crc_xor=1))
    c.add("corrupt-magic", sign_state(42, 3, 2, magic=b"NTSX"))
    c.add("corrupt-version", sign_state(42, 3, 2, version=2))
    c.add("corrupt-step-4", sign_state(42, 3, 4))
    c.add("corrupt-step-0-height-1", sign_state(1, 0, 0))
    c.add("corrupt-step-0-round-1", sign_state(0, 1, 0))
    c.add("corrupt-height-0", sign_state(0, 0, 1))
    c.add("corrupt-short", sign_state(42, 3, 2)[:-1])
    c.add("corrupt-long", sign_state(42, 3, 2) + b"\0")
    c.add("edge-empty", b"")

    # ---- config (docs/CONFIG.md; valid ones as notary testnet writes them) ----
    c = Corpus("config")

    def node_cfg(i, n, base=7400, observers=0):
        cfg = {"moniker": "node%d" % i, "rpc": "tcp://127.0.0.1:%d" % (base + 10 * i),
               "p2p": "tcp://127.0.0.1:%d" % (base + 10 * i + 1),
               "peers": [{"p2p": "tcp://127.0.0.1:%d" % (base + 10 * j + 1),
                          "rpc": "tcp://127.0.0.1:%d" % (base + 10 * j)}
                         for j in range(n + observers) if j != i],
               "key_file": "validator.key", "genesis_file": "genesis.json", "data_dir": "data",
               "block": {"max_records": 2000, "max_bytes": 4194304, "interval_ms": 200,
                         "heartbeat_s": 0},
               "mempool": {"max_records": 100000, "max_bytes": 268435456},
               "rpc_contexts": 1024}
        return cfg

    c.add("valid-testnet-node0", json.dumps(node_cfg(0, 3), indent=2) + "\n")
    c.add("valid-testnet-observer", json.dumps(node_cfg(3, 3, observers=1), indent=2) + "\n")
    c.add("valid-minimal", '{"rpc":"tcp://127.0.0.1:7400"}')
    full = dict(node_cfg(1, 4), consensus={
        "timeout_propose_ms": 3000, "timeout_propose_delta_ms": 500,
        "timeout_prevote_ms": 1000, "timeout_prevote_delta_ms": 500,
        "timeout_precommit_ms": 1000, "timeout_precommit_delta_ms": 500,
        "max_clock_skew_ms": 2000})
    c.add("valid-docs-full", json.dumps(full, indent=2))
    c.add("valid-peer-strings", json.dumps({"rpc": "ipc:///tmp/n.ipc", "moniker": "m" * 64,
                                            "peers": ["tcp://10.0.0.2:7401", "ws://h:1"],
                                            "key_file": "/etc/notary/key",
                                            "data_dir": "../data"}))
    # NT_BLOCK_MAX_BYTES - NT_HEADER_MAX - count - u16 lengths; NT_RECORD_MAX
    blk_max = 16 * 1024 * 1024 - 272 - 4 - 2 * 20000
    rec_max = 3 + 64 + 8 + 8 + 2 + 4096 + 32 + 64
    c.add("edge-bounds-high", json.dumps({
        "rpc": "tcp://x", "block": {"max_records": 20000, "max_bytes": blk_max,
                                    "interval_ms": 3600000, "heartbeat_s": 86400},
        "mempool": {"max_records": 10000000, "max_bytes": 2**36}, "rpc_contexts": 4096,
        "consensus": {"timeout_propose_ms": 600000, "timeout_propose_delta_ms": 600000,
                      "max_clock_skew_ms": 3600000}}))
    c.add("edge-bounds-low", json.dumps({
        "rpc": "tcp://x", "block": {"max_records": 1, "max_bytes": rec_max, "interval_ms": 1},
        "mempool": {"max_records": 1, "max_bytes": rec_max}, "rpc_contexts": 1,
        "consensus": {"timeout_prevote_ms": 1, "timeout_prevote_delta_ms": 0,
                      "max_clock_skew_ms": 0}}))
    c.add("edge-block-bytes-over", json.dumps({"rpc": "tcp://x",
                                               "block": {"max_bytes": blk_max + 1}}))
    c.add("edge-contexts-0", json.dumps({"rpc": "tcp://x", "rpc_contexts": 0}))
    c.add("edge-negative", json.dumps({"rpc": "tcp://x", "mempool": {"max_records": -1}}))
    c.add("edge-float", json.dumps({"rpc": "tcp://x", "block": {"interval_ms": 1.5}}))
    c.add("edge-huge-int", '{"rpc":"tcp://x","block":{"max_bytes":18446744073709551616}}')
    c.add("edge-no-rpc", json.dumps({"moniker": "a"}))
    c.add("edge-rpc-not-url", json.dumps({"rpc": "127.0.0.1:7400"}))
    c.add("edge-moniker-65", json.dumps({"rpc": "tcp://x", "moniker": "m" * 65}))
    c.add("edge-moniker-nul", '{"rpc":"tcp://x","moniker":"a\\u0000b"}')
    c.add("edge-peer-string-nul", '{"rpc":"tcp://x","peers":["\\u0000tcp://y"]}')
    c.add("edge-peer-no-p2p", json.dumps({"rpc": "tcp://x", "peers": [{"rpc": "tcp://y"}]}))
    c.add("edge-peers-129", json.dumps({"rpc": "tcp://x", "peers": ["tcp://p"] * 129}))
    c.add("edge-peers-object", json.dumps({"rpc": "tcp://x", "peers": {"p2p": "tcp://y"}}))
    c.add("edge-section-array", json.dumps({"rpc": "tcp://x", "block": []}))
    c.add("edge-unknown-members", json.dumps({"rpc": "tcp://x", "extra": 1,
                                              "block": {"x": 2}, "consensus": {"y": 3},
                                              "peers": [{"p2p": "tcp://y", "z": 4}]}))
    c.add("edge-duplicate-key", '{"rpc":"tcp://x","rpc":"tcp://y"}')
    c.add("edge-array", b"[]")
    c.add("edge-empty", b"")

    # ---- keyfile (crypto/keys.h) ----
    c = Corpus("keyfile")
    for i, (sk, pk) in enumerate(zip(FUZZ_SECRETS, FUZZ_KEYS)):
        c.add("valid-key-%d" % (i + 1), keyfile(sk, pk))
    sk, pk = FUZZ_SECRETS[0], FUZZ_KEYS[0]
    c.add("valid-extra-member", keyfile(sk, pk, comment="x"))
    c.add("valid-pretty", json.dumps({"pubkey": pk.hex(), "type": "notary-secret-key/1",
                                      "secret": sk.hex()}, indent=4))
    c.add("edge-pubkey-mismatch", keyfile(sk, FUZZ_KEYS[1]))
    c.add("edge-secret-zero", keyfile(b"\0" * 32, pk))
    c.add("edge-secret-order", keyfile(SECP_N, pk))
    c.add("edge-secret-max", keyfile(b"\xff" * 32, pk))
    c.add("edge-upper-hex", keyfile(sk, pk).upper().replace('"TYPE"', '"type"').replace(
        '"SECRET"', '"secret"').replace('"PUBKEY"', '"pubkey"').replace(
        "NOTARY-SECRET-KEY/1", "notary-secret-key/1"))
    c.add("edge-short-secret", keyfile(sk, pk).replace(sk.hex(), sk.hex()[:-2]))
    c.add("edge-secret-nul", keyfile(sk, pk).replace(sk.hex(), sk.hex()[:62] + "\\u0000"))
    c.add("edge-wrong-type", keyfile(sk, pk).replace("notary-secret-key/1",
                                                     "notary-secret-key/2"))
    c.add("edge-no-type", json.dumps({"secret": sk.hex(), "pubkey": pk.hex()}))
    c.add("edge-secret-number", json.dumps({"type": "notary-secret-key/1", "secret": 1,
                                            "pubkey": pk.hex()}))
    c.add("edge-duplicate-secret", keyfile(sk, pk)[:-2] + ',"secret":"%s"}' % sk.hex())
    c.add("edge-truncated", keyfile(sk, pk)[:100])
    c.add("edge-too-large", keyfile(sk, pk).rstrip("\n") + " " * 4000)
    c.add("edge-array", b"[]")
    c.add("edge-empty", b"")

    # ---- nodestate (DIR/node_state, node/home_state.h) ----
    c = Corpus("nodestate")
    vh = sha256(b"validators").hex()

    def nodestate(blocks, signed, chain="vector-net-1", h=vh, **extra):
        # The exact text nt_home_state_save writes (JSON_COMPACT, a newline).
        obj = {"version": 1, "chain_id": chain, "validators_hash": h,
               "had_blocks": blocks, "has_signed": signed}
        obj.update(extra)
        return json.dumps(obj, separators=(",", ":")) + "\n"
    for blocks in (False, True):
        for signed in (False, True):
            c.add("valid-%d%d" % (blocks, signed), nodestate(blocks, signed))
    c.add("valid-extra-member", nodestate(True, True, note="x"))
    c.add("valid-chain-50", nodestate(True, False, chain="c" * 50))
    c.add("edge-chain-51", nodestate(True, False, chain="c" * 51))
    c.add("edge-chain-empty", nodestate(True, False, chain=""))
    c.add("edge-chain-nul", nodestate(True, True).replace("vector-net-1", "vector\\u0000net"))
    c.add("edge-version-2", nodestate(True, True).replace('"version":1', '"version":2'))
    c.add("edge-hash-short", nodestate(True, True, h=vh[:-2]))
    c.add("edge-hash-upper", nodestate(True, True, h=vh.upper()))
    c.add("edge-bool-number", nodestate(True, True).replace('"had_blocks":true',
                                                           '"had_blocks":1'))
    c.add("edge-no-signed", nodestate(True, True).replace(',"has_signed":true', ""))
    c.add("edge-duplicate", nodestate(True, True)[:-2] + ',"had_blocks":false}')
    c.add("edge-too-large", nodestate(True, True).rstrip("\n") + " " * 4100)
    c.add("edge-truncated", nodestate(True, True)[:40])
    c.add("edge-array", b"[]")
    c.add("edge-empty", b"")


def change_seeds():
    """fuzz_change: pending set changes (core/valset_change.h wire form)
    against the fuzz keys' version 2 chain (names "fuzz 0".."fuzz 3").
    Signatures are zeros: script seeds (0xFE) have the target re-sign them."""
    c = Corpus("change")

    def vset(entries):
        return u16(len(entries)) + b"".join(k + bytes([len(n)]) + n for k, n in entries)

    cur = [(k, b"fuzz %d" % i) for i, k in enumerate(FUZZ_KEYS)]
    removed = vset(cur[:3])
    renamed = vset(cur[:3] + [(FUZZ_KEYS[3], b"Office D")])
    z = b"\0" * 64

    def wire(ci, sb, idx):
        return u64(ci) + u32(len(sb)) + sb + u16(len(idx)) + b"".join(u16(i) + z for i in idx)

    def script(*frames):
        return b"\xfe" + b"".join(bytes([op]) + u16(len(w)) + w for op, w in frames)

    def variant(k):
        return vset(cur[:3] + [(FUZZ_KEYS[3], b"fuzz 3 v%d" % k)])

    w = wire(0, removed, [0, 1, 2])
    c.add("plain-remove", w)
    c.add("plain-rename", wire(0, renamed, [3]))
    c.add("plain-same-set", wire(0, vset(cur), [0]))
    c.add("plain-empty-set", wire(0, u16(0), [0]))
    c.add("plain-dup-key", wire(0, vset(cur[:3] + [(FUZZ_KEYS[0], b"again")]), [0]))
    c.add("plain-index-4", wire(0, removed, [4]))
    c.add("plain-future", wire(1, removed, [0]))
    c.add("plain-no-approvals", wire(0, removed, []))
    c.add("edge-empty", b"")
    c.add("edge-truncated", w[:-1])
    c.add("edge-trailing", w + b"\0")
    c.add("edge-set-length-0", u64(0) + u32(0) + u16(0))
    c.add("edge-set-too-long", u64(0) + u32(0xFFFFFFFF) + removed)
    c.add("edge-129-approvals", u64(0) + u32(len(removed)) + removed + u16(129))
    c.add("script-quorum", script((1, wire(0, removed, [0])), (1, wire(0, removed, [1, 2])),
                                  (1, wire(0, removed, [0, 1])), (1, wire(0, removed, [3]))))
    c.add("script-two-changes", script((1, wire(0, removed, [0, 1])),
                                       (1, wire(0, renamed, [2, 3, 0])),
                                       (1, wire(0, removed, [2]))))
    c.add("script-pool-full", script(*[(1, wire(0, variant(k), [0])) for k in range(9)],
                                     (1, wire(0, variant(3), [1]))))
    c.add("script-dup", script((1, wire(0, removed, [1, 1]))))
    c.add("script-all-or-nothing", script((1, wire(0, removed, [0, 1, 7])),
                                          (0, wire(0, removed, [2]))))
    c.add("script-unsigned-after", script((1, wire(0, removed, [0])),
                                          (0, wire(0, removed, [1]))))
    c.add("script-prune", script((3, wire(0, removed, [0, 1, 2])),
                                 (1, wire(0, removed, [0])), (1, wire(1, renamed, [1])),
                                 (3, wire(1, renamed, [2]))))
    c.add("script-future", script((1, wire(1, removed, [0])), (1, wire(0, vset(cur), [0]))))


if __name__ == "__main__":
    main()
