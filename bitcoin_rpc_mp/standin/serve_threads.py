"""The stand-in's ThreadMap and Thread servers: libmultiprocess's threads as a client can observe them.

``ThreadMap.makeThread(name)`` returns a Thread named ``bitcoin-node-<pid>/b-capnp-loop-<n> (from <name>)``;
``makePool(count)`` (variants that have it) creates ``(pool/<i>)`` threads used for calls without
``context.thread``. A Thread runs one call at a time, first come first served; the v30 variant instead fails a
call sent to a busy Thread (``queueing = False``). Imports of ours: ``standin.serve_base`` only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from bitcoin_rpc_mp.standin.serve_base import NodeError, Served, ServedConnection, Work

POOL_EXISTS = "makePool called on connection with existing pool"
THREAD_BUSY = "thread busy"


class ThreadService:
    """One Thread: a name and a FIFO lock; `queueing` is per variant (set by `make_server_classes`)."""

    queueing = True

    def __init__(self, conn: ServedConnection, name: str) -> None:
        self.conn = conn
        self.name = name
        self.busy = asyncio.Lock()
        self.in_flight = 0

    async def getName(self, _context: Any, **kwargs: Any) -> str:
        return self.name

    async def run(self, fn: Work) -> None:
        if not self.queueing and self.busy.locked():
            raise NodeError(THREAD_BUSY)
        self.in_flight += 1
        try:
            async with self.busy:
                await fn()
        finally:
            self.in_flight -= 1


class ThreadMapService(Served):
    _iface = "ThreadMap"

    def makeThread_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        name = str(ctx.params.name)

        async def work() -> None:
            ctx.results.result = self.conn.new_thread(f"(from {name})")

        return self._call(ctx, "makeThread", work, needs_context=False)

    def makePool_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        count = int(ctx.params.count)

        def checks() -> None:
            if self.conn.pool is not None:
                raise NodeError(POOL_EXISTS)
            self.conn.pool = [self.conn.new_thread(f"(pool/{i})") for i in range(count)]

        async def work() -> None:
            return None

        return self._call(ctx, "makePool", work, needs_context=False, checks=checks)
