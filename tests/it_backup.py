#!/usr/bin/env python3
"""notary backup / notary restore (docs/OPERATIONS.md "Backups") on a real
4-validator testnet (tests/cluster.py):

  a) a backup of a validator made while records keep coming; backups killed
     with SIGKILL at random moments leave either no file or a whole one; a
     truncated or altered file is refused by restore with nothing restored;
  b) the restored home audits clean; notaryd refuses to start it without the
     office's sign-state ("SIGN-STATE LOST"); with the sign-state kept apart
     put back, it takes the office's place, catches up and every node ends
     with the same block hashes.

Run by `make test`, or `NT_BUILD=build python3 tests/it_backup.py -v`.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cluster import EXIT_OK, NOTARY, NOTARYD, Cluster, Load, run_cli, wait_until  # noqa: E402


class BackupTest(unittest.TestCase):
    def test_backup_restore(self):
        with Cluster(validators=4, chain_id="backup-test") as c:
            c.start_all()
            for _ in range(3):
                self.assertEqual(c.submit(0, c.write_file()).rc, EXIT_OK)
            home1 = c.node(1).home
            out = os.path.join(c.tmp, "node1.ntbk")
            with Load(c, nodes=[0, 2, 3]):
                time.sleep(0.5)
                # SIGKILL at random moments: the file is absent or whole
                for k in range(8):
                    part = os.path.join(c.tmp, "killed%d.ntbk" % k)
                    p = subprocess.Popen([NOTARY, "backup", "--home", home1, "--out", part],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(random.uniform(0, 0.03))
                    p.send_signal(signal.SIGKILL)
                    p.wait(10)
                    if os.path.exists(part):
                        r = run_cli("restore", part, "--home", os.path.join(c.tmp, "kr%d" % k))
                        self.assertEqual(r.returncode, 0, r.stderr)
                p = run_cli("backup", "--home", home1, "--out", out)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("(no keys)", p.stdout)
            # damaged files restore nothing
            with open(out, "rb") as f:
                data = f.read()
            for name, bad in (("cut", data[:len(data) // 2]),
                              ("flipped", data[:100] + bytes([data[100] ^ 1]) + data[101:])):
                path = os.path.join(c.tmp, name + ".ntbk")
                with open(path, "wb") as f:
                    f.write(bad)
                target = os.path.join(c.tmp, "r-" + name)
                r = run_cli("restore", path, "--home", target)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("nothing restored", r.stderr)
                self.assertFalse(os.path.exists(target))
            # restore into a new home: it audits clean
            new = os.path.join(c.tmp, "restored")
            r = run_cli("restore", out, "--home", new)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("blocks checked and stored", r.stdout)
            self.assertFalse(os.path.exists(os.path.join(new, "validator.key")))
            a = run_cli("audit", "--home", new)
            self.assertEqual(a.returncode, 0, a.stdout + a.stderr)
            # the office moves to the restored home: key and sign-state come
            # from where they were kept apart
            c.stop(1)
            shutil.copy(os.path.join(home1, "validator.key"), new)
            os.chmod(os.path.join(new, "validator.key"), 0o600)
            p = subprocess.run([NOTARYD, "--home", new], capture_output=True, text=True,
                               timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("SIGN-STATE LOST", p.stderr)
            os.makedirs(os.path.join(new, "consensus"), mode=0o700)
            shutil.copy(os.path.join(home1, "consensus", "sign_state"),
                        os.path.join(new, "consensus"))
            old = home1 + ".old"
            os.rename(home1, old)
            os.rename(new, home1)
            c.start(1)
            for _ in range(3):
                self.assertEqual(c.submit(2, c.write_file()).rc, EXIT_OK)
            top = max(c.height(i) for i in (0, 2, 3))
            c.wait_height(top, timeout=40)
            c.assert_same_chain()
            r = c.submit(1, c.write_file())
            self.assertEqual(r.rc, EXIT_OK, r)
            c.assert_alive()


if __name__ == "__main__":
    unittest.main()
