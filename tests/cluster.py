"""A harness for multi-process tests of a notary network on one machine.

Python 3 standard library only. A Cluster writes a testnet with the CLI
(`notary testnet`) in a fresh temporary directory on a random free base
port, runs each node as its own notaryd process (logs in DIR/nodeI/notaryd.log),
and offers what cluster tests need: start / stop / kill -9 / restart one node,
JSON-RPC to any node (tests/nngwire.py), heights and block hashes per node,
submit / receipt / verify through the CLI, and bounded waits. Every wait has a
timeout; close() (also on `with` exit and at interpreter exit) kills every
process it started and removes the directory (set NT_KEEP_CLUSTER=1 to keep
it for a post-mortem).

    with Cluster(validators=4) as c:
        c.start_all()
        r = c.submit(1, c.write_file("a.txt", b"exhibit"))
        assert r.rc == 0
        ok, out = c.verify(r.receipt, r.path)
        c.wait_height(r.height, timeout=30)
        c.assert_same_chain()

The build directory comes from $NT_BUILD (default: build).
"""
import atexit
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import nngwire  # noqa: E402

BUILD = os.environ.get("NT_BUILD", os.path.join(ROOT, "build"))
if not os.path.isabs(BUILD):
    BUILD = os.path.join(ROOT, BUILD)
NOTARY = os.path.join(BUILD, "notary")
NOTARYD = os.path.join(BUILD, "notaryd")
# A settings file that does not exist (its directory does not either): the
# tests must not pick up the node of whoever runs them (notary client-config).
NO_CLIENT_CONFIG = os.path.join(tempfile.gettempdir(), "nt-no-client-settings", "client.json")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
PORT_STRIDE = 10  # notary testnet: node i uses base + 10*i (rpc) and +1 (p2p)

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_PENDING = 0, 1, 2, 3


class ClusterError(Exception):
    pass


class RpcError(Exception):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, code, message):
        super().__init__("JSON-RPC error %s: %s" % (code, message))
        self.code = code
        self.message = message


# ---- small helpers ----

def wait_until(pred, timeout, interval=0.1, what="condition"):
    """Calls pred() until it returns something true, and returns that.
    Exceptions from pred count as "not yet" (a node may be restarting); the
    last one is named in the TimeoutError raised after timeout seconds.
    ClusterError and AssertionError (a node died, a check failed) mean it
    never will: they propagate at once."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except (ClusterError, AssertionError):
            raise
        except Exception as e:  # noqa: BLE001 - reported below if it persists
            last = e
        if time.monotonic() >= deadline:
            extra = " (last error: %r)" % (last,) if last is not None else ""
            raise TimeoutError("%s not reached within %.1f s%s" % (what, timeout, extra))
        time.sleep(interval)


def run_cli(*args, timeout=60, env=None, cwd=None):
    """Runs `notary ARGS`; returns the CompletedProcess (text). NOTARY_NODE
    is removed from the environment and the client settings file pointed
    nowhere, so every node is named explicitly."""
    e = dict(os.environ)
    e.pop("NOTARY_NODE", None)
    e["NOTARY_CLIENT_CONFIG"] = NO_CLIENT_CONFIG
    if env:
        e.update(env)
    return subprocess.run([NOTARY] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, env=e, cwd=cwd)


def _port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _ephemeral_low():
    """The first port the kernel gives outgoing connections; ports below it
    cannot be taken by a client socket while a node is down (a restarted
    node must get its port back)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
        return low if low >= 12000 else 32768
    except (OSError, ValueError, IndexError):
        return 32768


def free_base_port(nodes, tries=200):
    """A base port P such that P+10*i .. P+10*i+2 were free just now for
    every i < nodes, below the ephemeral range. Random, so parallel test runs
    rarely collide."""
    span = PORT_STRIDE * nodes + 2
    for _ in range(tries):
        base = random.randrange(10000, _ephemeral_low() - span)
        if all(_port_free(base + PORT_STRIDE * i + k) for i in range(nodes) for k in (0, 1, 2)):
            return base
    raise ClusterError("no free range of %d ports found" % span)


def port_open(url, timeout=0.5):
    host, port = nngwire.parse_tcp_url(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def rss_kib(pid):
    """A process's resident memory (VmRSS) in KiB, 0 if unknown."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tail(path, nbytes=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - nbytes))
            return f.read().decode(errors="replace")
    except OSError:
        return ""


# Clusters not closed yet: killed at interpreter exit whatever happened.
_LIVE = set()


@atexit.register
def _kill_leftovers():
    for c in list(_LIVE):
        c.close()


# ---- results ----

class SubmitResult:
    """What `notary submit` did: rc (0 committed, 3 pending, ...), the
    record_id it printed, the receipt file (None unless committed), the
    height it printed, and its output."""

    def __init__(self, path, proc, receipt_path):
        self.path = path
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.record_id = None
        self.height = None
        m = re.search(r"^([0-9a-f]{64})  " + re.escape(path) + r"(?: -> |: )", proc.stdout,
                      re.M)
        if m:
            self.record_id = m.group(1)
        m = re.search(r"\(block (\d+)", proc.stdout)
        if m:
            self.height = int(m.group(1))
        self.receipt = receipt_path if self.rc == 0 and os.path.exists(receipt_path) else None

    @property
    def pending(self):
        return self.rc == EXIT_PENDING

    def __repr__(self):
        return "SubmitResult(rc=%s, id=%s, height=%s)\n%s%s" % (
            self.rc, self.record_id, self.height, self.stdout, self.stderr)


# ---- nodes ----

class Node:
    def __init__(self, index, home):
        self.index = index
        self.name = "node%d" % index
        self.home = home
        with open(os.path.join(home, "config.json")) as f:
            cfg = json.load(f)
        self.rpc_url = cfg["rpc"]
        self.p2p_url = cfg.get("p2p")
        self.peers = cfg.get("peers", [])
        with open(os.path.join(home, "validator.key")) as f:
            self.pubkey = json.load(f)["pubkey"]
        self.genesis = os.path.join(home, "genesis.json")
        self.log_path = os.path.join(home, "notaryd.log")
        self.role = None  # set by the cluster from the genesis
        self.proc = None
        self._log = None
        self.starts = 0

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def log_text(self, nbytes=3000):
        return tail(self.log_path, nbytes)

    def __repr__(self):
        return "<%s %s %s %s>" % (self.name, self.role, self.rpc_url,
                                  "running" if self.running else "stopped")


class Cluster:
    def __init__(self, validators=4, observers=0, chain_id="cluster-test", base_port=None,
                 testnet_args=()):
        if not (os.access(NOTARY, os.X_OK) and os.access(NOTARYD, os.X_OK)):
            raise ClusterError("build %s and %s first" % (NOTARY, NOTARYD))
        self.tmp = tempfile.mkdtemp(prefix="nt-cluster-")
        _LIVE.add(self)
        self.nodes = []
        try:
            self._create(validators, observers, chain_id, base_port, testnet_args)
        except BaseException:
            self.close()
            raise

    def _create(self, validators, observers, chain_id, base_port, testnet_args=()):
        self.dir = os.path.join(self.tmp, "net")
        self.files = os.path.join(self.tmp, "files")
        os.makedirs(self.files)
        self.chain_id = chain_id
        n = validators + observers
        self.base_port = base_port or free_base_port(n)
        p = run_cli("testnet", "--dir", self.dir, "--validators", validators, "--observers",
                    observers, "--chain-id", chain_id, "--base-port", self.base_port,
                    *testnet_args)
        if p.returncode != 0:
            raise ClusterError("notary testnet failed (%d): %s%s" % (p.returncode, p.stdout,
                                                                     p.stderr))
        self.testnet_output = p.stdout
        self.nodes = [Node(i, os.path.join(self.dir, "node%d" % i)) for i in range(n)]
        self.genesis = self.nodes[0].genesis
        with open(self.genesis) as f:
            self.genesis_doc = json.load(f)
        keys = [v["pubkey"] for v in self.genesis_doc["validators"]]
        for nd in self.nodes:
            nd.role = "validator" if nd.pubkey in keys else "observer"
        self.key = os.path.join(self.tmp, "party.key")
        p = run_cli("keygen", "--out", self.key)
        if p.returncode != 0:
            raise ClusterError("notary keygen failed: " + p.stderr)

    # -- lifetime --

    def close(self):
        """Kills every node with SIGKILL (no grace: tests that care stop
        nodes themselves) and removes the directory. Idempotent."""
        for nd in self.nodes:
            self._reap(nd, kill=True)
        if self.tmp is not None:
            if os.environ.get("NT_KEEP_CLUSTER"):
                sys.stderr.write("cluster kept in %s\n" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        _LIVE.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _reap(self, nd, kill):
        if nd.proc is not None:
            if kill and nd.proc.poll() is None:
                try:
                    nd.proc.kill()
                except OSError:
                    pass
            try:
                nd.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if nd._log is not None:
            nd._log.close()
            nd._log = None

    # -- processes --

    def node(self, i):
        return i if isinstance(i, Node) else self.nodes[i]

    def _sel(self, nodes):
        if nodes is None:
            return list(self.nodes)
        return [self.node(i) for i in nodes]

    @property
    def validators(self):
        return [nd for nd in self.nodes if nd.role == "validator"]

    @property
    def observers(self):
        return [nd for nd in self.nodes if nd.role == "observer"]

    def start(self, i, wait=True, timeout=20):
        """Starts notaryd for node i (appending to its log). With wait, returns
        once its RPC answers status; raises with the log tail if it exits."""
        nd = self.node(i)
        if nd.running:
            raise ClusterError("%s is already running" % nd.name)
        self._reap(nd, kill=False)
        nd._log = open(nd.log_path, "ab")
        nd._log.write(b"==== harness: start #%d at %.3f ====\n" % (nd.starts + 1, time.time()))
        nd._log.flush()
        # Own session: a Ctrl-C in the terminal reaches the test, which then
        # tears down in order, not every node at once.
        nd.proc = subprocess.Popen([NOTARYD, "--home", nd.home], stdout=nd._log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        nd.starts += 1
        if wait:
            self.wait_serving(nd, timeout)
        return nd

    def wait_serving(self, i, timeout=20):
        nd = self.node(i)

        def up():
            if not nd.running:
                raise ClusterError("%s exited (%s) while starting:\n%s" %
                                   (nd.name, nd.proc.returncode if nd.proc else None,
                                    nd.log_text()))
            return self.status(nd, timeout=2) is not None

        try:
            wait_until(up, timeout, 0.05, "%s serving RPC" % nd.name)
        except TimeoutError as e:
            if nd.proc is not None and nd.proc.poll() is not None:
                raise ClusterError("%s exited with %s:\n%s" % (nd.name, nd.proc.returncode,
                                                               nd.log_text())) from e
            raise

    def start_all(self, nodes=None, timeout=20):
        sel = self._sel(nodes)
        for nd in sel:
            self.start(nd, wait=False)
        for nd in sel:
            self.wait_serving(nd, timeout)

    def stop(self, i, timeout=10):
        """SIGTERM, wait up to timeout; SIGKILL after that (and raise, since
        a node must stop cleanly). Returns the exit code."""
        nd = self.node(i)
        if nd.proc is None:
            return None
        if nd.proc.poll() is None:
            nd.proc.send_signal(signal.SIGTERM)
            try:
                nd.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._reap(nd, kill=True)
                raise ClusterError("%s did not stop within %d s of SIGTERM:\n%s" %
                                   (nd.name, timeout, nd.log_text()))
        rc = nd.proc.returncode
        self._reap(nd, kill=False)
        return rc

    def kill(self, i):
        """kill -9: no chance to flush or close anything."""
        nd = self.node(i)
        if nd.proc is not None and nd.proc.poll() is None:
            nd.proc.send_signal(signal.SIGKILL)
        self._reap(nd, kill=True)
        return nd.proc.returncode if nd.proc is not None else None

    def restart(self, i, wait=True, timeout=20):
        self.stop(i)
        return self.start(i, wait=wait, timeout=timeout)

    def wipe(self, i):
        """Removes a stopped node's store (data/), as for a brand new node."""
        nd = self.node(i)
        if nd.running:
            raise ClusterError("stop %s before wiping its store" % nd.name)
        shutil.rmtree(os.path.join(nd.home, "data"), ignore_errors=True)

    def crashed(self, nodes=None):
        """Nodes that were started and exited without being told to."""
        return [nd for nd in self._sel(nodes) if nd.proc is not None and
                nd.proc.poll() is not None]

    def assert_alive(self, nodes=None):
        dead = self.crashed(nodes)
        if dead:
            raise AssertionError("\n".join("%s exited with %s:\n%s" % (
                nd.name, nd.proc.returncode, nd.log_text()) for nd in dead))

    # -- JSON-RPC --

    def rpc(self, i, method, params=None, timeout=10, admin=False):
        """One JSON-RPC call; returns the result or raises RpcError
        (error object), OSError / nngwire.WireError (no answer). admin:
        on the node's operator socket (ipc://HOME/admin.sock)."""
        nd = self.node(i)
        url = "ipc://%s/admin.sock" % nd.home if admin else nd.rpc_url
        with nngwire.ReqClient.from_url(url, timeout=timeout) as c:
            resp = c.call(method, params)
        if "error" in resp:
            err = resp["error"] or {}
            raise RpcError(err.get("code"), err.get("message"))
        return resp["result"]

    def status(self, i, timeout=5):
        """The status result, or None if the node does not answer."""
        try:
            return self.rpc(i, "status", None, timeout)
        except (OSError, nngwire.WireError, RpcError, ValueError):
            return None

    def height(self, i, timeout=5):
        st = self.status(i, timeout)
        return st["height"] if st is not None else None

    def heights(self, nodes=None):
        return {nd.name: self.height(nd) for nd in self._sel(nodes)}

    def wait_height(self, h, nodes=None, timeout=30):
        """Waits until every selected node (default: all running) is at
        height >= h."""
        sel = self._sel(nodes) if nodes is not None else [nd for nd in self.nodes
                                                          if nd.running]

        def reached():
            self.assert_alive(sel)
            return all((self.height(nd) or 0) >= h for nd in sel)

        try:
            wait_until(reached, timeout, 0.1, "height %d on %s" % (h, [nd.name for nd in sel]))
        except TimeoutError as e:
            raise TimeoutError("%s; heights %s" % (e, self.heights(sel))) from None

    def wait_progress(self, blocks=1, nodes=None, timeout=30):
        """Waits until the selected nodes' lowest height grew by blocks."""
        sel = self._sel(nodes) if nodes is not None else [nd for nd in self.nodes
                                                          if nd.running]
        start = min(self.height(nd) or 0 for nd in sel)
        self.wait_height(start + blocks, sel, timeout)
        return start + blocks

    def wait_same_height(self, nodes=None, timeout=30, at_least=0):
        """Waits until the selected nodes (default: all running) report one
        and the same height >= at_least; returns it."""
        sel = self._sel(nodes) if nodes is not None else [nd for nd in self.nodes
                                                          if nd.running]

        def same():
            self.assert_alive(sel)
            hs = {self.height(nd) for nd in sel}
            if len(hs) == 1 and None not in hs:
                h = hs.pop()
                return (h,) if h >= at_least else None  # a tuple: height 0 is true
            return None

        try:
            return wait_until(same, timeout, 0.1, "one height on %s" % [nd.name for nd in sel])[0]
        except TimeoutError as e:
            raise TimeoutError("%s; heights %s" % (e, self.heights(sel))) from None

    def block(self, i, h, timeout=10):
        return self.rpc(i, "block", {"height": h}, timeout)

    def block_hash(self, i, h):
        return self.block(i, h)["hash"]

    def block_hashes(self, i, upto=None):
        """{height: hash} for heights 1..upto (default: the node's height)."""
        nd = self.node(i)
        top = upto if upto is not None else self.height(nd)
        if top is None:
            raise ClusterError("%s does not answer" % nd.name)
        return {h: self.block_hash(nd, h) for h in range(1, top + 1)}

    def assert_same_chain(self, nodes=None, upto=None):
        """Every selected node (default: all running) has the same block hash
        at every height 1..upto (default: the lowest of their heights), and
        not fewer blocks than that. Returns the height compared."""
        sel = self._sel(nodes) if nodes is not None else [nd for nd in self.nodes
                                                          if nd.running]
        if upto is None:
            hs = [self.height(nd) for nd in sel]
            if any(h is None for h in hs):
                raise AssertionError("a node does not answer: %s" % self.heights(sel))
            upto = min(hs)
        ref = self.block_hashes(sel[0], upto)
        for nd in sel[1:]:
            other = self.block_hashes(nd, upto)
            for h in range(1, upto + 1):
                if other[h] != ref[h]:
                    raise AssertionError("fork at height %d: %s has %s, %s has %s" %
                                         (h, sel[0].name, ref[h], nd.name, other[h]))
        return upto

    def dropped(self, i):
        """The node's dropped-peer-message counters: status "dropped" (an
        object of counters; a plain number is returned as {"total": n})."""
        st = self.rpc(i, "status")
        d = st.get("dropped")
        if d is None:
            raise AssertionError("status of %s has no \"dropped\" member: %s" %
                                 (self.node(i).name, st))
        return d if isinstance(d, dict) else {"total": d}

    @staticmethod
    def dropped_total(d):
        return sum(v for v in d.values() if isinstance(v, int) and not isinstance(v, bool))

    # -- the CLI --

    def write_file(self, name=None, data=None):
        """A file of evidence in the cluster's directory (random content and
        name by default)."""
        name = name or "exhibit-%s.bin" % os.urandom(6).hex()
        data = data if data is not None else os.urandom(64)
        path = os.path.join(self.files, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def submit(self, i, path, timeout=30, key=None, args=()):
        """`notary submit --node NODE --key KEY --timeout T [ARGS] FILE`."""
        nd = self.node(i)
        p = run_cli("submit", "--node", nd.rpc_url, "--key", key or self.key, "--timeout",
                    timeout, *args, path, timeout=timeout + 30)
        return SubmitResult(path, p, path + ".receipt.json")

    def receipt(self, i, record_id, out, wait=10):
        """`notary receipt --node NODE --wait W --out OUT ID`; the process."""
        return run_cli("receipt", "--node", self.node(i).rpc_url, "--wait", wait, "--out", out,
                       record_id, timeout=wait + 30)

    def verify(self, receipt, path=None, genesis=None):
        """`notary verify --json` offline: (exit code, parsed JSON or None)."""
        args = ["verify", "--genesis", genesis or self.genesis, "--receipt", receipt]
        if path is not None:
            args.append(path)
        args.append("--json")
        p = run_cli(*args)
        try:
            out = json.loads(p.stdout)
        except ValueError:
            out = None
        return p.returncode, out

    def cli(self, *args, timeout=60):
        return run_cli(*args, timeout=timeout)


class Load:
    """Background submitter: submits small random files, round-robin over
    the given nodes, one at a time, until stop(). Failures against a node
    that is down are expected and only counted. Use as a context manager."""

    def __init__(self, cluster, nodes=None, timeout=10, pause=0.05):
        self.c = cluster
        self.nodes = cluster._sel(nodes)
        self.timeout = timeout
        self.pause = pause
        self.results = []  # SubmitResult, in order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        k = 0
        while not self._stop.is_set():
            nd = self.nodes[k % len(self.nodes)]
            k += 1
            if not nd.running:
                self._stop.wait(0.1)
                continue
            try:
                r = self.c.submit(nd, self.c.write_file(), timeout=self.timeout)
            except (subprocess.TimeoutExpired, OSError):
                continue
            self.results.append(r)
            self._stop.wait(self.pause)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=None):
        self._stop.set()
        self._thread.join(timeout if timeout is not None else self.timeout + 40)
        return self.results

    @property
    def committed(self):
        return [r for r in self.results if r.rc == EXIT_OK]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
