"""The notifications a ChainNotifications client receives for one scenario, on the stand-in and (with
BITCOIN_NODE set) on the real node: mining, invalidateblock, reconsiderblock, equal- and more-work reorgs, two
registrations, Handler.disconnect / destroy / release.

EXPECTED was measured on the pr29409 node (2026-12-04); the real-node pass checks it again against the node.
Blocks are named by the step that made them (``base`` is the tip before the scenario), so the sequences of
two nodes with different hashes compare equal. A real node without Chain (v32) must refuse ``makeChain`` as
UNIMPLEMENTED: it has no notifications.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import capnp
import pytest
from standin_testing import Notes, RawClient, TaggedLog, notifications_server

from bitcoin_rpc_mp.standin.node import StandinNode

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functional"))
from test_framework.authproxy import AuthServiceProxy
from test_framework.node import real_node_binary, real_node_command, stop_process, wait_rpc_ready
from test_framework.util import get_free_port

pytestmark = pytest.mark.realnode

START_BLOCKS = 3


class Backend:
    """Changes the chain of one node: through its own HTTP port (real node) or its API (stand-in)."""

    socket_path: str
    mine: Callable[[int], Awaitable[list[bytes]]]
    invalidate: Callable[[bytes], Awaitable[None]]
    reconsider: Callable[[bytes], Awaitable[None]]
    tip: Callable[[], Awaitable[bytes]]


class StandinBackend(Backend):
    def __init__(self, node: StandinNode) -> None:
        assert node.socket_path is not None
        self.node = node
        self.socket_path = node.socket_path

    async def mine(self, n: int) -> list[bytes]:
        return self.node.mine(n)

    async def invalidate(self, block_hash: bytes) -> None:
        block = self.node.chain.by_hash(block_hash)
        assert block is not None and self.node.chain.in_active_chain(block)
        self.node.invalidate(block.height)

    async def reconsider(self, block_hash: bytes) -> None:
        self.node.reconsider(block_hash)

    async def tip(self) -> bytes:
        return self.node.chain.tip.hash


class RealBackend(Backend):
    def __init__(self, socket_path: str, rpcport: int) -> None:
        self.socket_path = socket_path
        self.rpcport = rpcport
        self.scripts = 0

    def _call(self, method: str, *args: Any) -> Any:
        proxy = AuthServiceProxy(f"http://u:p@127.0.0.1:{self.rpcport}/", timeout=60)
        try:
            return getattr(proxy, method)(*args)
        finally:
            proxy.close()

    async def mine(self, n: int) -> list[bytes]:
        # a new output script per call (OP_1 .. OP_16): blocks of two branches at one height must differ
        self.scripts += 1
        descriptor = f"raw({0x50 + self.scripts % 16 + 1:02x})"
        hashes = await asyncio.to_thread(self._call, "generatetodescriptor", n, descriptor)
        return [bytes.fromhex(h)[::-1] for h in hashes]

    async def invalidate(self, block_hash: bytes) -> None:
        await asyncio.to_thread(self._call, "invalidateblock", block_hash[::-1].hex())

    async def reconsider(self, block_hash: bytes) -> None:
        await asyncio.to_thread(self._call, "reconsiderblock", block_hash[::-1].hex())

    async def tip(self) -> bytes:
        return bytes.fromhex(await asyncio.to_thread(self._call, "getbestblockhash"))[::-1]


def _start_real_node(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], RealBackend]:
    rpcport = get_free_port()
    socket_path = workdir / "node.sock"
    datadir = workdir / "data"
    datadir.mkdir()
    proc = subprocess.Popen(real_node_command(binary, datadir, socket_path, rpcport), stdin=subprocess.DEVNULL)
    backend = RealBackend(str(socket_path), rpcport)
    try:
        wait_rpc_ready(
            lambda: AuthServiceProxy(f"http://u:p@127.0.0.1:{rpcport}/", timeout=60),
            60.0,
            lambda: proc.poll() is None,
            "bitcoin-node",
        )
        backend._call("generatetodescriptor", START_BLOCKS, "raw(51)")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, backend


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc, signal.SIGTERM, 30)


BACKENDS = ["standin"] + (["realnode"] if real_node_binary() else [])


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, kj: None, short_dir: Path) -> AsyncIterator[Backend]:
    if request.param == "standin":
        node = StandinNode(blocks=START_BLOCKS)
        await node.start(str(short_dir / "node.sock"))
        try:
            yield StandinBackend(node)
        finally:
            await node.aclose()
        return
    binary = real_node_binary()
    assert binary is not None
    proc, real = await asyncio.to_thread(_start_real_node, binary, short_dir)
    try:
        yield real
    finally:
        await asyncio.to_thread(_stop, proc)


# (registration, event, block, height, parent block); heights relative to the start tip
EXPECTED: list[list[tuple[Any, ...]]] = [
    # mine 2
    [("A", "connected", "b1", 1, "base"), ("A", "tip"), ("A", "connected", "b2", 2, "b1"), ("A", "tip")],
    # invalidateblock b1: each block disconnected, no updatedBlockTip
    [("A", "disconnected", "b2", 2, "b1"), ("A", "disconnected", "b1", 1, "base")],
    # reconsiderblock b1: one step per block that adds work
    [("A", "connected", "b1", 1, "base"), ("A", "tip"), ("A", "connected", "b2", 2, "b1"), ("A", "tip")],
    # invalidateblock b2 (the tip)
    [("A", "disconnected", "b2", 2, "b1")],
    # mine 1 on b1: a competing block b3
    [("A", "connected", "b3", 2, "b1"), ("A", "tip")],
    # reconsiderblock b2: equal work, b2 was received first and wins
    [("A", "disconnected", "b3", 2, "b1"), ("A", "connected", "b2", 2, "b1"), ("A", "tip")],
    # mine 2
    [("A", "connected", "b4", 3, "b2"), ("A", "tip"), ("A", "connected", "b5", 4, "b4"), ("A", "tip")],
    # invalidateblock b4
    [("A", "disconnected", "b5", 4, "b4"), ("A", "disconnected", "b4", 3, "b2")],
    # mine 1 on b2: b6
    [("A", "connected", "b6", 3, "b2"), ("A", "tip")],
    # reconsiderblock b4: the longer branch; one tip once past b6's work
    [
        ("A", "disconnected", "b6", 3, "b2"),
        ("A", "connected", "b4", 3, "b2"),
        ("A", "connected", "b5", 4, "b4"),
        ("A", "tip"),
    ],
    # invalidateblock b4 again: back to b6, the best valid branch left
    [
        ("A", "disconnected", "b5", 4, "b4"),
        ("A", "disconnected", "b4", 3, "b2"),
        ("A", "connected", "b6", 3, "b2"),
        ("A", "tip"),
    ],
    # a second registration B; mine 1: each event to every registration before the next event
    [("A", "connected", "b7", 4, "b6"), ("B", "connected", "b7", 4, "b6"), ("A", "tip"), ("B", "tip")],
    # A's Handler.disconnect: the node destroys A's object
    [("A", "destroy")],
    # mine 1: only B
    [("B", "connected", "b8", 5, "b7"), ("B", "tip")],
    # A's Handler.destroy: nothing more
    [],
    # B's Handler released without disconnect: the node destroys B's object
    [("B", "destroy")],
    # mine 1: nobody is told
    [],
]


async def test_notification_sequence(backend: Backend) -> None:
    shared: list[str] = []
    raw: list[tuple[str, tuple[Any, ...]]] = []
    names: dict[bytes, str] = {}

    class Log(TaggedLog):
        def append(self, event: tuple[Any, ...]) -> None:
            raw.append((self.tag, event))
            super().append(event)

    stream = await capnp.AsyncIoStream.create_unix_connection(backend.socket_path)
    client = await RawClient("pr29409", stream).setup()
    try:
        ctx = await client.context("sequence")
        try:
            chain = (await client.init.makeChain(context=ctx)).result
        except capnp.KjException as exc:  # a node without Chain (v32): no notifications to compare
            assert isinstance(backend, RealBackend) and exc.type == "UNIMPLEMENTED", exc
            return
        base_height = (await chain.getHeight(context=ctx)).result
        names[await backend.tip()] = "base"
        a, b = Notes(), Notes()
        a.events, b.events = Log(shared, "A"), Log(shared, "B")
        handler_a = (await chain.handleNotifications(context=ctx, notifications=notifications_server(client.vs, a))).result
        await chain.waitForNotifications(context=ctx)
        got: list[list[tuple[Any, ...]]] = []

        async def step(change: Awaitable[Any], *, wait_for_destroy: bool = False) -> None:
            raw.clear()
            await change
            await chain.waitForNotifications(context=ctx)
            for _ in range(500 if wait_for_destroy else 0):  # a release reaches the node asynchronously
                if raw:
                    break
                await asyncio.sleep(0.01)
            got.append([describe(tag, event) for tag, event in raw])

        def describe(tag: str, event: tuple[Any, ...]) -> tuple[Any, ...]:
            if len(event) == 1:
                return (tag, event[0])
            block = event[-1]
            assert block["hash"] == event[1] and block["data"][4:36] == event[3]  # data is the block itself
            return (tag, event[0], names[event[1]], event[2] - base_height, names[event[3]])

        async def mine(n: int) -> None:
            for h in await backend.mine(n):
                names[h] = f"b{len(names)}"

        def hash_of(name: str) -> bytes:
            return next(h for h, n in names.items() if n == name)

        await step(mine(2))
        await step(backend.invalidate(hash_of("b1")))
        await step(backend.reconsider(hash_of("b1")))
        await step(backend.invalidate(hash_of("b2")))
        await step(mine(1))
        await step(backend.reconsider(hash_of("b2")))
        await step(mine(2))
        await step(backend.invalidate(hash_of("b4")))
        await step(mine(1))
        await step(backend.reconsider(hash_of("b4")))
        await step(backend.invalidate(hash_of("b4")))
        handler_b = (await chain.handleNotifications(context=ctx, notifications=notifications_server(client.vs, b))).result
        await step(mine(1))
        await step(handler_a.disconnect(context=ctx))
        await step(mine(1))
        await step(handler_a.destroy(context=ctx))

        async def release_b() -> None:
            nonlocal handler_b
            handler_b = None
            gc.collect()

        await step(release_b(), wait_for_destroy=True)
        await step(mine(1))
        assert got == EXPECTED
        assert {e[4] for n in (a, b) for e in n.events if e[0] == "connected"} == {(True, False)}
    finally:
        client.close()
        client.stream.close()
