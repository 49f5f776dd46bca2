"""What every stand-in capnp server shares: bitcoin-node's error texts, the `Served` call plumbing, and the
small protocols (`NodeState`, `ServedConnection`) through which servers see the node and their connection.

How errors reach the client with bitcoin-node's exact text: pycapnp turns an exception raised
*synchronously* by a ``<method>_context`` function into a KJ exception whose description is
``repr(type) + ":" + str(exc)``; `NodeError` is shaped so that this reads ``std::exception: <message>``, which
the client sees as ``remote exception: std::exception: <message>``. Every error the stand-in can decide when
the call arrives (no thread, short hash, unsupported method, …) is raised that way. An error that can only
be known later (v30's "thread busy", which needs the call's Thread first) goes through pycapnp's coroutine
path, which prefixes ``message = ``; `install_error_hook` makes the rest of that text ``std::exception: <message>``.

Servers never import ``node.py``: they reach the node through `NodeState`, which `StandinNode` satisfies.
Imports of ours: ``standin.chain``, ``standin.faults`` and ``standin.notifications`` only.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, Protocol

from bitcoin_rpc_mp.standin.chain import Block, RegtestChain
from bitcoin_rpc_mp.standin.faults import Faults
from bitcoin_rpc_mp.standin.notifications import NotificationHub

log = logging.getLogger("bitcoin_rpc_mp.standin")

NO_THREAD = "no thread specified and no pool configured"
SHORT_DATA = "SpanReader::read(): end of data: iostream error"
CHAINMAN_ASSERT = (
    "./node/interfaces.cpp:873 ChainstateManager& node::{anonymous}::ChainImpl::chainman(): "
    "Assertion `m_node.chainman' failed.\n"
)
TEARDOWN_ASSERT = {
    "Chain": CHAINMAN_ASSERT,
    "Mining": "./node/interfaces.cpp ChainstateManager& node::{anonymous}::MinerImpl::chainman(): "
    "Assertion `m_node.chainman' failed.\n",
}
MAX_WAIT_S = 100 * 365 * 24 * 3600  # the node caps waits at 100 years

Work = Callable[[], Awaitable[None]]


class ExecutesRpc(Protocol):
    def execute(self, request: str, uri: str, user: str = "") -> str: ...


class NodeState(Protocol):
    """What the servers need from the stand-in node (`StandinNode` in ``node.py``)."""

    chain: RegtestChain
    faults: Faults
    notifications: NotificationHub
    rpc: ExecutesRpc
    loaded: asyncio.Event
    # bitcoind's RPC warm-up status while the node is still loading, else None
    warmup_status: str | None
    shutting_down: bool
    tearing_down: bool

    def disconnect_all(self) -> None: ...

    def wake_waiters(self) -> None: ...

    def log_line(self, line: str) -> None: ...

    async def wait_tip_changed(self, current: bytes, timeout_ms: float, mining: Any) -> Block | None: ...


class ServedConnection(Protocol):
    """What the servers need from one client connection (`ClientConnection` in ``node.py``)."""

    node: NodeState
    pool: list[Any] | None
    thread_map: Any
    client_thread_map: Any  # the ThreadMap the client passed to Init.construct, or None

    async def callback_thread(self) -> Any: ...

    def new_thread(self, suffix: str) -> Any: ...

    async def run_on_thread(self, context: Any, fn: Callable[[], Any]) -> None: ...


class _StdExceptionType(type):
    def __repr__(cls) -> str:
        return "std:"


class NodeError(Exception, metaclass=_StdExceptionType):
    """An error as bitcoin-node reports a C++ std::exception: the client reads ``std::exception: <message>``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        # pycapnp describes a synchronously raised exception as repr(type) + ":" + str(exc).
        return "exception: " + self.message


class _TracebackHook:
    """Stands in for ``traceback`` inside pycapnp: formats a NodeError raised in a coroutine as the node would."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    def format_exception(self, exc_type: Any, exc: BaseException | None = None, tb: Any = None) -> list[str]:
        if isinstance(exc, NodeError):
            return ["std::exception: " + exc.message]
        return traceback.format_exception(exc_type, exc, tb)


def install_error_hook() -> None:
    capnp_lib = sys.modules.get("capnp.lib.capnp")
    if capnp_lib is not None and not isinstance(getattr(capnp_lib, "_traceback", None), _TracebackHook):
        capnp_lib._traceback = _TracebackHook()  # type: ignore[attr-defined]


def abort_process(stderr_text: str | None = None) -> NoReturn:
    if stderr_text:
        os.write(2, stderr_text.encode())
    os.abort()


def read_hash(data: Any) -> bytes:
    """uint256 as Bitcoin Core's serializer reads it: short → error, extra bytes ignored."""
    raw = bytes(data)
    if len(raw) < 32:
        raise NodeError(SHORT_DATA)
    return raw[:32]


def wait_seconds(timeout_ms: float) -> float:
    """waitTipChanged's timeout (milliseconds, Float64) as seconds, capped like the node's."""
    if math.isnan(timeout_ms) or timeout_ms <= 0:
        return 0.0
    return min(timeout_ms / 1000.0, MAX_WAIT_S)


class Served:
    """Shared plumbing: run a call's work on its Thread, honouring faults; reject methods we do not serve.

    Subclasses are plain classes; `server.make_server_classes` mixes each with one variant's capnp
    ``Server`` base.
    """

    _iface = ""
    destroyed = False

    def __init__(self, conn: ServedConnection) -> None:
        self.conn = conn
        self.node = conn.node

    def __getattr__(self, name: str) -> Any:
        if not name.endswith("_context") or name.startswith("_"):
            raise AttributeError(name)
        method = name[: -len("_context")]

        def unsupported(ctx: Any) -> NoReturn:
            self._arrival(ctx, method, needs_context=False)
            raise NodeError(f"{self._iface}.{method} is not supported by the stand-in")

        return unsupported

    def _arrival(self, ctx: Any, method: str, *, needs_context: bool) -> Any:
        """Checks done when a call arrives; returns the call's context param (or None)."""
        if self.destroyed:
            abort_process()  # bitcoin-node dereferences the destroyed object and dies
        if self._iface in ("Chain", "Mining") and self.node.tearing_down:
            abort_process(TEARDOWN_ASSERT[self._iface])  # the ChainstateManager is gone: bitcoin-node's Assert fails
        if self._iface == "Chain" and self.node.warmup_status is not None:
            abort_process(CHAINMAN_ASSERT)  # no ChainstateManager yet: bitcoin-node's Assert fails
        if self.node.faults.check_fatal():
            self.node.disconnect_all()
        if not needs_context:
            return None
        context = ctx.params.context
        if not context._has("thread") and self.conn.pool is None:
            log.error("IPC server error request, %s", NO_THREAD)
            raise NodeError(NO_THREAD)
        return context

    def _call(
        self,
        ctx: Any,
        method: str,
        work: Work,
        *,
        needs_context: bool = True,
        checks: Callable[[], None] | None = None,
    ) -> Coroutine[Any, Any, None]:
        context = self._arrival(ctx, method, needs_context=needs_context)
        if checks is not None:
            checks()
        faults = self.node.faults

        async def body() -> None:
            await faults.apply(method)
            await work()

        if context is None:
            return body()
        return self.conn.run_on_thread(context, body)
