#!/usr/bin/env python3
"""The deterministic simulator (build/notary-sim, tools/sim/).

Runs a few hundred seeds with every fault on and a Byzantine validator,
with and without validator-set changes (--changes: odd seeds add, remove
and rotate offices), checks that one seed replays byte for byte, and that
each planted bug is caught by the check that should catch it, with a
replay command that reproduces the failure. The build directory comes from $NT_BUILD (default
"build"); `make test` builds the simulator first.
"""
import os
import shlex
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", os.path.join(ROOT, "build"))
SIM = os.path.join(BUILD, "notary-sim")


def sim(*args, timeout=120):
    p = subprocess.run([SIM, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class SimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(SIM):
            raise unittest.SkipTest(f"{SIM} not built (make sim)")

    def test_all_faults_many_seeds(self):
        start = time.time()
        rc, out, err = sim("--seeds", "250", "--start", "1", "--validators", "4",
                           "--byzantine", "1", "--faults", "all")
        took = time.time() - start
        self.assertEqual(rc, 0, out + err)
        self.assertIn("250 seeds (1..250), 0 failed", err)
        self.assertIn("seeds/s", err)
        self.assertLess(took, 90, "250 seeds took too long")

    def test_seven_validators_two_byzantine(self):
        rc, out, err = sim("--seeds", "30", "--start", "5000", "--validators", "7",
                           "--byzantine", "2", "--faults", "all", "--records", "20")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("0 failed", err)

    def test_fault_subsets_and_no_faults(self):
        for faults in ("none", "delay,loss,dup", "partition,crash", "skew,reorder"):
            rc, out, err = sim("--seeds", "15", "--start", "900", "--faults", faults)
            self.assertEqual(rc, 0, f"--faults {faults}: " + out + err)

    def test_same_seed_same_trace(self):
        args = ("--seeds", "2", "--start", "4242", "--faults", "all", "--trace")
        rc1, out1, _ = sim(*args)
        rc2, out2, _ = sim(*args)
        self.assertEqual(rc1, 0)
        self.assertEqual(rc2, 0)
        self.assertGreater(out1.count("\n"), 100)
        self.assertEqual(out1, out2)
        _, other, _ = sim("--seeds", "2", "--start", "4243", "--faults", "all", "--trace")
        self.assertNotEqual(out1, other)

    def caught(self, bug, check, seeds="400", extra=()):
        rc, out, err = sim("--seeds", seeds, "--start", "1", "--validators", "4",
                           "--byzantine", "1", "--faults", "all", "--inject-bug", bug, *extra)
        self.assertEqual(rc, 1, f"planted bug {bug} not caught: " + out + err)
        fail = [line for line in out.splitlines() if line.startswith("FAIL seed ")]
        self.assertEqual(len(fail), 1, out)
        self.assertIn(f": {check}: ", fail[0])
        replay = [line for line in out.splitlines() if line.startswith("replay: ")]
        self.assertEqual(len(replay), 1, out)
        # the replay command reproduces the same failure, with a trace
        cmd = shlex.split(replay[0][len("replay: "):])
        self.assertIn("--trace", cmd)
        cmd[0] = SIM
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(fail[0], p.stdout)
        self.assertIn("FAIL " + check, p.stdout)  # the trace line of the failure
        return fail[0]

    def test_planted_skip_lock_is_a_safety_violation(self):
        self.caught("skip-lock", "agreement")

    def test_planted_weak_quorum_is_caught(self):
        self.caught("weak-quorum", "validity", seeds="20")

    def test_planted_no_wal_double_signs(self):
        self.caught("no-wal", "double-sign", seeds="50")

    def test_planted_wal_current_only_loses_a_lock(self):
        # the WAL keeps only the current height, not the next height's early
        # messages the engine buffers: a crash can unlock a node
        self.caught("wal-current-only", "durability", seeds="300")

    def test_planted_wal_unauth_writes_forged_bytes(self):
        # the host logs a message before it is authenticated (what the node
        # did before): the Byzantine nodes' forgeries reach an honest WAL
        self.caught("wal-unauth", "wal-auth", seeds="50")

    def test_planted_start_unauth_makes_empty_blocks(self):
        # any message of the next height starts it: forged votes make an
        # idle network commit empty blocks
        self.caught("start-unauth", "empty-block", seeds="100")

    def test_planted_send_before_sync_double_signs(self):
        # the shared host driver (core/cons_driver.c) sends a signature
        # before the sign-state that protects it is synced: the ordering
        # node/ ships is the one the simulator checks, so this is caught
        self.caught("send-before-sync", "double-sign", seeds="20")

    def test_planted_late_switch_is_caught(self):
        # the host driver runs the first height of a new set with the old
        # set: a node's engine names other proposers (or another index) than
        # the chain's set of that height
        fail = self.caught("late-switch", "valset", seeds="20", extra=("--changes", "3"))
        self.assertIn("the first height of the set that change", fail)

    # ---- validator-set changes (--changes N, odd seeds) ----

    def changes_total(self, err):
        for line in err.splitlines():
            if " set changes, " in line:
                return int(line.split(" set changes, ")[0].rsplit(" ", 1)[1])
        self.fail("no set changes in the summary: " + err)

    def test_set_changes_many_seeds(self):
        # 150 version 2 seeds change their set 3 times each under every fault,
        # with a Byzantine validator in the old or the new set
        start = time.time()
        rc, out, err = sim("--seeds", "300", "--start", "1", "--validators", "4",
                           "--byzantine", "1", "--faults", "all", "--changes", "3")
        took = time.time() - start
        self.assertEqual(rc, 0, out + err)
        self.assertIn("300 seeds (1..300), 0 failed", err)
        self.assertEqual(self.changes_total(err), 450)
        self.assertLess(took, 60, "300 seeds with set changes took too long")

    def test_set_changes_other_sizes_and_faults(self):
        runs = [("--seeds", "40", "--start", "100001", "--validators", "7", "--byzantine", "2",
                 "--changes", "4"),
                ("--seeds", "40", "--start", "200001", "--validators", "5", "--byzantine", "1",
                 "--records", "30", "--changes", "5"),
                ("--seeds", "30", "--start", "300001", "--validators", "2", "--byzantine", "0",
                 "--changes", "8")]
        for faults in ("none", "partition,crash", "delay,loss,dup,reorder,skew"):
            runs.append(("--seeds", "20", "--start", "900", "--faults", faults, "--changes", "3"))
        for args in runs:
            rc, out, err = sim(*args)
            self.assertEqual(rc, 0, f"{args}: " + out + err)
            self.assertIn("0 failed", err)
            self.assertGreater(self.changes_total(err), 0, args)

    def test_set_changes_trace(self):
        # same seed, same trace; the trace shows each kind of change, the
        # added office's node booting, the key rotation and the boundary crash
        args = ("--seeds", "6", "--start", "1", "--changes", "3", "--trace")
        rc1, out1, _ = sim(*args)
        rc2, out2, _ = sim(*args)
        self.assertEqual(rc1, 0)
        self.assertEqual(out1, out2)
        for what in ("plan change 0: ", "landed at h", ": add office", ": remove office",
                     ": rotate the key of office", "boots (an added office",
                     "takes its new key", "crashes at the set change's boundary"):
            self.assertIn(what, out1)
        # receipts of records committed after two or three changes verify
        # from the genesis alone, at the end too
        self.assertRegex(out1, r"final receipt \S+ h\d+ from n\d+ verifies \([23] set changes\)")

    def test_usage_errors(self):
        for args in (["--faults", "flood"], ["--inject-bug", "nope"], ["--validators", "0"],
                     ["--validators", "4", "--byzantine", "4"], ["--seeds"], ["--bogus"],
                     ["--changes", "9"], ["--inject-bug", "late-switch"]):
            rc, _, err = sim(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn("notary-sim:", err)


if __name__ == "__main__":
    unittest.main()
