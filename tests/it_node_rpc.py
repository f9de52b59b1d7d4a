#!/usr/bin/env python3
"""Process tests of notaryd's JSON-RPC: real nodes on loopback, raw JSON-RPC
over nng's TCP wire (tests/nngwire.py), every error code, hostile bytes,
batches. The harness is tests/nodetest.py.
"""
import hashlib
import json
import os
import socket
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
    make_record,
    NodeTest,
    NOTARY,
    record_id,
    req,
    set_config)


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


if __name__ == "__main__":
    unittest.main()
