"""Raw IPC ceiling for contrib/bench/run.py: how fast plain pycapnp calls the node, with no HTTP and no server.

Owns: one process that connects to bitcoin-node's IPC socket with pycapnp (uvloop + `capnp.kj_loop()`), does the
handshake by hand (`Init.construct`, `ThreadMap.makeThread` x `--threads`, `Init.makeChain` / `Init.makeRpc`) and
then, for `--duration` seconds, keeps `--concurrency` calls in flight of one IPC method:

- `find`: `Chain.findFirstBlockWithTimeAndHeight(context, minTime=0, minHeight=h, block={wantHash})`, h cycling
  over 0..tip, reading the 32-byte hash out of the reply — the call our server makes for `getblockhash h`;
- `execute`: `Rpc.executeRpc(context, request, uri="/", user)` with the JSON request text given — the call our
  server makes for a method it passes through.

Thread discipline (`--discipline`), the same rule our server's Thread pool follows (ipc/threads.py):
- `queue`: every call goes at once to the Thread with the fewest calls in flight (ties: the lowest index) and
  the node queues calls behind each other on a Thread (libmultiprocess v8, Bitcoin Core 31.0+);
- `exclusive`: a call waits (strict FIFO among callers) for a Thread with nothing in flight, so at most
  `--threads` calls are at the node (older nodes fail or crash on a second call to a busy Thread);
- `auto` (default): `queue` where the server would queue, i.e. where
  `bitcoin_rpc_mp.ipc.capabilities.NodeCapabilities(variant).queues_calls` says so, else `exclusive`.

Prints one JSON object (calls, window, calls/s, p50/p99 ms, its own CPU seconds). It deliberately uses only
`bitcoin_rpc_mp.ipc.schemas.load_variant` of ours (and the pure `queues_calls` rule), never our IPC client, so
the ceiling does not inherit the client's costs.

    python contrib/bench/ipc_ceiling.py --socket /tmp/node.sock --method find --concurrency 16 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import sys
import time
from typing import Any

import capnp
import uvloop

from bitcoin_rpc_mp.ipc.capabilities import NodeCapabilities
from bitcoin_rpc_mp.ipc.schemas import load_variant

__all__ = ["main", "measure"]


def _percentile(sorted_values: list[float], pct: float) -> float:
    n = len(sorted_values)
    rank = max(1, min(n, -int(-pct * n // 100)))
    return sorted_values[rank - 1]


class _FairPool:
    """Free Thread contexts handed out in strict FIFO order of the callers (asyncio.Queue lets a releasing
    caller take the item back before the woken waiter runs, which starves some callers for whole seconds)."""

    def __init__(self, items: list[Any]) -> None:
        self._free = collections.deque(items)
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()

    async def acquire(self) -> Any:
        if self._free and not self._waiters:
            return self._free.popleft()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    def release(self, item: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        self._free.append(item)


class _LeastBusy:
    """The Thread with the fewest calls in flight, ties to the lowest index (no limit per Thread)."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items
        self._in_flight = [0] * len(items)

    def acquire(self) -> int:
        in_flight = self._in_flight
        index = in_flight.index(min(in_flight))
        in_flight[index] += 1
        return index

    def release(self, index: int) -> None:
        self._in_flight[index] -= 1

    def item(self, index: int) -> Any:
        return self._items[index]


def resolve_discipline(discipline: str, variant: str) -> str:
    if discipline != "auto":
        return discipline
    caps = NodeCapabilities(variant=variant, interfaces=frozenset(), has_pool=False)
    return "queue" if caps.queues_calls else "exclusive"


async def measure(
    socket_path: str,
    *,
    method: str,
    concurrency: int,
    threads: int,
    duration_s: float,
    variant: str,
    request_text: str,
    discipline: str,
) -> dict[str, Any]:
    vs = load_variant(variant)
    stream = await capnp.AsyncIoStream.create_unix_connection(socket_path)
    client = capnp.TwoPartyClient(stream)
    init = client.bootstrap().cast_as(vs.init.Init)
    thread_map = (await init.construct()).threadMap
    contexts = []
    for i in range(threads):
        request = thread_map.makeThread_request()  # a `name=` keyword would clash with pycapnp's _send(name)
        request.name = f"bench-ceiling-{i}"
        made = await request.send()
        contexts.append(vs.proxy.Context.new_message(thread=made.result))
    if method == "find":
        if vs.chain is None:
            raise SystemExit(f"variant {variant} has no Chain interface")
        target = (await init.makeChain(context=contexts[0])).result
        tip = (await target.getHeight(context=contexts[0])).result
        heights = list(range(tip + 1))
    else:
        if vs.rpc is None:
            raise SystemExit(f"variant {variant} has no Rpc interface")
        target = (await init.makeRpc(context=contexts[0])).result
        heights = [0]

    async def call(ctx: Any, height: int) -> None:
        if method == "find":
            reply = await target.findFirstBlockWithTimeAndHeight(
                context=ctx, minTime=0, minHeight=height, block={"wantHash": True}
            )
            if not reply.result or len(bytes(reply.block.hash)) != 32:
                raise RuntimeError(f"no block at height {height}")
        else:
            reply = await target.executeRpc(context=ctx, request=request_text, uri="/", user="bench")
            if not str(reply.result):
                raise RuntimeError("empty executeRpc reply")

    discipline = resolve_discipline(discipline, variant)
    free = _FairPool(contexts)
    busy = _LeastBusy(contexts)
    latencies: list[float] = []
    errors = [0]
    last_done = [0.0]

    async def worker(k: int, deadline: float) -> None:
        i = k * 7919
        while time.perf_counter() < deadline:
            height = heights[i % len(heights)]
            i += 1
            start = time.perf_counter()
            try:
                if discipline == "exclusive":
                    ctx = await free.acquire()
                    try:
                        await call(ctx, height)
                    finally:
                        free.release(ctx)
                else:
                    index = busy.acquire()
                    try:
                        await call(busy.item(index), height)
                    finally:
                        busy.release(index)
            except (capnp.KjException, RuntimeError):
                errors[0] += 1
                continue
            now = time.perf_counter()
            latencies.append(now - start)
            last_done[0] = now

    # a short warm-up so connection set-up and first-call costs stay out of the window
    warm_deadline = time.perf_counter() + min(0.2, duration_s / 5)
    await asyncio.gather(*(worker(k, warm_deadline) for k in range(concurrency)))
    latencies.clear()
    errors[0] = 0
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    last_done[0] = start
    await asyncio.gather(*(worker(k, start + duration_s) for k in range(concurrency)))
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    window = max(last_done[0] - start, 1e-9)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    lat = sorted(latencies)
    client.close()
    stream.close()
    return {
        "tool": "ipc_ceiling.py",
        "method": method,
        "discipline": discipline,
        "threads": threads,
        "connections": concurrency,
        "requests": len(lat),
        "duration_s": window,
        "req_per_s": len(lat) / window,
        "p50_ms": _percentile(lat, 50.0) * 1e3 if lat else None,
        "p99_ms": _percentile(lat, 99.0) * 1e3 if lat else None,
        "mean_ms": sum(lat) / len(lat) * 1e3 if lat else None,
        "max_ms": lat[-1] * 1e3 if lat else None,
        "errors": {"ipc": errors[0]},
        "client_cpu_s": cpu,
        "client_cpu_s_per_call": cpu / len(lat) if lat else None,
    }


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    async with capnp.kj_loop():
        return await measure(
            args.socket,
            method=args.method,
            concurrency=args.concurrency,
            threads=args.threads,
            duration_s=args.duration,
            variant=args.variant,
            request_text=args.request,
            discipline=args.discipline,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--socket", required=True, help="the node's IPC socket path (unix:PATH accepted)")
    parser.add_argument("--method", choices=("find", "execute"), default="find")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4, help="node Threads to spread the calls over")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--variant", default="pr29409", help="schema variant of the node")
    parser.add_argument(
        "--request", default='{"method":"getblockcount","id":1}', help="executeRpc request text"
    )
    parser.add_argument("--request-file", help="read the executeRpc request text from this file")
    parser.add_argument("--discipline", choices=("auto", "queue", "exclusive"), default="auto")
    args = parser.parse_args(argv)
    if args.request_file:
        with open(args.request_file, encoding="utf-8") as f:
            args.request = f.read()
    if args.socket.startswith("unix:"):
        args.socket = args.socket[len("unix:") :]
    result = uvloop.run(_run(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
