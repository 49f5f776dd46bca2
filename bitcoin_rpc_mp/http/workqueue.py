"""bitcoind's HTTP work queue: `-rpcthreads` workers, at most `-rpcworkqueue` requests waiting.

Pure bookkeeping on asyncio futures; no sockets. Must not import: `jsonrpc`, `handlers`, `ipc`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..aioloop import RunningLoop


class WorkQueueFull(Exception):
    """Raised by `WorkQueue.enter_nowait` when queued (not yet started) requests reach the depth."""


@dataclass(frozen=True)
class WorkQueueStatistics:
    running: int
    queued: int
    threads: int
    depth: int


class WorkQueue:
    """bitcoind's HTTP work queue: `threads` requests run at once, at most `depth` wait for a worker.

    Only queued, not-yet-started requests count against the depth (compat spec §7 item 11).
    """

    def __init__(self, threads: int, depth: int) -> None:
        self._threads = max(1, threads)
        self._depth = max(1, depth)
        self._running = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._loop = RunningLoop()  # a queued request's future without a getpid() (aioloop.py)

    def enter_nowait(self) -> asyncio.Future[None] | None:
        """Claim a worker now (returns None) or a queue place (returns a future to await).

        Raises WorkQueueFull when the queue is at its depth.
        """
        if self._running < self._threads and not self._waiters:
            self._running += 1
            return None
        if len(self._waiters) >= self._depth:
            raise WorkQueueFull
        fut: asyncio.Future[None] = self._loop().create_future()
        self._waiters.append(fut)
        return fut

    def cancel(self, fut: asyncio.Future[None]) -> None:
        """Give up a queue place that was never started (e.g. the client went away)."""
        if fut in self._waiters:
            self._waiters.remove(fut)
        elif fut.done() and not fut.cancelled():
            self.leave()

    def leave(self) -> None:
        """A running request finished: hand its worker to the oldest queued request."""
        while self._waiters:
            fut = self._waiters.pop(0)
            if not fut.done():
                fut.set_result(None)
                return
        self._running -= 1

    def statistics(self) -> WorkQueueStatistics:
        return WorkQueueStatistics(self._running, len(self._waiters), self._threads, self._depth)
