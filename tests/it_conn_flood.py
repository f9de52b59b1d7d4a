#!/usr/bin/env python3
"""Connections nng does not bound, attacked on a 4-validator TLS testnet
(real processes, loopback only, every wait bounded).

nng 1.5.2 makes a connection of an accepted socket only after its TLS and
SP handshakes and gives the TLS handshake no deadline; its HTTP server has
no connection cap or idle timeout. The node watches those sockets itself
(net/sockwatch.c). Here:

(a) 2,000 connections at once to node0 (rpc tls+tcp://, p2p tls+tcp://,
    https://), stalled at different points: a record submitted over TLS
    during the flood commits and verifies, the peers stay connected, every
    flood socket is closed by the node within the deadlines, descriptors
    come back, RSS stays under RSS_BOUND_KIB;
(b) one stalled client of each kind, closed after its deadline while an
    honest client is served: half an SP header on a plain port, a TLS
    handshake never finished, a finished TLS handshake without the SP
    header, half an HTTPS request, an HTTP request trickled a byte at a
    time;
(c) the caps: 100 stalled handshakes and 300 stalled HTTP connections from
    one address, on a node whose deadlines are long, are cut to the
    per-address cap (32) within seconds, and a new client is still served;
(d) 300 TLS handshakes with an unlisted certificate and 300 plaintext SP
    clients against the mutual-TLS peer port: each refused, RSS bounded,
    the peers stay connected and a record commits;
(z) `notary audit` passes on the stopped nodes afterwards.
"""
import json
import os
import resource
import socket
import ssl
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nngwire  # noqa: E402
from cluster import Cluster, rss_kib, run_cli, wait_until  # noqa: E402
from it_tls import edit_config, fingerprint, host_port, make_cert, tls_bus  # noqa: E402

FLOOD = 2000
PER_ADDRESS = 32  # net.per_address_max's default
RSS_BOUND_KIB = 160 * 1024  # measured 85-113 MB at the peak of the 2,000
DEADLINE_MS = 2000  # node0 and node1: net.handshake_timeout_ms, http.idle_timeout_ms


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def unverified_tls():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_hello_part():
    """The first bytes of a real TLS ClientHello (a record header and part
    of the message), as a stalled client would send them."""
    inc = ssl.MemoryBIO()
    out = ssl.MemoryBIO()
    obj = unverified_tls().wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    return hello[:len(hello) // 2]


def is_closed(sock, wait=0.0):
    """True if the node closed sock (EOF or reset) within wait seconds."""
    sock.settimeout(max(wait, 0.001))
    try:
        while True:
            if not sock.recv(65536):
                return True
    except socket.timeout:
        return False
    except ssl.SSLError:
        return True
    except OSError:
        return True


def closed_within(sock, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if is_closed(sock, min(0.2, max(0.01, end - time.time()))):
            return True
    return False


class TestConnFlood(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nofile = raise_nofile(FLOOD + 512)
        cls.c = c = Cluster(validators=4, chain_id="flood-test", testnet_args=("--tls",))
        n0 = c.nodes[0]
        host, port = host_port(n0.rpc_url)
        cls.rpc_tls = "tls+tcp://%s:%d" % (host, port)
        cls.https = "https://%s:%d/" % (host, port + 2)
        cls.fp = fingerprint(os.path.join(n0.home, "tls.crt"))

        def node0(cfg):
            cfg["rpc"] = cls.rpc_tls
            cfg["http"]["listen"] = cls.https
            cfg["http"]["idle_timeout_ms"] = DEADLINE_MS
            cfg.setdefault("net", {})["handshake_timeout_ms"] = DEADLINE_MS

        def node1(cfg):
            cfg["http"]["idle_timeout_ms"] = DEADLINE_MS
            cfg.setdefault("net", {})["handshake_timeout_ms"] = DEADLINE_MS

        def node2(cfg):  # long deadlines: only the caps act
            cfg["http"]["idle_timeout_ms"] = 60000
            cfg.setdefault("net", {})["handshake_timeout_ms"] = 60000

        edit_config(n0.home, node0)
        edit_config(c.nodes[1].home, node1)
        edit_config(c.nodes[2].home, node2)
        n0.rpc_url = cls.rpc_tls
        for i in range(4):
            c.start(i, wait=False)
        for i in range(4):
            wait_until(lambda i=i: cls.status(i) is not None, 30,
                       what="node%d serving (operator socket)" % i)
        wait_until(lambda: all((cls.status(i) or {}).get("peers_connected", 0) >= 6
                               for i in range(4)), 30, what="TLS mesh up")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    @classmethod
    def status(cls, i):
        try:
            return cls.c.rpc(i, "status", timeout=5, admin=True)
        except (OSError, nngwire.WireError, ValueError, Exception):
            return None

    def submit_tls(self):
        path = self.c.write_file()
        r = self.c.submit(0, path, timeout=30, args=("--pin", self.fp))
        self.assertEqual(r.rc, 0, repr(r))
        rc, out = self.c.verify(r.receipt, path)
        self.assertEqual(rc, 0, out)

    def http_addr(self, i):
        host, port = host_port(self.c.nodes[i].rpc_url)
        return host, port + 2

    def test_a_two_thousand_at_once(self):
        c = self.c
        n0 = c.nodes[0]
        flood = min(FLOOD, self.nofile - 256)
        st0 = self.status(0)
        rss0 = rss_kib(n0.pid)
        rpc = host_port(self.rpc_tls)
        p2p = host_port(n0.p2p_url)
        web = self.http_addr(0)
        hello = client_hello_part()
        socks, peak, stop = [], [rss0], threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(n0.pid) or 0)
                time.sleep(0.05)

        th = threading.Thread(target=sample)
        th.start()
        t0 = time.time()
        try:
            for k in range(flood):
                kind = k % 3
                s = socket.create_connection((rpc, p2p, web)[kind][:2], timeout=10)
                if kind == 1:
                    s.sendall(hello)  # half a ClientHello, then nothing
                elif kind == 2:
                    s.sendall(b"\x16\x03\x01")  # a TLS record header, then nothing
                socks.append(s)
            opened = time.time() - t0
            self.submit_tls()  # an honest client, during the flood
            c.assert_alive()
            try:
                closed = wait_until(lambda: all(is_closed(s) for s in socks), 15, interval=0.5,
                                    what="the node closing every flood connection")
            except TimeoutError as e:
                left = [k % 3 for k, s in enumerate(socks) if not is_closed(s)]
                raise AssertionError("%s: still open: %d to rpc, %d to p2p, %d to https "
                                     "(e.g. client ports %s); status %s" % (
                                         e, left.count(0), left.count(1), left.count(2),
                                         [s.getsockname()[1] for s in socks
                                          if not is_closed(s)][:5],
                                         json.dumps(self.status(0)))) from e
        finally:
            stop.set()
            th.join()
            for s in socks:
                s.close()
        took = time.time() - t0
        wait_until(lambda: (self.status(0) or {}).get("handshakes_open", 1) == 0 and
                   (self.status(0) or {}).get("http_conns", 1) == 0, 10,
                   what="no handshake or HTTP connection left")
        st = self.status(0)
        self.assertTrue(closed)
        cut = (st["handshakes_timed_out"] + st["handshakes_over_cap"] + st["http_idle_closed"] +
               st["http_over_cap"]) - (st0["handshakes_timed_out"] + st0["handshakes_over_cap"] +
                                       st0["http_idle_closed"] + st0["http_over_cap"])
        self.assertGreaterEqual(cut, flood * 0.9)  # a few may fail on their own
        self.assertEqual(st["peers_connected"], 6)
        self.assertLess(st["fds_open"], st0["fds_open"] + 16)
        self.assertLess(peak[0], RSS_BOUND_KIB, "peak RSS %d KiB" % peak[0])
        self.assertIn("did not finish their handshake", n0.log_text(10 ** 6))
        self.submit_tls()
        # the node hands the burst's freed buffers back once it is over
        rss_after = wait_until(lambda: (lambda r: r if r < rss0 + 32 * 1024 else None)(
            rss_kib(n0.pid)), 10, interval=0.5, what="RSS back within 32 MB of the start")
        sys.stderr.write("\n  flood: %d connections opened in %.1f s, all closed by the node "
                         "%.1f s after the first; %d cut (timeout %d, caps %d, http %d+%d); "
                         "descriptors %d -> %d; RSS %d -> %d KiB peak -> %d KiB after; "
                         "last scan %d us\n" % (
                             flood, opened, took, cut,
                             st["handshakes_timed_out"], st["handshakes_over_cap"],
                             st["http_idle_closed"], st["http_over_cap"], st0["fds_open"],
                             st["fds_open"], rss0, peak[0], rss_after, st["conn_scan_us"]))

    def test_b_each_stall_closed(self):
        c = self.c
        host, rpc1 = host_port(c.nodes[1].rpc_url)
        stalls = {}
        # half an SP header on node1's plain rpc port
        s = socket.create_connection((host, rpc1), timeout=5)
        s.sendall(nngwire.sp_header(nngwire.PROTO_REQ0)[:4])
        stalls["half an SP header (tcp://)"] = s
        # a TLS handshake never finished (node0's rpc)
        s = socket.create_connection(host_port(self.rpc_tls), timeout=5)
        s.sendall(client_hello_part())
        stalls["half a ClientHello (tls+tcp://)"] = s
        # TLS done, SP header half sent
        s = unverified_tls().wrap_socket(socket.create_connection(host_port(self.rpc_tls),
                                                                  timeout=5))
        s.sendall(nngwire.sp_header(nngwire.PROTO_REQ0)[:4])
        stalls["TLS done, half an SP header"] = s
        # half an HTTPS request
        s = unverified_tls().wrap_socket(socket.create_connection(self.http_addr(0),
                                                                  timeout=5))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x")
        stalls["half an HTTPS request"] = s
        # an HTTP request trickled a byte at a time (node1 serves plain http)
        trickle = socket.create_connection(self.http_addr(1), timeout=5)
        req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200
        time.sleep(0.5)
        for name, s in stalls.items():
            self.assertFalse(is_closed(s), "%s closed at once" % name)
        # an honest client meanwhile
        self.submit_tls()
        t0 = time.time()
        got_closed = {}
        k = 0
        while time.time() - t0 < DEADLINE_MS / 1000 + 4 and len(got_closed) < len(stalls) + 1:
            if "trickle" not in got_closed:
                try:
                    trickle.send(req[k:k + 1])
                    k += 1
                except OSError:
                    got_closed["trickle"] = time.time() - t0
            for name, s in stalls.items():
                if name not in got_closed and is_closed(s, 0.01):
                    got_closed[name] = time.time() - t0
            if "trickle" not in got_closed and is_closed(trickle, 0.01):
                got_closed["trickle"] = time.time() - t0
            time.sleep(0.2)
        for s in list(stalls.values()) + [trickle]:
            s.close()
        for name in list(stalls) + ["trickle"]:
            self.assertIn(name, got_closed, "%s not closed within %.1f s" % (
                name, DEADLINE_MS / 1000 + 4))
        sys.stderr.write("\n  stalls closed after: %s\n" % ", ".join(
            "%s %.1f s" % kv for kv in sorted(got_closed.items())))
        c.assert_alive()

    def test_c_caps_per_address(self):
        c = self.c
        n2 = c.nodes[2]
        st0 = self.status(2)
        rpc = host_port(n2.rpc_url)
        socks = [socket.create_connection(rpc, timeout=5) for _ in range(100)]
        web = [socket.create_connection(self.http_addr(2), timeout=5) for _ in range(300)]
        for s in web:
            s.sendall(b"GET / HTTP/1.1\r\n")
        try:
            def capped():
                left[:] = [sum(not is_closed(s) for s in socks),
                           sum(not is_closed(s) for s in web)]
                return max(left) <= PER_ADDRESS
            left = []
            try:
                wait_until(capped, 10, interval=0.3, what="the per-address cap applied")
            except TimeoutError as e:
                raise AssertionError("%s: still open (rpc, http) %s; status %s" % (
                    e, left, json.dumps(self.status(2)))) from e
            # new clients are served meanwhile (their handshakes finish at once)
            self.assertIsNotNone(c.status(2))
            self.assertEqual(c.rpc(2, "status")["chain_id"], "flood-test")
            st = self.status(2)
            self.assertEqual(st["handshakes_open"], PER_ADDRESS)
            self.assertEqual(st["http_conns"], PER_ADDRESS)
            self.assertGreaterEqual(st["handshakes_over_cap"] - st0["handshakes_over_cap"],
                                    100 - PER_ADDRESS)
            self.assertGreaterEqual(st["http_over_cap"] - st0["http_over_cap"],
                                    300 - PER_ADDRESS)
            self.assertEqual(st["handshakes_timed_out"], st0["handshakes_timed_out"])
            self.assertEqual(sum(not is_closed(s) for s in socks), PER_ADDRESS)
        finally:
            for s in socks + web:
                s.close()

    def test_d_unlisted_and_plaintext_peers(self):
        import tempfile
        c = self.c
        n0 = c.nodes[0]
        tmp = tempfile.mkdtemp(prefix="nt-flood-")
        crt, key = make_cert(tmp, "rogue", cn="notary node1")
        st0 = self.status(0)
        rss0 = rss_kib(n0.pid)
        peak = rss0
        refused = plain_ok = 0
        t0 = time.time()
        for k in range(300):
            try:
                tls_bus(n0.p2p_url, crt, key, timeout=5)
            except (ssl.SSLError, OSError):
                refused += 1
            s = socket.create_connection(host_port(n0.p2p_url), timeout=5)
            s.sendall(nngwire.sp_header(nngwire.PROTO_BUS0))
            s.settimeout(2)
            try:
                plain_ok += s.recv(8)[:4] == b"\x00SP\x00"
            except OSError:
                pass
            s.close()
            if k % 50 == 0:
                peak = max(peak, rss_kib(n0.pid) or 0)
        took = time.time() - t0
        peak = max(peak, rss_kib(n0.pid) or 0)
        self.assertEqual(refused, 300)
        self.assertEqual(plain_ok, 0)
        self.submit_tls()
        st = self.status(0)
        self.assertEqual(st["peers_connected"], 6)
        self.assertGreater(st["peer_tls_refused"], st0["peer_tls_refused"])
        self.assertLess(peak, RSS_BOUND_KIB, "peak RSS %d KiB" % peak)
        sys.stderr.write("\n  600 refused peers in %.1f s; peer_tls_refused +%d (a lower bound); "
                         "RSS %d -> %d KiB\n" % (took, st["peer_tls_refused"] -
                                                  st0["peer_tls_refused"], rss0, peak))

    def test_z_audit_after(self):
        c = self.c
        for i in range(4):
            self.assertEqual(c.stop(i), 0)
        for i in (0, 1, 2):
            p = run_cli("audit", "--home", c.nodes[i].home, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
