"""Processes and raw sockets for end-to-end tests: a stand-in node, a real node and our server, each a real
subprocess, plus HTTP helpers that speak raw bytes.

The server is started exactly as a user starts it (the console script with bitcoind-style options), so these
tests see what a client sees: bytes on a TCP socket. ``Standin``, ``Server`` and ``RealNode`` are the
functional framework's ``ManagedProcess`` (``test/functional/test_framework/node.py``, the one owner of how a
process is started, waited for, stopped and logged) with the e2e tests' API: ``start()`` returns the started
object, ``proc``, ``log_text()``, ``stop(sig)``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# One owner for how each process is started, waited for, stopped and logged: the functional framework's node
# module (``ManagedProcess`` and the command builders); the classes here keep the e2e tests' API on top of it.
sys.path.insert(0, str(REPO / "test" / "functional"))
from test_framework.node import (  # noqa: E402
    ManagedProcess,
    debug_log,
    extra_server_args,
    read_text,
    real_node_binary,
    real_node_command,
    server_args,
    server_command,
    standin_command,
    wait_while_alive,
)
from test_framework.util import get_free_port as free_port  # noqa: E402
from test_framework.util import port_answers  # noqa: E402
from test_framework.util import rpcauth_line as rpcauth_line  # noqa: E402  (the e2e tests import it from here)


def _wait_for(predicate: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen[bytes]) -> None:
    """``wait_while_alive`` on ``proc`` with this harness's errors (RuntimeError if it exits, TimeoutError)."""
    wait_while_alive(predicate, timeout, lambda: proc.poll() is None, interval=0.02,
                     exited=lambda: RuntimeError(f"{what}: process exited with {proc.returncode}"),
                     timed_out=lambda: TimeoutError(f"{what}: not ready after {timeout} s"))


class _Child(ManagedProcess):
    """A process of this harness: the framework's ``ManagedProcess`` with the environment, stdin and output
    these tests have always given it (both streams in ``log_path``, or discarded when None)."""

    def __init__(self, name: str, log_path: Path | None, *, logdir: Path, cwd: Path | None) -> None:
        super().__init__(name, logdir, combined_log=log_path, discard_output=log_path is None, inherit_env=True,
                         cwd=cwd)

    @property
    def proc(self) -> subprocess.Popen[bytes] | None:
        return self.process

    def log_text(self) -> str:
        return self.output()

    def _wait_until(self, predicate: Callable[[], object], timeout: float, what: str) -> None:
        assert self.process is not None, f"{self.name} not started"
        _wait_for(predicate, timeout, what, self.process)


class Standin(_Child):
    """The stand-in node as a process (``standin_command`` plus ``extra``), its output in ``<socket>.log``."""

    stop_timeout = 10.0

    def __init__(self, socket_path: Path, blocks: int = 210, variant: str = "pr29409",
                 extra: list[str] | None = None) -> None:
        super().__init__("stand-in", socket_path.with_suffix(".log"), logdir=socket_path.parent, cwd=REPO)
        self.socket_path = socket_path
        self.blocks = blocks
        self.variant = variant
        self.extra = extra if extra is not None else []

    def start(self) -> Standin:
        if self.socket_path.exists():
            self.socket_path.unlink()
        self._spawn([*standin_command(self.socket_path, self.blocks, self.variant), *self.extra])
        try:
            self._wait_until(self.socket_path.exists, 30, "stand-in node")
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        return self

    def mine(self, n: int = 1) -> None:
        """Mine ``n`` blocks (SIGUSR1 each: the stand-in mines one per signal, asynchronously)."""
        assert self.process is not None
        for _ in range(n):
            self.process.send_signal(signal.SIGUSR1)


class Server(_Child):
    """Our server (``server_command``) on ``port`` against the node at ``socket_path``; its output in
    ``<datadir>/server.log``. ``start`` waits for the port and, with ``wait_for_node``, for ``node offers:``."""

    stop_timeout = 10.0

    def __init__(self, datadir: Path, socket_path: Path, args: list[str] | None = None, port: int | None = None,
                 wait_for_node: bool = True) -> None:
        super().__init__("bitcoin-rpc-mp", datadir / "server.log", logdir=datadir, cwd=REPO)
        self.datadir = datadir
        self.socket_path = socket_path
        self.args = args if args is not None else []
        self.port = free_port() if port is None else port
        self.wait_for_node = wait_for_node

    def start(self) -> Server:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self._spawn([*server_command(), *server_args(self.datadir, self.socket_path, self.port),
                     *extra_server_args(), *self.args])
        try:
            self._wait_until(lambda: port_answers("127.0.0.1", self.port), 30, "bitcoin-rpc-mp")
            if self.wait_for_node:
                self._wait_until(lambda: "node offers:" in self.log_text(), 30,
                                 "bitcoin-rpc-mp connecting to the node")
        except BaseException:
            self.stop()
            raise
        return self


@contextmanager
def serving(node: Standin | RealNode, server: Server) -> Iterator[tuple[Standin | RealNode, Server]]:
    """Start ``server`` in front of the started ``node``; afterwards stop both, and check that our server exited 0
    on SIGTERM (the tail of its log in the message)."""
    try:
        server.start()
        yield node, server
    finally:
        code = server.stop()
        node.stop()
    assert code == 0, "bitcoin-rpc-mp must exit cleanly on SIGTERM:\n" + server.log_text()[-4000:]


def read_response(sock: socket.socket, *, head_request: bool = False) -> bytes:
    """One HTTP response: head, then Content-Length bytes, nothing for 204, or up to EOF without a length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    head += b"\r\n\r\n"
    status = int(head.split(b" ", 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
            break
    if status == 204 or status < 200:
        return head
    if length is None:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + rest
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + rest[:length]


def exchange(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send one request on a fresh connection and read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        return read_response(sock)


def post(
    port: int, body: bytes, auth: str = "dTpw", path: str = "/", extra: str = "", timeout: float = 10.0
) -> bytes:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    return exchange(port, request, timeout)


def split_response(raw: bytes) -> tuple[bytes, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


def env_with_repo() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# -- a real bitcoin-node, when BITCOIN_NODE names one ------------------------------------------------------------
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generators = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generators[i] if (top >> i) & 1 else 0
    return chk


def regtest_p2wpkh_address(program: bytes) -> str:
    """BIP173 address for a version-0 witness program on regtest (hrp `bcrt`)."""
    hrp = "bcrt"
    data = [0]
    acc = bits = 0
    for byte in program:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


class RealNode(_Child):
    """bitcoin-node with -ipcbind and its own RPC port (-server=1) so answers can be compared with ours.

    Mines up to `blocks` blocks, into wallet `w` (with `wallet`, when the node has wallet support) like the
    capture node of the compat spec, else to a fixed address. A restart keeps the chain and mines nothing.
    Its output is discarded; ``log_text()`` is its ``debug.log``.
    """

    stop_timeout = 30.0

    def __init__(self, binary: str, socket_path: Path, blocks: int = 210, wallet: bool = True,
                 rpcport: int | None = None) -> None:
        super().__init__("bitcoin-node", None, logdir=socket_path.parent, cwd=None)
        self.binary = binary
        self.socket_path = socket_path
        self.blocks = blocks
        self.wallet = wallet
        self.rpcport = free_port() if rpcport is None else rpcport

    @property
    def datadir(self) -> Path:
        return self.socket_path.parent / "node-data"

    def start(self) -> RealNode:
        self.datadir.mkdir(parents=True, exist_ok=True)
        self._spawn(real_node_command(self.binary, self.datadir, self.socket_path, self.rpcport))
        self._wait_until(self._rpc_ready, 60, "bitcoin-node")
        height = self.rpc("getblockcount")["result"]
        if height >= self.blocks:
            return self
        address = regtest_p2wpkh_address(bytes(20))
        if self.wallet and self.rpc("createwallet", ["w"]).get("error") is None:
            address = self.rpc("getnewaddress", [], "/wallet/w")["result"]
        self.rpc("generatetoaddress", [self.blocks - height, address])
        return self

    def mine(self, n: int = 1) -> None:
        """Mine ``n`` blocks through the node's own port (to an address no wallet owns)."""
        self.rpc("generatetoaddress", [n, regtest_p2wpkh_address(bytes(20))])

    def _rpc_ready(self) -> bool:
        try:
            return self.rpc("getblockcount").get("error") is None
        except (OSError, ValueError):
            return False

    def rpc(self, method: str, params: list[object] | None = None, path: str = "/") -> dict:
        import json

        body = json.dumps({"method": method, "params": params or [], "id": 1}).encode()
        raw = post(self.rpcport, body, path=path, timeout=300.0)  # mining 210 blocks on a busy 2-core machine
        _, payload = raw.partition(b"\r\n\r\n")[::2]
        return dict(json.loads(payload)) if payload else {"error": "no body"}

    def log_text(self) -> str:
        return read_text(debug_log(self.datadir))


def backend(socket_path: Path, blocks: int = 210, *, wallet: bool = False) -> Standin | RealNode:
    """The node behind our server, not started: a real bitcoin-node when BITCOIN_NODE is set, else the
    stand-in. ``wallet``: the real node gets wallet ``w`` owning its blocks (the stand-in always has one)."""
    binary = real_node_binary()
    if binary:
        return RealNode(binary, socket_path, blocks=blocks, wallet=wallet)
    return Standin(socket_path, blocks=blocks)


def start_backend(socket_path: Path, blocks: int = 210, *, wallet: bool = False) -> Standin | RealNode:
    """``backend(...)``, started."""
    return backend(socket_path, blocks, wallet=wallet).start()


STANDIN_ONLY = pytest.mark.standin
