"""A minimal client of nng's TCP transport (the SP protocol), standard library only.

Wire format (nng's sp/transport/tcp, compatible with nanomsg):
  * after connecting, each side sends an 8-byte header:
      0x00 'S' 'P' 0x00, u16 protocol id (big-endian), 2 zero bytes
    REQ0 is 0x0030, REP0 is 0x0031; a REP0 peer expects a REQ0 peer.
    BUS0 is 0x0070 and talks to BUS0 peers (the nodes' p2p sockets).
  * then messages, each framed as u64 big-endian length + payload.
  * a REQ0 request's payload starts with a 4-byte request id with its high
    bit set; the REP0 reply echoes that id before the body.
  * BUS0 has no protocol header in the payload: a frame is the message.

It exists so tests can talk JSON-RPC to notaryd without the CLI, and can
send raw and garbage bytes that a well-behaved nng client never would.
"""
import json
import random
import socket
import struct

PROTO_REQ0 = 0x0030
PROTO_REP0 = 0x0031
PROTO_BUS0 = 0x0070


def sp_header(proto):
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


class WireError(Exception):
    pass


class _Connection:
    """One TCP connection after the SP header exchange: we speak `proto`,
    the peer must answer `peer_proto`. Subclasses add the protocol."""

    proto = None
    peer_proto = None

    def __init__(self, host, port, timeout=10.0, ipc_path=None):
        # nng's ipc transport: the same SP header, then each message is a
        # 1-byte type (1) before its u64 length
        self.ipc = ipc_path is not None
        if self.ipc:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(ipc_path)
            except OSError:
                self.sock.close()
                raise
        else:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.sendall(sp_header(self.proto))
        peer = _read_exact(self.sock, 8)
        if peer[:4] != b"\x00SP\x00" or peer[6:] != b"\x00\x00":
            raise WireError("bad SP header from peer: %r" % peer)
        got = struct.unpack(">H", peer[4:6])[0]
        if got != self.peer_proto:
            raise WireError("peer speaks protocol 0x%04x, not 0x%04x" % (got, self.peer_proto))

    @classmethod
    def from_url(cls, url, timeout=10.0):
        if url.startswith("ipc://"):
            return cls(None, None, timeout, ipc_path=url[len("ipc://"):])
        host, port = parse_tcp_url(url)
        return cls(host, port, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def settimeout(self, t):
        self.sock.settimeout(t)

    def send_frame(self, payload):
        pre = b"\x01" if self.ipc else b""
        self.sock.sendall(pre + struct.pack(">Q", len(payload)) + payload)


class ReqClient(_Connection):
    """One REQ0 connection: send a request, read the matching reply."""

    proto = PROTO_REQ0
    peer_proto = PROTO_REP0

    def __init__(self, host, port, timeout=10.0, ipc_path=None):
        super().__init__(host, port, timeout, ipc_path)
        self.next_id = random.randint(0, 0x7FFFFFFF)

    def recv_frame(self, limit=64 << 20):
        if self.ipc:
            _read_exact(self.sock, 1)
        (n,) = struct.unpack(">Q", _read_exact(self.sock, 8))
        if n > limit:
            raise WireError("frame of %d bytes exceeds %d" % (n, limit))
        return _read_exact(self.sock, n)

    def request(self, body):
        """Sends body (bytes) as one request; returns the reply body (bytes)."""
        self.next_id = (self.next_id + 1) & 0x7FFFFFFF
        rid = struct.pack(">I", self.next_id | 0x80000000)
        self.send_frame(rid + body)
        while True:
            reply = self.recv_frame()
            if len(reply) < 4:
                raise WireError("reply shorter than its request id")
            if reply[:4] == rid:
                return reply[4:]
            # a stale reply to an earlier request: skip it

    def call(self, method, params=None, id=1):
        req = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            req["params"] = params
        return json.loads(self.request(json.dumps(req).encode()))


class BusClient(_Connection):
    """One BUS0 connection to a node's p2p listener: send raw frames, and
    read the frames the node broadcasts to its peers (we are one of them)."""

    proto = PROTO_BUS0
    peer_proto = PROTO_BUS0

    def send_raw(self, data):
        """Bytes as they are: a lying length, a torn frame, anything."""
        self.sock.sendall(data)

    def recv_frame(self, timeout=None, limit=64 << 20):
        """The next frame, or None if none arrives within timeout seconds."""
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            head = self.sock.recv(1, socket.MSG_PEEK)
            if not head:
                raise WireError("connection closed by peer")
            # A frame has begun: read all of it, or the stream loses its framing.
            self.sock.settimeout(max(old or 0, 10.0))
            (n,) = struct.unpack(">Q", _read_exact(self.sock, 8))
            if n > limit:
                raise WireError("frame of %d bytes exceeds %d" % (n, limit))
            return _read_exact(self.sock, n)
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(old)


def _read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise WireError("connection closed by peer")
        buf += chunk
    return bytes(buf)


def parse_tcp_url(url):
    if not url.startswith("tcp://"):
        raise ValueError("only tcp:// URLs are supported: %s" % url)
    hostport = url[len("tcp://"):]
    host, _, port = hostport.rpartition(":")
    return host, int(port)


def _ephemeral_low():
    """The first port the kernel gives outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
        return low if low >= 12000 else 32768
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(count=1):
    """A TCP port p on 127.0.0.1 such that p .. p+count-1 were free a moment
    ago. Random and below the ephemeral range: the client sockets of tests
    running at the same time (run.py -j) cannot take it before the node binds
    it or while a node restarts, and two tests rarely draw the same port."""
    for _ in range(200):
        p = random.randrange(10000, _ephemeral_low() - count)
        try:
            for k in range(count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p + k))
            return p
        except OSError:
            continue
    raise OSError("no free range of %d ports found" % count)
