#!/usr/bin/env python3
"""The verdict for people (`notary verify`, tools/verdict.c): the text a
judge reads for a valid receipt, a tampered file, a receipt of another
network and a receipt without its file, in English and Chinese; the local
time zone (UTC, Asia/Shanghai, and a zone where the attested time falls on
another calendar day than in UTC); several files at once with a summary
line; the language taken from LANG. Runs on the committed vectors
(tests/vectors/own-v2, receipt-v2), no node. The harness is
tests/clitest.py.
"""
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import ROOT, run, vec2  # noqa: E402

OWN = os.path.join(ROOT, "tests", "vectors", "own-v2")
OWN_FP = "205f473b-8c4f6f3a-2d8c123a-eafed44d"
V2_FP = "0bb0f5c8-cf9f1919-0466f30b-96558502"


def own(name):
    return os.path.join(OWN, name)


def line(out, label):
    """The value of the line whose label is label ("" if none)."""
    m = re.search(r"(?m)^" + re.escape(label) + r" +(.*)$", out)
    return m.group(1) if m else ""


class VerdictCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="it_verdict_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def copy(self, src, name):
        dst = os.path.join(self.tmp, name)
        shutil.copyfile(src, dst)
        return dst

    def verify(self, *args, env=None):
        return run("verify", *args, env=env)


class TestValid(VerdictCase):
    GEN = own("genesis.json")
    REC = own("valid-private.receipt.json")
    FILE = own("private.txt")

    def test_english(self):
        p = self.verify("--genesis", self.GEN, "--receipt", self.REC, self.FILE, "--tz",
                        "Asia/Shanghai")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], 'VALID: this record is part of chain "own-vector-net" at '
                         'block 3, and the file matches it.')
        # the order of the issue: network, file, time, offices, submitter, case, record id
        labels = ["Network:", "File:", "The file's digest:", "Existed no later than:",
                  "  local time:", "Signed by:", "Submitted by:", "Case:", "Record id:"]
        pos = [next(i for i, ln in enumerate(lines) if ln.startswith(lab)) for lab in labels]
        self.assertEqual(pos, sorted(pos), p.stdout)
        self.assertEqual(line(p.stdout, "Network:"), "own-vector-net, fingerprint " + OWN_FP)
        self.assertIn("Compare this fingerprint with the one the court or the network "
                      "published", lines[2])
        with open(self.FILE, "rb") as f:
            data = f.read()
        self.assertEqual(line(p.stdout, "File:"),
                         "%s, %d bytes, matches the record" % (self.FILE, len(data)))
        self.assertEqual(line(p.stdout, "The file's digest:"),
                         "sha256 " + hashlib.sha256(data).hexdigest())
        self.assertEqual(line(p.stdout, "Existed no later than:"),
                         "2026-12-07 06:53:33.261 UTC")
        self.assertEqual(line(p.stdout, "  local time:"),
                         "2026-12-07 14:53:33.261 CST (UTC+08:00, Asia/Shanghai)")
        self.assertRegex(line(p.stdout, "Signed by:"),
                         r"^3 of 4 offices: 杭州互联网公证处 \([0-9a-f]{16}\.\.\.\), "
                         r"Notary Office B \(")
        with open(self.REC, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertTrue(line(p.stdout, "Submitted by:").startswith("key eba44a78"))
        self.assertEqual(line(p.stdout, "Case:"), "(2026) 浙0192民初9号")
        self.assertIn("matched the commitment", line(p.stdout, "Private record:"))
        self.assertEqual(line(p.stdout, "Record id:"),
                         doc["record_id"] + " (the record's id on the ledger, not the file's "
                         "digest)")

    def test_chinese(self):
        p = self.verify("--genesis", self.GEN, "--receipt", self.REC, self.FILE, "--lang", "zh",
                        "--tz", "Asia/Shanghai")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "有效：该记录属于链“own-vector-net”第 3 号区块，文件与记录一致。")
        self.assertEqual(line(p.stdout, "网络："), "own-vector-net，指纹 " + OWN_FP)
        self.assertIn("请将此指纹与法院或该网络公布的指纹核对", lines[2])
        self.assertTrue(line(p.stdout, "文件摘要：").startswith("sha256 "))
        self.assertEqual(line(p.stdout, "存在时间不晚于："), "2026-12-07 06:53:33.261 UTC")
        self.assertEqual(line(p.stdout, "  当地时间："),
                         "2026-12-07 14:53:33.261 CST（UTC+08:00，Asia/Shanghai）")
        self.assertTrue(line(p.stdout, "签名机构：").startswith("3 个（共 4 个）：杭州互联网公证处"))
        self.assertTrue(line(p.stdout, "提交者：").startswith("公钥 eba44a78"))
        self.assertEqual(line(p.stdout, "案号："), "(2026) 浙0192民初9号")
        self.assertIn("与承诺一致", line(p.stdout, "隐私记录："))
        self.assertIn("（账本上的记录编号，不是文件摘要）", line(p.stdout, "记录编号："))
        # Chinese labels line up with each other (a Chinese character is two columns)
        self.assertEqual(lines[1].index("own-vector-net"), len("网络：") + 17)

    def test_lang_from_environment(self):
        args = ("--genesis", self.GEN, "--receipt", self.REC, self.FILE)
        p = self.verify(*args, env={"LANG": "zh_CN.UTF-8"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("有效："), p.stdout)
        p = self.verify(*args, env={"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"})
        self.assertTrue(p.stdout.startswith("有效："), p.stdout)
        p = self.verify(*args, env={"LC_ALL": "C", "LANG": "zh_CN.UTF-8"})
        self.assertTrue(p.stdout.startswith("VALID: "), p.stdout)
        p = self.verify(*args, "--lang", "en", env={"LANG": "zh_CN.UTF-8"})
        self.assertTrue(p.stdout.startswith("VALID: "), p.stdout)
        p = self.verify(*args)
        self.assertTrue(p.stdout.startswith("VALID: "), p.stdout)
        p = self.verify(*args, "--lang", "fr")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--lang", p.stderr)

    def test_json_adds_local_time(self):
        p = self.verify("--genesis", self.GEN, "--receipt", self.REC, self.FILE, "--json",
                        "--tz", "Asia/Shanghai")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["time_local"],
                         "2026-12-07 14:53:33.261 CST (UTC+08:00, Asia/Shanghai)")
        self.assertEqual(out["time_zone"], "Asia/Shanghai")
        with open(self.FILE, "rb") as f:
            self.assertEqual(out["file_digest"], hashlib.sha256(f.read()).hexdigest())


class TestInvalid(VerdictCase):
    def test_tampered_file(self):
        src = own("clear-sha256.txt")
        f = self.copy(src, "exhibit.txt")
        with open(src, "rb") as fh:
            orig = fh.read()
        with open(f, "ab") as fh:
            fh.write(b" edited")
        args = ("--genesis", own("genesis.json"), "--receipt",
                own("valid-clear-sha256.receipt.json"), f)
        p = self.verify(*args)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("INVALID: file: digest does not match the record"),
                        p.stdout)
        self.assertEqual(line(p.stdout, "File:"), f + " does NOT match the record")
        self.assertEqual(line(p.stdout, "Expected (the record):"),
                         "sha256 %s, %d bytes" % (hashlib.sha256(orig).hexdigest(), len(orig)))
        self.assertEqual(line(p.stdout, "Found (this file):"),
                         "sha256 %s, %d bytes" % (hashlib.sha256(orig + b" edited").hexdigest(),
                                                  len(orig) + 7))
        self.assertIn(OWN_FP, line(p.stdout, "Network:"))
        p = self.verify(*args, "--lang", "zh")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stdout.startswith("无效：文件与记录不符"), p.stdout)
        self.assertIn("digest does not match", line(p.stdout, "原因："))
        self.assertEqual(line(p.stdout, "应为（记录所载）："),
                         "sha256 %s，%d 字节" % (hashlib.sha256(orig).hexdigest(), len(orig)))
        self.assertTrue(line(p.stdout, "实为（此文件）：").endswith("，%d 字节" % (len(orig) + 7)))
        out = json.loads(self.verify(*args, "--json").stdout)
        self.assertFalse(out["valid"])
        self.assertEqual(out["kind"], "file")
        self.assertEqual(out["expected"]["digest"], hashlib.sha256(orig).hexdigest())
        self.assertEqual(out["found"]["size"], len(orig) + 7)

    def test_wrong_network(self):
        # the same chain id, another genesis (an office renamed)
        args = ("--genesis", vec2("genesis-renamed.json"), "--receipt",
                vec2("valid-h7-one-change.receipt.json"), vec2("evidence-1.txt"))
        p = self.verify(*args)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("INVALID: genesis_hash differs"), p.stdout)
        self.assertRegex(line(p.stdout, "Network:"),
                         r"^vector-net-2, fingerprint [0-9a-f-]{35} \(the genesis file given\)$")
        self.assertEqual(line(p.stdout, "Receipt's network:"),
                         "vector-net-2, fingerprint " + V2_FP)
        p = self.verify(*args, "--lang", "zh")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stdout.startswith("无效：收据属于另一个网络"), p.stdout)
        self.assertEqual(line(p.stdout, "收据所属网络："), "vector-net-2，指纹 " + V2_FP)
        # another chain altogether
        p = self.verify("--genesis", vec2("genesis.json"), "--receipt",
                        own("valid-clear-sha256.receipt.json"), own("clear-sha256.txt"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(line(p.stdout, "Receipt's network:"),
                         "own-vector-net, fingerprint " + OWN_FP)
        self.assertEqual(json.loads(self.verify("--genesis", vec2("genesis.json"), "--receipt",
                                                own("valid-clear-sha256.receipt.json"),
                                                "--json").stdout)["kind"], "network")

    def test_no_file(self):
        args = ("--genesis", vec2("genesis.json"), "--receipt",
                vec2("valid-h7-one-change.receipt.json"))
        p = self.verify(*args)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.splitlines()[0],
                         'VALID: this record is part of chain "vector-net-2" at block 7; the '
                         'file was NOT checked (no file given).')
        self.assertTrue(line(p.stdout, "File:").startswith("not checked (no file given)"))
        p = self.verify(*args, "--lang", "zh")
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout.splitlines()[0],
                         "有效：该记录属于链“vector-net-2”第 7 号区块；未核对文件（未提供文件）。")
        self.assertTrue(line(p.stdout, "文件：").startswith("未核对"))


class TestTimeZones(VerdictCase):
    ARGS = ("--genesis", vec2("genesis.json"), "--receipt", vec2("valid-h7-one-change.receipt.json"),
            vec2("evidence-1.txt"))

    def test_utc_and_shanghai(self):
        p = self.verify(*self.ARGS, "--tz", "UTC")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(line(p.stdout, "Existed no later than:"), "2026-12-01 00:00:07.311 UTC")
        self.assertEqual(line(p.stdout, "  local time:"),
                         "2026-12-01 00:00:07.311 UTC (UTC+00:00, UTC)")
        p = self.verify(*self.ARGS, "--tz", "Asia/Shanghai")
        self.assertEqual(line(p.stdout, "  local time:"),
                         "2026-12-01 08:00:07.311 CST (UTC+08:00, Asia/Shanghai)")
        # TZ alone does the same
        p = self.verify(*self.ARGS, env={"TZ": "Asia/Shanghai"})
        self.assertEqual(line(p.stdout, "  local time:"),
                         "2026-12-01 08:00:07.311 CST (UTC+08:00, Asia/Shanghai)")

    def test_across_midnight(self):
        # 00:00:07 UTC on 1 December is still 30 November in Los Angeles.
        # (A time on the next day in Shanghai than in UTC is checked with a
        # fixed instant in tests/test_verdict.c: no vector is that late.)
        p = self.verify(*self.ARGS, "--tz", "America/Los_Angeles")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(line(p.stdout, "  local time:"),
                         "2026-11-30 16:00:07.311 PST (UTC-08:00, America/Los_Angeles)")
        p = self.verify(*self.ARGS, "--tz", "America/Los_Angeles", "--lang", "zh")
        self.assertEqual(line(p.stdout, "  当地时间："),
                         "2026-11-30 16:00:07.311 PST（UTC-08:00，America/Los_Angeles）")

    def test_unknown_zone(self):
        for bad in ("Mars/Olympus_Mons", "../etc/passwd", "/etc/localtime", ""):
            with self.subTest(bad):
                p = self.verify(*self.ARGS, "--tz", bad)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn("unknown time zone", p.stderr)
                self.assertEqual(p.stdout, "")
        p = self.verify(*self.ARGS, env={"TZ": "Nowhere/Special"})
        self.assertEqual(p.returncode, 0)
        self.assertIn("TZ=Nowhere/Special is not a time zone", p.stderr)


class TestSeveralFiles(VerdictCase):
    def setUp(self):
        super().setUp()
        self.good = []
        for name, rec in (("clear-sha256.txt", "valid-clear-sha256.receipt.json"),
                          ("private.txt", "valid-private.receipt.json")):
            f = self.copy(own(name), name)
            self.copy(own(rec), name + ".receipt.json")
            self.good.append(f)
        self.bad = self.copy(own("private.txt"), "changed.txt")
        with open(self.bad, "ab") as fh:
            fh.write(b"!")
        self.copy(own("valid-private.receipt.json"), "changed.txt.receipt.json")

    def test_one_invalid(self):
        files = [self.good[0], self.bad, self.good[1]]
        p = self.verify("--genesis", own("genesis.json"), *files)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[-1], "3 files: 2 valid, 1 INVALID")
        per_file = [ln for ln in lines if re.match(r"^(VALID|INVALID|ERROR) ", ln)]
        self.assertEqual(len(per_file), 3, p.stdout)
        self.assertTrue(per_file[0].startswith("VALID    " + files[0] + " (record "))
        self.assertTrue(per_file[1].startswith("INVALID  " + self.bad + ": file: digest"))
        self.assertTrue(per_file[2].startswith("VALID    " + files[2]))
        self.assertIn(OWN_FP, p.stdout)  # the network, once
        p = self.verify("--genesis", own("genesis.json"), *files, "--lang", "zh")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout.splitlines()[-1], "共 3 个文件：2 个有效，1 个无效")
        self.assertIn("无效  " + self.bad + "：文件与记录不符", p.stdout)
        p = self.verify("--genesis", own("genesis.json"), *files, "--json")
        self.assertEqual(p.returncode, 1)
        out = json.loads(p.stdout)
        self.assertEqual((out["valid"], out["files"], out["valid_files"], out["invalid_files"]),
                         (False, 3, 2, 1))
        self.assertEqual([r["file"] for r in out["results"]], files)
        self.assertEqual(out["results"][1]["kind"], "file")

    def test_all_valid_and_missing_receipt(self):
        p = self.verify("--genesis", own("genesis.json"), *self.good)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.splitlines()[-1], "2 files: 2 valid, 0 INVALID")
        lonely = os.path.join(self.tmp, "lonely.txt")
        with open(lonely, "w") as fh:
            fh.write("no receipt\n")
        p = self.verify("--genesis", own("genesis.json"), self.good[0], lonely)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("ERROR    " + lonely + ": cannot read the receipt", p.stdout)
        self.assertEqual(p.stdout.splitlines()[-1],
                         "2 files: 1 valid, 0 INVALID, 1 not checked (error)")

    def test_single_file_uses_receipt_beside_it(self):
        p = self.verify("--genesis", own("genesis.json"), self.good[1])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("VALID: "), p.stdout)
        self.assertIn("Record id:", p.stdout)  # the whole verdict, not one line
        p = self.verify("--genesis", own("genesis.json"), self.bad)
        self.assertEqual(p.returncode, 1)
        lonely = os.path.join(self.tmp, "lonely.txt")
        with open(lonely, "w") as fh:
            fh.write("no receipt\n")
        p = self.verify("--genesis", own("genesis.json"), lonely)
        self.assertEqual(p.returncode, 2)
        self.assertIn("lonely.txt.receipt.json does not exist", p.stderr)
        # with --receipt, still at most one FILE
        p = self.verify("--genesis", own("genesis.json"), "--receipt",
                        self.good[0] + ".receipt.json", *self.good)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
