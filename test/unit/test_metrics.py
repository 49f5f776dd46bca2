"""metrics.py: what a scrape shows, label bounds, the scrape endpoint, and the per-request cost."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from bitcoin_rpc_mp.metrics import MAX_METHODS, Metrics, RequestMetrics, serve_metrics


@dataclass
class Queue:
    running: int = 2
    queued: int = 1


@dataclass
class Ipc:
    threads: int = 4
    calls_in_flight: int = 3
    reconnects: int = 5


def make() -> Metrics:
    return Metrics(
        work_queue=Queue, ipc=Ipc, ipc_calls=lambda: {"Rpc": 7, "Chain": 2}, connected=lambda: True
    )


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_shows_requests_latency_and_readings() -> None:
    metrics = make()
    metrics.requests.observe("getblockcount", 200, 0.0003)
    metrics.requests.observe("getblockcount", 200, 0.002)
    metrics.requests.observe("getblock", 500, 0.7)
    metrics.requests.observe("", 401, 0.25)
    metrics.add_counters("bitcoin_rpc_mp_cache_events", "answer cache events", "event", lambda: {"hit": 9, "miss": 4})
    got = samples(metrics)
    assert got[("bitcoin_rpc_mp_requests_total", (("method", "getblockcount"), ("status", "200")))] == 2
    assert got[("bitcoin_rpc_mp_requests_total", (("method", "getblock"), ("status", "500")))] == 1
    assert got[("bitcoin_rpc_mp_requests_total", (("method", "-"), ("status", "401")))] == 1
    bucket = "bitcoin_rpc_mp_request_duration_seconds_bucket"
    assert got[(bucket, (("le", "0.0005"), ("method", "getblockcount")))] == 1
    assert got[(bucket, (("le", "0.0025"), ("method", "getblockcount")))] == 2
    assert got[(bucket, (("le", "+Inf"), ("method", "getblock")))] == 1
    assert got[("bitcoin_rpc_mp_request_duration_seconds_sum", (("method", "getblock"),))] == 0.7
    assert got[("bitcoin_rpc_mp_requests_in_flight", ())] == 3
    assert got[("bitcoin_rpc_mp_ipc_connected", ())] == 1
    assert got[("bitcoin_rpc_mp_ipc_calls_in_flight", ())] == 3
    assert got[("bitcoin_rpc_mp_ipc_reconnects_total", ())] == 5
    assert got[("bitcoin_rpc_mp_ipc_calls_total", (("interface", "Rpc"),))] == 7
    assert got[("bitcoin_rpc_mp_cache_events_total", (("event", "hit"),))] == 9


def test_client_chosen_method_names_are_bounded() -> None:
    requests = RequestMetrics()
    for n in range(MAX_METHODS + 50):
        requests.observe(f"m{n}", 200, 0.001)
    requests.observe("bad\ud800name", 200, 0.001)  # a lone surrogate would break the text format
    requests.observe("x" * 65, 200, 0.001)
    labels = {m.samples[0].labels.get("method") for m in [next(requests.collect())]}
    methods = {s.labels["method"] for s in next(requests.collect()).samples}
    assert len(methods) == MAX_METHODS + 1 and "other" in methods and labels
    assert not any("\ud800" in m for m in methods)


async def test_the_endpoint_answers_get_metrics_only() -> None:
    metrics = make()
    metrics.requests.observe("getblockcount", 200, 0.001)
    server = await serve_metrics(metrics, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def get(path: str, method: str = "GET") -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = await reader.read()
        writer.close()
        return data

    try:
        reply = await get("/metrics")
        assert reply.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4")
        assert b'bitcoin_rpc_mp_requests_total{method="getblockcount",status="200"} 1.0' in reply
        assert (await get("/other")).startswith(b"HTTP/1.1 404")
        assert (await get("/metrics", "POST")).startswith(b"HTTP/1.1 404")
    finally:
        server.close()
        await server.wait_closed()


def test_observing_a_request_costs_a_few_function_calls() -> None:
    """The per-request price of -metrics, printed, and bounded relative to an empty call so that the bound
    holds on a loaded machine too."""
    requests = RequestMetrics()
    methods = ["getblockcount", "getblockhash", "getblock", "getbestblockhash"]

    def nothing(method: str, status: int, seconds: float) -> None:
        pass

    def once(fn: object) -> float:
        started = time.perf_counter()
        for i in range(10_000):
            fn(methods[i & 3], 200, 0.00042)  # type: ignore[operator]
        return (time.perf_counter() - started) / 10_000

    empty = observe = float("inf")
    for _ in range(10):  # interleaved, best of ten: other processes' load falls on both alike
        empty = min(empty, once(nothing))
        observe = min(observe, once(requests.observe))
    print(f"RequestMetrics.observe: {observe * 1e6:.2f} µs per request ({observe / empty:.1f}x an empty call)")
    assert observe < 60 * empty, "a per-request cost this high belongs at scrape time"
