#!/usr/bin/env python3
"""Process tests of who may do what and the fair limits (docs/OPERATIONS.md
"Who may do what", "Fair limits", "Secrets at rest"). Loopback only, each
test bounded in time.

(a) access.submitters: a submitter not on the list gets -32009 and the node
    keeps serving the listed one; SIGHUP re-reads the file and adds a key
    without a restart (the node stays up and logs what changed);
(b) access.public = 0: anonymous queries get -32009, a request signed by a
    listed client key is answered, an unlisted key, a stale time and a bad
    signature are refused; `notary status --key` signs;
(c) valset_approve and reload are refused (-32010) on the public listener
    and answered on the operator's ipc socket (mode 0600);
(d) 50,000 distinct valid records from one key, sent far above its rate
    while another key submits and a third client floods queries: -32007
    with retry_after_ms for the flood, the other key's records and the
    queries all answered, RSS under 250 MB, `notary audit` passes after;
(e) one key's share of the mempool: -32008 with retry_after_ms, another
    key still admitted;
(f) passphrase key files with the CLI: keygen, key show, submit, a wrong
    passphrase and an altered file (exit 1);
(g) access.sync_open = 0: anonymous and unlisted sync requests get -32009,
    the validator's own key is served; an observer that is not listed does
    not catch up, and does once its key is added and the validator gets
    SIGHUP (its catch-up signs its requests after the first refusal);
(h) notaryd with a sealed validator key (`notary key seal`,
    key_passphrase_file): it signs blocks; a wrong or missing passphrase
    stops it at start with a clear message;
(i) records of 600 distinct keys through a limiter of 64 buckets: the
    table stays at 64 (evicting), every record is admitted;
(j) `notary submit` against a tiny access.submit_rate: a burst of CLI
    submits (batches and single files) all commit, waiting and retrying
    with a progress line on stderr; with `--retry-for 0` they fail with the
    rate-limit message instead.
"""
import json
import multiprocessing
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nngwire  # noqa: E402
from cluster import free_base_port, rss_kib  # noqa: E402
from nodetest import NOTARY, Key, NodeTest, make_record, record_id, req, tagged_hash  # noqa: E402

RSS_BOUND_KIB = 250 * 1024
FLOOD = 50000


def signed(key, method, params=None, t_ms=None):
    """params with "auth" (docs/RPC.md "Signed requests")."""
    p = dict(params or {})
    t = int(time.time() * 1000) if t_ms is None else t_ms
    canon = json.dumps(p, sort_keys=True, separators=(",", ":"))
    msg = method.encode() + b"\0" + canon.encode() + b"\0" + struct.pack(">Q", t)
    sig = key.sign(tagged_hash("notary/rpc-auth", msg))
    p["auth"] = {"pubkey": key.pub.hex(), "time": t, "sig": sig.hex()}
    return p


def _make_batch(args):
    secret, n, seed = args
    k = Key(secret)
    return [make_record(k, data=b"flood-%d-%d" % (seed, i)) for i in range(n)]


def write_keys(path, keys):
    with open(path, "w") as f:
        f.write("# submitters of the test office\n")
        for k in keys:
            f.write("%s  # a party\n" % k.pub.hex())


def set_access(home, **kv):
    cfg_path = os.path.join(home, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    for k, v in kv.items():
        sec, name = k.split("__") if "__" in k else ("access", k)
        cfg.setdefault(sec, {})[name] = v
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)


class TestAccess(NodeTest):
    block = {"interval_ms": 50}

    def admin_url(self):
        return "ipc://%s/admin.sock" % self.home

    def test_a_submitters_and_sighup(self):
        a, b = Key(), Key()
        lst = os.path.join(self.home, "submitters.txt")
        write_keys(lst, [a])
        set_access(self.home, submitters="submitters.txt")
        self.node.start()
        with self.node.client() as c:
            rb = make_record(b)
            msg = self.err(c, "submit", {"record": rb.hex()}, -32009)
            self.assertIn(b.pub.hex(), msg)
            self.assertIn("not registered", msg)
            ra = make_record(a)
            res = self.ok(c, "submit", {"record": ra.hex(), "wait_ms": 10000})
            self.assertEqual(res["status"], "committed")
            # b is added: SIGHUP, no restart
            write_keys(lst, [a, b])
            self.node.proc.send_signal(signal.SIGHUP)
            end = time.time() + 5
            while time.time() < end and "1 added" not in self.node.log():
                time.sleep(0.05)
            self.assertIn("submitters reloaded", self.node.log())
            self.assertIn("+" + b.pub.hex(), self.node.log())
            res = self.ok(c, "submit", {"record": rb.hex(), "wait_ms": 10000})
            self.assertEqual(res["status"], "committed")
            st = self.ok(c, "status")
            self.assertEqual(st["access"]["submitters"], 2)
            self.assertEqual(st["access"]["denied"], 1)
            self.assertGreaterEqual(st["access"]["reloads"], 1)
            # a broken file at reload keeps the old list (and the node)
            with open(lst, "a") as f:
                f.write("not-a-key\n")
            self.node.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            self.assertIn("not reloaded, the old list stays", self.node.log())
            self.ok(c, "submit", {"record": make_record(b).hex()})
        self.assertIsNone(self.node.proc.poll())
        self.assertEqual(self.node.stop(), 0)

    def test_b_public_false(self):
        cl, other = Key(), Key()
        write_keys(os.path.join(self.home, "clients.txt"), [cl])
        set_access(self.home, public=False, clients="clients.txt")
        self.node.start(wait=False)
        # the ready check of nodetest asks status anonymously: use admin
        end = time.time() + 15
        while time.time() < end:
            try:
                with nngwire.ReqClient.from_url(self.admin_url(), timeout=2) as c:
                    if "result" in c.call("status"):
                        break
            except (OSError, nngwire.WireError):
                time.sleep(0.05)
        with self.node.client() as c:
            for m, p in (("status", None), ("validators", None), ("block", {"height": 1}),
                         ("find", {"digest": "00" * 32})):
                msg = self.err(c, m, p, -32009)
                self.assertIn("listed clients", msg)
            st = self.ok(c, "status", signed(cl, "status"))
            self.assertFalse(st["access"]["public"])
            r = self.err(c, "find", signed(cl, "find", {"digest": "11" * 32}), -32001)
            self.assertIn("no record", r)
            self.assertIn("not listed", self.err(c, "status", signed(other, "status"), -32009))
            old = int(time.time() * 1000) - 3600 * 1000
            self.assertIn("too far", self.err(c, "status", signed(cl, "status", t_ms=old),
                                              -32009))
            bad = signed(cl, "find", {"digest": "11" * 32})
            bad["digest"] = "22" * 32  # params changed after signing
            self.assertIn("does not verify", self.err(c, "find", bad, -32009))
            # submit is not a query: the record's own signature counts
            self.ok(c, "submit", {"record": make_record(other).hex()})
        # the CLI signs with --key
        kf = os.path.join(self.dir, "client.key")
        with open(kf, "w") as f:
            json.dump({"type": "notary-secret-key/1", "secret": cl.secret.hex(),
                       "pubkey": cl.pub.hex()}, f)
        os.chmod(kf, 0o600)
        p = subprocess.run([NOTARY, "status", "--node", self.url, "--key", kf, "--json"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("height", json.loads(p.stdout))
        p = subprocess.run([NOTARY, "status", "--node", self.url], capture_output=True,
                           text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("-32009", p.stderr)
        self.assertEqual(self.node.stop(), 0)

    def test_c_admin_socket(self):
        self.node.start()
        sock = os.path.join(self.home, "admin.sock")
        self.assertEqual(os.stat(sock).st_mode & 0o777, 0o600)
        with self.node.client() as c:
            self.assertIn("operator's", self.err(c, "valset_approve", {"change": "00"}, -32010))
            self.err(c, "reload", None, -32010)
        with nngwire.ReqClient.from_url(self.admin_url()) as a:
            r = a.call("valset_approve", {"change": "00"})
            # the method runs there: the change is checked (and is bad)
            self.assertEqual(r["error"]["code"], -32602, r)
            r = a.call("reload")
            self.assertTrue(r["result"]["reloaded"], r)
            self.assertIn("height", a.call("status")["result"])
        self.assertEqual(self.node.stop(), 0)

    def test_d_flood_one_key(self):
        flooder, honest = Key(), Key()
        t0 = time.time()
        per = FLOOD // 8
        with multiprocessing.Pool(2) as pool:
            parts = pool.map(_make_batch, [(flooder.secret, per, i) for i in range(8)])
        recs = [r for part in parts for r in part]
        self.assertEqual(len(set(recs)), FLOOD)
        sign_s = time.time() - t0
        self.node.start()
        base = rss_kib(self.node.proc.pid)
        stop = threading.Event()
        peak = [base]
        out = {"ok": 0, "rate": 0, "conn": 0, "other": [], "retry": [], "queries": 0, "qerr": 0}
        lock = threading.Lock()

        def sender(chunk):
            with nngwire.ReqClient.from_url(self.url, timeout=30) as c:
                i = 0
                while i < len(chunk):
                    body = [req("submit", {"record": r.hex()}, id=j)
                            for j, r in enumerate(chunk[i:i + 256])]
                    resp = json.loads(c.request(json.dumps(body).encode()))
                    if isinstance(resp, dict):  # the connection's own limit
                        err = resp["error"]
                        with lock:
                            if err["code"] == -32007:
                                out["conn"] += 1
                            else:
                                out["other"].append(err["code"])
                        time.sleep(err.get("data", {}).get("retry_after_ms", 100) / 1000)
                        continue
                    i += 256
                    with lock:
                        for e in resp:
                            if "result" in e:
                                out["ok"] += 1
                            elif e["error"]["code"] == -32007:
                                out["rate"] += 1
                                out["retry"].append(e["error"]["data"]["retry_after_ms"])
                            else:
                                out["other"].append(e["error"]["code"])

        def querier():
            with nngwire.ReqClient.from_url(self.url, timeout=30) as c:
                while not stop.is_set():
                    r = c.call("status")
                    with lock:
                        out["queries" if "result" in r else "qerr"] += 1

        def sampler():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(self.node.proc.pid))
                time.sleep(0.05)

        th = [threading.Thread(target=sender, args=(recs[i::8],)) for i in range(8)]
        aux = [threading.Thread(target=querier) for _ in range(4)]
        aux.append(threading.Thread(target=sampler))
        for t in aux + th:
            t.start()
        # meanwhile an honest key submits one record at a time
        honest_ids = []
        with self.node.client(timeout=30) as c:
            for i in range(20):
                r = make_record(honest)
                res = self.ok(c, "submit", {"record": r.hex(), "wait_ms": 10000})
                self.assertEqual(res["status"], "committed", res)
                honest_ids.append(record_id(r))
        for t in th:
            t.join(timeout=300)
        flood_s = time.time() - t0 - sign_s
        stop.set()
        for t in aux:
            t.join(timeout=30)
        self.assertEqual(out["other"], [], out["other"][:5])
        self.assertEqual(out["ok"] + out["rate"], FLOOD)
        self.assertGreater(out["rate"], 0)
        self.assertGreater(out["ok"], 5000)  # at least the burst
        self.assertTrue(all(1 <= r <= 1000 for r in out["retry"]))
        self.assertGreater(out["queries"], 10)
        self.assertEqual(out["qerr"], 0)
        with self.node.client() as c:
            st = self.ok(c, "status")
            self.assertGreaterEqual(st["access"]["rate_limited"], out["rate"])
            self.assertLessEqual(st["access"]["limiter_keys"], 16384)
            # the records admitted are committed: wait for the mempool to drain
            end = time.time() + 60
            while time.time() < end and self.ok(c, "status")["mempool"]["records"] > 0:
                time.sleep(0.2)
            self.assertEqual(self.ok(c, "status")["mempool"]["records"], 0)
        self.assertLess(peak[0], RSS_BOUND_KIB, "peak RSS %d KiB" % peak[0])
        sys.stderr.write("\n  flood: %d records signed in %.1f s; sent in %.1f s: %d admitted, "
                         "%d rate limited (+%d batches over the connection rate); %d queries answered "
                         "meanwhile; RSS %d -> %d KiB peak\n" % (
                             FLOOD, sign_s, flood_s, out["ok"], out["rate"], out["conn"],
                                     out["queries"], base, peak[0]))
        self.assertEqual(self.node.stop(), 0)
        p = subprocess.run([NOTARY, "audit", "--home", self.home], capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-2000:])

    def test_e_mempool_share(self):
        # validator 0 of two, alone: nothing can commit, the pool only fills
        net = os.path.join(self.dir, "net")
        base = free_base_port(2)
        subprocess.run([NOTARY, "testnet", "--dir", net, "--validators", "2", "--base-port",
                        str(base)], check=True, capture_output=True, timeout=60)
        home = os.path.join(net, "node0")
        set_access(home, mempool_share_pct=50, block__max_records=10,
                   mempool__max_records=100)
        node = type(self.node)(home, "tcp://127.0.0.1:%d" % base)
        self.nodes.append(node)
        node.start()
        a, b = Key(), Key()
        with node.client() as c:
            for i in range(50):
                self.ok(c, "submit", {"record": make_record(a).hex()})
            r = self.rpc(c, "submit", {"record": make_record(a).hex()}, id="x")
            self.assertEqual(r["error"]["code"], -32008, r)
            self.assertIn("share of the mempool", r["error"]["message"])
            self.assertGreater(r["error"]["data"]["retry_after_ms"], 0)
            self.ok(c, "submit", {"record": make_record(b).hex()})
            st = self.ok(c, "status")
            self.assertEqual(st["height"], 0)
            self.assertEqual(st["mempool"]["records"], 51)
            self.assertEqual(st["access"]["share_refused"], 1)
        self.assertEqual(node.stop(), 0)

    def test_f_passphrase_keys(self):
        d = self.dir

        def run(*args, env=None):
            return subprocess.run([NOTARY] + list(args), capture_output=True, text=True,
                                  timeout=60, env=env)

        for name, text in (("pass", "a long passphrase\n"), ("wrong", "not it\n")):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(d, name), 0o600)
        key = os.path.join(d, "sealed.key")
        p = run("keygen", "--out", key, "--passphrase-file", os.path.join(d, "pass"))
        self.assertEqual(p.returncode, 0, p.stderr)
        pub = p.stdout.strip()
        with open(key) as f:
            doc = json.load(f)
        self.assertEqual(doc["type"], "notary-secret-key-sealed/1")
        self.assertNotIn("secret", doc)
        p = run("key", "show", "--key", key, "--passphrase-file", os.path.join(d, "pass"),
                "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        shown = json.loads(p.stdout)
        self.assertEqual(shown["pubkey"], pub)
        self.assertRegex(shown["fingerprint"], r"^[0-9a-f]{8}(-[0-9a-f]{8}){3}$")
        env = dict(os.environ, NOTARY_PASSPHRASE_FILE=os.path.join(d, "pass"))
        self.assertEqual(json.loads(run("key", "show", "--key", key, "--json",
                                        env=env).stdout)["pubkey"], pub)
        p = run("key", "show", "--key", key, "--passphrase-file", os.path.join(d, "wrong"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("wrong passphrase", p.stderr)
        p = run("key", "show", "--key", key)
        self.assertEqual(p.returncode, 1)
        self.assertIn("protected by a passphrase", p.stderr)
        tampered = os.path.join(d, "tampered.key")
        doc2 = dict(doc, sealed=("0" if doc["sealed"][0] != "0" else "1") + doc["sealed"][1:])
        with open(tampered, "w") as f:
            json.dump(doc2, f)
        os.chmod(tampered, 0o600)
        p = run("key", "show", "--key", tampered, "--passphrase-file", os.path.join(d, "pass"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("altered", p.stderr)
        # submit with the sealed key
        self.node.start()
        f = os.path.join(d, "evidence.txt")
        with open(f, "w") as fh:
            fh.write("evidence\n")
        p = run("submit", "--node", self.url, "--key", key, "--passphrase-file",
                os.path.join(d, "pass"), f)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(f + ".receipt.json") as fh:
            self.assertIn(pub, fh.read())
        p = run("submit", "--node", self.url, "--key", key, "--passphrase-file",
                os.path.join(d, "wrong"), f)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(self.node.stop(), 0)

    def test_g_sync_closed(self):
        net = os.path.join(self.dir, "net")
        base = free_base_port(2)
        subprocess.run([NOTARY, "testnet", "--dir", net, "--validators", "1", "--observers",
                        "1", "--base-port", str(base)], check=True, capture_output=True,
                       timeout=60)
        h0, h1 = os.path.join(net, "node0"), os.path.join(net, "node1")
        with open(os.path.join(h0, "clients.txt"), "w") as f:
            f.write("# nobody yet\n")
        set_access(h0, sync_open=0, clients="clients.txt")
        keys = {}
        for h in (h0, h1):
            with open(os.path.join(h, "validator.key")) as f:
                d = json.load(f)
            keys[h] = Key(bytes.fromhex(d["secret"]))
        v = type(self.node)(h0, "tcp://127.0.0.1:%d" % base)
        o = type(self.node)(h1, "tcp://127.0.0.1:%d" % (base + 10))
        self.nodes += [v, o]
        v.start()
        with v.client() as c:
            for i in range(3):
                res = self.ok(c, "submit", {"record": make_record(Key()).hex(),
                                            "wait_ms": 10000})
                self.assertEqual(res["status"], "committed")
            tip = self.ok(c, "status")["height"]
            self.assertIn("only to validators", self.err(c, "sync", {"from": 1}, -32009))
            self.err(c, "sync", signed(Key(), "sync", {"from": 1}), -32009)
            got = self.ok(c, "sync", signed(keys[h0], "sync", {"from": 1}))
            self.assertEqual(got["height"], tip)
        o.start()
        time.sleep(3)
        with o.client() as c:
            self.assertEqual(self.ok(c, "status")["height"], 0)
        with v.client() as c:
            self.assertGreater(self.ok(c, "status")["access"]["denied"], 2)
        with open(os.path.join(h0, "clients.txt"), "a") as f:
            f.write("%s  # the observer\n" % keys[h1].pub.hex())
        v.proc.send_signal(signal.SIGHUP)
        end = time.time() + 20
        oh = 0
        while time.time() < end and oh < tip:
            with o.client() as c:
                oh = self.ok(c, "status")["height"]
            time.sleep(0.2)
        self.assertGreaterEqual(oh, tip, o.log()[-3000:])
        self.assertEqual(o.stop(), 0)
        self.assertEqual(v.stop(), 0)

    def test_h_notaryd_sealed_key(self):
        d = self.dir
        for name, text in (("pass", "validator passphrase\n"), ("wrong", "nope\n")):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(d, name), 0o600)
        plain = os.path.join(self.home, "validator.key")
        sealed = os.path.join(self.home, "validator.sealed.key")
        p = subprocess.run([NOTARY, "key", "seal", "--key", plain, "--out", sealed,
                            "--passphrase-file", os.path.join(d, "pass")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(plain) as f:
            pub = json.load(f)["pubkey"]
        os.unlink(plain)
        cfg_path = os.path.join(self.home, "config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["key_file"] = "validator.sealed.key"
        for passfile, want in ((None, "protected by a passphrase"),
                               ("wrong", "wrong passphrase")):
            cfg.pop("key_passphrase_file", None)
            if passfile:
                cfg["key_passphrase_file"] = os.path.join(d, passfile)
            with open(cfg_path, "w") as f:
                json.dump(cfg, f)
            p = subprocess.run([self.node_bin(), "--home", self.home], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p.stderr[-2000:])
            self.assertIn(want, p.stderr)
        cfg["key_passphrase_file"] = os.path.join(d, "pass")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        self.node.start()
        with self.node.client() as c:
            self.assertEqual(self.ok(c, "status")["node_pubkey"], pub)
            res = self.ok(c, "submit", {"record": make_record(Key()).hex(), "wait_ms": 10000})
            self.assertEqual(res["status"], "committed")
        self.assertEqual(self.node.stop(), 0)

    def test_i_many_keys_bounded(self):
        set_access(self.home, limiter_slots=64)
        self.node.start()
        recs = [make_record(Key()) for _ in range(600)]
        with self.node.client(timeout=30) as c:
            for i in range(0, len(recs), 100):
                body = [req("submit", {"record": r.hex()}, id=j)
                        for j, r in enumerate(recs[i:i + 100])]
                resp = json.loads(c.request(json.dumps(body).encode()))
                self.assertTrue(all("result" in e for e in resp), resp[:2])
            acc = self.ok(c, "status")["access"]
            self.assertEqual(acc["limiter_keys"], 64)
            self.assertGreaterEqual(acc["limiter_evictions"], 600 - 64)
            self.assertEqual(acc["rate_limited"], 0)
        self.assertEqual(self.node.stop(), 0)

    def test_j_cli_retries_rate_limit(self):
        # two records a second and a bucket of one: of a batch of two sent
        # at once the node refuses at least one, whatever else is running
        set_access(self.home, submit_rate=2, submit_burst=1)
        self.node.start()
        kf = os.path.join(self.dir, "party.key")
        p = subprocess.run([NOTARY, "keygen", "--out", kf], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)

        def burst(tag, *extra):
            """3 submits of two files and 2 of one, started together:
            [(files, process)] once all have exited."""
            runs = []
            for i, nfiles in enumerate((2, 2, 2, 1, 1)):
                files = []
                for j in range(nfiles):
                    f = os.path.join(self.dir, "%s-%d-%d.txt" % (tag, i, j))
                    with open(f, "w") as fh:
                        fh.write("evidence %s %d %d\n" % (tag, i, j))
                    files.append(f)
                runs.append((files, subprocess.Popen(
                    [NOTARY, "submit", "--node", self.url, "--key", kf, "--timeout", "20",
                     *extra, *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True)))
            out = []
            for files, proc in runs:
                so, se = proc.communicate(timeout=45)
                out.append((files, proc.returncode, so, se))
            return out

        progress = re.compile(r"notary submit: rate limited by the node: retrying in "
                              r"\d+\.\d s \(attempt [2-9]")
        t0 = time.monotonic()
        runs = burst("retry")
        took = time.monotonic() - t0
        for files, rc, so, se in runs:
            self.assertEqual(rc, 0, so + se)
            for f in files:
                self.assertTrue(os.path.exists(f + ".receipt.json"), f)
            if len(files) == 2:
                self.assertRegex(se, progress)
        # 8 records at 2 a second: the waits were the node's, not longer
        self.assertGreater(took, 2.5)
        self.assertLess(took, 30)
        with self.node.client() as c:
            self.assertGreaterEqual(self.ok(c, "status")["access"]["rate_limited"], 3)
        time.sleep(1)  # the bucket fills again
        runs = burst("no-retry", "--retry-for", "0")
        failed = [r for r in runs if r[1] != 0]
        self.assertTrue(failed, runs)
        for files, rc, so, se in failed:
            self.assertEqual(rc, 1, so + se)
            self.assertIn("rate limited by the node; not retried (--retry-for 0)", se)
            self.assertIn("(code -32007)", se)
        for files, rc, so, se in runs:
            self.assertNotRegex(se, progress)
        self.assertEqual(self.node.stop(), 0)

    def node_bin(self):
        from nodetest import NOTARYD
        return NOTARYD


if __name__ == "__main__":
    unittest.main()
