"""Staying connected: capped exponential back-off and the supervisor task that (re)connects.

Owns: `Backoff` (pure: 0.1 s doubling up to 2 s, reset after a success) and `Supervisor`, the one task per client
that opens the socket, runs the handshake and discovery (`handshake.establish`), publishes the session, waits for
the connection to be lost, withdraws the session and starts over — forever, until it is cancelled. A new session
always means a new socket, a new handshake, new Threads and new objects (spec ipc-protocol.md §5).

Must not import `http`, `jsonrpc`, `handlers`, `standin`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bitcoin_rpc_mp.ipc.errors import IpcError
from bitcoin_rpc_mp.ipc.handshake import Session

__all__ = ["Backoff", "Supervisor"]

log = logging.getLogger(__name__)

_FLAPPING_S = 1.0  # a session shorter than this does not reset the back-off


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
    ) -> None:
        self.socket_path = socket_path
        self._connect = connect
        self._on_up = on_up
        self._on_down = on_down
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self.sessions = 0
        self.last_error: BaseException | None = None

    async def run(self) -> None:
        failing = False
        while True:
            try:
                session = await self._connect()
            except Exception as exc:
                self.last_error = exc
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
