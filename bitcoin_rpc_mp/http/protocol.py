"""The asyncio side of HTTP: moves bytes and runs timers, nothing else.

Owns: one `HttpConnection` (the sans-I/O parser) per TCP connection, the idle timer (`-rpcservertimeout`),
flow control, and one task per request that awaits the injected handler. Requests on a connection are strictly
sequential: the next pipelined request is parsed only after the previous reply was written.
Must not import: `jsonrpc`, `handlers`, `ipc`, capnp.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

from .connection import HttpConnection, NeedData, ProtocolFailure
from .errors import ServiceUnavailable
from .events import Request, Response
from .routing import route
from .wire import ReplyWriter
from .workqueue import WorkQueue, WorkQueueFull

log = logging.getLogger("bitcoin_rpc_mp.http")

# What the server calls for each request that passed routing: (request, peer "host:port") → response.
Handler = Callable[[Request, str], Awaitable[Response]]

WORK_QUEUE_FULL = ServiceUnavailable().response
PAUSE_THRESHOLD = 1 << 20  # bytes read ahead while a request runs before we stop reading


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """The clock and timer the idle timeout runs on: the running event loop unless a test injects a fake."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], object], /) -> Cancellable: ...
LARGE_BODY = 1 << 16  # bodies at least this long are written apart from their head and tail (no join copy)


class HttpProtocol(asyncio.Protocol):
    def __init__(
        self,
        handler: Handler,
        *,
        allow: Callable[[str], bool],
        work_queue: WorkQueue,
        idle_timeout_s: int,
        clock: Callable[[], float],
        registry: set[HttpProtocol],
        writer: ReplyWriter,
        timers: Timers | None = None,
    ) -> None:
        self._handler = handler
        self._allow = allow
        self._work_queue = work_queue
        self._idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._registry = registry
        self._conn = HttpConnection(writer=writer)
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._busy = False
        self._closed = False
        self._paused = False
        self._read_while_busy = 0
        self._last_activity = 0.0
        self._timers = timers
        self._idle_handle: Cancellable | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- asyncio.Protocol -------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        peer: Any = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else ""
        if not self._allow(host):
            # bitcoind accepts and closes at once, without sending a byte.
            log.info("Rejected connection from %s (not in -rpcallowip)", host)
            self._closed = True
            transport.abort()
            return
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        if self._timers is None:
            self._timers = self._loop
        self._peer = f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
        self._registry.add(self)
        self._touch()
        self._arm_idle_timer()

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        self._touch()
        self._conn.receive_data(data)
        if self._busy:
            self._read_while_busy += len(data)
            if self._read_while_busy > PAUSE_THRESHOLD and self._transport and not self._paused:
                self._paused = True
                self._transport.pause_reading()
            return
        self._pump()

    def eof_received(self) -> bool | None:
        self._conn.receive_data(b"")
        if not self._busy:
            self._pump()
        # Keep the transport half-open until our reply (if any) is written.
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._registry.discard(self)
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None

    # -- request cycle ---------------------------------------------------------------------------------
    def _pump(self) -> None:
        """Parse and start the next request, if a whole one is buffered."""
        while not self._busy and not self._closed:
            event = self._conn.next_event()
            if isinstance(event, NeedData):
                if self._conn.their_eof:
                    self.close()
                return
            if isinstance(event, ProtocolFailure):
                self._write_response(event.response)
                self.close()
                return
            self._start(event)

    def _start(self, request: Request) -> None:
        early = route(request)
        if early is not None and not early.body:
            # Unknown verb (405) and unknown path (404) are answered before the work queue, as bitcoind does;
            # the 405 with a text body comes from the JSON-RPC handler, i.e. after the queue.
            self._write_response(early)
            return
        try:
            slot = self._work_queue.enter_nowait()
        except WorkQueueFull:  # answered at once; the connection stays usable
            self._write_response(WORK_QUEUE_FULL)
            return
        self._busy = True
        self._read_while_busy = 0
        assert self._loop is not None
        self._task = self._loop.create_task(self._run(request, slot, early))

    async def _run(self, request: Request, slot: asyncio.Future[None] | None, early: Response | None) -> None:
        started = slot is None
        try:
            if slot is not None:
                await slot
                started = True
            if early is not None:
                response = early
            else:
                response = await self._handler(request, self._peer)
        except asyncio.CancelledError:
            if slot is not None and not started:
                self._work_queue.cancel(slot)
                started = False
            raise
        except Exception:
            log.exception("unhandled error while serving %s %s", request.method, request.target)
            response = Response(500, (), b"")
        finally:
            if started:
                self._work_queue.leave()
        if response.delay_s > 0:
            await asyncio.sleep(response.delay_s)
        self._busy = False
        if self._closed:
            return
        self._write_response(response)
        if self._paused and self._transport is not None and not self._closed:
            self._paused = False
            self._transport.resume_reading()
        self._pump()

    def _write_response(self, response: Response) -> None:
        if self._transport is None or self._closed:
            return
        if len(response.body) < LARGE_BODY:
            self._transport.write(self._conn.send_response(response, self._clock()))
        else:  # head, body and tail as separate buffers: the body is not copied (a cached `getblock` is megabytes)
            self._transport.writelines(self._conn.send_response_parts(response, self._clock()))
        self._touch()
        if self._conn.must_close:
            self.close()

    # -- timers and closing ----------------------------------------------------------------------------
    def _touch(self) -> None:
        if self._timers is not None:
            self._last_activity = self._timers.time()

    def _arm_idle_timer(self, delay: float | None = None) -> None:
        if self._idle_timeout_s <= 0 or self._closed or self._timers is None:
            return
        self._idle_handle = self._timers.call_later(self._idle_timeout_s if delay is None else delay, self._on_idle)

    def _on_idle(self) -> None:
        self._idle_handle = None
        if self._closed:
            return
        if self._busy:
            self._arm_idle_timer()
            return
        assert self._timers is not None  # armed only after connection_made
        idle_for = self._timers.time() - self._last_activity
        if idle_for >= self._idle_timeout_s:
            log.debug("closing idle connection from %s", self._peer)
            self.close()
        else:
            self._arm_idle_timer(self._idle_timeout_s - idle_for)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._registry.discard(self)
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        if self._transport is not None:
            self._transport.close()
