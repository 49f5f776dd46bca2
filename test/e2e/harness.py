"""Processes and raw sockets for end-to-end tests: a stand-in node and our server, each a real subprocess.

The server is started exactly as a user starts it (the console script with bitcoind-style options), so these
tests see what a client sees: bytes on a TCP socket.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# One owner for how a real node is started and found: the functional framework's node module.
sys.path.insert(0, str(REPO / "test" / "functional"))
from test_framework.node import (  # noqa: E402
    extra_server_args,
    real_node_binary,
    real_node_command,
    server_command,
    standin_command,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpcauth_line(user: str, password: str) -> str:
    salt = secrets.token_hex(16)
    digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return f"{user}:{salt}${digest}"


def _wait_for(predicate: object, timeout: float, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what}: not ready after {timeout} s")


@dataclass
class Standin:
    socket_path: Path
    blocks: int = 210
    variant: str = "pr29409"
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Standin:
        if self.socket_path.exists():
            self.socket_path.unlink()
        cmd = [*standin_command(self.socket_path, self.blocks, self.variant), *self.extra]
        log = open(self.socket_path.with_suffix(".log"), "wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            _wait_for(self.socket_path.exists, 30, "stand-in node", self.proc)
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        path = self.socket_path.with_suffix(".log")
        return path.read_text(errors="replace") if path.exists() else ""

    def mine(self, n: int = 1) -> None:
        """Mine ``n`` blocks (SIGUSR1 each: the stand-in mines one per signal, asynchronously)."""
        assert self.proc is not None
        for _ in range(n):
            self.proc.send_signal(signal.SIGUSR1)


@dataclass
class Server:
    datadir: Path
    socket_path: Path
    args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    wait_for_node: bool = True
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.datadir.mkdir(parents=True, exist_ok=True)
        cmd = [*server_command(), "-regtest", f"-datadir={self.datadir}",
               f"-ipcconnect=unix:{self.socket_path}", f"-rpcport={self.port}", *extra_server_args(), *self.args]
        log = open(self.datadir / "server.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            _wait_for(self._accepting, 30, "bitcoin-rpc-mp", self.proc)
            if self.wait_for_node:
                _wait_for(lambda: "node offers:" in self.log_text(), 30, "bitcoin-rpc-mp connecting to the node", self.proc)
        except BaseException:
            self.stop()
            raise
        return self

    def _accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> int | None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return None if self.proc is None else self.proc.returncode

    def log_text(self) -> str:
        path = self.datadir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


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


@dataclass
class RealNode:
    """bitcoin-node with -ipcbind and its own RPC port (-server=1) so answers can be compared with ours.

    Mines up to `blocks` blocks, into wallet `w` (with `wallet`, when the node has wallet support) like the
    capture node of the compat spec, else to a fixed address. A restart keeps the chain and mines nothing.
    """

    binary: str
    socket_path: Path
    blocks: int = 210
    wallet: bool = True
    rpcport: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def datadir(self) -> Path:
        return self.socket_path.parent / "node-data"

    def start(self) -> RealNode:
        self.datadir.mkdir(parents=True, exist_ok=True)
        cmd = real_node_command(self.binary, self.datadir, self.socket_path, self.rpcport)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self._rpc_ready, 60, "bitcoin-node", self.proc)
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

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_text(self) -> str:
        path = self.datadir / "regtest" / "debug.log"
        return path.read_text(errors="replace") if path.exists() else ""


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
