#!/usr/bin/env python3
"""Process tests of the notary command-line tool without a node: verify
against the independent receipt vectors, usage errors, keygen, init; and
audit of a node's store. The harness is tests/clitest.py; a running node is
tests/it_cli_node.py. Every wait is bounded; every process started is
killed in tearDown.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import BUILD, HEX64, Node, NOTARY, NOTARYD, ROOT, run, vec, vec2  # noqa: E402


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
                    self.assertIn("%d of 4 offices: " % exp["signatures"], p.stdout)
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


# What the verdict must name for each invalid version 2 case (cases.json
# gives the reason in prose; these are the words of ours that say it).
V2_REASONS = {
    "bad-genesis-renamed.receipt.json": ["genesis_hash differs", "another network"],
    "bad-genesis-other-time.receipt.json": ["genesis_hash differs", "another network"],
    "bad-genesis-not-v2.receipt.json": ["notary-genesis/2"],
    "bad-changes-missing-entry.receipt.json": ["valset change 1", "validators_hash",
                                               "missing or reordered"],
    "bad-changes-reordered.receipt.json": ["valset change 0", "validators_hash",
                                           "missing or reordered"],
    "bad-changes-none.receipt.json": ["validators_hash is not the set reached from the genesis"],
    "bad-changes-forged-commit.receipt.json": ["valset change 1: commit", "signature"],
    "bad-changes-next-renamed.receipt.json": ["valset change 0",
                                              "next_validators do not match"],
    "bad-changes-not-a-change.receipt.json": ["valset change 1", "not a change block"],
    "bad-changes-at-receipt-height.receipt.json": ["valset change 2",
                                                   "not increasing below the receipt"],
    "bad-commit-by-retired-keys.receipt.json": ["commit: ", "signature of validator"],
    "bad-private-wrong-salt.receipt.json": ["salt"],
    "bad-private-meta-changed.receipt.json": ["meta does not match its commitment"],
    "bad-private-no-salt.receipt.json": ["private record", "no 32-byte salt"],
    "bad-salted-wrong-salt.receipt.json": ["digest does not match the record", "salt"],
    "bad-private-other-file.receipt.json": ["digest does not match the record"],
    "bad-v1-header-in-v2-receipt.receipt.json": ["header version 1", "notary-receipt/2"],
}


def exp_chain(case):
    """The chain id of a version 2 vector's genesis file."""
    with open(vec2(case["genesis"]), encoding="utf-8") as f:
        return json.load(f)["chain_id"]


def vec_own(name):
    return os.path.join(ROOT, "tests", "vectors", "own-v2", name)


class TestVerifyVectorsOwn(unittest.TestCase):
    """The project's own version 2 vectors (tests/make_own_vectors.py made
    them from a real 4-validator testnet run): clear and private records,
    Chinese office names, receipts across 0, 1 and 3 set changes; the
    verdict still says what it said then."""

    def test_cases(self):
        with open(vec_own("cases.json"), encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreaterEqual(len(cases), 9)
        self.assertTrue(any(c["valid"] and c["expect"]["private"] == 3 for c in cases))
        self.assertTrue(any(c["valid"] and c["expect"]["private"] == 0 for c in cases))
        for n in (0, 1, 3):  # receipts across 0, 1 and 3 set changes
            self.assertTrue(any(c["valid"] and c["expect"]["valset_changes"] == n
                                for c in cases), n)
        self.assertTrue(any(not c["valid"] and "valset_changes" in c["reason"]
                            for c in cases))
        for c in cases:
            with self.subTest(receipt=c["receipt"], genesis=c["genesis"]):
                p = run("verify", "--genesis", vec_own(c["genesis"]), "--receipt",
                        vec_own(c["receipt"]), vec_own(c["file"]), "--json")
                self.assertEqual(p.returncode, 0 if c["valid"] else 1, p.stdout + p.stderr)
                out = json.loads(p.stdout)
                if c["valid"]:
                    for k, v in c["expect"].items():
                        if k == "signers":
                            self.assertEqual([s["name"] for s in out["signers"]], v)
                        else:
                            self.assertEqual(out[k], v, k)
                    self.assertEqual(out["meta_matched_commitment"],
                                     bool(c["expect"]["private"] & 2))

    def test_private_receipts_hold_salt_and_meta(self):
        with open(vec_own("valid-private.receipt.json"), encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["format"], "notary-receipt/2")
        self.assertRegex(doc["salt"], r"^[0-9a-f]{64}$")
        self.assertIn("浙0192", doc["meta"])
        with open(vec_own("valid-clear-sha256.receipt.json"), encoding="utf-8") as f:
            doc = json.load(f)
        self.assertNotIn("salt", doc)
        self.assertEqual(doc["valset_changes"], [])


class TestVerifyVectorsV2(unittest.TestCase):
    """Every case of the independent version 2 vectors, each against the
    trust anchor it names: exit code, reported fields, the reason."""

    def test_cases(self):
        with open(vec2("cases.json")) as f:
            cases = json.load(f)
        self.assertGreaterEqual(len(cases), 25)
        for c in cases:
            with self.subTest(receipt=c["receipt"]):
                args = ["verify", "--genesis", vec2(c["genesis"]), "--receipt",
                        vec2(c["receipt"])]
                if c["file"] is not None:
                    args.append(vec2(c["file"]))
                fp = run("genesis", "fingerprint", vec2(c["genesis"]))
                anchor_fp = fp.stdout.strip() if fp.returncode == 0 else None
                p = run(*args, "--json")
                want = 0 if c["valid"] else 1
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)
                out = json.loads(p.stdout)
                self.assertEqual(out["valid"], c["valid"])
                if anchor_fp is not None:
                    self.assertEqual(out["fingerprint"], anchor_fp)
                if c["valid"]:
                    exp = c["expect"]
                    self.assertIsNone(out["why"])
                    for k in ("chain_id", "height", "time", "submitter", "digest", "meta",
                              "signatures", "fingerprint", "private"):
                        self.assertEqual(out[k], exp[k], k)
                    self.assertEqual([s["name"] for s in out["signers"]], exp["signers"])
                    self.assertEqual(out["meta_matched_commitment"], bool(exp["private"] & 2))
                    self.assertEqual(out["file_checked"], c["file"] is not None)
                else:
                    for words in V2_REASONS.get(c["receipt"], []):
                        self.assertIn(words, out["why"])
                # The plain-language verdict agrees and names the fingerprint.
                p = run(*args)
                self.assertEqual(p.returncode, want, p.stdout + p.stderr)
                first = p.stdout.splitlines()[0]
                if anchor_fp is not None:
                    # the network of the genesis given, with its fingerprint
                    self.assertRegex(p.stdout, r"(?m)^Network: +%s, fingerprint %s"
                                     % (re.escape(exp_chain(c)), anchor_fp))
                if c["valid"]:
                    self.assertTrue(first.startswith("VALID: "), first)
                    self.assertIn('chain "%s" at block %d' % (exp["chain_id"], exp["height"]),
                                  first)
                    signed = [ln for ln in p.stdout.splitlines() if ln.startswith("Signed by:")]
                    self.assertEqual(len(signed), 1, p.stdout)
                    names = re.findall(r"(?:^Signed by:\s+\d+ of \d+ offices: |, )(.+?) "
                                       r"\([0-9a-f]{16}\.\.\.\)", signed[0])
                    self.assertEqual(names, exp["signers"])
                    self.assertIn(exp["meta"]["case"], p.stdout)
                    self.assertIn(exp["meta"]["title"], p.stdout)
                    self.assertIn(exp["digest"], p.stdout)
                    self.assertIn(exp["time"].replace("T", " ").replace("Z", " UTC"),
                                  p.stdout)
                    self.assertRegex(p.stdout, r"(?m)^Signed by: +%d of \d+ offices: "
                                     % exp["signatures"])
                    if exp["private"] & 2:
                        self.assertIn("matched the commitment", p.stdout)
                    if exp["private"] & 1:
                        self.assertIn("digest salted", p.stdout)
                else:
                    self.assertTrue(first.startswith("INVALID: "), first)
                    for words in V2_REASONS.get(c["receipt"], []):
                        self.assertIn(words, first)

    def test_every_invalid_case_has_a_reason(self):
        with open(vec2("cases.json")) as f:
            cases = json.load(f)
        bad = {c["receipt"] for c in cases if not c["valid"]}
        self.assertEqual(bad, set(V2_REASONS))

    def test_versions_do_not_mix(self):
        p = run("verify", "--genesis", vec2("genesis.json"), "--receipt",
                vec("valid-0.receipt.json"), vec("evidence-0.txt"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("INVALID: "))
        self.assertIn("version 1 genesis", p.stdout)
        self.assertIn("0bb0f5c8-cf9f1919-0466f30b-96558502", p.stdout)
        p = run("verify", "--genesis", vec("genesis.json"), "--receipt",
                vec2("valid-h3-v1-record.receipt.json"), vec2("evidence-0.txt"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("notary-genesis/2", p.stdout)

    def test_genesis_fingerprint(self):
        p = run("genesis", "fingerprint", vec2("genesis.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "0bb0f5c8-cf9f1919-0466f30b-96558502\n")
        seen = {p.stdout}
        for other in ("genesis-renamed.json", "genesis-other-time.json"):
            p = run("genesis", "fingerprint", vec2(other))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, r"^[0-9a-f]{8}(-[0-9a-f]{8}){3}\n$")
            seen.add(p.stdout)
        self.assertEqual(len(seen), 3)
        p = run("genesis", "fingerprint", vec2("genesis-v1-style.json"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("version 1", p.stderr)
        self.assertEqual(run("genesis", "fingerprint", vec2("no-such.json")).returncode, 2)
        self.assertEqual(run("genesis").returncode, 2)
        self.assertEqual(run("genesis", "hash", vec2("genesis.json")).returncode, 2)
        h = run("genesis", "--help")
        self.assertEqual(h.returncode, 0)
        self.assertIn("usage: notary genesis fingerprint", h.stdout)


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
                    "validators", "audit", "genesis"):
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
        # a version 2 genesis: a name is UTF-8 without control characters,
        # up to 255 bytes (64 in the old format); the format is 1 or 2
        for args in (["--name", "tab\there"], ["--genesis-format", "3"],
                     ["--genesis-format", "1", "--name", "x" * 65], ["--name", "x" * 256]):
            p = run("init", "--home", os.path.join(self.tmp, "c"), *args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("notary init: --", p.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "c")))
        p = run("init", "--home", os.path.join(self.tmp, "d"), "--name", "杭" * 85)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"fingerprint [0-9a-f]{8}(-[0-9a-f]{8}){3}")

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
