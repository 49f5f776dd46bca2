"""`StandinNode`: the stand-in bitcoin-node process state — chain, connections, listening socket, shutdown.

Owns the Unix socket (stale file removed before binding, mode 0600 after), one `ClientConnection` per client
(its Init, ThreadMap, Threads and optional pool), tip-change wake-ups for ``Mining.waitTipChanged``, the
``stop`` sequence (waits return empty at once, connections close ~100 ms later while the listener keeps
accepting for another 500 ms, during which a Chain or Mining call aborts the process; then `stopped` is set) and the
log lines a test may look for (``Listening for IPC requests on address unix:<path>``, ``init message: …``).

Imports of ours: ``bitcoin_rpc_mp.ipc.schemas`` and the other ``standin`` modules only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import capnp

from bitcoin_rpc_mp.ipc.schemas import load_variant
from bitcoin_rpc_mp.ipc.streams import create_unix_server
from bitcoin_rpc_mp.standin.chain import Block, RegtestChain
from bitcoin_rpc_mp.standin.faults import Faults
from bitcoin_rpc_mp.standin.notifications import NotificationHub
from bitcoin_rpc_mp.standin.rpc import RpcExecutor
from bitcoin_rpc_mp.standin.serve_base import NO_THREAD, NodeError, install_error_hook, wait_seconds
from bitcoin_rpc_mp.standin.server import make_server_classes

log = logging.getLogger("bitcoin_rpc_mp.standin")

STOP_GRACE_S = 0.1  # bitcoin-node keeps answering for a moment after `stop` before closing connections
# ... then drops its IPC clients while its listener still accepts until the process exits; a Chain or Mining
# call that reaches it then aborts it (its ChainstateManager is gone).
STOP_TEARDOWN_S = 0.5
WARMUP_STATUS = "Loading block index…"  # bitcoind's first warm-up status once its RPC is up


class ClientConnection:
    """One client connection: its Init, ThreadMap, Threads (by unique name) and optional pool."""

    def __init__(self, node: StandinNode, stream: Any) -> None:
        self.node = node
        self.stream = stream
        self.threads: dict[str, Any] = {}
        self.pool: list[Any] | None = None
        self.client_thread_map: Any = None  # the ThreadMap the client passed to Init.construct, if any
        self._callback_thread: Any = None
        classes = node.server_classes
        self.thread_map = classes["ThreadMap"](self)
        self.server = capnp.TwoPartyServer(stream, bootstrap=classes["Init"](self))

    def new_thread(self, suffix: str) -> Any:
        name = f"bitcoin-node-{self.node.pid}/b-capnp-loop-{next(self.node.thread_ids)} {suffix}"
        thread = self.node.server_classes["Thread"](self, name)
        self.threads[name] = thread
        return thread

    async def callback_thread(self) -> Any:
        """The client's Thread that callbacks to it name (made once, as bitcoin-node names its scheduler
        thread), or None if the client gave no ThreadMap."""
        if self.client_thread_map is not None and self._callback_thread is None:
            name = f"bitcoin-node-{self.node.pid}/b-scheduler-{next(self.node.thread_ids)}"
            self._callback_thread = (await self.client_thread_map.makeThread(name)).result
        return self._callback_thread

    async def run_on_thread(self, context: Any, fn: Callable[[], Any]) -> None:
        thread = None
        if context._has("thread"):
            try:
                name = str((await context.thread.getName()).result)
            except capnp.KjException:
                name = ""
            thread = self.threads.get(name)
        if thread is None:
            if not self.pool:
                raise NodeError(NO_THREAD)
            thread = min(self.pool, key=lambda t: t.in_flight)  # ties: lowest index
        await thread.run(fn)

    def close(self) -> None:
        self.stream.close()


class StandinNode:
    """A test double of bitcoin-node's IPC socket (see the package docstring for what it does not do)."""

    def __init__(
        self, *, variant: str = "pr29409", blocks: int = 0, clock: Callable[[], float] | None = None
    ) -> None:
        self.variant = variant
        self.schemas = load_variant(variant)
        self.server_classes = make_server_classes(self.schemas, variant)
        install_error_hook()
        self.chain = RegtestChain(clock=clock)
        self.chain.mine(blocks)
        self.chain.take_events()  # blocks present at start were never notified
        self.notifications = NotificationHub()
        self.faults = Faults()
        self.rpc: RpcExecutor = RpcExecutor(self)
        self.pid = os.getpid()
        self.thread_ids = itertools.count(self.pid + 1)
        self.start_time = time.time()
        # Warm-up, as bitcoin-node: its socket accepts before the chainstate is loaded. Meanwhile executeRpc
        # answers -28 with this status, makeMining waits for `loaded`, and any Chain call aborts the process
        # (bitcoin-node asserts on its missing ChainstateManager). None: loaded.
        self.warmup_status: str | None = None
        self.loaded: asyncio.Event = asyncio.Event()
        self.loaded.set()
        self.shutting_down: bool = False
        self.tearing_down: bool = False  # after `stop`: clients dropped, listener still open (see STOP_TEARDOWN_S)
        self.stopped = asyncio.Event()
        self.socket_path: str | None = None
        self.log_lines: list[str] = []
        self._connections: set[ClientConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None
        self._wake = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------------------
    async def start(self, socket_path: str, *, warmup_s: float = 0.0) -> None:
        """Bind and listen on ``socket_path``; must run inside ``capnp.kj_loop()``. With ``warmup_s`` the node
        spends that long "loading" after it starts listening (see ``warmup_status``)."""
        if warmup_s > 0:
            self.warmup_status = WARMUP_STATUS
            self.loaded.clear()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket_path)
        self._server = await create_unix_server(self._on_connection, socket_path)
        os.chmod(socket_path, 0o600)
        self.socket_path = socket_path
        self.log_line(f"Listening for IPC requests on address unix:{socket_path}")
        if warmup_s > 0:
            asyncio.get_running_loop().call_later(warmup_s, self.finish_loading)

    def finish_loading(self) -> None:
        """The end of warm-up: executeRpc serves, waiting makeMining calls return, Chain calls are safe."""
        if self.warmup_status is None:
            return
        self.warmup_status = None
        self.loaded.set()
        self.log_line("init message: Done loading")

    async def serve_stream(self, stream: Any) -> None:
        """Serve one already-connected stream (e.g. one end of a socketpair) until it disconnects."""
        await self._on_connection(stream)

    async def aclose(self) -> None:
        self.shutting_down = True
        self.wake_waiters()
        if self._server is not None:
            self._server.close()
            self._server = None
        self.disconnect_all()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        await self.notifications.aclose()
        self.stopped.set()

    def disconnect_all(self) -> None:
        """Fault and shutdown step: close every client connection (clients see DISCONNECTED)."""
        for conn in list(self._connections):
            conn.close()

    def request_stop(self) -> None:
        """What the ``stop`` RPC and SIGTERM do: end waits now, close connections shortly after."""
        if self.shutting_down:
            return
        self.shutting_down = True
        self.wake_waiters()
        asyncio.get_running_loop().call_later(STOP_GRACE_S, self._finish_stop)

    def _finish_stop(self) -> None:
        self.tearing_down = True
        self.disconnect_all()
        asyncio.get_running_loop().call_later(STOP_TEARDOWN_S, self._exit)

    def _exit(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.disconnect_all()
        self.stopped.set()

    async def _on_connection(self, stream: Any) -> None:
        conn = ClientConnection(self, stream)
        self._connections.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        log.info("IPC server: socket connected.")
        try:
            await conn.server.on_disconnect()
        except capnp.KjException:
            pass
        finally:
            log.info("IPC server: socket disconnected.")
            self._connections.discard(conn)
            self.notifications.drop_owner(conn)
            if task is not None:
                self._tasks.discard(task)
            conn.server.close()

    # -- chain changes --------------------------------------------------------------------------------
    def mine(self, n: int = 1) -> list[bytes]:
        """Mine ``n`` blocks on the tip (genuine proof of work); wakes ``waitTipChanged`` and queues the
        chain notifications. Returns hashes."""
        blocks = self.chain.mine(n)
        self._chain_changed()
        return [b.hash for b in blocks]

    def invalidate(self, height: int) -> None:
        """``invalidateblock`` of the active block at ``height``: the tip becomes ``height - 1`` (unless a valid
        branch has more work); mine afterwards to build a competing branch."""
        self.chain.invalidate(height)
        self._chain_changed()

    def reconsider(self, block_hash: bytes) -> None:
        """``reconsiderblock`` (hash in internal byte order): the best valid chain becomes active again."""
        self.chain.reconsider(block_hash)
        self._chain_changed()

    def _chain_changed(self) -> None:
        # As bitcoin-node: the notifications go to the scheduler's queue and are delivered after this returns.
        self.notifications.publish(self.chain.take_events())
        self.wake_waiters()

    def wake_waiters(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    async def wait_tip_changed(self, current: bytes, timeout_ms: float, mining: Any) -> Block | None:
        """Mining.waitTipChanged: the new tip, the unchanged tip on timeout, None on interrupt/shutdown."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds(timeout_ms)
        while True:
            if mining.interrupted:
                mining.interrupted = False
                return None
            if self.shutting_down:
                return None
            tip = self.chain.tip
            if tip.hash != current:
                return tip
            remaining = deadline - loop.time()
            if remaining <= 0:
                return tip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)

    # -- logging --------------------------------------------------------------------------------------
    def log_line(self, line: str) -> None:
        self.log_lines.append(line)
        log.info("%s", line)
