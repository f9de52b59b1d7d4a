#!/usr/bin/env python3
"""Makes the project's own version 2 receipt vectors from a real testnet run.

    python3 tests/make_own_vectors.py [OUT_DIR]   (default tests/vectors/own-v2)

Runs a 4-validator testnet with the real binaries (tests/cluster.py:
`notary testnet`, one notaryd process per office), gives the offices
Chinese and Latin names in a notary-genesis/2 genesis, submits clear
records (sha256, sha3-256, Chinese case numbers) and private ones
(`--private`, `--private --no-file-name`) through `notary submit`, and
writes each receipt file (the party's copy: with the salt and the clear
meta of a private record), its evidence file, the genesis and cases.json in
the shape of ../shared/testvectors/receipt-v2/cases.json. The expect
fields are what `notary verify --json` reported; every receipt was also
verified at once by the same run. Invalid cases are derived from valid
ones (a renamed office, a changed salt, a changed meta, another file).

The records span 0, 1 and 3 validator-set changes, made the way offices
make them (`notary valset propose` / `approve`, docs/OPERATIONS.md): first
records under the genesis set, then office E (a Chinese name) is added and
more records follow (1 change), then office B rotates its key and E is
removed again, and the last records carry all 3 changes in their
valset_changes. Invalid cases also come from a 3-change receipt whose
valset_changes lost an entry, was reordered, or has a forged commit.
tests/it_cli.py checks them like the independent ones (TestVerifyVectorsOwn).
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import Cluster, run_cli, wait_until  # noqa: E402

NAMES = ["杭州互联网公证处", "Notary Office B", "上海市司法鉴定中心", "Forensic Centre D"]
NAME_E = "北京互联网法院电子证据平台"

CLEAR = [
    ("clear-sha256", b"exhibit one: the contract\n", ["--case", "(2026) 浙0192民初7号",
                                                     "--title", "the contract"]),
    ("clear-sha3", "证据二: 聊天记录\n".encode(), ["--alg", "sha3-256", "--case",
                                                "(2026) Hu 0101 Min Chu 8", "--title", "chat"]),
]
PRIVATE = [
    ("private", b"exhibit three: a sealed statement\n",
     ["--private", "--case", "(2026) 浙0192民初9号", "--title", "sealed statement"]),
    ("private-no-file-name", b"exhibit four: medical record\n",
     ["--private", "--no-file-name", "--case", "(2026) 浙0192民初10号"]),
]


def rename_offices(c):
    """The testnet's genesis with the offices' names of NAMES, in every home."""
    with open(c.genesis, encoding="utf-8") as f:
        g = json.load(f)
    assert g["format"] == "notary-genesis/2", g
    for v, name in zip(g["validators"], NAMES):
        v["name"] = name
    text = json.dumps(g, ensure_ascii=False, indent=2) + "\n"
    for nd in c.nodes:
        with open(os.path.join(nd.home, "genesis.json"), "w", encoding="utf-8") as f:
            f.write(text)
    return g


def change(c, proposer, args, approvers, index):
    """One set change the way offices make it; waits until it committed."""
    for cmd, home in [("propose", proposer)] + [("approve", a) for a in approvers]:
        extra = list(args) if cmd == "propose" else []
        p = run_cli("valset", cmd, "--home", c.node(home).home, *extra)
        if p.returncode != 0:
            raise SystemExit("valset %s failed: %s%s" % (cmd, p.stdout, p.stderr))
    wait_until(lambda: c.rpc(0, "validators")["change_index"] > index, 30,
               what="change %d" % index)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "vectors", "own-v2")
    os.makedirs(out, exist_ok=True)
    cases = []
    with Cluster(validators=4, observers=1, chain_id="own-vector-net") as c:
        g = rename_offices(c)
        c.start_all([0, 1, 2, 3])
        shutil.copy(c.genesis, os.path.join(out, "genesis.json"))

        def record(k, name, data, args, changes):
            evidence = "%s.txt" % name
            path = c.write_file(evidence, data)
            r = c.submit(k % 4, path, args=args)
            if r.rc != 0:
                raise SystemExit("submit %s failed: %s" % (name, r))
            rc, v = c.verify(r.receipt, path)
            if rc != 0 or v["valset_changes"] != changes:
                raise SystemExit("verify %s failed: %s" % (name, v))
            receipt = "valid-%s.receipt.json" % name
            shutil.copy(r.receipt, os.path.join(out, receipt))
            shutil.copy(path, os.path.join(out, evidence))
            expect = {k2: v[k2] for k2 in ("chain_id", "height", "time", "submitter",
                                            "digest", "meta", "signatures", "fingerprint",
                                            "private", "valset_changes")}
            expect["signers"] = [s["name"] for s in v["signers"]]
            cases.append({"receipt": receipt, "genesis": "genesis.json", "file": evidence,
                          "valid": True, "expect": expect})

        for k, (name, data, args) in enumerate(CLEAR + PRIVATE):
            record(k, name, data, args, 0)
        # change 0: office E joins (its node starts from an empty store)
        change(c, 0, ["--add", "%s=%s" % (NAME_E, c.node(4).pubkey)], [1, 2], 0)
        c.start(4)
        wait_until(lambda: c.status(4)["is_validator"], 30, what="E joins")
        for k, (name, data, args) in enumerate(CLEAR + PRIVATE):
            record(k + 1, "after-1-" + name, b"after one change: " + data, args, 1)
        # change 1: office B rotates its key; change 2: office E leaves
        nxt = os.path.join(c.node(1).home, "validator.next.key")
        newb = run_cli("keygen", "--out", nxt).stdout.strip()
        change(c, 1, ["--rotate", "%s=%s" % (c.node(1).pubkey, newb)], [0, 2, 4], 1)
        change(c, 0, ["--remove", c.node(4).pubkey], [1, 2, 3], 2)
        for k, (name, data, args) in enumerate(CLEAR + PRIVATE):
            record(k + 2, "after-3-" + name, b"after three changes: " + data, args, 3)
        print("made %d valid cases at heights up to %d" %
              (len(cases), max(x["expect"]["height"] for x in cases)))
        c.assert_same_chain(nodes=[0, 1, 2, 3])

    # Invalid cases, each derived from a valid one.
    renamed = json.loads(json.dumps(g))
    renamed["validators"][0]["name"] = NAMES[0] + "分部"
    with open(os.path.join(out, "genesis-renamed.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(renamed, ensure_ascii=False, indent=2) + "\n")
    cases.append({"receipt": "valid-clear-sha256.receipt.json", "genesis": "genesis-renamed.json",
                  "file": "clear-sha256.txt", "valid": False,
                  "reason": "a genesis that renames an office is another network"})

    def derive(src, dst, change, reason, file):
        with open(os.path.join(out, src), encoding="utf-8") as f:
            doc = json.load(f)
        change(doc)
        with open(os.path.join(out, dst), "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        cases.append({"receipt": dst, "genesis": "genesis.json", "file": file, "valid": False,
                      "reason": reason})

    def flip_salt(doc):
        doc["salt"] = ("0" if doc["salt"][0] != "0" else "1") + doc["salt"][1:]

    def change_meta(doc):
        doc["meta"] = doc["meta"].replace("9号", "99号")

    derive("valid-private.receipt.json", "bad-private-wrong-salt.receipt.json", flip_salt,
           "the salt is not the one the record was made with", "private.txt")
    derive("valid-private.receipt.json", "bad-private-meta-changed.receipt.json", change_meta,
           "the clear meta does not match the commitment", "private.txt")
    derive("valid-private.receipt.json", "bad-private-no-salt.receipt.json",
           lambda d: d.pop("salt"), "a private record without its salt", "private.txt")
    cases.append({"receipt": "valid-private.receipt.json", "genesis": "genesis.json",
                  "file": "clear-sha256.txt", "valid": False,
                  "reason": "another file than the one notarized"})

    def forge_commit(doc):
        s = doc["valset_changes"][1]["commit"]  # its bytes end with a signature
        doc["valset_changes"][1]["commit"] = s[:-2] + ("00" if s[-2:] != "00" else "01")

    three = "valid-after-3-clear-sha256.receipt.json"
    derive(three, "bad-changes-missing.receipt.json", lambda d: d["valset_changes"].pop(1),
           "valset_changes lost its second entry", "after-3-clear-sha256.txt")
    derive(three, "bad-changes-reordered.receipt.json",
           lambda d: d["valset_changes"].reverse(), "valset_changes in the wrong order",
           "after-3-clear-sha256.txt")
    derive(three, "bad-changes-forged-commit.receipt.json", forge_commit,
           "a change's commit carries a forged signature", "after-3-clear-sha256.txt")

    for x in cases:  # every case does what cases.json says
        args = ["verify", "--genesis", os.path.join(out, x["genesis"]), "--receipt",
                os.path.join(out, x["receipt"]), os.path.join(out, x["file"])]
        p = run_cli(*args)
        if p.returncode != (0 if x["valid"] else 1):
            raise SystemExit("case %s: exit %d\n%s" % (x["receipt"], p.returncode, p.stdout))
    with open(os.path.join(out, "cases.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(cases, ensure_ascii=False, indent=2) + "\n")
    print("wrote %d cases to %s" % (len(cases), out))


if __name__ == "__main__":
    main()
