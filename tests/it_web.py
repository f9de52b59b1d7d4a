#!/usr/bin/env python3
"""The verification page (docs/VERIFY-PAGE.md) in a real browser.

Drives build/web/verify.html in Debian's headless Chromium through
playwright-core (pinned in tools/web/package.json) from
tools/web/test/browser.mjs: the page loaded from the file, the browser
offline and every request refused. It checks a valid receipt with its file,
a tampered file, a wrong genesis, a forged commit, a private receipt, a
version 1 vector, the receipt in the address (#r= and #rz=) and pasted,
drag and drop, a 200 MB file hashed in slices with progress, both languages
and the switch between them, and every case of tests/vectors/ as the page
shows it against `notary verify --json`; and the page as a real notaryd
serves it at its http.listen, fetching the genesis and a receipt it just
committed from that node; and an SM3 record of that node (hashed by
WebAssembly, which the page's CSP and notaryd's must both allow), checked
from the file and from the node. It also runs the page's node tests
(tools/web/test/*.test.mjs: SM3 vectors, the verifier against the CLI).

Nothing is skipped: without node, npm, the built page or Chromium the test
fails and names the command to run. NT_WEB_SHOTS=DIR keeps the screenshots
there (docs/ keeps one of each verdict: NT_WEB_SHOTS=docs/verify-page).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(HERE)
# absolute: the node scripts run in tools/web
BUILD = os.path.join(ROOT, os.environ.get("NT_BUILD", "build"))
VECTORS = os.path.join(ROOT, os.environ.get("NT_VECTORS", os.path.join(HERE, "vectors")))
WEB = os.path.join(ROOT, "tools", "web")
PAGE = os.path.join(BUILD, "web", "verify.html")
CHROMIUM = "/usr/bin/chromium"
BIG_MB = 200

from cluster import Cluster  # noqa: E402
SETS = ("receipt-v1", "receipt-v2", "own-v2")


def missing():
    """What is not there, each with the command that brings it."""
    out = []
    if shutil.which("node") is None or shutil.which("npm") is None:
        out.append("node and npm (Node.js 20) are not on PATH: install them, then run `make web`")
    if not os.path.exists(PAGE):
        out.append(f"{PAGE} is missing: run `make web`")
    if not os.path.isdir(os.path.join(WEB, "node_modules", "playwright-core")):
        out.append("tools/web/node_modules/playwright-core is missing: run `make web` "
                   "(npm ci in tools/web)")
    if not os.access(CHROMIUM, os.X_OK):
        out.append(f"{CHROMIUM} is missing: run `apt-get install -y chromium` "
                   "(or `sh tools/install-deps.sh web`)")
    if not os.access(os.path.join(BUILD, "notary"), os.X_OK):
        out.append(f"{BUILD}/notary is missing: run `make`")
    return out


def cli_verify(genesis, receipt, file):
    args = [os.path.join(BUILD, "notary"), "verify", "--json", "--genesis", genesis,
            "--receipt", receipt]
    if file:
        args.append(file)
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    return p.returncode, json.loads(p.stdout)


def serve_real_node(tmp):
    """A real one-validator notaryd (tests/cluster.py) with one record
    committed: the page is loaded from its http.listen, and the genesis and
    the receipt are fetched from it. Returns (cluster, url, record id, file)."""
    c = Cluster(validators=1, chain_id="web-node-test")
    c.start_all()
    path = c.write_file("served-exhibit.txt", b"an exhibit the page fetches the receipt of\n")
    r = c.submit(0, path)
    if r.rc != 0:
        c.close()
        raise RuntimeError("submit to the node failed: %r" % r)
    # An SM3 record too: the page hashes SM3 with WebAssembly, which both
    # its own CSP and the one notaryd sends must allow.
    sm3 = c.write_file("served-exhibit-sm3.txt", b"an exhibit hashed with SM3\n" * 1000)
    r3 = c.submit(0, sm3, args=("--alg", "sm3"))
    if r3.rc != 0:
        c.close()
        raise RuntimeError("sm3 submit to the node failed: %r" % r3)
    with open(os.path.join(c.node(0).home, "config.json")) as f:
        url = json.load(f)["http"]["listen"]
    return c, url, r.record_id, path, r3


class WebPage(unittest.TestCase):
    out = None
    error = None

    @classmethod
    def setUpClass(cls):
        cls.missing = missing()
        if cls.missing:
            return
        cls.tmp = tempfile.mkdtemp(prefix="nt-web-")
        cls.shots = os.environ.get("NT_WEB_SHOTS") or os.path.join(cls.tmp, "shots")
        os.makedirs(cls.shots, exist_ok=True)
        with open(os.path.join(VECTORS, "own-v2", "clear-sha256.txt"), "rb") as f:
            clear = f.read()
        with open(os.path.join(cls.tmp, "tampered.txt"), "wb") as f:
            f.write(clear[:-1] + bytes([clear[-1] ^ 1]))
        # 200 MB of varied bytes (a repeated 1 MiB random block), and its
        # digest to compare with the one the page computes.
        block = os.urandom(1 << 20)
        h = hashlib.sha256()
        with open(os.path.join(cls.tmp, "big.bin"), "wb") as f:
            for _ in range(BIG_MB):
                f.write(block)
                h.update(block)
        cls.big_sha256 = h.hexdigest()
        node, url, rid, served_file, sm3 = serve_real_node(cls.tmp)
        with open(sm3.path, "rb") as f:
            sm3_data = f.read()
        with open(os.path.join(cls.tmp, "tampered-sm3.txt"), "wb") as f:
            f.write(sm3_data[:-1] + bytes([sm3_data[-1] ^ 1]))
        cls.sm3_record_id = sm3.record_id
        start = time.time()
        try:
            p = subprocess.run(
                ["node", os.path.join(WEB, "test", "browser.mjs"), "--page", PAGE, "--vectors",
                 VECTORS, "--work", cls.tmp, "--shots", cls.shots, "--chromium", CHROMIUM,
                 "--served", url, "--served-id", rid, "--served-file", served_file,
                 "--sm3-receipt", sm3.receipt, "--sm3-file", sm3.path, "--sm3-genesis",
                 node.genesis],
                cwd=WEB, capture_output=True, text=True, timeout=180)
        finally:
            node.close()
        cls.seconds = time.time() - start
        if p.returncode != 0:
            cls.error = f"browser.mjs exit {p.returncode}:\n{p.stderr[-4000:]}"
            return
        cls.out = json.loads(p.stdout)
        sys.stderr.write(f"it_web: browser run {cls.seconds:.1f}s\n")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "tmp", None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def scenario(self, name):
        if self.missing:
            self.fail("; ".join(self.missing))
        self.assertIsNone(self.error, self.error)
        s = self.out["scenarios"][name]
        self.assertNotIn("error", s, s.get("error"))
        return s

    def test_00_prerequisites(self):
        if self.missing:
            self.fail("; ".join(self.missing))

    def test_no_request_leaves_the_page(self):
        self.scenario("valid_en")
        self.assertEqual(self.out["requests"], [])
        with open(PAGE, encoding="utf-8") as f:
            html = f.read()
        self.assertNotRegex(html, r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:)")
        self.assertIn("default-src 'none'", html)

    def test_valid_with_file_english(self):
        s = self.scenario("valid_en")
        self.assertEqual(s["state"], "valid")
        self.assertEqual(s["badge"], "VALID")
        self.assertEqual(s["errors"], [])
        with open(os.path.join(VECTORS, "own-v2", "cases.json")) as f:
            exp = json.load(f)[0]["expect"]
        self.assertEqual(s["fp"], exp["fingerprint"])
        text = s["text"]
        for want in ("Compare it with the fingerprint the court published",
                     "clear-sha256.txt (26 bytes) matches the record", exp["chain_id"],
                     exp["time"].replace("T", " ").replace("Z", " UTC"),
                     "Beijing time: 2026-12-07 14:53:33.190 (UTC+08:00)",
                     "attested by 3 of 4 offices", "Signed by (3 / 4)", *exp["signers"],
                     exp["submitter"], exp["meta"]["case"], exp["meta"]["title"],
                     s["result"]["record_id"]):
            self.assertIn(want, text)

    def test_tampered_file(self):
        s = self.scenario("tampered_en")
        self.assertEqual(s["state"], "invalid")
        self.assertEqual(s["badge"], "INVALID")
        self.assertEqual(
            s["why"], "file: digest does not match the record (the file's sha256 digest differs)")
        self.assertIn("205f473b-8c4f6f3a-2d8c123a-eafed44d", s["text"])

    def test_private_receipt_chinese_phone(self):
        s = self.scenario("private_zh_phone")
        self.assertEqual(s["state"], "valid")
        self.assertEqual(s["badge"], "有效")
        self.assertEqual(s["lang"], "zh-CN")
        r = s["result"]
        self.assertEqual(r["private"], 3)
        self.assertTrue(r["meta_matched_commitment"])
        self.assertEqual(r["valset_changes"], 3)
        for want in ("请与法院公布的指纹核对", "北京时间", "由创世节点集经 3 次已核验的变更而来",
                     "元数据已承诺；下列明文元数据与承诺一致", "杭州互联网公证处", "案号"):
            self.assertIn(want, s["text"])

    def test_wrong_genesis_chinese(self):
        s = self.scenario("wrong_genesis_zh")
        self.assertEqual(s["state"], "invalid")
        self.assertEqual(s["badge"], "无效")
        self.assertIn("收据属于另一个网络", s["why"])
        self.assertIn("genesis_hash differs: the receipt belongs to another network", s["text"])

    def test_forged_commit(self):
        s = self.scenario("forged_commit")
        self.assertEqual(s["state"], "invalid")
        self.assertEqual(s["why"],
                         "valset change 1: commit: commit signature of validator 0 invalid")

    def test_language_switch(self):
        s = self.scenario("switch")
        self.assertEqual(s["zh"]["badge"], "无效")
        self.assertIn("签名无效", s["zh"]["why"])
        self.assertEqual(s["en"]["badge"], "INVALID")
        self.assertIn("commit signature of validator 0 invalid", s["en"]["why"])

    def test_version_1_vector(self):
        s = self.scenario("v1_vector")
        self.assertEqual(s["state"], "valid")
        self.assertIn("(a version 1 network has no fingerprint)", s["text"])
        self.assertIn("vector-net-1", s["text"])

    def test_receipt_in_the_address(self):
        s = self.scenario("fragment")
        for k in ("r", "rz", "paste"):
            self.assertEqual(s[k]["state"], "valid", k)
        self.assertEqual(s["r"]["receiptLabel"], "from the page address")
        self.assertLess(s["rz"]["hashLength"], s["r"]["hashLength"])

    def test_drag_and_drop(self):
        s = self.scenario("drop")
        self.assertEqual(s["state"], "valid")
        self.assertEqual(s["result"]["private"], 3)
        self.assertTrue(s["result"]["file_checked"])

    def test_big_file_streams_with_progress(self):
        s = self.scenario("big")
        self.assertEqual(s["state"], "invalid")
        self.assertEqual(s["result"]["file_digest"], self.big_sha256)
        self.assertEqual(s["result"]["file_bytes"], BIG_MB << 20)
        prog = s["progress"]
        self.assertEqual(prog[-1], 100)
        self.assertGreaterEqual(len([p for p in prog if 0 < p < 100]), 10, prog)
        self.assertEqual(prog, sorted(prog))
        self.assertLess(s["hashMs"], 60000)
        if s.get("heap"):
            # Read in 4 MiB slices: far less than the file stays in memory.
            self.assertLess(s["heap"], 100 << 20)

    def test_served_by_a_node(self):
        s = self.scenario("served")
        self.assertEqual(s["state"], "valid")
        self.assertTrue(s["servedNote"])
        self.assertIn("compare the fingerprint", s["genesisLabel"])
        base = s["before"][0]
        # The page alone on load; then only what the user asked for.
        self.assertEqual(s["before"], [base])
        self.assertEqual([u[len(base) - 1:] for u in s["seen"][1:]],
                         ["/genesis.json", "/receipt/" + s["result"]["record_id"]])

    def test_sm3_record(self):
        s = self.scenario("sm3")
        for k in ("file", "served"):
            self.assertEqual(s[k]["state"], "valid", k)
            self.assertEqual(s[k]["result"]["digest_alg"], "sm3", k)
            self.assertEqual(s[k]["result"]["record_id"], self.sm3_record_id, k)
            self.assertTrue(s[k]["result"]["file_checked"], k)
            self.assertEqual(s[k]["errors"], [], k)
        self.assertEqual(s["tampered"]["state"], "invalid")
        self.assertEqual(s["tampered"]["why"],
                         "file: digest does not match the record (the file's sm3 digest differs)")

    def test_every_vector_as_the_cli(self):
        s = self.scenario("vectors")
        self.assertEqual(s["errors"], [])
        got = self.out["vectors"]
        n = 0
        for set_ in SETS:
            d = os.path.join(VECTORS, set_)
            with open(os.path.join(d, "cases.json")) as f:
                cases = json.load(f)
            for c in cases:
                page = got[n]
                n += 1
                self.assertEqual((page["set"], page["receipt"]), (set_, c["receipt"]))
                rc, cli = cli_verify(os.path.join(d, c.get("genesis", "genesis.json")),
                                     os.path.join(d, c["receipt"]),
                                     os.path.join(d, c["file"]) if c["file"] else None)
                label = f"{set_}/{c['receipt']} ({c.get('genesis', 'genesis.json')})"
                self.assertEqual(page["state"] == "valid", c["valid"], label)
                self.assertEqual(rc, 0 if c["valid"] else 1, label)
                self.assertEqual(page["why"], cli["why"], label)
                for k in ("chain_id", "height", "time", "signers", "submitter", "digest",
                          "meta", "fingerprint", "private", "record_id", "block_hash"):
                    self.assertEqual(page["result"].get(k), cli.get(k), f"{label}: {k}")
        self.assertEqual(n, len(got))
        self.assertGreaterEqual(n, 65)

    def test_node_unit_tests(self):
        if self.missing:
            self.fail("; ".join(self.missing))
        env = dict(os.environ, NT_BUILD=BUILD, NT_VECTORS=VECTORS)
        p = subprocess.run(["node", "--test", "test/"], cwd=WEB, env=env, capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout[-6000:] + p.stderr[-2000:])
        self.assertRegex(p.stdout, r"# fail 0")

    def test_screenshots(self):
        self.scenario("other_shots")
        for v in ("valid", "invalid"):
            for lang in ("en", "zh"):
                for dev in ("desktop", "phone"):
                    path = os.path.join(self.shots, f"{v}-{lang}-{dev}.png")
                    self.assertTrue(os.path.exists(path), path)
                    self.assertLess(os.path.getsize(path), 200 * 1024, path)


if __name__ == "__main__":
    unittest.main()
