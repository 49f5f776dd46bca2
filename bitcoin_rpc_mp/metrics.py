"""Opt-in Prometheus metrics (`-metrics=[host:]port`, off by default) on a port of their own.

Owns: what is counted and how it is exposed. Every request costs one call, `RequestMetrics.observe(method,
status, seconds)`: two dictionary look-ups, a bisect and three additions on plain lists (measured in
`test/unit/test_metrics.py`, and in the commit that added it). Everything else is read only when Prometheus
scrapes: the work queue and the IPC client already keep the counts (`statistics()`), and other parts of the
program register a reading function with `Metrics.add_counters` (the answer cache's hits and misses, for
example). The exposition is prometheus_client's text format, built by a custom collector from those numbers.

The scrape endpoint is a small asyncio server on the same loop, so readings never race with the loop that
changes them. It answers `GET /metrics` (and `/`), nothing else, and closes each connection after one reply.

Method names come from clients, so they are bounded before they become label values: a name that is not a plain
RPC name (`[A-Za-z0-9_.-]{1,64}`), or that arrives after `MAX_METHODS` distinct names, counts as `other`.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

__all__ = ["LATENCY_BUCKETS_S", "MAX_METHODS", "Metrics", "RequestMetrics", "serve_metrics"]

log = logging.getLogger("bitcoin_rpc_mp.metrics")

LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
MAX_METHODS = 256
OTHER = "other"
NO_METHOD = "-"  # the body was not read as a request (parse error, refused before parsing, 401)
_RPC_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
_MAX_REQUEST_HEAD = 8192
# the text format every Prometheus version reads (generate_latest writes it)
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


_SUM = len(LATENCY_BUCKETS_S) + 1  # record layout: bucket counts (the bounds, then +Inf), sum, 200s, others
_OK = _SUM + 1
_OTHER = _OK + 1


class RequestMetrics:
    """Requests by method and HTTP status, and their latency by method, in one plain list per method."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        # method -> [count per latency bucket …, sum of seconds, count of 200s, {other status: count}]
        self._records: dict[str, list[Any]] = {}

    def observe(self, method: str, status: int, seconds: float) -> None:
        record = self._records.get(method)
        if record is None:
            record = self._record(method)
        record[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1
        record[_SUM] += seconds
        if status == 200:
            record[_OK] += 1
        else:
            others = record[_OTHER]
            others[status] = others.get(status, 0) + 1

    def _record(self, method: str) -> list[Any]:
        """The record a new method name counts in (`other` past the bound or for a name that is no RPC name);
        kept under the name as given too, so the check runs once per name."""
        label = method
        if not method:
            label = NO_METHOD
        elif len(self._records) >= MAX_METHODS or not _RPC_NAME.fullmatch(method):
            label = OTHER
        record = self._records.get(label)
        if record is None:
            record = self._records[label] = [0] * _SUM + [0.0, 0, {}]
            record.append(label)
        if len(self._records) < 2 * MAX_METHODS:
            self._records[method] = record
        return record

    def collect(self) -> Iterator[Metric]:
        records = {id(r): r for r in list(self._records.values())}.values()  # each once, under its label
        requests = CounterMetricFamily(
            "bitcoin_rpc_mp_requests", "HTTP JSON-RPC requests answered, by method and HTTP status",
            labels=("method", "status"),
        )  # fmt: skip
        latency = HistogramMetricFamily(
            "bitcoin_rpc_mp_request_duration_seconds",
            "Time from a request's arrival at the JSON-RPC handler to its reply, by method",
            labels=("method",),
        )
        for record in sorted(records, key=lambda r: r[-1]):
            label = record[-1]
            statuses = {200: record[_OK], **record[_OTHER]} if record[_OK] else dict(record[_OTHER])
            for status, count in sorted(statuses.items()):
                requests.add_metric((label, str(status)), count)
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, in_bucket in zip((*LATENCY_BUCKETS_S, float("inf")), record[:_SUM], strict=True):
                cumulative += in_bucket
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric((label,), buckets, record[_SUM])
        yield requests
        yield latency


class WorkQueueReading(Protocol):
    @property
    def running(self) -> int: ...

    @property
    def queued(self) -> int: ...


class IpcReading(Protocol):
    @property
    def threads(self) -> int: ...

    @property
    def calls_in_flight(self) -> int: ...

    @property
    def reconnects(self) -> int: ...


class Metrics(Collector):
    """Everything that is exposed: the per-request counts plus readings taken at scrape time."""

    def __init__(
        self,
        *,
        work_queue: Callable[[], WorkQueueReading],
        ipc: Callable[[], IpcReading],
        ipc_calls: Callable[[], Mapping[str, int]],
        connected: Callable[[], bool],
    ) -> None:
        self.requests = RequestMetrics()
        self._work_queue = work_queue
        self._ipc = ipc
        self._ipc_calls = ipc_calls
        self._connected = connected
        self._counters: list[tuple[str, str, str, Callable[[], Mapping[str, int]]]] = []
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def add_counters(self, name: str, documentation: str, label: str, read: Callable[[], Mapping[str, int]]) -> None:
        """Expose `read()` (label value -> running count) as the counter family `name`, read at each scrape.

        For example the answer cache: `add_counters("bitcoin_rpc_mp_cache_events", "…", "event",
        lambda: {"hit": stats.hits, "miss": stats.misses})`."""
        self._counters.append((name, documentation, label, read))

    def collect(self) -> Iterable[Metric]:
        yield from self.requests.collect()
        queue = self._work_queue()
        yield _gauge("bitcoin_rpc_mp_requests_in_flight", "Requests running or waiting in the work queue",
                     queue.running + queue.queued)  # fmt: skip
        yield _gauge("bitcoin_rpc_mp_requests_queued", "Requests waiting for a worker (-rpcworkqueue)", queue.queued)
        ipc = self._ipc()
        yield _gauge("bitcoin_rpc_mp_ipc_connected", "1 while the node's IPC socket is connected", int(self._connected()))
        yield _gauge("bitcoin_rpc_mp_ipc_threads", "Node Threads of the current IPC session", ipc.threads)
        yield _gauge("bitcoin_rpc_mp_ipc_calls_in_flight", "IPC calls sent and not answered yet", ipc.calls_in_flight)
        reconnects = CounterMetricFamily(
            "bitcoin_rpc_mp_ipc_reconnects", "IPC sessions established after the first one"
        )
        reconnects.add_metric((), ipc.reconnects)
        yield reconnects
        yield _counter_family("bitcoin_rpc_mp_ipc_calls", "IPC calls sent, by interface", "interface", self._ipc_calls())
        for name, documentation, label, read in self._counters:
            yield _counter_family(name, documentation, label, read())

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter_family(name: str, documentation: str, label: str, counts: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=(label,))
    for value, count in sorted(counts.items()):
        family.add_metric((value,), count)
    return family


async def serve_metrics(metrics: Metrics, host: str, port: int) -> asyncio.Server:
    """Listen on host:port for Prometheus' scrapes; raises OSError when the address cannot be bound."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            if len(head) > _MAX_REQUEST_HEAD:
                raise ValueError("request head too long")
            method, _, rest = head.partition(b" ")
            target = rest.split(b" ", 1)[0]
            if method == b"GET" and target in (b"/metrics", b"/"):
                status, content_type, body = b"200 OK", CONTENT_TYPE, metrics.exposition()
            else:
                status, content_type, body = b"404 Not Found", b"text/plain; charset=utf-8", b"not found\n"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type + b"\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
            )  # fmt: skip
            await writer.drain()
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port, limit=_MAX_REQUEST_HEAD)
    log.info("metrics on http://%s/metrics", ", ".join(_address(sock.getsockname()) for sock in server.sockets))
    return server


def _address(name: tuple[str, int] | tuple[str, int, int, int]) -> str:
    host, port = name[0], name[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
