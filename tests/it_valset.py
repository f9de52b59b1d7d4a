#!/usr/bin/env python3
"""Validator-set changes on a real 4-validator testnet (tests/cluster.py).

Run by `make test`, or by hand: `NT_BUILD=build python3 tests/it_valset.py -v`.

  a) the whole life of a set, with records submitted before, during and
     after each step: office D is down; A, B, C add a fifth office E
     (`notary valset propose/approve`), whose node then starts from an
     empty store, catches up across the change and votes; office B rotates
     its key (the new key waits in validator.next.key, the node switches at
     the boundary, the old key file is replaced, no equivocation); D comes
     back and catches up across both changes; D is removed and its node
     becomes an observer by itself. Every receipt handed out verifies
     offline from the genesis alone and lists the changes before its block;
     every node ends with the same block hashes; `valset show` lists the
     history with heights.
  b) bad approvals over RPC (malformed, a replay of a decided change, a
     forged signature, an index outside the set, a validator twice, no
     approval, a set that is empty, duplicates a key or equals the current
     one, a change index from the future): each refused with its own
     message, nothing pending or committed changes, the node keeps serving.
  c) a receipt whose valset_changes lost an entry, was reordered or carries
     a forged commit signature is INVALID with a message that says so;
  d) an approval handed to a node that is killed before any peer heard of it
     is read back from DIR/valset_pending at restart and the change lands.

Each case is bounded (CASE_LIMIT seconds, SIGALRM) and tears its cluster
down whatever happens.
"""
import json
import os
import signal
import struct
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import EXIT_OK, Cluster, RpcError, wait_until  # noqa: E402

CASE_LIMIT = 150


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout("test case exceeded %d s" % CASE_LIMIT)


def set_bytes(vals):
    """valset_bytes (FORMATS.md "Names and sets"): u16 n || n x (32 key ||
    str8u name)."""
    out = struct.pack(">H", len(vals))
    for pk, name in vals:
        nb = name.encode()
        out += bytes.fromhex(pk) + struct.pack(">B", len(nb)) + nb
    return out


def change_wire(index, sb, approvals):
    """The wire form of a pending change (core/valset_change.h)."""
    out = struct.pack(">QI", index, len(sb)) + sb + struct.pack(">H", len(approvals))
    for ix, sig in approvals:
        out += struct.pack(">H", ix) + bytes.fromhex(sig)
    return out.hex()


class ValsetCase(unittest.TestCase):
    def setUp(self):
        self.started = time.monotonic()
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(CASE_LIMIT)
        # node4 is office E: a key outside the genesis set, a home with
        # every peer listed, and an empty store
        self.c = Cluster(validators=4, observers=1, chain_id="valset-test")
        self.receipts = []  # (receipt path, file, changes expected before it)

    def tearDown(self):
        try:
            self.c.close()
        finally:
            signal.alarm(0)

    def cli_ok(self, *args):
        p = self.c.cli(*args)
        self.assertEqual(p.returncode, 0, "notary %s\n%s%s" % (" ".join(map(str, args)),
                                                                p.stdout, p.stderr))
        return p.stdout

    def home(self, i):
        return self.c.node(i).home

    def submit(self, node, changes):
        r = self.c.submit(node, self.c.write_file(), timeout=20)
        self.assertEqual(r.rc, EXIT_OK, r)
        self.receipts.append((r.receipt, r.path, changes))
        return r

    def change_index(self, i):
        return self.c.rpc(i, "validators")["change_index"]

    def wait_changes(self, n, nodes):
        for i in nodes:
            wait_until(lambda i=i: self.change_index(i) >= n, 30,
                       what="node%d at change %d" % (i, n))

    def members(self, i):
        return [v["pubkey"] for v in self.c.rpc(i, "validators")["validators"]]


class TestLifeOfASet(ValsetCase):
    def test_a_add_rotate_remove(self):
        c = self.c
        A, B, C, D, E = range(5)
        c.start_all([A, B, C])
        self.submit(A, 0)
        pkE = c.node(E).pubkey
        # Add E with D down: A, B, C are a quorum (3 of 4).
        out = self.cli_ok("valset", "propose", "--home", self.home(A), "--add",
                          "Forensic Centre E=%s" % pkE)
        self.assertIn('add    "Forensic Centre E"', out)
        self.assertIn("1 of 3 approvals", out)
        pend = self.cli_ok("valset", "pending", "--home", self.home(B))
        self.assertIn("approved by 1 of 3 needed: Notary Office A", pend)
        self.cli_ok("valset", "approve", "--home", self.home(B))
        self.submit(C, 0)  # a record while approvals gather
        out = self.cli_ok("valset", "approve", "--home", self.home(C))
        self.assertIn("ready", out)
        self.wait_changes(1, [A, B, C])
        changed_at = c.rpc(A, "validators")["history"][1]["changed_at"]
        # E starts from an empty store, catches up across the change and
        # takes part: with D down, no block can commit without E (quorum
        # of 5 is 4).
        c.start(E)
        wait_until(lambda: c.status(E)["is_validator"], 30, what="E joins")
        self.submit(E, 1)
        r = self.submit(A, 1)
        out = self.check(r.receipt, r.path, 1)
        self.assertIn("Forensic Centre E", [s["name"] for s in out["signers"]])
        self.assertIn("joined the validator set at height %d" % (changed_at + 1),
                      c.node(E).log_text(100000))

        # Rotate B's key: the new key waits beside the old one.
        oldB = c.node(B).pubkey
        nxt = os.path.join(self.home(B), "validator.next.key")
        newB = self.cli_ok("keygen", "--out", nxt).strip()
        out = self.cli_ok("valset", "propose", "--home", self.home(B), "--rotate",
                          "%s=%s" % (oldB, newB))
        self.assertIn('rotate "Notary Office B"', out)
        for i in (A, C, E):
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(2, [A, B, C, E])
        self.assertIn(newB, self.members(A))
        self.assertNotIn(oldB, self.members(A))
        r = self.submit(B, 2)
        wait_until(lambda: not os.path.exists(nxt), 10, what="the next key moved")
        with open(os.path.join(self.home(B), "validator.key")) as f:
            self.assertEqual(json.load(f)["pubkey"], newB)
        self.assertIn("key rotated at height", c.node(B).log_text(100000))
        self.assertEqual(c.status(B)["node_pubkey"], newB)
        out = self.check(r.receipt, r.path, 2)

        # D comes back after two changes and catches up across both.
        c.start(D)
        top = c.height(A)
        c.wait_height(top, nodes=[D], timeout=40)
        self.assertTrue(c.status(D)["is_validator"])
        self.submit(D, 2)

        # Remove D: it becomes an observer by itself.
        pkD = c.node(D).pubkey
        self.cli_ok("valset", "propose", "--home", self.home(A), "--remove", pkD)
        for i in (B, C, E):
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(3, [A, B, C, D, E])
        wait_until(lambda: not c.status(D)["is_validator"], 20, what="D an observer")
        self.assertTrue(c.status(D)["observer"])
        self.assertIn("not in the validator set of height", c.node(D).log_text(100000))
        for i in (A, B, E):
            self.submit(i, 3)
        # Three offices of the new set are a quorum (3 of 4) without D.
        c.stop(D)
        r = self.submit(C, 3)
        out = self.check(r.receipt, r.path, 3)
        self.assertNotIn(pkD, [s["pubkey"] for s in out["signers"]])

        # Every receipt handed out verifies from the genesis alone.
        for path, f, changes in self.receipts:
            self.check(path, f, changes)
        top = max(c.height(i) for i in (A, B, C, E))
        c.wait_height(top, nodes=[A, B, C, E], timeout=30)
        c.assert_same_chain(nodes=[A, B, C, E])
        for i in (A, B, C, E):
            self.assertEqual(c.status(i)["equivocations"], 0)
        show = self.cli_ok("valset", "show", "--home", self.home(C))
        self.assertIn("4 validator sets", show)
        self.assertIn("set 1: named by change block %d (change 0), from height %d"
                      % (changed_at, changed_at + 1), show)
        self.assertIn("(current): 4 offices, quorum 3", show)
        c.assert_alive([A, B, C, E])

    def check(self, receipt, path, changes):
        rc, out = self.c.verify(receipt, path)
        self.assertEqual(rc, 0, out)
        self.assertTrue(out["valid"], out)
        with open(receipt) as f:
            doc = json.load(f)
        self.assertEqual(len(doc.get("valset_changes", [])), changes, receipt)
        return out


class TestBadApprovals(ValsetCase):
    def rpc_refused(self, change_hex, want):
        with self.assertRaises(RpcError) as cm:
            self.c.rpc(0, "valset_approve", {"change": change_hex}, admin=True)
        self.assertEqual(cm.exception.code, -32602)
        self.assertIn(want, cm.exception.message)

    def test_b_refusals(self):
        c = self.c
        c.start_all([0, 1, 2, 3])
        vals = [(v["pubkey"], v["name"]) for v in c.rpc(0, "validators")["validators"]]
        pkE = c.node(4).pubkey
        self.cli_ok("valset", "propose", "--home", self.home(1), "--add", "Office E=%s" % pkE)
        pend = c.rpc(0, "valset_pending")["pending"]
        self.assertEqual(len(pend), 1)
        sig1 = pend[0]["approvals"][0]["sig"]
        nxt = vals + [(pkE, "Office E")]
        sb = set_bytes(nxt)
        self.assertEqual(change_wire(0, sb, [(1, sig1)])[:8], "00000000")
        h0 = c.height(0)

        self.rpc_refused("zz", "not valid hex")
        self.rpc_refused("00", "truncated")
        forged = sig1[:-2] + ("00" if sig1[-2:] != "00" else "01")
        self.rpc_refused(change_wire(0, sb, [(2, forged)]), "does not verify")
        self.rpc_refused(change_wire(0, sb, [(1, forged)]), "does not verify")
        self.rpc_refused(change_wire(0, sb, [(9, sig1)]), "does not have")
        self.rpc_refused(change_wire(0, sb, [(1, sig1), (1, sig1)]), "approves twice")
        self.rpc_refused(change_wire(0, sb, []), "at least one approval")
        self.rpc_refused(change_wire(1, sb, [(1, sig1)]), "has not seen the changes before")
        self.rpc_refused(change_wire(0, set_bytes([]), [(1, sig1)]), "invalid")
        self.rpc_refused(change_wire(0, set_bytes(vals + [vals[0]]), [(1, sig1)]), "invalid")
        self.rpc_refused(change_wire(0, set_bytes(vals), [(1, sig1)]), "equals the current")
        # The pool holds the one good change with its one approval; no
        # block was made; the node serves.
        pend = c.rpc(0, "valset_pending")["pending"]
        self.assertEqual(len(pend), 1)
        self.assertEqual(len(pend[0]["approvals"]), 1)
        self.assertEqual(c.height(0), h0)
        # The CLI refuses what it can see is wrong before signing.
        p = c.cli("valset", "propose", "--home", self.home(0), "--remove", pkE)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not in the set", p.stderr)
        p = c.cli("valset", "propose", "--home", self.home(0), "--add", "Twice=%s" % vals[2][0])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("in the set already", p.stderr)
        p = c.cli("valset", "propose", "--home", self.home(4), "--add", "X=%s" % pkE)
        self.assertNotEqual(p.returncode, 0)
        # Approvals complete the change; a replay of it afterwards is stale.
        for i in (0, 2):
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(1, [0, 1, 2, 3])
        self.rpc_refused(change_wire(0, sb, [(1, sig1)]), "decided already")
        self.assertEqual(c.rpc(0, "valset_pending")["pending"], [])
        r = self.submit(0, 1)
        self.assertIsNotNone(r.receipt)
        c.assert_alive([0, 1, 2, 3])


class TestApprovalsSurviveACrash(ValsetCase):
    def test_d_kill_before_gossip(self):
        """An approval handed to a node that dies before any peer heard it
        is read back from DIR/valset_pending when the node restarts."""
        c = self.c
        c.start_all([0])  # alone: nobody to gossip to
        self.cli_ok("valset", "propose", "--home", self.home(0), "--add",
                    "E=%s" % c.node(4).pubkey)
        self.assertTrue(os.path.exists(os.path.join(self.home(0), "valset_pending")))
        c.kill(0)
        c.start(0)
        pend = c.rpc(0, "valset_pending")["pending"]
        self.assertEqual(len(pend), 1)
        self.assertEqual([a["index"] for a in pend[0]["approvals"]], [0])
        self.assertIn("1 pending set change read back", c.node(0).log_text(20000))
        c.start_all([1, 2, 3])
        for i in (1, 2):  # node0's re-gossip (every 3 s) brings it to them
            wait_until(lambda i=i: c.rpc(i, "valset_pending")["pending"], 15,
                       what="the change pending on node%d" % i)
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(1, [0, 1, 2, 3])
        # decided: the file goes, and a restart reads nothing stale back
        wait_until(lambda: not os.path.exists(os.path.join(self.home(0), "valset_pending")),
                   10, what="the pending file removed")
        c.stop(0)
        c.start(0)
        self.assertEqual(c.rpc(0, "valset_pending")["pending"], [])


class TestTamperedReceipts(ValsetCase):
    def test_c_changes_tampered(self):
        c = self.c
        c.start_all([0, 1, 2, 3])
        pk = c.node(4).pubkey
        # Two changes: add E, then remove it again (4 stays a quorum of the
        # old members: E's node is never started).
        self.cli_ok("valset", "propose", "--home", self.home(0), "--add", "E=%s" % pk)
        for i in (1, 2):
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(1, [0])
        self.cli_ok("valset", "propose", "--home", self.home(0), "--remove", pk)
        for i in (1, 2, 3):
            self.cli_ok("valset", "approve", "--home", self.home(i))
        self.wait_changes(2, [0])
        r = self.submit(0, 2)
        with open(r.receipt) as f:
            doc = json.load(f)
        self.assertEqual(len(doc["valset_changes"]), 2)

        def bad(mutate, want):
            d = json.loads(json.dumps(doc))
            mutate(d)
            path = r.receipt + ".bad.json"
            with open(path, "w") as f:
                json.dump(d, f)
            p = c.cli("verify", "--genesis", c.genesis, "--receipt", path, r.path)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("INVALID", p.stdout + p.stderr)
            text = (p.stdout + p.stderr).lower()
            self.assertTrue(any(w in text for w in want), p.stdout + p.stderr)

        bad(lambda d: d["valset_changes"].pop(0), ("change", "validators_hash", "set"))
        bad(lambda d: d["valset_changes"].reverse(), ("change", "validators_hash", "set"))

        def forge(d):
            # the commit's bytes end with its last signature
            s = d["valset_changes"][0]["commit"]
            d["valset_changes"][0]["commit"] = s[:-2] + ("00" if s[-2:] != "00" else "01")
        bad(forge, ("signature", "commit"))
        rc, out = c.verify(r.receipt, r.path)
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()
