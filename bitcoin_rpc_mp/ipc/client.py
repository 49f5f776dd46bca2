"""`NodeClient`: typed async calls to bitcoin-node over its IPC socket, the only `ipc` module others import.

Owns: the public facade of the IPC layer — one supervisor task per client (`reconnect.Supervisor`) keeping a
`handshake.Session` up, the routing of every call to a node Thread (`threads.ThreadPool`), per-call timeouts,
and the guarantee that every method raises only `ipc.errors` types (plus ValueError/TypeError for bad arguments,
before anything is sent): `connection.translate_kj_exception` is the one translation of `capnp.KjException`, socket
errors surface as `NodeUnavailable` once the reconnect wait runs out, and call timeouts become `IpcTimeout` here.

Concurrency: no lock around the connection; each call awaits its own reply on its own Thread lease. Long waits
(`wait_tip_changed`, `execute_rpc(..., long=True)`) run on Threads of their own.

Safety (spec ipc-protocol.md §4): nothing here sends `Chain.getBlockHash` (it aborts the node on a bad height),
heights and hash lengths are checked before any call, and no capability's `destroy` is ever called (we only drop
references), so nothing can be called on a destroyed object.

Must not import `http`, `jsonrpc`, `handlers` or `standin`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bitcoin_rpc_mp.aioloop import RunningLoop
from bitcoin_rpc_mp.ipc.capabilities import NodeCapabilities
from bitcoin_rpc_mp.ipc.connection import (
    Connection,
    KjException,
    parse_socket_address,
    translate_kj_exception,
)
from bitcoin_rpc_mp.ipc.errors import (
    InterfaceMissing,
    IpcError,
    IpcTimeout,
    NodeDisconnected,
    NodeUnavailable,
    RemoteError,
)
from bitcoin_rpc_mp.ipc.handshake import Session, establish
from bitcoin_rpc_mp.ipc.reconnect import Backoff, Supervisor
from bitcoin_rpc_mp.ipc.schemas import VariantSchemas, method_ordinals
from bitcoin_rpc_mp.ipc.threads import Lease, PoolClosed

__all__ = [
    "MAX_HEIGHT",
    "BlockEvent",
    "InterfaceMissing",
    "IpcError",
    "IpcStatistics",
    "IpcTimeout",
    "NodeCapabilities",
    "NodeClient",
    "NodeDisconnected",
    "NodeUnavailable",
    "NotificationHandle",
    "RemoteError",
]

log = logging.getLogger(__name__)

MAX_HEIGHT = 2**31 - 1  # heights travel as Int32
HASH_SIZE = 32
_MAX_DOUBLE = sys.float_info.max

@dataclass(frozen=True)
class IpcStatistics:
    threads: int  # live node Threads of the current session (0 while disconnected)
    busy: int  # Threads with a call in flight
    calls_in_flight: int  # calls sent and not answered yet
    reconnects: int  # sessions established after the first one


# A block joined (True) or left (False) the active chain: (connected, internal-order hash, height).
BlockEvent = Callable[[bool, bytes, int], None]
_NULL_HASH = bytes(HASH_SIZE)


def _notifications_server(schemas: VariantSchemas, on_block: BlockEvent) -> Any:
    """Our `ChainNotifications` object (spec ipc-protocol.md §6): the node calls it from its scheduler thread, in
    order, and waits for each answer. Only block events matter to us; the rest are answered and ignored."""
    assert schemas.chain is not None

    class ChainNotificationsServer(schemas.chain.ChainNotifications.Server):  # type: ignore[name-defined]
        async def blockConnected(self, block: Any, **_: Any) -> None:  # the schema's names
            on_block(True, bytes(block.hash), int(block.height))

        async def blockDisconnected(self, block: Any, **_: Any) -> None:
            on_block(False, bytes(block.hash), int(block.height))

        async def updatedBlockTip(self, **_: Any) -> None:
            pass

        async def transactionAddedToMempool(self, **_: Any) -> None:
            pass

        async def transactionRemovedFromMempool(self, **_: Any) -> None:
            pass

        async def chainStateFlushed(self, **_: Any) -> None:
            pass

        async def destroy(self, **_: Any) -> None:  # the node drops its Handler: nothing of ours to free
            pass

    return ChainNotificationsServer()


class NotificationHandle:
    """A registration made by `NodeClient.handle_notifications`. It lives as long as the session it was made on
    (a new session needs a new registration) or until `release()`; dropping the node's Handler (never `destroy`,
    module docstring) stops the callbacks."""

    def __init__(self, session: Session | None, handler: Any) -> None:
        self._session = session
        self._handler = handler

    @property
    def active(self) -> bool:
        return self._session is not None and not self._session.lost.is_set()

    async def wait_ended(self) -> None:
        """Return when the session this registration belongs to is gone."""
        if self._session is not None:
            await self._session.lost.wait()

    def release(self) -> None:
        self._session = self._handler = None


# Interfaces whose methods are safe while the node loads: Echo touches nothing, Rpc.executeRpc answers -28.
_ANY_TIME = frozenset({"rpc", "echo"})

# Session attribute -> the interface's name in messages
_INTERFACE_NAMES = {"chain": "Chain", "mining": "Mining", "rpc": "Rpc", "echo": "Echo"}


class _Watchdog:
    """The timer of one call with a timeout: when it fires, it cancels the calling task."""

    __slots__ = ("fired", "task", "timer")

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task = task
        self.fired = False
        self.timer: asyncio.TimerHandle

    def fire(self) -> None:
        self.fired = True
        self.task.cancel()


def _check_hash(block_hash: bytes, what: str = "block hash") -> bytes:
    if not isinstance(block_hash, bytes | bytearray | memoryview):
        raise TypeError(f"{what} must be bytes, not {type(block_hash).__name__}")
    value = bytes(block_hash)
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be exactly {HASH_SIZE} bytes, got {len(value)}")
    return value


class NodeClient:
    """A client of one bitcoin-node IPC socket that reconnects by itself. See the module docstring."""

    def __init__(
        self,
        socket_path: str,
        *,
        threads: int = 4,
        reconnect_timeout_s: float = 10.0,
        call_timeout_s: float | None = None,
        variant: str | None = None,
        max_long_threads: int = 16,
        handshake_timeout_s: float = 60.0,
        backoff_max_s: float = 2.0,
    ) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if reconnect_timeout_s < 0:
            raise ValueError("reconnect_timeout_s must not be negative")
        if call_timeout_s is not None and call_timeout_s <= 0:
            raise ValueError("call_timeout_s must be positive (or None for no limit)")
        if variant is not None:
            from bitcoin_rpc_mp.ipc.schemas import VARIANTS  # cheap: the module loads schemas lazily

            if variant not in VARIANTS:
                raise ValueError(f"unknown node variant {variant!r}; known: {', '.join(VARIANTS)}")
        self.socket_path = parse_socket_address(socket_path)
        self.threads = threads
        self.max_long_threads = max_long_threads
        self.reconnect_timeout_s = reconnect_timeout_s
        self.call_timeout_s = call_timeout_s
        self.handshake_timeout_s = handshake_timeout_s
        self.backoff_max_s = backoff_max_s
        self.variant = variant
        self._session: Session | None = None
        self._up = asyncio.Event()
        self._supervisor: Supervisor | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._loop = RunningLoop()  # the call path's loop without a getpid() per call (aioloop.py)
        self._calls = dict.fromkeys(_INTERFACE_NAMES, 0)  # calls sent, by Session attribute

    # -- lifetime ----------------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> NodeCapabilities | None:
        session = self._session
        return session.capabilities if session is not None and not session.lost.is_set() else None

    @property
    def node_ready(self) -> bool:
        """Connected to a node that has finished loading: typed Chain/Mining calls are safe (handshake.py)."""
        session = self._session
        return session is not None and session.ready.is_set() and not session.lost.is_set()

    @property
    def connected(self) -> bool:
        session = self._session
        return session is not None and not session.lost.is_set()

    async def start(self) -> None:
        """Start the supervisor (connect, handshake, discovery, reconnect). Returns at once; see wait_connected."""
        if self._closed:
            raise NodeUnavailable(self.socket_path, "client closed")
        if self._task is not None:
            return
        self._supervisor = Supervisor(
            self.socket_path,
            self._connect,
            self._session_up,
            self._session_down,
            backoff=Backoff(max_s=self.backoff_max_s),
        )
        self._task = asyncio.create_task(self._supervisor.run(), name=f"ipc-supervisor {self.socket_path}")

    async def aclose(self) -> None:
        """Stop reconnecting and close the socket; calls in flight fail with NodeDisconnected."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # a handshake call that ignores cancellation must not hold the whole shutdown
            await asyncio.wait({task}, timeout=2.0)
        session, self._session = self._session, None
        if session is not None:
            session.close()
        self._up.set()  # wake waiters: they see _closed

    async def wait_connected(self, timeout_s: float | None = None) -> NodeCapabilities:
        """The capabilities of the node once connected; NodeUnavailable after `timeout_s` (None: no limit)."""
        session = await self._wait_session(timeout_s)
        return session.capabilities

    def call_counts(self) -> dict[str, int]:
        """Calls sent to the node since start, by interface name (Chain, Mining, Rpc, Echo)."""
        return {_INTERFACE_NAMES[attribute]: count for attribute, count in self._calls.items()}

    def statistics(self) -> IpcStatistics:
        session = self._session
        reconnects = max(0, self._supervisor.sessions - 1) if self._supervisor is not None else 0
        if session is None or session.lost.is_set():
            return IpcStatistics(threads=0, busy=0, calls_in_flight=0, reconnects=reconnects)
        stats = session.pool.statistics()
        return IpcStatistics(
            threads=stats.threads,
            busy=stats.busy,
            calls_in_flight=stats.calls_in_flight,
            reconnects=reconnects,
        )

    # -- supervisor callbacks ----------------------------------------------------------------------------------

    async def _connect(self) -> Session:
        connection = await Connection.open(self.socket_path)
        try:
            return await asyncio.wait_for(
                establish(
                    connection,
                    threads=self.threads,
                    max_long_threads=self.max_long_threads,
                    variant=self.variant,
                ),
                self.handshake_timeout_s,
            )
        except BaseException:
            connection.close()
            raise

    def _session_up(self, session: Session) -> None:
        self._session = session
        session.start_warmup_watch()
        log.info("%s", session.capabilities.describe())
        if session.node_version is not None:
            log.info("bitcoin-node version %d at %s", session.node_version, self.socket_path)
        self._up.set()

    def _session_down(self, session: Session) -> None:
        if self._session is session:
            self._session = None
        self._up.clear()
        session.close()

    async def _wait_session(self, timeout_s: float | None) -> Session:
        if self._task is None and not self._closed:
            await self.start()
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            if self._closed:
                raise NodeUnavailable(self.socket_path, "client closed")
            session = self._session
            if session is not None and not session.lost.is_set():
                return session
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise self._unavailable()
            if session is not None:
                # Lost but not yet withdrawn: let the supervisor run, then look again.
                await asyncio.sleep(0.001)
                continue
            try:
                await asyncio.wait_for(self._up.wait(), remaining)
            except TimeoutError:
                raise self._unavailable() from None

    def _unavailable(self) -> NodeUnavailable:
        last = self._supervisor.last_error if self._supervisor is not None else None
        return NodeUnavailable(self.socket_path, None if last is None else str(last))

    # -- the call path -----------------------------------------------------------------------------------------

    async def _lease(self, interface: str, long: bool) -> tuple[Session, Lease]:
        """A live session offering `interface` and a Thread on it; waits (up to reconnect_timeout_s) through
        reconnects. `interface` is the Session attribute: "chain", "mining", "rpc" or "echo"."""
        session = self._session
        if (
            session is not None
            and not session.lost.is_set()
            and getattr(session, interface) is not None
            and (interface in _ANY_TIME or session.ready.is_set())
        ):
            try:  # the common case: connected, nothing to wait for but a Thread
                return session, await session.pool.acquire(long)
            except (PoolClosed, NodeDisconnected):
                pass
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout_s
        while True:
            session = self._session
            if session is None or session.lost.is_set():
                session = await self._wait_session(max(0.0, deadline - loop.time()))
            if interface not in _ANY_TIME and not session.ready.is_set():
                # Chain and Mining methods abort a node that is still loading: wait until it is ready.
                try:
                    await asyncio.wait_for(session.ready.wait(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise NodeUnavailable(self.socket_path, "bitcoin-node is still loading") from None
                continue
            if getattr(session, interface) is None:
                raise InterfaceMissing(_INTERFACE_NAMES[interface], session.capabilities.variant)
            try:
                return session, await session.pool.acquire(long)
            except (PoolClosed, NodeDisconnected):
                # Nothing was sent yet: wait for the next session, within the same deadline.
                if loop.time() >= deadline:
                    raise self._unavailable() from None
                await asyncio.sleep(0)

    async def _call(
        self,
        interface: str,
        send: Callable[[Any, Any], Any],
        *,
        long: bool = False,
        timeout_s: float | None = None,
    ) -> Any:
        """Send one call: `send(object, context)` returns the pycapnp promise; returns its response.

        The per-call timeout is one loop timer that cancels the calling task (asyncio.timeout does the same with
        several objects and a reschedule per call; this path runs for every request)."""
        session, lease = await self._lease(interface, long)
        self._calls[interface] += 1
        target = getattr(session, interface)
        watchdog: _Watchdog | None = None
        if timeout_s is not None:
            # current_task() without a loop would call get_running_loop(): a getpid() per request (aioloop.py)
            loop = self._loop()
            task = asyncio.current_task(loop)
            if task is not None:
                # The only suspension point until the timer is cancelled is the await below, so when it fires
                # the task is waiting for the node's answer and the cancellation lands there.
                watchdog = _Watchdog(task)
                watchdog.timer = loop.call_later(timeout_s, watchdog.fire)
        try:
            response = await send(target, lease.context)
        except KjException as exc:
            lease.release()
            raise translate_kj_exception(exc) from exc
        except asyncio.CancelledError:
            lease.retire()  # the node may still be running it: do not queue behind it
            if watchdog is not None and watchdog.fired and watchdog.task.uncancel() == 0:
                raise IpcTimeout(
                    f"bitcoin-node did not answer {_INTERFACE_NAMES[interface]} within {timeout_s:g} s "
                    f"(thread {lease.slot.name} retired)"
                ) from None
            raise
        except BaseException:
            lease.release()
            raise
        finally:
            if watchdog is not None:
                watchdog.timer.cancel()
        lease.release()
        return response

    def _short_timeout(self) -> float | None:
        return self.call_timeout_s

    # -- typed calls -------------------------------------------------------------------------------------------

    async def get_height(self) -> int | None:
        """Active-chain height (Chain.getHeight, or Mining.getTip where there is no Chain); None if no tip yet."""
        caps = (await self._wait_session(self.reconnect_timeout_s)).capabilities
        if not caps.has("Chain"):
            tip = await self.get_tip()
            return None if tip is None else tip[1]
        response = await self._call(
            "chain", lambda chain, ctx: chain.getHeight(context=ctx), timeout_s=self._short_timeout()
        )
        return int(response.result) if response.hasResult else None

    async def get_tip(self) -> tuple[bytes, int] | None:
        """(hash, height) of the tip (Mining.getTip); None before the genesis block is loaded."""
        response = await self._call(
            "mining", lambda mining, ctx: mining.getTip(context=ctx), timeout_s=self._short_timeout()
        )
        if not response.hasResult:
            return None
        return bytes(response.result.hash), int(response.result.height)

    async def find_block_hash_at_height(self, height: int) -> bytes | None:
        """Hash of the active-chain block at `height`, None above the tip.

        Uses Chain.findFirstBlockWithTimeAndHeight (never getBlockHash). ValueError for heights outside
        0..2**31-1, before any call (the node would answer genesis for a negative height).
        """
        if isinstance(height, bool) or not isinstance(height, int):
            raise TypeError("height must be an int")
        if height < 0 or height > MAX_HEIGHT:
            raise ValueError(f"height {height} is outside 0..{MAX_HEIGHT}")
        response = await self._call(
            "chain",
            lambda chain, ctx: chain.findFirstBlockWithTimeAndHeight(
                context=ctx, minTime=0, minHeight=height, block={"wantHash": True}
            ),
            timeout_s=self._short_timeout(),
        )
        if not response.result:
            return None
        return bytes(response.block.hash)

    async def find_block_data(self, block_hash: bytes) -> bytes | None:
        """The serialised block (with witness) for a 32-byte internal-order hash, None if unknown (Chain.findBlock)."""
        value = _check_hash(block_hash)
        response = await self._call(
            "chain",
            lambda chain, ctx: chain.findBlock(context=ctx, hash=value, block={"wantData": True}),
            timeout_s=self._short_timeout(),
        )
        if not response.result:
            return None
        return bytes(response.block.data)

    async def handle_notifications(self, on_block: BlockEvent) -> NotificationHandle:
        """Chain.handleNotifications: `on_block` is called, on the event loop and in the node's order, for every
        block that joins or leaves the active chain from now on, on the current session only (see
        NotificationHandle). InterfaceMissing on a node without Chain; like every Chain call, it waits until the
        node has finished loading."""
        used: list[Any] = []

        def send(chain: Any, ctx: Any) -> Any:
            used.append(chain)
            assert self._session is not None
            server = _notifications_server(self._session.schemas, on_block)
            return chain.handleNotifications(context=ctx, notifications=server)

        response = await self._call("chain", send, timeout_s=self._short_timeout())
        session = self._session
        if session is None or session.chain is not used[0]:
            return NotificationHandle(None, None)  # that session was lost meanwhile: already ended
        return NotificationHandle(session, response.result)

    async def wait_for_notifications(self) -> None:
        """Return once the node has delivered every notification it queued before this call (Chain.
        waitForNotifications; on older Chain schemas waitForNotificationsIfTipChanged with a null tip, which always
        waits)."""
        session = await self._wait_session(self.reconnect_timeout_s)
        chain_schema = session.schemas.chain
        if chain_schema is None or "waitForNotifications" not in method_ordinals(chain_schema.Chain):
            await self._call(
                "chain",
                lambda chain, ctx: chain.waitForNotificationsIfTipChanged(context=ctx, oldTip=_NULL_HASH),
                timeout_s=self._short_timeout(),
            )
        else:
            await self._call(
                "chain", lambda chain, ctx: chain.waitForNotifications(context=ctx), timeout_s=self._short_timeout()
            )

    async def echo(self, text: str) -> str:
        """Echo.echo: the node sends `text` back."""
        response = await self._call(
            "echo", lambda echo, ctx: echo.echo(context=ctx, echo=text), timeout_s=self._short_timeout()
        )
        return str(response.result)

    async def init_message(self, text: str) -> None:
        """Chain.initMessage: the node logs `init message: <text>`."""
        await self._call(
            "chain",
            lambda chain, ctx: chain.initMessage(context=ctx, message=text),
            timeout_s=self._short_timeout(),
        )

    async def wait_tip_changed(self, current_tip: bytes, timeout_ms: float) -> tuple[bytes, int] | None:
        """Mining.waitTipChanged on a Thread of its own: the new tip, the unchanged tip on timeout, or None when
        the node ended the wait without a result (shutdown, interrupt).

        `timeout_ms` is sent explicitly (schema defaults differ between 30.x and 31+); `math.inf` means no limit.
        """
        tip = _check_hash(current_tip, "current tip")
        if math.isnan(timeout_ms) or timeout_ms < 0:
            raise ValueError("timeout_ms must be a non-negative number")
        timeout = min(float(timeout_ms), _MAX_DOUBLE)
        call_timeout = None
        if self.call_timeout_s is not None and math.isfinite(timeout_ms):
            call_timeout = self.call_timeout_s + timeout / 1000.0
        response = await self._call(
            "mining",
            lambda mining, ctx: mining.waitTipChanged(context=ctx, currentTip=tip, timeout=timeout),
            long=True,
            timeout_s=call_timeout,
        )
        if not response._has("result"):
            return None
        return bytes(response.result.hash), int(response.result.height)

    async def execute_rpc(self, request: str, uri: str, user: str, *, long: bool = False) -> str:
        """Rpc.executeRpc: the node's reply text for a JSON-RPC request body (no trailing newline).

        Pass `long=True` for methods that may wait (the caller knows which RPCs those are): they get a Thread of
        their own and no call timeout.
        """
        response = await self._call(
            "rpc",
            lambda rpc, ctx: rpc.executeRpc(context=ctx, request=request, uri=uri, user=user),
            long=long,
            timeout_s=None if long else self._short_timeout(),
        )
        return str(response.result)

    async def is_initial_block_download(self) -> bool:
        """Mining.isInitialBlockDownload."""
        response = await self._call(
            "mining",
            lambda mining, ctx: mining.isInitialBlockDownload(context=ctx),
            timeout_s=self._short_timeout(),
        )
        return bool(response.result)
