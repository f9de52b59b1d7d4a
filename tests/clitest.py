"""The harness of the notary command-line tests (tests/it_cli*.py): runs
build/notary as a user would, and a one-validator network made with
`notary init` run as notaryd (Node) on a random loopback port. The build
directory comes from $NT_BUILD (default "build").
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import nngwire

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("NT_BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
NOTARY = os.path.join(BUILD, "notary")
NOTARYD = os.path.join(BUILD, "notaryd")
VECTORS = os.path.join(os.environ.get("NT_VECTORS", os.path.join(ROOT, "tests", "vectors")),
                       "receipt-v1")
VECTORS2 = os.path.join(os.environ.get("NT_VECTORS", os.path.join(ROOT, "tests", "vectors")),
                        "receipt-v2")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")


def run(*args, timeout=60, env=None, cwd=None):
    """Runs notary with args; returns the CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("NOTARY_NODE", None)
    e["NOTARY_CLIENT_CONFIG"] = os.path.join(tempfile.gettempdir(), "nt-no-client-settings",
                                             "client.json")  # none: see tests/cluster.py
    # `notary verify` speaks the locale's language and shows the local
    # zone: the tests choose them (env=...), not the machine they run on.
    for k in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "TZ"):
        e.pop(k, None)
    if env:
        e.update(env)
    return subprocess.run([NOTARY] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd)


def free_port_pair():
    """A loopback port p such that p and p+1 were both free just now."""
    return nngwire.free_port(2)


def vec(name):
    return os.path.join(VECTORS, name)


def vec2(name):
    return os.path.join(VECTORS2, name)


class Node:
    """A one-validator network made with `notary init`, run as notaryd."""

    def __init__(self, tmp, name="home", init_args=()):
        self.port = free_port_pair()
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.home = os.path.join(tmp, name)
        self.log_path = os.path.join(tmp, name + ".log")
        self.proc = None
        p = run("init", "--home", self.home, "--chain-id", "cli-test", "--rpc", self.url,
                "--name", "Test Office", *init_args)
        if p.returncode != 0:
            raise RuntimeError("notary init failed: " + p.stderr)
        self.genesis = os.path.join(self.home, "genesis.json")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([NOTARYD, "--home", self.home], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("notaryd exited: " + self.log_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("notaryd did not listen within 15 s: " + self.log_text())

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        self.log.close()

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


class NodeCase(unittest.TestCase):
    """One node (notary init, run as notaryd) and one party key for a test
    class; each test gets its own directory of files. Subclasses name
    their temporary directory with PREFIX."""

    PREFIX = "it_cli_"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.PREFIX)
        cls.node = Node(cls.tmp)
        cls.node.start()
        cls.key = os.path.join(cls.tmp, "party.key")
        p = run("keygen", "--out", cls.key)
        assert p.returncode == 0, p.stderr
        cls.pubkey = p.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=self.tmp)

    def tearDown(self):
        if self.node.proc is None or self.node.proc.poll() is not None:
            self.fail("notaryd died: " + self.node.log_text())

    def file(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path
