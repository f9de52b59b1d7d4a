#!/usr/bin/env python3
"""The systemd unit tools/systemd/notaryd.service (docs/OPERATIONS.md
"Running as a service"): `systemd-analyze verify` finds nothing wrong with
it (with ExecStart pointed at the built notaryd), and its offline security
score stays "OK" or better. The container has no systemd running, so the
unit is checked, not started.

Run by `make test`, or `NT_BUILD=build python3 tests/it_service.py -v`.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, os.environ.get("NT_BUILD", "build"))
UNIT = os.path.join(ROOT, "tools", "systemd", "notaryd.service")
ANALYZE = shutil.which("systemd-analyze")


class ServiceUnit(unittest.TestCase):
    def setUp(self):
        self.assertIsNotNone(ANALYZE, "systemd-analyze missing: apt-get install systemd")
        self.tmp = tempfile.mkdtemp(prefix="nt-unit-")
        with open(UNIT) as f:
            text = f.read()
        self.assertIn("ExecStart=/usr/local/bin/notaryd --home", text)
        self.unit = os.path.join(self.tmp, "notaryd.service")
        with open(self.unit, "w") as f:
            f.write(text.replace("/usr/local/bin/notaryd", os.path.join(BUILD, "notaryd")))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_verify(self):
        p = subprocess.run([ANALYZE, "verify", self.unit], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr.strip(), "", p.stderr)

    def test_hardening(self):
        p = subprocess.run([ANALYZE, "security", "--offline=yes", self.unit],
                           capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for notaryd.service: ([0-9.]+) (\w+)", p.stdout)
        self.assertIsNotNone(m, p.stdout[-2000:] + p.stderr)
        print("  exposure %s %s" % (m.group(1), m.group(2)), end=" ", flush=True)
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout[-3000:])
        with open(UNIT) as f:
            text = f.read()
        for opt in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=notary",
                    "Restart=on-failure", "RestartForceExitStatus=75"):
            self.assertIn(opt, text)


if __name__ == "__main__":
    unittest.main()
