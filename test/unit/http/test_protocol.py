"""http/protocol.py with a fake transport and a fixed clock: no sockets, no sleeps.

The handler answers when the test resolves its future, so the order of events is the test's, not the
scheduler's: one request at a time per connection, the work queue's 503 with the connection kept, Connection:
close, the allow list (closed without a byte), pause/resume under read-ahead, the Date from the clock, and the
idle timeout (``-rpcservertimeout``) on fake timers that the test advances. The real-time idle timeout is
checked end to end by test/functional/interface_http.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bitcoin_rpc_mp.http.events import Request, Response
from bitcoin_rpc_mp.http.protocol import PAUSE_THRESHOLD, HttpProtocol
from bitcoin_rpc_mp.http.wire import ReplyWriter, serialize_response
from bitcoin_rpc_mp.http.workqueue import WorkQueue

NOW = 1_795_973_466.0  # Sun, 29 Nov 2026 17:31:06 GMT


class FakeTransport:
    """What HttpProtocol uses of an asyncio transport, recorded."""

    def __init__(self, peer: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.peer = peer
        self.written = b""
        self.writes: list[int] = []  # buffers per write call
        self.closed = self.aborted = self.paused = False

    def get_extra_info(self, name: str) -> object:
        return self.peer if name == "peername" else None

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes.append(1)

    def writelines(self, parts: tuple[bytes, ...]) -> None:
        self.written += b"".join(parts)
        self.writes.append(len(parts))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


class FakeTimers:
    """A clock and timers that move only when the test calls `advance`."""

    class Handle:
        def __init__(self, due: float, callback: Callable[[], object]) -> None:
            self.due, self.callback, self.cancelled = due, callback, False

        def cancel(self) -> None:
            self.cancelled = True

    def __init__(self) -> None:
        self.now = 1000.0
        self.handles: list[FakeTimers.Handle] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object], /) -> FakeTimers.Handle:
        handle = FakeTimers.Handle(self.now + delay, callback)
        self.handles.append(handle)
        return handle

    @property
    def pending(self) -> list[FakeTimers.Handle]:
        return [h for h in self.handles if not h.cancelled]

    def advance(self, seconds: float) -> None:
        """Move the clock, running each timer that falls due on the way, in order."""
        end = self.now + seconds
        while due := sorted((h for h in self.pending if h.due <= end), key=lambda h: h.due):
            handle = due[0]
            self.handles.remove(handle)
            self.now = handle.due
            handle.callback()
        self.now = end


class GatedHandler:
    """Each request waits for the test to release it; records what ran."""

    def __init__(self) -> None:
        self.gates: list[asyncio.Future[None]] = []
        self.bodies: list[bytes] = []

    async def __call__(self, request: Request, peer: str) -> Response:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gates.append(gate)
        self.bodies.append(request.body)
        await gate
        return Response(200, (("Content-Type", "application/json"),), request.body, tail=b"\n")

    def release(self, n: int) -> None:
        self.gates[n].set_result(None)


def connect(
    handler: GatedHandler,
    *,
    queue: WorkQueue | None = None,
    allow: bool = True,
    idle: int = 0,
    timers: FakeTimers | None = None,
) -> tuple[HttpProtocol, FakeTransport]:
    protocol = HttpProtocol(
        handler,
        allow=lambda host: allow,
        work_queue=queue or WorkQueue(4, 16),
        idle_timeout_s=idle,
        clock=lambda: NOW,
        registry=set(),
        writer=ReplyWriter(),
        timers=timers or FakeTimers(),
    )
    transport = FakeTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def post(body: bytes, extra: bytes = b"") -> bytes:
    return b"POST / HTTP/1.1\r\nHost: x\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def turn() -> None:
    """Let the loop run what is ready (the request tasks), without waiting for any time to pass."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_pipelined_requests_run_one_at_a_time_in_order() -> None:
    handler = GatedHandler()
    protocol, transport = connect(handler)
    protocol.data_received(post(b"1") + post(b"2"))
    await turn()
    assert handler.bodies == [b"1"], "the second request waits for the first reply"
    handler.release(0)
    await turn()
    assert transport.written.endswith(b"\r\n\r\n1\n") and handler.bodies == [b"1", b"2"]
    handler.release(1)
    await turn()
    assert transport.written.count(b"HTTP/1.1 200 OK") == 2 and transport.written.endswith(b"2\n")
    assert b"Date: Sun, 29 Nov 2026 17:31:06 GMT\r\n" in transport.written  # from the injected clock
    assert not transport.closed


async def test_a_large_body_is_written_apart_from_its_head_with_the_same_bytes() -> None:
    handler = GatedHandler()
    protocol, transport = connect(handler)
    small, large = b"s" * 100, b"L" * (3 << 20)
    protocol.data_received(post(small) + post(large, b"Connection: close\r\n"))
    await turn()
    handler.release(0)
    await turn()
    handler.release(1)
    await turn()
    expected = b"".join(
        serialize_response(Response(200, (("Content-Type", "application/json"),), body + b"\n"), NOW, connection=c)
        for body, c in ((small, None), (large, "close"))
    )
    assert transport.written == expected
    assert transport.writes == [1, 3], "the small reply in one buffer, the large one as head, body and tail"
    assert transport.closed


async def test_a_full_work_queue_answers_503_at_once_and_keeps_the_connection() -> None:
    handler = GatedHandler()
    queue = WorkQueue(1, 1)
    first, _ = connect(handler, queue=queue)
    second, _ = connect(handler, queue=queue)
    third, refused = connect(handler, queue=queue)
    first.data_received(post(b"a"))
    second.data_received(post(b"b"))  # waits for the one worker
    third.data_received(post(b"c"))
    assert refused.written.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert refused.written.endswith(b"Work queue depth exceeded") and not refused.closed
    await turn()
    handler.release(0)
    await turn()
    assert handler.bodies == [b"a", b"b"], "the queued request got the worker"
    handler.release(1)
    await turn()


async def test_connection_close_closes_after_the_reply() -> None:
    handler = GatedHandler()
    protocol, transport = connect(handler)
    protocol.data_received(post(b"x", b"Connection: close\r\n") + post(b"never"))
    await turn()
    handler.release(0)
    await turn()
    assert b"Connection: close\r\n" in transport.written and transport.closed
    assert handler.bodies == [b"x"]


async def test_a_peer_outside_the_allow_list_is_closed_without_a_byte() -> None:
    handler = GatedHandler()
    protocol, transport = connect(handler, allow=False)
    protocol.data_received(post(b"x"))
    await turn()
    assert transport.aborted and transport.written == b"" and handler.bodies == []


async def test_reading_pauses_while_a_request_runs_and_much_is_buffered() -> None:
    handler = GatedHandler()
    protocol, transport = connect(handler)
    protocol.data_received(post(b"1"))
    await turn()
    protocol.data_received(b"x" * (PAUSE_THRESHOLD + 1))
    assert transport.paused
    handler.release(0)
    await turn()
    assert not transport.paused


async def test_an_idle_connection_is_closed_when_the_timeout_has_passed() -> None:
    timers = FakeTimers()
    _protocol, transport = connect(GatedHandler(), idle=1, timers=timers)
    timers.advance(0.999)
    assert not transport.closed
    timers.advance(0.001)
    assert transport.closed and transport.written == b""


async def test_bytes_received_restart_the_idle_time() -> None:
    timers = FakeTimers()
    protocol, transport = connect(GatedHandler(), idle=1, timers=timers)
    timers.advance(0.6)
    protocol.data_received(b"POST / HTTP/1.1\r\n")  # part of a request is activity too
    timers.advance(0.9)
    assert not transport.closed, "1.5 s since the connection, 0.9 s since its last bytes"
    timers.advance(0.1)
    assert transport.closed


async def test_a_running_request_is_never_idle_and_the_time_counts_from_its_reply() -> None:
    timers = FakeTimers()
    handler = GatedHandler()
    protocol, transport = connect(handler, idle=1, timers=timers)
    protocol.data_received(post(b"slow"))
    await turn()
    timers.advance(30)  # the request outlives the timeout many times
    assert not transport.closed
    handler.release(0)
    await turn()
    assert transport.written.endswith(b"slow\n")
    timers.advance(0.999)
    assert not transport.closed
    timers.advance(0.001)
    assert transport.closed


async def test_no_idle_timer_when_the_timeout_is_zero() -> None:
    timers = FakeTimers()
    _protocol, transport = connect(GatedHandler(), idle=0, timers=timers)
    assert timers.pending == []
    timers.advance(1e9)
    assert not transport.closed


async def test_a_closed_connection_leaves_no_timer_behind() -> None:
    timers = FakeTimers()
    protocol, _transport = connect(GatedHandler(), idle=5, timers=timers)
    protocol.connection_lost(None)
    assert timers.pending == []
