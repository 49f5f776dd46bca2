"""Spawn mode: bitcoin-node as our child, so that `bitcoin-rpc-mp -node=PATH [bitcoind options]` is a drop-in bitcoind.

Owns: the node's command line (the operator's words minus the RPC server's and ours, plus `-server=0`,
`-daemon=0` and `-ipcbind=unix:<private socket>`), the private socket directory (mode 0700, path under the 107-byte
limit), starting the child so that it cannot outlive us (`PR_SET_PDEATHSIG`: if we die, the kernel sends it
SIGTERM, which it handles as a clean shutdown), watching for its exit without a SIGCHLD handler (a pidfd in the
event loop), and turning its exit status into ours (`exit_with_status`: the same code, or the same signal).

The child shares our stdin, stdout and stderr, so its start-up messages and init errors reach the operator exactly
as bitcoind's would. Must not import capnp, `http`, `ipc`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import faulthandler
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from .ipc.errors import IpcError
from .jsonrpc.dispatch import Executor, Outcome
from .jsonrpc.reader import JsonValue
from .jsonrpc.request import Call

__all__ = [
    "FirstConnectionWait",
    "NodeProcess",
    "create_net_datadir",
    "exit_with_status",
    "node_command",
    "private_socket_dir",
]

log = logging.getLogger("bitcoin_rpc_mp.spawn")

PR_SET_PDEATHSIG = 1
SUN_PATH_MAX = 107
SOCKET_NAME = "node.sock"
# -daemon in a bitcoin.conf would make the node fork into the background and its first process exit 0 at once;
# we supervise it, so it must stay in the foreground
FORCED_NODE_ARGS = ("-server=0", "-daemon=0", "-daemonwait=0")


def private_socket_dir() -> str:
    """A new directory only we can enter (mode 0700) for the node's socket, short enough for sun_path."""
    for base in (None, "/tmp"):
        path = tempfile.mkdtemp(prefix="bitcoin-rpc-mp-", dir=base)
        if len(os.fsencode(os.path.join(path, SOCKET_NAME))) <= SUN_PATH_MAX:
            return path
        os.rmdir(path)
    raise OSError("no temporary directory with a path short enough for a unix socket (set TMPDIR=/tmp)")


def node_command(executable: str, node_args: Sequence[str], socket_path: str) -> list[str]:
    """The node's argv: the operator's options, then ours (later words win on bitcoind's command line)."""
    return [executable, *node_args, *FORCED_NODE_ARGS, f"-ipcbind=unix:{socket_path}"]


def _pdeathsig_setup() -> Callable[[], None]:
    """A preexec function for the child: SIGTERM when its parent dies, and no start if the parent is gone."""
    parent = os.getpid()
    prctl = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            prctl = ctypes.CDLL(
                None, use_errno=True
            ).prctl  # resolved before fork: nothing to look up in the child

    def setup() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl: the signal would never come
            os._exit(1)

    return setup


class NodeProcess:
    """One bitcoin-node child. `start` in the event loop's thread; `wait` returns its exit status."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.process: subprocess.Popen[bytes] | None = None
        self._exited: asyncio.Future[int] | None = None
        self._pidfd = -1
        self._poller: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        """Start the child; raises OSError when the executable cannot be run."""
        loop = asyncio.get_running_loop()
        self.process = subprocess.Popen(self.argv, preexec_fn=_pdeathsig_setup(), close_fds=True)
        self._exited = loop.create_future()
        try:
            self._pidfd = os.pidfd_open(self.process.pid)
        except (AttributeError, OSError):
            self._poller = loop.create_task(self._poll())
            return
        loop.add_reader(self._pidfd, self._on_exit)

    def _on_exit(self) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        self._reap()

    async def _poll(self) -> None:
        assert self.process is not None
        while self.process.poll() is None:
            await asyncio.sleep(0.05)
        self._reap()

    def _reap(self) -> None:
        assert self.process is not None and self._exited is not None
        status = self.process.wait()
        if not self._exited.done():
            self._exited.set_result(status)

    @property
    def exited(self) -> bool:
        return self._exited is not None and self._exited.done()

    async def wait(self) -> int:
        """The exit status: the code, or minus the signal that ended it (as `Popen.returncode`)."""
        assert self._exited is not None
        return await asyncio.shield(self._exited)

    def send_signal(self, sig: int) -> None:
        if self.process is not None and not self.exited:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)


def exit_with_status(status: int) -> int:
    """Make our exit match the node's: return its code, or die of the signal that killed it.

    Called at the very end, with every resource already released."""
    if status >= 0:
        return status
    sig = -status
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(Exception):
        faulthandler.disable()  # it would print our own stack for the SIGABRT/SIGSEGV we raise on purpose
    with contextlib.suppress(OSError, ValueError):
        signal.signal(sig, signal.SIG_DFL)  # refused for SIGKILL and SIGSTOP, which need it not
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), sig)
    return 128 + sig


def remove_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def create_net_datadir(net_datadir: Path) -> None:
    """Create the node's net datadir as bitcoind does on its first run: with a `wallets` directory inside.

    We write the cookie and the log there before bitcoin-node starts; the node creates `wallets` only when it
    creates the net datadir itself (ArgsManager::GetDataDir), so without this a first run would leave it out."""
    if net_datadir.is_dir():
        return
    net_datadir.mkdir(parents=True, exist_ok=True)
    (net_datadir / "wallets").mkdir(exist_ok=True)


class _Connectable(Protocol):
    @property
    def capabilities(self) -> Any: ...

    async def wait_connected(self, timeout_s: float | None = None) -> Any: ...


class FirstConnectionWait:
    """Spawn mode's readiness, as bitcoind's: requests that arrive before the first IPC connection wait for it
    (bounded by `timeout_s`) instead of getting our own -28, so the node itself answers: its -28 while it
    loads, the answer once it has finished (bitcoind is callable from the moment its log says `Done loading`).
    After the first connection nothing waits: a node that goes away is shutting down."""

    def __init__(self, inner: Executor, client: _Connectable, timeout_s: float) -> None:
        self._inner = inner
        self._client = client
        self._timeout_s = timeout_s
        self._connected_once = False

    async def _wait(self) -> None:
        if self._connected_once:
            return
        if self._client.capabilities is None:
            with contextlib.suppress(IpcError, TimeoutError):
                await self._client.wait_connected(self._timeout_s)
        if self._client.capabilities is not None:
            self._connected_once = True

    async def execute(self, call: Call, raw: bytes, user: str, uri: str) -> Outcome:
        await self._wait()
        return await self._inner.execute(call, raw, user, uri)

    async def execute_batch(self, calls: Sequence[JsonValue], raw: bytes, user: str, uri: str) -> bytes | None:
        await self._wait()
        return await self._inner.execute_batch(calls, raw, user, uri)
