"""Staying connected: capped exponential back-off and the supervisor task that (re)connects.

Owns: `Backoff` (pure: 0.1 s doubling up to 2 s, reset after a success) and `Supervisor`, the one task per client
that opens the socket, runs the handshake and discovery (`handshake.establish`), publishes the session, waits for
the connection to be lost, withdraws the session and starts over — forever, until it is cancelled. A new session
always means a new socket, a new handshake, new Threads and new objects (spec ipc-protocol.md §5).

Never into a node that is shutting down: bitcoin-node closes its IPC connections late in its shutdown, just before
it frees its chainstate, while its listening socket keeps accepting until the process exits, and any call that
reaches the chainstate then aborts the node (`Assertion 'm_node.chainman' failed`). A node closes our connection
only when it shuts down (or dies), so after the peer dropped us the supervisor does not connect to the same socket
file again: it waits until that file is replaced (a new node unlinks it and binds a new one) and meanwhile connects
to nothing. A connection that we closed ourselves does not count.

Must not import `http`, `jsonrpc`, `handlers`, `standin`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bitcoin_rpc_mp.ipc.errors import IpcError, NodeDisconnected
from bitcoin_rpc_mp.ipc.handshake import Session

__all__ = ["Backoff", "Supervisor", "socket_identity"]

log = logging.getLogger(__name__)

_FLAPPING_S = 1.0  # a session shorter than this does not reset the back-off
_REPLACED_POLL_S = 0.1  # how often to look whether a node that dropped us has been replaced


def socket_identity(path: str) -> tuple[int, int, int] | None:
    """What tells one bound socket file from the next at the same path (None if there is none)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


@dataclass
class Backoff:
    """Capped exponential back-off: `next_delay()` gives initial_s, then x factor each time, at most max_s."""

    initial_s: float = 0.1
    max_s: float = 2.0
    factor: float = 2.0
    attempts: int = 0
    _next_s: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.initial_s <= 0 or self.max_s < self.initial_s or self.factor < 1:
            raise ValueError("Backoff needs 0 < initial_s <= max_s and factor >= 1")
        self._next_s = self.initial_s

    def next_delay(self) -> float:
        delay = self._next_s
        self._next_s = min(self.max_s, delay * self.factor)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
        self._next_s = self.initial_s


class Supervisor:
    """Connect, hand the session over, wait until it is lost, back off, repeat.

    `connect()` returns a ready Session or raises OSError / IpcError / TimeoutError; `on_up(session)` and
    `on_down(session)` publish and withdraw it (called in that order, once per session).
    """

    def __init__(
        self,
        socket_path: str,
        connect: Callable[[], Awaitable[Session]],
        on_up: Callable[[Session], None],
        on_down: Callable[[Session], None],
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        identity: Callable[[str], object] = socket_identity,
    ) -> None:
        self.socket_path = socket_path
        self._connect = connect
        self._on_up = on_up
        self._on_down = on_down
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._identity = identity
        self.sessions = 0
        self.last_error: BaseException | None = None
        # The identity of the socket file whose node dropped us: never connected to again (module docstring).
        self.shut_down_node: object = None

    async def _wait_for_replacement(self) -> None:
        """Return once the socket file is not the one whose node dropped us (replaced, or gone)."""
        if self.shut_down_node is None:
            return
        if self._identity(self.socket_path) != self.shut_down_node:
            self.shut_down_node = None
            return
        log.warning(
            "bitcoin-node at %s closed our connection: it is shutting down; not connecting again until a "
            "bitcoin-node binds %s anew",
            self.socket_path,
            self.socket_path,
        )
        self.last_error = NodeDisconnected("bitcoin-node is shutting down")
        while self._identity(self.socket_path) == self.shut_down_node:
            await self._sleep(_REPLACED_POLL_S)
        self.shut_down_node = None
        log.info("the IPC socket %s was bound anew; connecting", self.socket_path)

    async def run(self) -> None:
        failing = False
        while True:
            await self._wait_for_replacement()
            identity = self._identity(self.socket_path)
            try:
                session = await self._connect()
            except Exception as exc:
                self.last_error = exc
                if isinstance(exc, NodeDisconnected) and identity is not None:
                    # accepted, then dropped during the handshake: a node that is shutting down
                    self.shut_down_node = identity
                delay = self.backoff.next_delay()
                if not isinstance(exc, (OSError, IpcError, TimeoutError)):
                    log.error("unexpected failure while connecting to %s", self.socket_path, exc_info=exc)
                elif not failing:
                    log.warning(
                        "cannot reach bitcoin-node at %s (%s); retrying with back-off up to %.1f s",
                        self.socket_path,
                        _reason(exc),
                        self.backoff.max_s,
                    )
                    failing = True
                else:
                    log.debug(
                        "connect to %s failed again (%s); next try in %.2f s",
                        self.socket_path,
                        _reason(exc),
                        delay,
                    )
                await self._sleep(delay)
                continue
            failing = False
            self.last_error = None
            self.sessions += 1
            started = asyncio.get_running_loop().time()
            self._on_up(session)
            try:
                await session.lost.wait()
            finally:
                self._on_down(session)
            if getattr(session, "dropped_by_peer", False) and identity is not None:
                self.shut_down_node = identity
            log.warning("lost the IPC connection to bitcoin-node at %s; reconnecting", self.socket_path)
            if asyncio.get_running_loop().time() - started >= _FLAPPING_S:
                self.backoff.reset()
            else:
                # A node that accepts and drops us at once must not be hammered.
                await self._sleep(self.backoff.next_delay())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, TimeoutError):
        return "handshake timed out"
    return str(exc) or type(exc).__name__
