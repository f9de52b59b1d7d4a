#!/usr/bin/env python3
"""Tests of `notary certificate` and `notary qr` (docs/CLI.md "Evidence
certificates", docs/FORMATS.md "Compact receipt for QR codes") on the
committed vectors: own-v2 (Chinese office names, private records) and
receipt-v2. Each certificate is read back the way an outsider would:
`pdfinfo` (pages, A4), `pdftotext` (every field, Chinese included, and the
machine-readable receipt block), `pdftoppm -r 150` + `zbarimg` (the QR
code), and what comes back must pass `notary verify`. No node is started.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
NOTARY = os.path.join(BUILD, "notary")
VECTORS = os.environ.get("NT_VECTORS", os.path.join(ROOT, "tests", "vectors"))
OWN = os.path.join(VECTORS, "own-v2")
V2 = os.path.join(VECTORS, "receipt-v2")
# The sample picture in docs/ is made with these (docs/CLI.md says so).
SAMPLE_EPOCH = "1796630400"  # 2026-12-07T08:00:00Z, so the picture does not change
A4 = "595.28 x 841.89 pts"


def run(*args, stdin=None, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("NOTARY_NODE", None)
    if env:
        e.update(env)
    return subprocess.run([str(a) for a in args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=e)


def notary(*args, **kw):
    return run(NOTARY, *args, **kw)


def own(name):
    return os.path.join(OWN, name)


def case(dirname, receipt):
    with open(os.path.join(dirname, "cases.json"), encoding="utf-8") as f:
        for c in json.load(f):
            if c["receipt"] == receipt:
                return c
    raise KeyError(receipt)


def pdf_text(path, layout=False):
    p = run("pdftotext", *(["-layout"] if layout else []), path, "-")
    assert p.returncode == 0, p.stderr
    return p.stdout


def pdf_info(path):
    p = run("pdfinfo", path)
    assert p.returncode == 0, p.stderr
    return p.stdout


def scan_qr(pdf, tmp, page=1):
    """What a phone would read: the page rasterised at 150 dpi, then zbarimg."""
    prefix = os.path.join(tmp, "page")
    p = run("pdftoppm", "-r", "150", "-png", "-f", page, "-l", page, pdf, prefix)
    assert p.returncode == 0, p.stderr
    pngs = sorted(f for f in os.listdir(tmp) if f.startswith("page") and f.endswith(".png"))
    p = run("zbarimg", "--raw", "-q", os.path.join(tmp, pngs[-1]))
    assert p.returncode == 0, "zbarimg found no code: " + p.stderr
    for f in pngs:
        os.unlink(os.path.join(tmp, f))
    return p.stdout.strip("\n")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def block_hash(receipt_path):
    return hashlib.sha256(bytes.fromhex(load(receipt_path)["header"])).hexdigest()


@unittest.skipUnless(all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdftoppm", "zbarimg")),
                     "poppler-utils and zbar-tools are needed (tools/install-deps.sh)")
class CertificateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nt-cert-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def certificate(self, *args, rc=0):
        out = self.path("c%d.pdf" % len(os.listdir(self.tmp)))
        p = notary("certificate", "--out", out, *args)
        self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        self.assertTrue(os.path.exists(out))
        return out

    def verify(self, receipt, genesis, *files):
        return notary("verify", "--genesis", genesis, "--receipt", receipt, *files)

    # ---- one record ----

    def test_private_record_every_field_in_both_languages(self):
        r = own("valid-private.receipt.json")
        c = case(OWN, "valid-private.receipt.json")["expect"]
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt", r,
                               own("private.txt"))
        info = pdf_info(pdf)
        self.assertRegex(info, r"Pages:\s+1\n")
        self.assertIn(A4, info)
        text = pdf_text(pdf, layout=True)
        flat = re.sub(r"\s+", " ", text)
        meta = c["meta"]
        for want in ["证据证书", "Evidence certificate", "有效", "VALID", "own-vector-net",
                     c["fingerprint"], "private.txt", "34 字节 / bytes",
                     "已核对：文件与记录一致", "checked: the file matches the record",
                     c["digest"], "sha256", "2026-12-07 06:53:33.261 UTC",
                     "2026-12-07 14:53:33.261 (UTC+8)", "北京时间", "不晚于", "no later than",
                     "4 家中的 3 家", "3 of 4", c["submitter"], meta["case"], meta["title"],
                     "与其承诺一致", case(OWN, "valid-private.receipt.json")["expect"]
                     ["submitter"], "1d0ab8da5720a503988ce95f84e481d0544cfad47005842e796d26d723f19d84",
                     "height 3", block_hash(r), "证书生成时间", "Certificate made"]:
            self.assertIn(want, flat, want)
        for name in c["signers"]:
            self.assertIn(name, flat)
        self.assertNotIn("INVALID", flat)

    def test_qr_code_gives_back_a_receipt_that_verifies(self):
        r = own("valid-private.receipt.json")
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt", r,
                               own("private.txt"))
        code = scan_qr(pdf, self.tmp)
        self.assertTrue(code.startswith("NR1:"), code[:40])
        out = self.path("from-qr.json")
        p = notary("qr", "decode", "--out", out, code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("record id 1d0ab8da", p.stderr)
        p = self.verify(out, own("genesis.json"), own("private.txt"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("matched the", p.stdout)  # the clear meta came along
        # the same through standard input, as `zbarimg | notary qr decode -`
        p = notary("qr", "decode", "-", stdin=code + "\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["record_id"], load(r)["record_id"])
        # notary verify reads the code itself: as text, and from a pipe
        p = notary("verify", "--genesis", own("genesis.json"), "--qr", code, own("private.txt"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("VALID"), p.stdout)
        p = notary("verify", "--genesis", own("genesis.json"), "--qr", "-", own("private.txt"),
                   stdin=pdf_text(pdf, False))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = notary("verify", "--genesis", own("genesis.json"), "--qr", code, own("clear-sha3.txt"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertTrue(p.stdout.startswith("INVALID"), p.stdout)

    def test_page_block_gives_back_the_receipt(self):
        for name, genesis, file in [
                ("valid-clear-sha3.receipt.json", own("genesis.json"), own("clear-sha3.txt")),
                ("valid-after-3-private.receipt.json", own("genesis.json"),
                 own("after-3-private.txt"))]:
            r = own(name)
            pdf = self.certificate("--genesis", genesis, "--receipt", r, file)
            for layout in (False, True):
                out = self.path("from-block.json")
                p = notary("qr", "decode", "--out", out, "-", stdin=pdf_text(pdf, layout))
                self.assertEqual(p.returncode, 0, name + p.stderr)
                p = self.verify(out, genesis, file)
                self.assertEqual(p.returncode, 0, name + p.stdout + p.stderr)
                want = load(r)
                got = load(out)
                for k in ("record", "header", "commit", "proof", "leaf_index", "valset_changes",
                          "salt", "meta", "record_id", "genesis_hash"):
                    self.assertEqual(got.get(k), want.get(k), name + " " + k)

    def test_large_receipt_qr_carries_a_reference(self):
        # Three set changes: the receipt does not fit a version 25 code.
        r = own("valid-after-3-clear-sha256.receipt.json")
        c = case(OWN, "valid-after-3-clear-sha256.receipt.json")["expect"]
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt", r)
        self.assertRegex(pdf_info(pdf), r"Pages:\s+1\n")
        code = scan_qr(pdf, self.tmp)
        rid = load(r)["record_id"]
        self.assertEqual(code, "NRID:%s/%s/%d" % (c["fingerprint"].upper(), rid.upper(),
                                                  c["height"]))
        p = notary("qr", "decode", code)
        self.assertEqual(p.returncode, 1)  # a reference: nothing to verify
        self.assertIn(c["fingerprint"], p.stdout)
        self.assertIn(rid, p.stdout)
        p = notary("verify", "--genesis", own("genesis.json"), "--qr", code)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("names the record only", p.stdout + p.stderr)
        self.assertIn(rid, p.stdout + p.stderr)
        text = re.sub(r"\s+", " ", pdf_text(pdf, layout=True))
        self.assertIn("完整回执见下方数据块", text)
        self.assertIn("file not checked", text)

    def test_languages(self):
        args = ("--genesis", own("genesis.json"), "--receipt", own("valid-clear-sha256.receipt.json"))
        zh = pdf_text(self.certificate(*args, "--lang", "zh"))
        self.assertIn("证据证书", zh)
        self.assertIn("未核对文件", zh)
        self.assertIn("杭州互联网公证处", zh)
        self.assertNotIn("Evidence certificate", zh)
        en = pdf_text(self.certificate(*args, "--lang", "en"))
        self.assertIn("Evidence certificate", en)
        self.assertIn("file not checked", en)
        self.assertNotIn("证据证书", en)
        p = notary("certificate", "--out", self.path("x.pdf"), *args, "--lang", "fr")
        self.assertEqual(p.returncode, 2)

    def test_receipt_v2_vectors(self):
        for name in ("valid-h7-one-change.receipt.json", "valid-h3-v1-record.receipt.json",
                     "valid-h15-salted-digest-clear-meta.receipt.json"):
            c = case(V2, name)
            args = ["--genesis", os.path.join(V2, c["genesis"]), "--receipt",
                    os.path.join(V2, name)]
            if c.get("file"):
                args.append(os.path.join(V2, c["file"]))
            text = re.sub(r"\s+", " ", pdf_text(self.certificate(*args), layout=True))
            self.assertIn("VALID", text)
            self.assertIn(c["expect"]["fingerprint"], text)
            for s in c["expect"]["signers"]:
                self.assertIn(s, text)

    # ---- invalid ----

    def test_tampered_receipt_says_invalid(self):
        with open(own("valid-clear-sha256.receipt.json"), encoding="utf-8") as f:
            j = json.load(f)
        # one bit of a validator's signature in the commit
        commit = bytearray.fromhex(j["commit"])
        commit[-1] ^= 1
        j["commit"] = commit.hex()
        bad = self.path("tampered.receipt.json")
        with open(bad, "w", encoding="utf-8") as f:
            json.dump(j, f)
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt", bad, rc=1)
        text = re.sub(r"\s+", " ", pdf_text(pdf, layout=True))
        self.assertIn("无效 / INVALID", text)
        self.assertIn("not established", text)
        self.assertNotIn("有效 / VALID", text)
        # a committed invalid vector: the clear meta was changed
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt",
                               own("bad-private-meta-changed.receipt.json"), own("private.txt"),
                               rc=1)
        self.assertIn("INVALID", pdf_text(pdf))

    def test_wrong_file_says_invalid_with_both_digests(self):
        other = self.path("other.txt")
        with open(other, "w") as f:
            f.write("not the evidence\n")
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt",
                               own("valid-clear-sha256.receipt.json"), other, "--lang", "en",
                               rc=1)
        text = re.sub(r"\s+", " ", pdf_text(pdf, layout=True))
        self.assertIn("INVALID", text)
        self.assertIn("does NOT match the record", text)
        self.assertIn(hashlib.sha256(b"not the evidence\n").hexdigest(), text)
        self.assertIn(case(OWN, "valid-clear-sha256.receipt.json")["expect"]["digest"], text)

    def test_wrong_network_says_invalid_and_names_both_fingerprints(self):
        # a look-alike network: the same chain id, one office renamed
        pdf = self.certificate("--genesis", own("genesis-renamed.json"), "--receipt",
                               own("valid-clear-sha256.receipt.json"), "--lang", "en", rc=1)
        text = re.sub(r"\s+", " ", pdf_text(pdf, layout=True))
        self.assertIn("INVALID", text)
        p = notary("genesis", "fingerprint", own("genesis-renamed.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        other = re.search(r"[0-9a-f]{8}(-[0-9a-f]{8}){3}", p.stdout).group(0)
        mine = case(OWN, "valid-clear-sha256.receipt.json")["expect"]["fingerprint"]
        self.assertIn(mine + " (the receipt's network)", text)
        self.assertIn(other + " (the genesis file given)", text)
        # a receipt that is not even JSON still gets a page that says so
        broken = self.path("broken.receipt.json")
        with open(broken, "w") as f:
            f.write('{"format":')
        pdf = self.certificate("--genesis", own("genesis.json"), "--receipt", broken, rc=1)
        self.assertIn("malformed", pdf_text(pdf))

    # ---- a case ----

    def test_batch_summary_and_a_page_per_record(self):
        d = self.path("case")
        os.mkdir(d)
        for name, receipt in [("private.txt", "valid-private.receipt.json"),
                              ("clear-sha256.txt", "valid-clear-sha256.receipt.json"),
                              ("clear-sha3.txt", "valid-clear-sha3.receipt.json")]:
            shutil.copy(own(name), os.path.join(d, name))
            shutil.copy(own(receipt), os.path.join(d, name + ".receipt.json"))
        files = [os.path.join(d, n) for n in ("private.txt", "clear-sha256.txt")]
        files.append(os.path.join(d, "clear-sha3.txt.receipt.json"))  # a receipt, file beside
        pdf = self.certificate("--genesis", own("genesis.json"), *files)
        self.assertRegex(pdf_info(pdf), r"Pages:\s+4\n")
        self.assertIn(A4, pdf_info(pdf))
        text = pdf_text(pdf, layout=True)
        summary = text.split("\f")[0]
        self.assertIn("案件证据汇总", summary)
        for n in ("private.txt", "clear-sha256.txt", "clear-sha3.txt"):
            self.assertIn(n, summary)
        self.assertEqual(summary.count("有效 / VALID"), 3)
        self.assertIn("95263af067f23ac1", summary)  # short digest
        self.assertEqual(text.count("已核对：文件与记录一致"), 3)
        # one file altered: the case certificate says so, exit 1
        with open(os.path.join(d, "clear-sha256.txt"), "a") as f:
            f.write("x")
        pdf = self.certificate("--genesis", own("genesis.json"), *files, rc=1)
        summary = pdf_text(pdf, layout=True).split("\f")[0]
        self.assertIn("无效 / INVALID", summary)
        self.assertIn("存在无效记录", summary)

    # ---- the compact encoding ----

    def test_every_valid_vector_round_trips_through_nr1(self):
        for d in (OWN, V2):
            with open(os.path.join(d, "cases.json"), encoding="utf-8") as f:
                cases = [c for c in json.load(f) if c["valid"]]
            for c in cases:
                r = os.path.join(d, c["receipt"])
                p = notary("qr", "encode", "--receipt", r)
                self.assertEqual(p.returncode, 0, p.stderr)
                code = p.stdout.strip("\n")
                m = re.search(r"QR version (\d+)", p.stderr)
                if load(r)["valset_changes"] == []:
                    self.assertTrue(1 <= int(m.group(1)) <= 25, c["receipt"] + p.stderr)
                out = self.path("rt.json")
                p = notary("qr", "decode", "--out", out, code)
                self.assertEqual(p.returncode, 0, p.stderr)
                args = [os.path.join(d, c["file"])] if c.get("file") else []
                p = self.verify(out, os.path.join(d, c["genesis"]), *args)
                self.assertEqual(p.returncode, 0, c["receipt"] + p.stdout + p.stderr)

    def test_an_outsider_decodes_nr1_from_formats_md(self):
        """An independent decoder written from docs/FORMATS.md "Compact
        receipt for QR codes" (base45 of RFC 9285, zlib, the compact bytes)
        reads what the CLI printed, field for field."""
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

        def b45decode(t):
            out = bytearray()
            for i in range(0, len(t), 3):
                chunk = [alphabet.index(ch) for ch in t[i:i + 3]]
                n = sum(v * 45 ** k for k, v in enumerate(chunk))
                out += n.to_bytes(2 if len(chunk) == 3 else 1, "big")
            return bytes(out)

        # RFC 9285 section 4.3's examples
        self.assertEqual(b45decode("BB8"), b"AB")
        self.assertEqual(b45decode("%69 VD92EX0"), b"Hello!!")
        self.assertEqual(b45decode("UJCLQE7W581"), b"base-45")
        self.assertEqual(b45decode("QED8WEX0"), b"ietf!")

        for d, name in [(OWN, "valid-private.receipt.json"),
                        (V2, "valid-h7-one-change.receipt.json"),
                        (os.path.join(VECTORS, "receipt-v1"), "valid-0.receipt.json")]:
            want = load(os.path.join(d, name))
            p = notary("qr", "encode", "--receipt", os.path.join(d, name))
            code = p.stdout.strip("\n")
            self.assertTrue(code.startswith("NR1:"))
            b = zlib.decompress(b45decode(code[4:]))
            pos = 0

            def take(n):
                nonlocal pos
                pos += n
                self.assertLessEqual(pos, len(b))
                return b[pos - n:pos]

            def u(n):
                return int.from_bytes(take(n), "big")

            def b16():
                return take(u(2))

            self.assertEqual(u(1), 1)
            fmt = u(1)
            self.assertEqual("notary-receipt/%d" % fmt, want["format"])
            self.assertEqual(b16().hex(), want["record"])
            self.assertEqual(u(8), want["leaf_index"])
            self.assertEqual([take(32).hex() for _ in range(u(1))], want["proof"])
            self.assertEqual(b16().hex(), want["header"])
            self.assertEqual(b16().hex(), want["commit"])
            if fmt == 2:
                changes = [{"header": b16().hex(), "commit": b16().hex(),
                            "next_validators": b16().hex()} for _ in range(u(2))]
                self.assertEqual(changes, want["valset_changes"])
                flags = u(1)
                self.assertEqual(bool(flags & 1), "salt" in want)
                self.assertEqual(bool(flags & 2), "meta" in want)
                if flags & 1:
                    self.assertEqual(take(32).hex(), want["salt"])
                if flags & 2:
                    self.assertEqual(b16().decode("utf-8"), want["meta"])
            self.assertEqual(pos, len(b), name)
            record_id = hashlib.sha256(b"\x00" + bytes.fromhex(want["record"])).hexdigest()
            self.assertEqual(record_id, want["record_id"])

    def test_decoder_refuses_what_is_not_a_receipt(self):
        good = notary("qr", "encode", "--receipt", own("valid-clear-sha256.receipt.json"))
        code = good.stdout.strip("\n")
        for text in ["hello", "NR1:", "NR1:A", "NR1:" + code[4:-3], "NR1:" + code[4:] + "00",
                     "NR1:GGW", "NRID:ab/cd/1", "[BEGIN NOTARY RECEIPT NR1]\n!!!!\n"
                     "[END NOTARY RECEIPT NR1]\n"]:
            p = notary("qr", "decode", text)
            self.assertEqual(p.returncode, 2, text[:30] + p.stdout)

    def test_sample_picture_is_made_by_the_documented_commands(self):
        # docs/certificate-sample.png: these commands, from the repository root
        pdf = self.path("sample.pdf")
        p = notary("certificate", "--genesis", own("genesis.json"), "--receipt",
                   own("valid-private.receipt.json"), own("private.txt"), "--out", pdf,
                   env={"SOURCE_DATE_EPOCH": SAMPLE_EPOCH})
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("pdftoppm", "-r", "100", "-png", "-singlefile", pdf, self.path("sample"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(os.path.getsize(self.path("sample.png")), 300 * 1024)
        self.assertLess(os.path.getsize(os.path.join(ROOT, "docs", "certificate-sample.png")),
                        300 * 1024)
        self.assertIn("2026-12-07 08:00:00.000 UTC", pdf_text(pdf))


if __name__ == "__main__":
    unittest.main()
