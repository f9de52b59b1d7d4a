#!/usr/bin/env python3
"""TLS between the nodes and for clients, with real processes on loopback.

- A 4-validator testnet written with `notary testnet --tls` (mutual TLS on
  the peer links, each node trusting only the listed certificates) commits
  and every receipt verifies.
- A peer with an unlisted certificate, or a rogue one with a listed
  certificate's name, is refused in the handshake, counted
  (peer_tls_refused) and logged; a plaintext BUS client to the TLS port
  gets nothing; the node keeps serving.
- A listed certificate whose binding was signed by a key outside the
  validator set, or whose file does not match the listed fingerprint, stops
  the node at start with a clear message.
- The RPC on tls+tcp:// and HTTP on https://: the CLI with --ca or --pin
  works; a wrong pin, an unknown self-signed or an expired certificate is
  refused with a clear error; a plaintext client to the TLS port and a TLS
  client to a plain port fail cleanly.
- `notary backup` of a node whose RPC is tls+tcp:// trusts the home's own
  tls.crt by default (a wrong --pin is refused); the backup restores and
  `notary audit` passes on the restored home.
- A clerk's client settings file (NOTARY_CLIENT_CONFIG) holding the node
  and its pin (or a ca beside it): status and submit need no flags; a wrong
  pin in it is refused, a flag wins over it, it is not used for another
  node or by backup; a malformed file or an unknown member is exit 2 naming
  the file; `notary client-config` writes a working file and writes nothing
  when the node does not answer with the pin given.
- Plain tcp:// on a non-loopback address is refused unless --allow-insecure
  (nothing is opened on that address: the refused node stops before it
  listens, and the allowed one only dials its own address).

Every wait is bounded; the whole file runs in about a minute.
"""
import contextlib
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nngwire  # noqa: E402
from cluster import NOTARYD, Cluster, run_cli, wait_until  # noqa: E402


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def make_cert(d, name, cn=None, expired=False):
    """A P-256 self-signed certificate like the nodes' (or an expired one):
    (cert path, key path)."""
    key = os.path.join(d, name + ".key")
    crt = os.path.join(d, name + ".crt")
    subj = "/CN=" + (cn or "notary rogue")
    if expired:
        csr = os.path.join(d, name + ".csr")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", csr, "-subj", subj)
        # -days -1: valid until yesterday
        openssl("x509", "-req", "-in", csr, "-signkey", key, "-days", "-1", "-out", crt)
    else:
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", crt, "-days", "365", "-subj", subj,
                "-addext", "basicConstraints=critical,CA:FALSE",
                "-addext", "keyUsage=critical,digitalSignature",
                "-addext", "extendedKeyUsage=serverAuth,clientAuth")
    os.chmod(key, 0o600)
    return crt, key


def fingerprint(crt):
    with open(crt) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def host_port(url):
    hp = url.split("://", 1)[1].rstrip("/")
    host, _, port = hp.rpartition(":")
    return host, int(port)


def tls_bus(url, crt, key, timeout=5):
    """Opens a BUS0 connection over TLS presenting crt: returns the node's SP
    header, or raises (ssl.SSLError, OSError) when the handshake is refused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(crt, key)
    raw = socket.create_connection(host_port(url), timeout=timeout)
    with ctx.wrap_socket(raw) as s:
        s.sendall(nngwire.sp_header(nngwire.PROTO_BUS0))
        hdr = b""
        while len(hdr) < 8:
            chunk = s.recv(8 - len(hdr))
            if not chunk:
                raise ConnectionError("closed after the handshake")
            hdr += chunk
        return hdr


def plain_bus(url, timeout=3):
    """A plaintext BUS0 client to url: returns True if the SP header exchange
    succeeded (it must not on a TLS port)."""
    host, port = host_port(url)
    sock = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.sendall(nngwire.sp_header(nngwire.PROTO_BUS0))
        hdr = sock.recv(8)
        return hdr[:4] == b"\x00SP\x00"
    except OSError:
        return False
    finally:
        if sock is not None:
            sock.close()


def edit_config(home, fn):
    path = os.path.join(home, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    fn(cfg)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def run_node(home, *args, timeout=20):
    """notaryd that must refuse to start: (exit code, output)."""
    p = subprocess.run([NOTARYD, "--home", home, *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def own_address():
    """This machine's own non-loopback IPv4 address, or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            ip = s.getsockname()[0]
        return None if ip.startswith("127.") else ip
    except OSError:
        return None


class TestTlsNetwork(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(validators=4, chain_id="tls-test", testnet_args=("--tls",))
        cls.tmp = tempfile.mkdtemp(prefix="nt-tls-")
        cls.c.start_all()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def submit_ok(self, i):
        c = self.c
        path = c.write_file()
        r = c.submit(i, path, timeout=20)
        self.assertEqual(r.rc, 0, repr(r))
        rc, out = c.verify(r.receipt, path)
        self.assertEqual(rc, 0, out)
        return r

    def start_tls_rpc(self, url):
        """Starts node0 and waits until its log says it serves url."""
        nd = self.c.nodes[0]
        log0 = len(nd.log_text(10 ** 7))
        self.c.start(0, wait=False)
        wait_until(lambda: "serving JSON-RPC on " + url in nd.log_text(10 ** 7)[log0:],
                   20, what="node0 serving JSON-RPC over TLS")

    @contextlib.contextmanager
    def node0_tls_rpc(self, https=None):
        """node0 restarted with its rpc on tls+tcp:// (and http.listen on the
        https URL given) for the block; yields the rpc URL. Afterwards its
        config is restored and it serves plain again."""
        c = self.c
        nd = c.nodes[0]
        c.stop(0)
        cfg_path = os.path.join(nd.home, "config.json")
        with open(cfg_path) as f:
            good = f.read()
        url = nd.rpc_url.replace("tcp://", "tls+tcp://")

        def tls_rpc(cfg):
            cfg["rpc"] = url
            if https is not None:
                cfg["http"]["listen"] = https
        edit_config(nd.home, tls_rpc)
        try:
            self.start_tls_rpc(url)
            yield url
        finally:
            c.stop(0)
            with open(cfg_path, "w") as f:
                f.write(good)
        c.start(0)
        self.submit_ok(0)

    def wait_mesh(self):
        c = self.c
        wait_until(lambda: all((c.status(nd) or {}).get("peers_connected", 0) >= 6
                               for nd in c.nodes if nd.running), 20,
                   what="every node connected to its 3 peers both ways over TLS")

    def test_a_commit_and_verify(self):
        c = self.c
        for nd in c.nodes:
            self.assertTrue(nd.p2p_url.startswith("tls+tcp://"), nd.p2p_url)
            self.assertIn("mutual TLS", nd.log_text(20000))
        self.wait_mesh()
        for i in range(4):
            self.submit_ok(i)
        c.assert_alive()

    def test_b_unlisted_certificates_refused(self):
        c = self.c
        target = c.nodes[1]
        before = c.status(1)["peer_tls_refused"]
        # a listed certificate (node2's) gets through the handshake: the
        # control that shows the refusals below are about the certificate
        n2 = c.nodes[2].home
        hdr = tls_bus(target.p2p_url, os.path.join(n2, "tls.crt"), os.path.join(n2, "tls.key"))
        self.assertEqual(hdr[:4], b"\x00SP\x00")
        rogue = make_cert(self.tmp, "rogue")
        # the same name as a listed certificate, another key
        twin = make_cert(self.tmp, "twin", cn="notary node2")
        for crt, key in (rogue, twin):
            with self.assertRaises((ssl.SSLError, OSError), msg=crt):
                tls_bus(target.p2p_url, crt, key)
            # nng counts a failed handshake only while its listener waits
            # for the next connection: the counter is a lower bound, and
            # attempts in quick succession may count once
            time.sleep(0.5)
        self.assertFalse(plain_bus(target.p2p_url), "a plaintext BUS client got an SP header")
        wait_until(lambda: c.status(1)["peer_tls_refused"] >= before + 2, 10,
                   what="the refused handshakes counted")
        wait_until(lambda: "TLS handshake" in target.log_text(20000), 5,
                   what="the refusal logged")
        # the node keeps serving, its peers stay connected
        self.submit_ok(1)
        self.wait_mesh()
        c.assert_alive()

    def test_c_bad_binding_refused_at_start(self):
        c = self.c
        nd = c.nodes[3]
        c.stop(3)
        cfg_path = os.path.join(nd.home, "config.json")
        with open(cfg_path) as f:
            good = f.read()
        try:
            # a binding signed by a key outside the validator set
            rogue_key = os.path.join(self.tmp, "rogue-validator.key")
            if not os.path.exists(rogue_key):
                p = run_cli("keygen", "--out", rogue_key)
                self.assertEqual(p.returncode, 0, p.stderr)
            p = run_cli("tls-cert", "--home", c.nodes[2].home, "--signer", rogue_key, "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            bad = json.loads(p.stdout)["tls_binding"]

            def wrong_binding(cfg):
                for e in cfg["peers"]:
                    if e["tls_cert"] == "peers/node2.crt":
                        e["tls_binding"] = bad
            edit_config(nd.home, wrong_binding)
            rc, out = run_node(nd.home)
            self.assertEqual(rc, 1, out)
            self.assertIn("not signed by any validator key", out)

            # a certificate file that is not the listed one
            with open(cfg_path, "w") as f:
                f.write(good)
            crt = os.path.join(nd.home, "peers", "node2.crt")
            shutil.copy(crt, crt + ".good")
            shutil.copy(make_cert(self.tmp, "swap")[0], crt)
            rc, out = run_node(nd.home)
            shutil.move(crt + ".good", crt)
            self.assertEqual(rc, 1, out)
            self.assertIn("not the listed tls_fingerprint", out)

            # tls+tcp:// without a listed certificate
            def no_cert(cfg):
                for e in cfg["peers"]:
                    for k in ("tls_cert", "tls_fingerprint", "tls_binding"):
                        e.pop(k)
            edit_config(nd.home, no_cert)
            rc, out = run_node(nd.home)
            self.assertEqual(rc, 1, out)
            self.assertIn("lists no certificate", out)
        finally:
            with open(cfg_path, "w") as f:
                f.write(good)
        c.start(3)
        self.submit_ok(3)

    def test_d_clients_over_tls(self):
        c = self.c
        nd = c.nodes[0]
        host, port = host_port(nd.rpc_url)
        https = "https://%s:%d/" % (host, port + 2)
        crt = os.path.join(nd.home, "tls.crt")
        fp = fingerprint(crt)
        with self.node0_tls_rpc(https=https) as url:
            try:
                self.clients_over_tls(url, https, crt, fp)
            finally:  # the good certificate back before node0 restarts plain
                for f in ("tls.crt", "tls.key"):
                    g = os.path.join(self.tmp, "good-" + f)
                    if os.path.exists(g):
                        shutil.copy(g, os.path.join(nd.home, f))
        self.wait_mesh()

    def clients_over_tls(self, url, https, crt, fp):
        c = self.c
        nd = c.nodes[0]
        p = run_cli("status", "--node", url, "--ca", crt, "--json", timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["chain_id"], "tls-test")
        p = run_cli("status", "--node", url, "--pin", fp, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run_cli("status", "--node", url, timeout=30,
                    env=dict(os.environ, NOTARY_NODE_FINGERPRINT=fp))
        self.assertEqual(p.returncode, 0, p.stderr)
        path = c.write_file()
        p = run_cli("submit", "--node", url, "--pin", fp, "--key", c.key, "--timeout", 20,
                    path, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        rc, out = c.verify(path + ".receipt.json", path)
        self.assertEqual(rc, 0, out)

        # what the CLI refuses, each with its reason
        p = run_cli("status", "--node", url, "--pin", "00" * 32, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not the pinned", p.stderr)
        rogue = make_cert(self.tmp, "rogue-server")[0]
        p = run_cli("status", "--node", url, "--ca", rogue, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("is not one of those in", p.stderr)
        p = run_cli("status", "--node", url, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("--ca FILE", p.stderr)
        # plaintext client to the TLS port: a bounded, clear failure
        t0 = time.monotonic()
        p = run_cli("status", "--node", nd.rpc_url, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no node answered", p.stderr)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertFalse(plain_bus(nd.rpc_url), "a plaintext client got an SP header")
        # TLS client to a plain port (node1's RPC)
        p = run_cli("status", "--node", c.nodes[1].rpc_url.replace("tcp://", "tls+tcp://"),
                    "--pin", fp, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no TLS handshake", p.stderr)

        # HTTPS: the page's genesis with the node's certificate trusted
        ctx = ssl.create_default_context(cafile=crt)
        ctx.check_hostname = False
        with urllib.request.urlopen(https + "genesis.json", context=ctx, timeout=10) as r:
            self.assertEqual(json.loads(r.read())["chain_id"], "tls-test")
        with self.assertRaises((urllib.error.URLError, OSError, ValueError)):
            urllib.request.urlopen(https.replace("https:", "http:") + "genesis.json",
                                   timeout=5).read()

        # an expired server certificate
        c.stop(0)
        for f in ("tls.crt", "tls.key"):
            shutil.copy(os.path.join(nd.home, f), os.path.join(self.tmp, "good-" + f))
        ecrt, ekey = make_cert(self.tmp, "expired", cn="notary node0", expired=True)
        shutil.copy(ecrt, os.path.join(nd.home, "tls.crt"))
        shutil.copy(ekey, os.path.join(nd.home, "tls.key"))
        self.start_tls_rpc(url)
        p = run_cli("status", "--node", url, "--ca", ecrt, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("expired", p.stderr)
        p = run_cli("status", "--node", url, "--pin", fingerprint(ecrt), timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("expired", p.stderr)

    def test_e_catch_up_over_tls(self):
        """A node that was down fetches the blocks it missed from its peers'
        RPC over tls+tcp://, trusting each peer's listed certificate."""
        c = self.c
        saved = {}
        for nd in c.nodes:
            with open(os.path.join(nd.home, "config.json")) as f:
                saved[nd.home] = f.read()
        tls_url = {nd.name: nd.rpc_url.replace("tcp://", "tls+tcp://") for nd in c.nodes}
        try:
            c.stop(3)
            for i in range(3):
                nd = c.nodes[i]
                c.stop(i)
                log0 = len(nd.log_text(10 ** 7))
                edit_config(nd.home, lambda cfg: cfg.update(rpc=tls_url[nd.name]))
                c.start(i, wait=False)
                wait_until(lambda: "serving JSON-RPC on " + tls_url[nd.name] in
                           nd.log_text(10 ** 7)[log0:], 20, what=nd.name + " on TLS")
            n0 = c.nodes[0]
            fp0 = fingerprint(os.path.join(n0.home, "tls.crt"))
            for _ in range(3):
                path = c.write_file()
                p = run_cli("submit", "--node", tls_url["node0"], "--pin", fp0, "--key", c.key,
                            "--timeout", 20, path, timeout=60)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = run_cli("status", "--node", tls_url["node0"], "--pin", fp0, "--json")
            self.assertEqual(p.returncode, 0, p.stderr)
            target = json.loads(p.stdout)["height"]

            def peers_rpc_tls(cfg):
                for e in cfg["peers"]:
                    e["rpc"] = e["rpc"].replace("tcp://", "tls+tcp://")
            nd3 = c.nodes[3]
            edit_config(nd3.home, peers_rpc_tls)
            c.start(3)
            wait_until(lambda: (c.height(3) or 0) >= target, 30,
                       what="node3 caught up to height %d" % target)
            self.assertGreater(c.status(3)["blocks_fetched"], 0)
        finally:
            for nd in c.nodes:
                c.stop(nd)
                with open(os.path.join(nd.home, "config.json"), "w") as f:
                    f.write(saved[nd.home])
        c.start_all()
        self.submit_ok(3)
        self.wait_mesh()

    def test_f_backup_over_tls(self):
        c = self.c
        self.submit_ok(1)  # a block or more to back up
        nd = c.nodes[0]
        fp = fingerprint(os.path.join(nd.home, "tls.crt"))
        with self.node0_tls_rpc():
            # no --ca, no environment: the home's tls.crt is the trust
            env = {"NOTARY_NODE_CA": "", "NOTARY_NODE_FINGERPRINT": ""}  # empty: unset
            out = os.path.join(self.tmp, "tls-node0.ntbk")
            p = run_cli("backup", "--home", nd.home, "--out", out, timeout=60, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("(no keys)", p.stdout)
            p = run_cli("backup", "--home", nd.home, "--out", out + ".pinned", "--pin",
                        "00" * 32, timeout=60, env=env)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("not the pinned", p.stderr)
            self.assertFalse(os.path.exists(out + ".pinned"))
            p = run_cli("backup", "--home", nd.home, "--out", out + ".pinned", "--pin", fp,
                        timeout=60, env=env)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            new = os.path.join(self.tmp, "tls-restored")
            r = run_cli("restore", out, "--home", new, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("blocks checked and stored", r.stdout)
            with open(os.path.join(new, "tls.crt")) as f, \
                    open(os.path.join(nd.home, "tls.crt")) as g:
                self.assertEqual(f.read(), g.read())
            a = run_cli("audit", "--home", new, timeout=60)
            self.assertEqual(a.returncode, 0, a.stdout + a.stderr)

    def test_g_client_settings_file(self):
        c = self.c
        nd = c.nodes[0]
        crt = os.path.join(nd.home, "tls.crt")
        fp = fingerprint(crt)
        d = tempfile.mkdtemp(dir=self.tmp, prefix="clerk-")

        def settings(name, content):
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(content if isinstance(content, str) else json.dumps(content))
            return path

        def use(path):
            # only the file says anything: the environment's trust is unset
            return {"NOTARY_CLIENT_CONFIG": path, "NOTARY_NODE_CA": "",
                    "NOTARY_NODE_FINGERPRINT": ""}

        with self.node0_tls_rpc() as url:
            pinned = settings("pinned.json", {"node": url, "pin": fp.upper()})
            p = run_cli("status", "--json", timeout=30, env=use(pinned))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["chain_id"], "tls-test")
            path = c.write_file()
            p = run_cli("submit", "--key", c.key, "--timeout", 20, path, timeout=60,
                        env=use(pinned))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            rc, out = c.verify(path + ".receipt.json", path)
            self.assertEqual(rc, 0, out)
            # a relative ca is beside the file, wherever notary runs
            shutil.copy(crt, os.path.join(d, "node.crt"))
            beside = settings("beside.json", {"node": url, "ca": "node.crt"})
            p = run_cli("status", timeout=30, env=use(beside), cwd=self.tmp)
            self.assertEqual(p.returncode, 0, p.stderr)

            wrong = settings("wrong.json", {"node": url, "pin": "00" * 32})
            p = run_cli("status", timeout=30, env=use(wrong))
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("not the pinned", p.stderr)
            # a flag wins over the file
            p = run_cli("status", "--pin", fp, timeout=30, env=use(wrong))
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run_cli("status", "--ca", crt, timeout=30, env=use(wrong))
            self.assertEqual(p.returncode, 0, p.stderr)
            # ...and so does the environment
            p = run_cli("status", timeout=30, env=dict(use(wrong), NOTARY_NODE_FINGERPRINT=fp))
            self.assertEqual(p.returncode, 0, p.stderr)
            # the file's pin belongs to the file's node, not to another URL
            other = url.replace("127.0.0.1", "localhost")
            p = run_cli("status", "--node", other, timeout=30, env=use(pinned))
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("--ca FILE", p.stderr)
            # backup trusts the home's certificate, never the clerk's file
            out = os.path.join(self.tmp, "clerk-backup.ntbk")
            p = run_cli("backup", "--home", nd.home, "--out", out, timeout=60, env=use(wrong))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

            for name, text, says in (
                    ("broken.json", '{"node": "%s", "pin": ' % url, "not valid JSON"),
                    ("typo.json", json.dumps({"node": url, "pinn": fp}),
                     'unknown member "pinn"'),
                    ("short.json", json.dumps({"node": url, "pin": fp[:60]}), "64 hex digits")):
                bad = settings(name, text)
                for args in (("status",), ("status", "--node", url, "--pin", fp)):
                    p = run_cli(*args, timeout=30, env=use(bad))
                    self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                    self.assertIn(bad, p.stderr)
                    self.assertIn(says, p.stderr)
                    self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
                # --help works whatever the file holds
                self.assertEqual(run_cli("status", "--help", env=use(bad)).returncode, 0)

            # notary client-config: nothing written unless the node answers with that pin
            made = os.path.join(d, "made", "notary", "client.json")
            p = run_cli("client-config", "--node", url, "--pin", "00" * 32, timeout=30,
                        env=use(made))
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("not the pinned", p.stderr)
            self.assertIn("nothing written", p.stderr)
            self.assertFalse(os.path.exists(made))
            p = run_cli("client-config", "--node", url, "--pin", fp, timeout=30, env=use(made))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("wrote " + made, p.stdout)
            with open(made) as f:
                self.assertEqual(json.load(f), {"node": url, "pin": fp.lower()})
            p = run_cli("status", timeout=30, env=use(made))
            self.assertEqual(p.returncode, 0, p.stderr)
            p = run_cli("client-config", "--show", timeout=30, env=use(made))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(url + "  (file)", p.stdout)
            self.assertIn(fp.lower() + "  (file)", p.stdout)
            p = run_cli("client-config", "--show", "--node", other, timeout=30, env=use(made))
            self.assertIn(other + "  (flag)", p.stdout)


class TestPlainBeyondLoopback(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nt-insecure-")
        self.home = os.path.join(self.tmp, "home")
        self.port = nngwire.free_port(3)
        p = run_cli("init", "--home", self.home, "--rpc", "tcp://127.0.0.1:%d" % self.port)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_refused_without_allow_insecure(self):
        port = self.port

        def wildcard(cfg):
            cfg["rpc"] = "tcp://0.0.0.0:%d" % port
        edit_config(self.home, wildcard)
        rc, out = run_node(self.home)
        self.assertEqual(rc, 1, out)
        self.assertIn("plain TCP on a non-loopback address", out)
        self.assertIn("--allow-insecure", out)
        with self.assertRaises(OSError):  # nothing was opened
            socket.create_connection(("127.0.0.1", port), timeout=2).close()

    def test_own_address_needs_allow_insecure(self):
        ip = own_address()
        if ip is None:
            self.skipTest("no non-loopback address on this machine")
        ghost = "tcp://%s:%d" % (ip, nngwire.free_port())

        def peer(cfg):
            cfg["peers"] = [ghost]  # dialed, never listened on
        edit_config(self.home, peer)
        rc, out = run_node(self.home)
        self.assertEqual(rc, 1, out)
        self.assertIn("peers[0].p2p " + ghost, out)
        log = open(os.path.join(self.tmp, "node.log"), "wb")
        self.proc = subprocess.Popen([NOTARYD, "--home", self.home, "--allow-insecure"],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

        def serving():
            with nngwire.ReqClient("127.0.0.1", self.port, timeout=2) as r:
                return "result" in r.call("status")
        wait_until(serving, 20, what="the node serving with --allow-insecure")
        self.proc.terminate()
        self.assertEqual(self.proc.wait(15), 0)
        log.close()
        with open(os.path.join(self.tmp, "node.log")) as f:
            self.assertIn("--allow-insecure: peers[0].p2p", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
