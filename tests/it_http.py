#!/usr/bin/env python3
"""notaryd's HTTP side (docs/VERIFY-PAGE.md) on a real node (tests/cluster.py):

  a) GET / is the page (the same bytes `notary web --out` writes), with
     headers that keep a browser from loading anything from elsewhere;
     GET /genesis.json is the node's genesis file byte for byte; GET
     /receipt/<id> is the receipt the RPC gives; every other path is 404,
     other methods 405, a request with a body 400;
  b) http.listen "" turns it off and the node serves clients as before;
  c) page requests from several clients at once do not stop records from
     committing (the median submit time with and without them is printed,
     not asserted: machines are shared).

Run by `make test`, or `NT_BUILD=build python3 tests/it_http.py -v`.
"""
import http.client
import json
import os
import statistics
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import BUILD, EXIT_OK, Cluster, run_cli, wait_until  # noqa: E402

PAGE = os.path.join(BUILD, "web", "verify.html")


def http_port(node):
    with open(os.path.join(node.home, "config.json")) as f:
        url = json.load(f)["http"]["listen"]
    return int(url.rsplit(":", 1)[1].strip("/"))


def get(port, path, method="GET", body=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


class HttpCase(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(validators=1, chain_id="http-test")
        self.c.start_all()
        self.port = http_port(self.c.node(0))

    def tearDown(self):
        self.c.close()

    def test_a_documents(self):
        c = self.c
        st, hd, body = get(self.port, "/")
        self.assertEqual(st, 200)
        self.assertEqual(hd["content-type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", hd["content-security-policy"])
        self.assertEqual(hd["x-content-type-options"], "nosniff")
        out = os.path.join(c.tmp, "verify.html")
        p = run_cli("web", "--out", out)
        if os.path.exists(PAGE):
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                written = f.read()
            self.assertEqual(body, written)
            with open(PAGE, "rb") as f:
                self.assertEqual(body, f.read())
            p = run_cli("web", "--out", out)
            self.assertEqual(p.returncode, 1)
            self.assertIn("--force", p.stderr)
        else:  # built without node/npm: / says so, notary web says how to build it
            self.assertIn(b"built without the verification page", body)
            self.assertEqual(p.returncode, 1)
            self.assertIn("make web", p.stderr)
        st, hd, body = get(self.port, "/genesis.json")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("application/json"))
        with open(c.genesis, "rb") as f:
            self.assertEqual(body, f.read())
        r = c.submit(0, c.write_file("exhibit.txt", b"exhibit"))
        self.assertEqual(r.rc, EXIT_OK, r)
        st, hd, body = get(self.port, "/receipt/" + r.record_id)
        self.assertEqual(st, 200)
        self.assertEqual(hd["content-type"], "application/json")
        got = json.loads(body)
        self.assertEqual(got, c.rpc(0, "receipt", {"record_id": r.record_id})["receipt"])
        self.assertEqual(get(self.port, "/receipt/" + "0" * 64)[0], 404)
        for path in ("/nope", "/receipt/zz", "/receipt/" + r.record_id + "00",
                     "/genesis.json/x", "/../etc/passwd"):
            self.assertEqual(get(self.port, path)[0], 404, path)
        self.assertEqual(get(self.port, "/", method="DELETE")[0], 405)
        self.assertEqual(get(self.port, "/", method="POST", body=b"x" * 10)[0], 400)
        self.assertEqual(get(self.port, "/", method="HEAD")[0], 200)
        c.assert_alive()

    def test_b_off(self):
        c = self.c
        nd = c.node(0)
        c.stop(0)
        path = os.path.join(nd.home, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        cfg["http"]["listen"] = ""
        with open(path, "w") as f:
            json.dump(cfg, f)
        c.start(0)
        with self.assertRaises(OSError):
            get(self.port, "/", timeout=2)
        self.assertIn("HTTP off", nd.log_text(20000))
        r = c.submit(0, c.write_file())
        self.assertEqual(r.rc, EXIT_OK, r)

    def test_c_page_load_does_not_stop_records(self):
        c = self.c
        stop = threading.Event()
        served = []

        def hammer():
            n = 0
            while not stop.is_set():
                try:
                    st, _, _ = get(self.port, "/")
                    n += st == 200
                except OSError:
                    pass
            served.append(n)

        def submit_times(k):
            ts = []
            for _ in range(k):
                t = time.monotonic()
                r = c.submit(0, c.write_file())
                self.assertEqual(r.rc, EXIT_OK, r)
                ts.append(time.monotonic() - t)
            return ts

        quiet = submit_times(6)
        threads = [threading.Thread(target=hammer, daemon=True) for _ in range(6)]
        for t in threads:
            t.start()
        try:
            loaded = submit_times(6)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertGreater(sum(served), 0)
        print("  submit median %.0f ms quiet, %.0f ms with %d page requests in flight "
              "(%d pages served)" % (statistics.median(quiet) * 1000,
                                     statistics.median(loaded) * 1000, len(threads),
                                     sum(served)), end=" ", flush=True)
        c.assert_alive()


if __name__ == "__main__":
    unittest.main()
