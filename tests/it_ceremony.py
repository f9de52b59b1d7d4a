#!/usr/bin/env python3
"""Process tests of the set-up ceremony (docs/OPERATIONS.md "Setting up a
network of offices"): four offices, each in its own folder, run `notary
office init`; a coordinator, who sees only their public office.json files,
runs `notary genesis assemble`; each office runs `notary genesis check` and
`notary office join`; the four notaryd start on loopback, a record commits
and its receipt verifies against the assembled genesis; no folder holds
another office's key. Then the refusals: a duplicated key or name, a bad
name, a malformed office file, a wrong name, an office not in the genesis, a
tampered genesis. Every wait is bounded; every process started is killed in
tearDown.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nngwire  # noqa: E402
from cluster import NOTARY, NOTARYD, free_base_port, run_cli, wait_until  # noqa: E402

FP = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}\b")
NAMES = ["Notary Office A", "杭州互联网公证处", "Court of Appeal C", "Forensic Centre D"]


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def slurp(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)


class Ceremony(unittest.TestCase):
    """Offices in tmp/office<i>/ (each office's folder: its home), the
    coordinator in tmp/coordinator/."""

    def setUp(self):
        if not (os.access(NOTARY, os.X_OK) and os.access(NOTARYD, os.X_OK)):
            self.skipTest("build notary and notaryd first")
        self.tmp = tempfile.mkdtemp(prefix="nt-ceremony-")
        self.coord = os.path.join(self.tmp, "coordinator")
        os.makedirs(self.coord)
        self.base = free_base_port(5)
        self.procs = []

    def tearDown(self):
        for p, log in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            log.close()
        if os.environ.get("NT_KEEP_CLUSTER"):
            sys.stderr.write("ceremony kept in %s\n" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the ceremony's steps --

    def home(self, i):
        return os.path.join(self.tmp, "office%d" % i)

    def urls(self, i):
        port = self.base + 10 * i
        return ("tcp://127.0.0.1:%d" % port, "tcp://127.0.0.1:%d" % (port + 1),
                "http://127.0.0.1:%d/" % (port + 2))

    def init(self, i, name):
        rpc, p2p, http = self.urls(i)
        p = run_cli("office", "init", "--name", name, "--p2p", p2p, "--rpc", rpc, "--http", http,
                    "--out", self.home(i))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def send_to_coordinator(self, i):
        """The office mails its public file; the coordinator keeps a copy."""
        dst = os.path.join(self.coord, "office%d.json" % i)
        shutil.copy(os.path.join(self.home(i), "office.json"), dst)
        return dst

    def assemble(self, files, out=None, chain_id="ceremony-net"):
        out = out or os.path.join(self.coord, "genesis.json")
        return run_cli("genesis", "assemble", "--chain-id", chain_id, "--out", out, *files), out

    def send_to_office(self, i, genesis, files):
        """The coordinator mails the genesis and the office files back; the
        office keeps them in an inbox folder of its own."""
        inbox = os.path.join(self.home(i), "inbox")
        os.makedirs(inbox, exist_ok=True)
        shutil.copy(genesis, os.path.join(inbox, "genesis.json"))
        for f in files:
            shutil.copy(f, inbox)
        return inbox

    def check(self, i, genesis, *extra):
        return run_cli("genesis", "check", genesis, "--home", self.home(i), *extra)

    def join(self, i, *args):
        return run_cli("office", "join", "--home", self.home(i), *args)

    # -- nodes --

    def start(self, i):
        log = open(os.path.join(self.home(i), "notaryd.log"), "ab")
        p = subprocess.Popen([NOTARYD, "--home", self.home(i)], stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append((p, log))
        return p

    def status(self, i):
        with nngwire.ReqClient.from_url(self.urls(i)[0], timeout=2) as c:
            resp = c.call("status", None)
        return resp.get("result")

    def alive(self):
        for p, _ in self.procs:
            if p.poll() is not None:
                logs = "".join(slurp(os.path.join(self.home(i), "notaryd.log"))[-2000:]
                               .decode(errors="replace") for i in range(4))
                raise AssertionError("a notaryd exited with %s:\n%s" % (p.returncode, logs))

    def height(self, i):
        try:
            st = self.status(i)
        except (OSError, nngwire.WireError, ValueError):
            return None
        return st.get("height") if st else None

    def block_hash(self, i, h):
        with nngwire.ReqClient.from_url(self.urls(i)[0], timeout=5) as c:
            return c.call("block", {"height": h})["result"]["hash"]

    # -- the whole ceremony --

    def run_ceremony(self):
        """init, assemble, check, join for four offices; returns the
        genesis path and its fingerprint."""
        for i, name in enumerate(NAMES):
            p = self.init(i, name)
            pub = read_json(os.path.join(self.home(i), "office.json"))["pubkey"]
            self.assertIn("public key: " + pub, p.stdout)
        files = [self.send_to_coordinator(i) for i in range(4)]
        p, genesis = self.assemble(files)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        fp = FP.search(p.stdout).group(0)
        self.assertEqual(run_cli("genesis", "fingerprint", genesis).stdout.strip(), fp)
        for i in range(4):
            inbox = self.send_to_office(i, genesis, files)
            g = os.path.join(inbox, "genesis.json")
            p = self.check(i, g, "--fingerprint", fp)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("fingerprint " + fp, p.stdout)
            self.assertRegex(p.stdout, r"\b%d  [0-9a-f]{64}  %s   <- you" % (i, re.escape(NAMES[i])))
            for name in NAMES:
                self.assertIn(name, p.stdout)
            # Office 0 relies on the files beside the genesis; the others
            # name the folder.
            p = self.join(i, "--fingerprint", fp, g, *([inbox] if i else []))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("notaryd --home " + self.home(i), p.stdout)
        return genesis, fp

    def test_four_offices_commit(self):
        genesis, fp = self.run_ceremony()
        doc = read_json(genesis)
        self.assertEqual(doc["format"], "notary-genesis/2")
        self.assertEqual(doc["chain_id"], "ceremony-net")
        # The order the files were given is the validator order.
        offices = [read_json(os.path.join(self.home(i), "office.json")) for i in range(4)]
        self.assertEqual([(v["name"], v["pubkey"]) for v in doc["validators"]],
                         [(o["name"], o["pubkey"]) for o in offices])
        for i in range(4):
            home = self.home(i)
            self.assertEqual(stat.S_IMODE(os.stat(home).st_mode), 0o700)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(home, "validator.key")).st_mode),
                             0o600)
            self.assertEqual(slurp(os.path.join(home, "genesis.json")), slurp(genesis),
                             "genesis copied byte for byte")
            office = offices[i]
            self.assertEqual(set(office), {"format", "name", "pubkey", "p2p", "rpc", "http",
                                           "tls_cert", "tls_cert_sha256", "tls_binding"})
            cfg = read_json(os.path.join(home, "config.json"))
            rpc, p2p, http = self.urls(i)
            self.assertEqual((cfg["moniker"], cfg["rpc"], cfg["p2p"], cfg["http"]["listen"]),
                             (NAMES[i], rpc, p2p, http))
            self.assertEqual([{k: e[k] for k in ("p2p", "rpc")} for e in cfg["peers"]],
                             [{"p2p": self.urls(j)[1], "rpc": self.urls(j)[0]}
                              for j in range(4) if j != i])
            # each other office's TLS certificate, from its office.json
            for j, e in zip([j for j in range(4) if j != i], cfg["peers"]):
                with open(os.path.join(home, e["tls_cert"])) as f:
                    self.assertEqual(f.read(), offices[j]["tls_cert"])
                self.assertEqual(e["tls_fingerprint"], offices[j]["tls_cert_sha256"])
                self.assertEqual(e["tls_binding"], offices[j]["tls_binding"])

        # No office's folder (nor the coordinator's) holds another's key.
        secrets = [read_json(os.path.join(self.home(i), "validator.key"))["secret"]
                   for i in range(4)]
        folders = [self.home(i) for i in range(4)] + [self.coord]
        for k, folder in enumerate(folders):
            for root, _, names in os.walk(folder):
                for n in names:
                    with open(os.path.join(root, n), "rb") as f:
                        data = f.read().decode("utf-8", "replace")
                    for i, s in enumerate(secrets):
                        if i != k:
                            self.assertNotIn(s, data, "office%d's key in %s" %
                                             (i, os.path.join(root, n)))
                    if k < 4 and n != "validator.key":
                        self.assertNotIn("notary-secret-key", data, os.path.join(root, n))

        # The four nodes start and commit a record.
        for i in range(4):
            self.start(i)

        def serving():
            self.alive()
            return all(self.height(i) is not None for i in range(4))

        wait_until(serving, 30, 0.1, "four nodes serving")
        st = self.status(1)
        self.assertEqual(st.get("fingerprint"), fp, st)
        party = os.path.join(self.tmp, "party.key")
        self.assertEqual(run_cli("keygen", "--out", party).returncode, 0)
        evidence = os.path.join(self.tmp, "evidence.txt")
        with open(evidence, "w") as f:
            f.write("a chat export\n")
        p = run_cli("submit", "--node", self.urls(2)[0], "--key", party, "--timeout", "30",
                    evidence, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        h = int(re.search(r"\(block (\d+)", p.stdout).group(1))
        p = run_cli("verify", "--genesis", genesis, "--receipt", evidence + ".receipt.json",
                    evidence)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("VALID", p.stdout)
        self.assertIn(fp, p.stdout)

        def same_block():
            self.alive()
            if not all((self.height(i) or 0) >= h for i in range(4)):
                return False
            return len({self.block_hash(i, h) for i in range(4)}) == 1

        wait_until(same_block, 30, 0.1, "block %d on all four offices" % h)
        for p, _ in self.procs:
            p.send_signal(signal.SIGTERM)
        for p, _ in self.procs:
            self.assertEqual(p.wait(timeout=15), 0)

    # -- refusals --

    def test_new_office_joins_a_running_network(self):
        """office join --new: a fifth office, not in the genesis, gets a
        config with the network's offices as peers and the command that adds
        it; its own key in the genesis, or no office file, is refused."""
        genesis, fp = self.run_ceremony()
        self.init(4, "Forensic Centre E")
        files = [os.path.join(self.coord, "office%d.json" % i) for i in range(4)]
        inbox = self.send_to_office(4, genesis, files)
        g = os.path.join(inbox, "genesis.json")
        p = self.join(4, "--new", "--fingerprint", fp, g)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("as a new office (an observer until the offices add it)", p.stdout)
        pub = read_json(os.path.join(self.home(4), "office.json"))["pubkey"]
        self.assertIn('notary valset propose --home DIR --add "Forensic Centre E=%s"' % pub,
                      p.stdout)
        cfg = read_json(os.path.join(self.home(4), "config.json"))
        self.assertEqual(sorted(e["p2p"] for e in cfg["peers"]),
                         sorted(self.urls(j)[1] for j in range(4)))
        # a member of the genesis does not join as new; a new one needs files
        p = self.join(1, "--new", g)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("your key is in this genesis", p.stderr)
        self.init(5, "Office F")
        lone = os.path.join(self.tmp, "lone")
        os.makedirs(lone)
        shutil.copy(genesis, os.path.join(lone, "genesis.json"))
        p = self.join(5, "--new", os.path.join(lone, "genesis.json"))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("--new needs the office files", p.stderr)

    def test_assemble_refusals(self):
        for i, name in enumerate(NAMES):
            self.init(i, name)
        files = [self.send_to_coordinator(i) for i in range(4)]
        out = os.path.join(self.coord, "g.json")

        def refused(args, rc, *words):
            p = run_cli("genesis", "assemble", "--chain-id", "bad-net", "--out", out, *args)
            self.assertEqual(p.returncode, rc, "%s: %s%s" % (args, p.stdout, p.stderr))
            for w in words:
                self.assertIn(w, p.stderr, args)
            self.assertFalse(os.path.exists(out), args)

        # A duplicated key: the same file twice, or a copy under another name.
        refused([files[0], files[1], files[0]], 1, "the same public key")
        copy = read_json(files[1])
        copy["name"] = "Someone Else"
        copy["p2p"] = "tcp://127.0.0.1:1"
        dup = os.path.join(self.coord, "dup.json")
        write_json(dup, copy)
        refused([files[0], files[1], dup], 1, "the same public key", "dup.json")
        # Two offices under one name (decided: refused, judges read names).
        other = read_json(files[2])
        other["name"] = NAMES[0]
        same = os.path.join(self.coord, "same-name.json")
        write_json(same, other)
        refused([files[0], same], 1, "the same name")
        # Bad names: a control character, too long, empty.
        for bad in ("Office\u0007A", "x" * 256, ""):
            o = read_json(files[3])
            o["name"] = bad
            path = os.path.join(self.coord, "bad-name.json")
            write_json(path, o)
            refused([files[0], path], 1, "bad-name.json", "\"name\"")
        # Malformed office files.
        bad = os.path.join(self.coord, "bad.json")
        for text, word in (("not json", "not valid JSON"),
                           ('{"format": "notary-office/2"}', "format"),
                           ('{"format": "notary-office/1", "name": "X", "p2p": "tcp://h:1"}',
                            "pubkey"),
                           (json.dumps(dict(read_json(files[3]), pubkey="00" * 32)), "pubkey"),
                           (json.dumps(dict(read_json(files[3]), p2p="nowhere")), "p2p"),
                           (json.dumps(dict(read_json(files[3]), tls_cert_sha256="zz")),
                            "tls_cert_sha256")):
            with open(bad, "w") as f:
                f.write(text)
            refused([files[0], bad], 1, word)
        refused([files[0], os.path.join(self.coord, "missing.json")], 2, "missing.json")
        # Usage errors.
        refused([], 2, "office.json")
        p = run_cli("genesis", "assemble", "--out", out, files[0])
        self.assertEqual(p.returncode, 2)
        self.assertIn("--chain-id", p.stderr)
        p = run_cli("genesis", "assemble", "--chain-id", "Bad Net", "--out", out, files[0])
        self.assertEqual(p.returncode, 2)
        p = run_cli("genesis", "assemble", "--chain-id", "x", "--genesis-time", "yesterday",
                    "--out", out, files[0])
        self.assertEqual(p.returncode, 2)
        # A genesis time given is kept; an existing genesis is never replaced.
        p = run_cli("genesis", "assemble", "--chain-id", "t-net", "--genesis-time",
                    "2026-12-01T00:00:00.000Z", "--out", out, *files)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read_json(out)["genesis_time"], "2026-12-01T00:00:00.000Z")
        before = slurp(out)
        p = run_cli("genesis", "assemble", "--chain-id", "t-net", "--out", out, files[0])
        self.assertEqual(p.returncode, 1)
        self.assertIn("exists", p.stderr)
        self.assertEqual(slurp(out), before)
        # office init refuses a home that holds a key.
        key = slurp(os.path.join(self.home(0), "validator.key"))
        p = run_cli("office", "init", "--name", "Again", "--p2p", "tcp://127.0.0.1:9",
                    "--out", self.home(0))
        self.assertEqual(p.returncode, 1)
        self.assertIn("already", p.stderr)
        self.assertEqual(slurp(os.path.join(self.home(0), "validator.key")), key)
        for args in (["--p2p", "tcp://h:1", "--out", self.home(4)],
                     ["--name", "X", "--out", self.home(4)],
                     ["--name", "X", "--p2p", "nowhere", "--out", self.home(4)],
                     ["--name", "X\nY", "--p2p", "tcp://h:1", "--out", self.home(4)],
                     ["--name", "X", "--p2p", "tcp://h:1"]):
            p = run_cli("office", "init", *args)
            self.assertEqual(p.returncode, 2, args)
            self.assertFalse(os.path.exists(self.home(4)), args)

    def test_check_and_join_refusals(self):
        for i, name in enumerate(NAMES):
            self.init(i, name)
        files = [self.send_to_coordinator(i) for i in range(4)]
        p, genesis = self.assemble(files)
        self.assertEqual(p.returncode, 0, p.stderr)
        fp = FP.search(p.stdout).group(0)

        def refused(p, *words):
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            for w in words:
                self.assertIn(w, p.stderr)

        def not_joined(i):
            self.assertFalse(os.path.exists(os.path.join(self.home(i), "config.json")))

        # An office not in the genesis.
        self.init(4, "Latecomer E")
        refused(self.check(4, genesis), "your key is not in this genesis")
        refused(self.join(4, genesis, self.coord), "your key is not in this genesis")
        not_joined(4)

        # A wrong name: office 1 changed its name after sending its file.
        office = os.path.join(self.home(1), "office.json")
        good = read_json(office)
        write_json(office, dict(good, name="Hangzhou Notary Office"))
        refused(self.check(1, genesis),
                'your entry is named "%s", your office.json says "Hangzhou Notary Office"'
                % NAMES[1])
        refused(self.join(1, genesis, self.coord), "your entry is named")
        not_joined(1)
        write_json(office, good)
        # An office.json whose key is not the home's key (without its TLS
        # members: with them, the binding no longer verifies, refused too).
        swapped = dict(good, pubkey=read_json(files[0])["pubkey"])
        write_json(office, swapped)
        refused(self.check(1, genesis), "is not the office key's binding")
        for k in ("tls_cert", "tls_cert_sha256", "tls_binding"):
            swapped.pop(k)
        write_json(office, swapped)
        refused(self.check(1, genesis), "not of one office")
        write_json(office, good)

        # A tampered genesis: another office renamed on the way. The office's
        # own entry is right, so check passes but prints another fingerprint;
        # with the fingerprint read out by phone it is refused.
        tampered = os.path.join(self.tmp, "tampered.json")
        doc = read_json(genesis)
        doc["validators"][3]["name"] = "Forensic Centre X"
        write_json(tampered, doc)
        p = self.check(0, tampered)
        self.assertEqual(p.returncode, 0, p.stderr)
        other = FP.search(p.stdout).group(0)
        self.assertNotEqual(other, fp)
        refused(self.check(0, tampered, "--fingerprint", fp),
                "the fingerprint of %s is %s, not %s" % (tampered, other, fp))
        refused(self.join(0, "--fingerprint", fp, tampered, self.coord), "fingerprint")
        # Without --fingerprint, join still refuses office files that disagree.
        refused(self.join(0, tampered, self.coord), "the genesis names that key")
        not_joined(0)
        # Two offices under one name in a genesis (hand-made).
        doc = read_json(genesis)
        doc["validators"][2]["name"] = doc["validators"][3]["name"]
        write_json(tampered, doc)
        refused(self.check(0, tampered), "names two offices")
        # Not a genesis at all, and a version 1 genesis.
        with open(tampered, "w") as f:
            f.write("{}")
        refused(self.check(0, tampered), "not a valid genesis file")
        doc = read_json(genesis)
        del doc["format"]
        write_json(tampered, doc)
        refused(self.check(0, tampered), "version 1")
        p = self.check(0, os.path.join(self.tmp, "no-such.json"))
        self.assertEqual(p.returncode, 2)

        # join: a missing office file, an office file not of this genesis.
        refused(self.join(0, genesis, files[1], files[2]), "no office file", NAMES[3])
        lone = os.path.join(self.tmp, "lone")
        os.makedirs(lone)
        shutil.copy(genesis, lone)
        refused(self.join(0, os.path.join(lone, "genesis.json")), "no office file",
                "only the folder of the genesis file")
        refused(self.join(0, genesis, self.coord, os.path.join(self.home(4), "office.json")),
                "not an office of this genesis")
        not_joined(0)
        # join with the files one by one works, and only once.
        p = self.join(0, genesis, *files)
        self.assertEqual(p.returncode, 0, p.stderr)
        refused(self.join(0, genesis, *files), "joined already")
        # Usage.
        self.assertEqual(run_cli("office", "join", genesis).returncode, 2)
        self.assertEqual(run_cli("office", "join", "--home", self.home(2)).returncode, 2)
        self.assertEqual(run_cli("office").returncode, 2)
        self.assertEqual(run_cli("genesis", "check", genesis).returncode, 2)
        p = run_cli("office", "join", "--home", os.path.join(self.tmp, "nowhere"), genesis)
        self.assertEqual(p.returncode, 2)
        self.assertIn("office init", p.stderr)
        for cmd in ("office", "genesis"):
            p = run_cli(cmd, "--help")
            self.assertEqual(p.returncode, 0)
        self.assertIn("notary genesis check", run_cli("genesis", "--help").stdout)
        self.assertIn(" office ", run_cli("--help").stdout)


if __name__ == "__main__":
    unittest.main()
