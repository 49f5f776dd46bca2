"""Bundled HTTP/1.1 keep-alive load generator for contrib/bench/run.py (used when `wrk` is not installed).

Owns: driving one HTTP server with N keep-alive connections, each with exactly one request in flight (a closed
loop, like wrk), cycling through a list of POST bodies, for a fixed duration; then printing one JSON object with
the number of completed requests, the measured window, latency percentiles and error counts.

Runs in a process of its own (never inside the server under test), on uvloop when it is installed, with a raw
`asyncio.Protocol` per connection so that the client costs as little CPU as possible. It imports nothing of
bitcoin_rpc_mp: it only speaks HTTP.

Timing: requests are sent until `--duration` has passed. Requests still in flight then are awaited for at most
`--drain` seconds (so that slow requests such as 1000-element batches are counted rather than dropped), and the
window ends at the last completion: throughput = completed / window. A request that got no complete answer within
`--timeout` counts as a timeout error and its connection is reopened.

    python contrib/bench/loadgen.py --url http://u:p@127.0.0.1:18443/ --connections 16 --duration 5 \
        --bodies-file bodies.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import resource
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, cast

__all__ = ["LoadResult", "build_request", "main", "percentile", "run_load"]


@dataclass
class LoadResult:
    """What one load run measured; latencies in seconds."""

    connections: int
    completed: int = 0
    window_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    status_errors: int = 0
    other_errors: int = 0
    timeouts: int = 0
    bytes_received: int = 0

    def summary(self, cpu_s: float) -> dict[str, Any]:
        lat = sorted(self.latencies)
        return {
            "tool": "loadgen.py",
            "connections": self.connections,
            "requests": self.completed,
            "duration_s": self.window_s,
            "req_per_s": self.completed / self.window_s if self.window_s > 0 else 0.0,
            "p50_ms": percentile(lat, 50.0) * 1e3 if lat else None,
            "p99_ms": percentile(lat, 99.0) * 1e3 if lat else None,
            "mean_ms": sum(lat) / len(lat) * 1e3 if lat else None,
            "max_ms": lat[-1] * 1e3 if lat else None,
            "errors": {"status": self.status_errors, "timeout": self.timeouts, "other": self.other_errors},
            "bytes_received": self.bytes_received,
            "loadgen_cpu_s": cpu_s,
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (the value at rank ceil(pct/100 * n))."""
    if not sorted_values:
        raise ValueError("no values")
    n = len(sorted_values)
    rank = max(1, min(n, -int(-pct * n // 100)))
    return sorted_values[rank - 1]


def build_request(host: str, port: int, path: str, authorization: str | None, body: bytes) -> bytes:
    """One complete keep-alive POST request."""
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Closed(Exception):
    pass


class _ClientProtocol(asyncio.Protocol):
    """One keep-alive connection: send a request, read exactly one response (Content-Length framed)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, int]] | None = None
        self.closed = False
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they have the same methods
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._try_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(_Closed(str(exc) if exc else "connection closed by server"))

    def _try_complete(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        length = 0
        pos = head.find(b"\r\ncontent-length:")
        if pos >= 0:
            stop = head.find(b"\r\n", pos + 2)
            length = int(head[pos + 17 : stop if stop >= 0 else len(head)].strip())
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        status = int(head[9:12])
        del self.buffer[:total]
        waiter.set_result((status, total))

    def request(self, payload: bytes) -> asyncio.Future[tuple[int, int]]:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        if self.closed:
            self.waiter.set_exception(_Closed("connection closed"))
            return self.waiter
        self.sent_at = time.perf_counter()
        self.transport.write(payload)
        return self.waiter

    def expire(self, now: float, timeout_s: float) -> None:
        """Fail the request in flight if it is older than `timeout_s` (called by the watchdog)."""
        if self.waiter is not None and not self.waiter.done() and now - self.sent_at > timeout_s:
            self.waiter.set_exception(TimeoutError())

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _connection_loop(
    host: str,
    port: int,
    payloads: list[bytes],
    offset: int,
    deadline: float,
    timeout_s: float,
    result: LoadResult,
    last_done: list[float],
    live: set[_ClientProtocol],
) -> None:
    loop = asyncio.get_running_loop()
    proto: _ClientProtocol | None = None
    i = offset
    try:
        while time.perf_counter() < deadline:
            if proto is None or proto.closed:
                _, proto = await loop.create_connection(_ClientProtocol, host, port)
                live.add(proto)
            payload = payloads[i % len(payloads)]
            i += 1
            start = time.perf_counter()
            try:
                # no asyncio.wait_for here: it costs a task per request; the watchdog enforces the timeout
                status, size = await proto.request(payload)
            except TimeoutError:
                live.discard(proto)
                result.timeouts += 1
                proto.close()
                proto = None
                continue
            except (_Closed, OSError):
                result.other_errors += 1
                live.discard(proto)
                proto = None
                continue
            now = time.perf_counter()
            result.completed += 1
            result.bytes_received += size
            result.latencies.append(now - start)
            last_done[0] = max(last_done[0], now)
            if status != 200:
                result.status_errors += 1
    finally:
        if proto is not None:
            live.discard(proto)
            proto.close()


async def _watchdog(live: set[_ClientProtocol], timeout_s: float) -> None:
    while True:
        await asyncio.sleep(min(0.25, timeout_s / 4))
        now = time.perf_counter()
        for proto in list(live):
            proto.expire(now, timeout_s)


async def run_load(
    url: str,
    bodies: list[bytes],
    *,
    connections: int,
    duration_s: float,
    drain_s: float = 30.0,
    timeout_s: float = 60.0,
) -> LoadResult:
    """Drive `url` with `connections` keep-alive connections for `duration_s`; see the module docstring."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    authorization = None
    if parts.username is not None:
        userpass = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(userpass.encode()).decode()
    payloads = [build_request(host, port, path, authorization, body) for body in bodies]
    result = LoadResult(connections=connections)
    start = time.perf_counter()
    last_done = [start]
    deadline = start + duration_s
    live: set[_ClientProtocol] = set()
    watchdog = asyncio.ensure_future(_watchdog(live, timeout_s))
    tasks = [
        asyncio.ensure_future(
            # spread the connections over the body list so they do not all ask for the same height
            _connection_loop(host, port, payloads, k * 7919, deadline, timeout_s, result, last_done, live)
        )
        for k in range(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=duration_s + drain_s)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    watchdog.cancel()
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            result.other_errors += 1
    result.window_s = max(last_done[0] - start, 1e-9) if result.completed else duration_s
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="http://user:password@host:port/path")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of sending")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for requests in flight")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before one request counts as lost"
    )
    parser.add_argument("--bodies-file", required=True, help="JSON list of request bodies (strings)")
    args = parser.parse_args(argv)
    with open(args.bodies_file, encoding="utf-8") as f:
        bodies = [str(b).encode() for b in json.load(f)]
    if not bodies or args.connections < 1:
        parser.error("need at least one body and one connection")
    runner: Any = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # the client works on the stock loop too, only slower
        pass
    cpu0 = _cpu_seconds()
    result = runner(
        run_load(
            args.url,
            bodies,
            connections=args.connections,
            duration_s=args.duration,
            drain_s=args.drain,
            timeout_s=args.timeout,
        )
    )
    json.dump(result.summary(_cpu_seconds() - cpu0), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
