"""HttpServer + HttpProtocol over real loopback sockets with a trivial handler.

Covers what the asyncio side owns: one request at a time per connection (pipelining), keep-alive and close,
the work queue's 503 (queued requests counted, connection kept), early 404/405 answers that never reach the
handler, the allow list, and a handler that raises. The idle timeout is tested on fake timers in
test_protocol.py, and in real time end to end by test/functional/interface_http.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bitcoin_rpc_mp.http.events import Request, Response
from bitcoin_rpc_mp.http.server import HttpServer
from bitcoin_rpc_mp.http.workqueue import WorkQueue, WorkQueueFull


class Recorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.seen: list[bytes] = []
        self.running = 0
        self.max_running = 0

    async def __call__(self, request: Request, peer: str) -> Response:
        self.seen.append(request.body)
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if request.body == b"raise":
                raise RuntimeError("handler bug")
            await asyncio.sleep(self.delay)
            return Response(200, (("Content-Type", "application/json"),), request.body + b"\n")
        finally:
            self.running -= 1


class LoopbackOnly:
    def allows(self, host: str) -> bool:
        return host.startswith("127.")


class NobodyAllowed:
    def allows(self, host: str) -> bool:
        return False


async def start(handler: Recorder, *, threads: int = 4, depth: int = 16, idle: int = 30) -> HttpServer:
    server = HttpServer(
        handler, allow=LoopbackOnly(), work_queue=WorkQueue(threads, depth), idle_timeout_s=idle, clock=time.time
    )
    await server.bind([("127.0.0.1", 0)])
    return server


def post(body: bytes, extra: bytes = b"") -> bytes:
    return b"POST / HTTP/1.1\r\nHost: x\r\n" + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


async def read_reply(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head, await reader.readexactly(length)


async def test_pipelined_requests_are_served_in_order_one_at_a_time() -> None:
    handler = Recorder(delay=0.05)
    server = await start(handler)
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(post(b"1") + post(b"2") + post(b"3"))
    bodies = [(await read_reply(reader))[1] for _ in range(3)]
    assert bodies == [b"1\n", b"2\n", b"3\n"]
    assert handler.max_running == 1, "a connection runs one request at a time"
    writer.close()
    await server.aclose()


async def test_connection_close_is_honoured() -> None:
    server = await start(Recorder())
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(post(b"x", b"Connection: close\r\n") + post(b"never"))
    head, body = await read_reply(reader)
    assert b"Connection: close" in head and body == b"x\n"
    assert await reader.read() == b"", "closed after the reply; the pipelined request is dropped"
    await server.aclose()


async def test_work_queue_overflow_answers_503_and_keeps_the_connection() -> None:
    handler = Recorder(delay=0.3)
    server = await start(handler, threads=1, depth=1)
    host, port = server.bound[0]
    conns = [await asyncio.open_connection(host, port) for _ in range(3)]
    for _, writer in conns:
        writer.write(post(b"q"))
        await asyncio.sleep(0.02)
    replies = [await read_reply(reader) for reader, _ in conns]
    statuses = sorted(int(head.split(b" ")[1]) for head, _ in replies)
    assert statuses == [200, 200, 503]
    refused = next(r for r in replies if b" 503 " in r[0])
    assert refused[1] == b"Work queue depth exceeded"
    assert b"Cache-Control: no-store" in refused[0]
    # the refused connection is still usable
    reader, writer = next(c for c, r in zip(conns, replies, strict=True) if b" 503 " in r[0])
    writer.write(post(b"again"))
    assert (await read_reply(reader))[1] == b"again\n"
    for _, writer in conns:
        writer.close()
    await server.aclose()


async def test_unknown_path_and_verb_never_reach_the_handler() -> None:
    handler = Recorder()
    server = await start(handler)
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /foo HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    head, _ = await read_reply(reader)
    assert head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    writer.write(b"DELETE / HTTP/1.1\r\n\r\n")
    head, _ = await read_reply(reader)
    assert head.startswith(b"HTTP/1.1 405 Method Not Allowed\r\nCache-Control: no-store\r\n")
    assert handler.seen == []
    writer.close()
    await server.aclose()


async def test_handler_exception_is_a_500_not_a_dead_connection() -> None:
    server = await start(Recorder())
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(post(b"raise"))
    head, _ = await read_reply(reader)
    assert head.startswith(b"HTTP/1.1 500 ")
    writer.write(post(b"ok"))
    assert (await read_reply(reader))[1] == b"ok\n"
    writer.close()
    await server.aclose()


async def test_bad_request_gets_400_and_close() -> None:
    server = await start(Recorder())
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"POST /\r\n\r\n")
    head, _ = await read_reply(reader)
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\nCache-Control: no-store\r\n")
    assert await reader.read() == b""
    await server.aclose()


async def test_work_queue_counts_only_queued_requests() -> None:
    queue = WorkQueue(threads=2, depth=1)
    assert queue.enter_nowait() is None and queue.enter_nowait() is None
    waiting = queue.enter_nowait()
    assert waiting is not None
    with pytest.raises(WorkQueueFull):
        queue.enter_nowait()
    queue.leave()
    assert waiting.done()
    stats = queue.statistics()
    assert (stats.running, stats.queued) == (2, 0)


async def test_refused_peer_is_closed_without_a_byte() -> None:
    handler = Recorder()
    server = HttpServer(
        handler, allow=NobodyAllowed(), work_queue=WorkQueue(4, 16), idle_timeout_s=30, clock=time.time
    )
    await server.bind([("127.0.0.1", 0)])
    host, port = server.bound[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(post(b"x"))
    assert await asyncio.wait_for(reader.read(), 3) == b""
    assert handler.seen == []
    await server.aclose()
