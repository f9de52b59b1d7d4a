#!/usr/bin/env python3
"""GET /metrics on the HTTP listener (docs/OPERATIONS.md "Metrics"),
scraped from a running 4-validator testnet (tests/cluster.py) and checked
with `promtool check metrics` (Debian's prometheus package, installed by
tools/install-deps.sh): the format is valid, and the values follow what the
network did (blocks, records, peers, RPC requests and errors by code).

Run by `make test`, or `NT_BUILD=build python3 tests/it_metrics.py -v`.
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import EXIT_OK, Cluster, RpcError, wait_until  # noqa: E402

PROMTOOL = shutil.which("promtool")


def scrape(node):
    with open(os.path.join(node.home, "config.json")) as f:
        url = json.load(f)["http"]["listen"]
    port = int(url.rsplit(":", 1)[1].strip("/"))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def value(text, name, labels=None):
    pat = "^" + re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)$"
    m = re.search(pat, text, re.M)
    return float(m.group(1)) if m else None


class MetricsTest(unittest.TestCase):
    def test_four_validators(self):
        self.assertIsNotNone(PROMTOOL, "promtool missing: sh tools/install-deps.sh "
                                       "(apt-get install prometheus)")
        with Cluster(validators=4, chain_id="metrics-test") as c:
            c.start_all()
            results = [c.submit(i % 4, c.write_file()) for i in range(6)]
            for r in results:
                self.assertEqual(r.rc, EXIT_OK, r)
            top = max(r.height for r in results)
            c.wait_height(top, timeout=30)
            with self.assertRaises(RpcError):
                c.rpc(0, "block", {"height": 10 ** 9})
            time.sleep(1.2)  # the loop renders the text once a second
            for nd in c.nodes:
                st, ctype, text = scrape(nd)
                self.assertEqual(st, 200)
                self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), ctype)
                p = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertGreaterEqual(value(text, "notary_height"), top)
                self.assertEqual(value(text, "notary_is_validator"), 1)
                self.assertEqual(value(text, "notary_validators"), 4)
                self.assertGreaterEqual(value(text, "notary_peers_connected"), 3)
                self.assertGreaterEqual(value(text, "notary_blocks_total"), 1)
                self.assertGreaterEqual(value(text, "notary_block_records_sum"), 1)
                self.assertIsNotNone(value(text, "notary_messages_dropped_total",
                                           'reason="bad signature"'))
                self.assertGreaterEqual(value(text, "notary_wal_fsync_seconds_count"), 1)
            _, _, text0 = scrape(c.node(0))
            self.assertGreaterEqual(value(text0, "notary_rpc_requests_total",
                                          'method="submit"'), 2)
            self.assertGreaterEqual(value(text0, "notary_rpc_errors_total", 'code="-32001"'), 1)
            # records committed everywhere: each node counted them in its blocks
            total = sum(value(scrape(nd)[2], "notary_block_records_sum") for nd in c.nodes)
            self.assertGreaterEqual(total, 6 * 4)

    def test_quorum_watch(self):
        """status counts offices once and says whether a quorum is heard
        from; the log says WARN when none was for 10 s, naming the silent
        offices, and INFO when it is back."""
        with Cluster(validators=4, chain_id="quorum-test") as c:
            c.start_all()
            st = wait_until(lambda: (lambda s: s if s["offices_heard"] == 4 else None)(
                c.status(0)), 10, what="all four heard")
            self.assertTrue(st["quorum_visible"])
            self.assertEqual(st["offices_silent"], [])
            c.stop(2)
            c.stop(3)
            st = wait_until(lambda: (lambda s: s if not s["quorum_visible"] else None)(
                c.status(0)), 10, what="quorum lost")
            self.assertEqual(st["offices_heard"], 2)
            self.assertEqual(sorted(st["offices_silent"]), ["Notary Office C", "Notary Office D"])
            wait_until(lambda: "WARN  no quorum for" in c.node(0).log_text(20000), 20,
                       what="the WARN")
            self.assertIn("Not heard from: Notary Office C, Notary Office D",
                          c.node(0).log_text(20000))
            p = c.cli("status", "--node", c.node(0).rpc_url)
            self.assertIn("NO QUORUM", p.stdout)
            c.start(2)
            wait_until(lambda: "INFO  a quorum is back" in c.node(0).log_text(20000), 20,
                       what="the INFO")
            self.assertTrue(c.status(0)["quorum_visible"])


if __name__ == "__main__":
    unittest.main()
