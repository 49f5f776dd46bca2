"""NodeClient against a node: handshake, discovery on every variant, typed calls, concurrency, errors, timeouts.

Most tests use the in-process stand-in (same kj loop); those taking `node` also run against a real bitcoin-node
when BITCOIN_NODE is set (see conftest.py). Reconnect after a crash lives in test_reconnect_process.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from ipc_testing import NODE_BLOCKS, NodeUnderTest

from bitcoin_rpc_mp.ipc.client import (
    InterfaceMissing,
    IpcError,
    IpcTimeout,
    NodeClient,
    NodeDisconnected,
    NodeUnavailable,
)
from bitcoin_rpc_mp.ipc.schemas import VARIANTS
from bitcoin_rpc_mp.standin.node import StandinNode

GENESIS_HEX = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"

StandinFactory = Callable[..., Awaitable[tuple[StandinNode, str]]]
ClientFactory = Callable[..., Awaitable[NodeClient]]

# variant -> (interfaces, has_pool) the discovery must report (ARCHITECTURE.md table, ipc-protocol.md §8)
EXPECTED = {
    "v30": ({"Echo", "Mining"}, False),
    "v31": ({"Echo", "Mining"}, False),
    "v32": ({"Echo", "Mining", "Rpc"}, True),
    "pr29409": ({"Echo", "Mining", "Rpc", "Chain"}, True),
    "pr29409-2026-02": ({"Echo", "Mining", "Chain"}, False),
    "pr29409-2025-02": ({"Echo", "Mining", "Chain"}, False),
}


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# -- against `node` (stand-in or real) ---------------------------------------------------------------------------


async def test_typed_calls_return_the_chains_data(node: NodeUnderTest, client_factory: ClientFactory) -> None:
    client = await client_factory("unix:" + node.socket_path)
    caps = await client.wait_connected(10)
    assert client.connected and client.capabilities == caps
    assert client.socket_path == node.socket_path  # the unix: prefix is understood and dropped

    height = await client.get_height()
    tip = await client.get_tip()
    assert tip is not None and height is not None
    tip_hash, tip_height = tip
    assert tip_height == height >= node.blocks
    assert len(tip_hash) == 32

    assert await client.echo("héllo ipc") == "héllo ipc"
    assert isinstance(await client.is_initial_block_download(), bool)

    if not caps.has("Chain"):  # a real node without #29409: Chain calls must refuse before sending anything
        with pytest.raises(InterfaceMissing):
            await client.find_block_hash_at_height(0)
    else:
        genesis = await client.find_block_hash_at_height(0)
        assert genesis is not None and genesis[::-1].hex() == GENESIS_HEX
        assert await client.find_block_hash_at_height(height) == tip_hash
        assert await client.find_block_hash_at_height(height + 1) is None
        assert await client.find_block_hash_at_height(2**31 - 1) is None
        data = await client.find_block_data(tip_hash)
        assert data is not None and sha256d(data[:80]) == tip_hash
        if height > 0:
            assert data[4:36] == await client.find_block_hash_at_height(height - 1)  # the header's prev-hash
        assert await client.find_block_data(bytes(32)) is None
        await client.init_message("bitcoin-rpc-mp test")

    if caps.has("Rpc"):
        reply = await client.execute_rpc('{"method":"getblockcount","id":1}', "/", "")
        assert reply == f'{{"result":{height},"error":null,"id":1}}'
    else:
        with pytest.raises(InterfaceMissing):
            await client.execute_rpc('{"method":"getblockcount","id":1}', "/", "")

    if node.standin is not None:
        chain = node.standin.chain
        assert tip_hash == chain.tip.hash and height == chain.height
        for h in (0, 1, NODE_BLOCKS // 2, chain.height):
            block = chain.at_height(h)
            assert block is not None
            assert await client.find_block_hash_at_height(h) == block.hash
            assert await client.find_block_data(block.hash) == block.serialize()


async def test_discovery_logs_the_capabilities_line(
    node: NodeUnderTest, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bitcoin_rpc_mp.ipc")
    client = await client_factory(node.socket_path)
    caps = await client.wait_connected(10)
    assert caps.variant in VARIANTS
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bitcoin_rpc_mp.ipc")]
    assert caps.describe() in lines
    if node.standin is not None:
        assert caps.describe() == "node offers: Rpc, Mining, Echo, Chain (PR #29409 numbering)"


async def test_hash_and_height_checks_come_before_any_call(
    node: NodeUnderTest, client_factory: ClientFactory
) -> None:
    client = await client_factory(node.socket_path)
    await client.wait_connected(10)
    before = client.statistics()
    for bad_height in (-1, -(2**31), 2**31, 2**40):
        with pytest.raises(ValueError):
            await client.find_block_hash_at_height(bad_height)
    for bad_hash in (b"", bytes(31), bytes(33)):
        with pytest.raises(ValueError):
            await client.find_block_data(bad_hash)
        with pytest.raises(ValueError):
            await client.wait_tip_changed(bad_hash, 10)
    with pytest.raises(ValueError):
        await client.wait_tip_changed(bytes(32), -1)
    with pytest.raises(TypeError):
        await client.find_block_hash_at_height(True)
    after = client.statistics()
    assert after.threads == before.threads and after.calls_in_flight == 0
    # The node is still alive and answering.
    assert await client.echo("still here") == "still here"


# -- discovery on every variant (stand-in) ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
async def test_discovery_finds_each_variant(
    variant: str, standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    standin, path = await standin_factory(variant=variant)
    client = await client_factory(path)
    caps = await client.wait_connected(10)
    interfaces, has_pool = EXPECTED[variant]
    assert caps.variant == variant
    assert caps.interfaces == frozenset(interfaces)
    assert caps.has_pool is has_pool
    # Calls land on the right ordinals of this variant.
    tip = await client.get_tip()
    assert tip == (standin.chain.tip.hash, standin.chain.height)
    assert await client.get_height() == standin.chain.height
    assert await client.echo(variant) == variant
    if "Chain" in interfaces:
        block = standin.chain.at_height(3)
        assert block is not None
        assert await client.find_block_hash_at_height(3) == block.hash
    else:
        with pytest.raises(InterfaceMissing):
            await client.find_block_hash_at_height(3)
    if "Rpc" in interfaces:
        reply = await client.execute_rpc('{"method":"getbestblockhash","id":"x"}', "/", "")
        assert reply == f'{{"result":"{standin.chain.tip.hash_hex}","error":null,"id":"x"}}'
    else:
        with pytest.raises(InterfaceMissing):
            await client.execute_rpc('{"method":"getblockcount","id":1}', "/", "")


async def test_explicit_variant_skips_detection(
    standin_factory: StandinFactory, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bitcoin_rpc_mp.ipc")
    _standin, path = await standin_factory(variant="pr29409-2026-02")
    client = await client_factory(path, variant="pr29409-2026-02")
    caps = await client.wait_connected(10)
    assert caps.variant == "pr29409-2026-02"
    assert not [r for r in caplog.records if r.getMessage().startswith("probe:")]
    assert await client.get_height() == NODE_BLOCKS


def test_unknown_variant_is_rejected() -> None:
    with pytest.raises(ValueError):
        NodeClient("/tmp/x.sock", variant="v29")


# -- concurrency ---------------------------------------------------------------------------------------------------


async def _timed_echoes(client: NodeClient, n: int) -> float:
    start = time.monotonic()
    results = await asyncio.gather(*(client.echo(f"call {i}") for i in range(n)))
    assert results == [f"call {i}" for i in range(n)]
    return time.monotonic() - start


@pytest.mark.parametrize("variant", ["pr29409", "v30"])
async def test_slow_calls_run_in_parallel_on_separate_threads(
    variant: str, standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    delay = 0.25
    n = 4
    standin, path = await standin_factory(variant=variant)
    # One connection at a time: pycapnp's server side (the stand-in) mishandles two handshakes racing in.
    wide = await client_factory(path, threads=n)
    await wide.wait_connected(10)
    narrow = await client_factory(path, threads=1)
    await narrow.wait_connected(10)
    standin.faults.delay_s = delay
    parallel = await _timed_echoes(wide, n)
    serial = await _timed_echoes(narrow, n)
    assert delay * 0.9 <= parallel < delay * 2, parallel
    assert serial >= n * delay * 0.9, serial
    assert wide.statistics().threads == n and narrow.statistics().threads == 1


async def test_long_waits_do_not_starve_short_calls(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    standin, path = await standin_factory(variant="pr29409")
    client = await client_factory(path, threads=1)
    await client.wait_connected(10)
    tip = standin.chain.tip
    waits = [asyncio.ensure_future(client.wait_tip_changed(tip.hash, 5000)) for _ in range(3)]
    await asyncio.sleep(0.1)
    stats = client.statistics()
    assert stats.threads == 4 and stats.calls_in_flight == 3 and stats.busy == 3
    start = time.monotonic()
    assert await client.echo("quick") == "quick"
    assert await client.get_height() == tip.height
    assert time.monotonic() - start < 0.5
    assert not any(w.done() for w in waits)
    new = standin.mine(1)[0]
    results = await asyncio.wait_for(asyncio.gather(*waits), 2)
    assert results == [(new, tip.height + 1)] * 3
    assert client.statistics().calls_in_flight == 0


async def test_wait_tip_changed_timeout_returns_the_unchanged_tip(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    # 30.x: the schema default timeout is 0 there; the client always sends its own.
    standin, path = await standin_factory(variant="v30")
    client = await client_factory(path)
    await client.wait_connected(10)
    tip = standin.chain.tip
    start = time.monotonic()
    assert await client.wait_tip_changed(tip.hash, 200) == (tip.hash, tip.height)
    assert 0.15 <= time.monotonic() - start < 1.5


async def test_long_execute_rpc_gets_its_own_thread(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    standin, path = await standin_factory(variant="pr29409")
    client = await client_factory(path, threads=1)
    await client.wait_connected(10)
    standin.faults.method_delay_s["executeRpc"] = 0.6
    slow = asyncio.ensure_future(client.execute_rpc('{"method":"getblockcount","id":1}', "/", "", long=True))
    await asyncio.sleep(0.05)
    start = time.monotonic()
    assert await client.echo("not starved") == "not starved"
    assert time.monotonic() - start < 0.4
    assert (await slow).startswith('{"result":')


# -- errors and timeouts -----------------------------------------------------------------------------------------


async def test_nothing_listening_gives_node_unavailable_after_the_timeout(
    kj: None, sock_path: str, client_factory: ClientFactory
) -> None:
    client = await client_factory(sock_path, reconnect_timeout_s=0.4)
    start = time.monotonic()
    with pytest.raises(NodeUnavailable) as info:
        await client.echo("anyone?")
    elapsed = time.monotonic() - start
    assert 0.35 <= elapsed < 2.0, elapsed
    assert str(info.value) == (
        f"cannot reach bitcoin-node at {sock_path}: is it running with -ipcbind=unix:{sock_path}?"
    )
    with pytest.raises(NodeUnavailable):
        await client.wait_connected(0.1)
    assert not client.connected and client.capabilities is None
    assert client.statistics().threads == 0


async def test_call_timeout_retires_the_hung_thread(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    standin, path = await standin_factory(variant="pr29409")
    client = await client_factory(path, threads=1, call_timeout_s=0.2)
    await client.wait_connected(10)
    standin.faults.method_delay_s["echo"] = 1.5
    start = time.monotonic()
    with pytest.raises(IpcTimeout):
        await client.echo("stuck")
    assert time.monotonic() - start < 0.6
    del standin.faults.method_delay_s["echo"]
    # The hung Thread is not reused: a new one answers at once instead of queueing behind the stuck call.
    start = time.monotonic()
    assert await client.echo("fresh") == "fresh"
    assert time.monotonic() - start < 0.5
    assert client.statistics().threads == 1
    assert client.connected


async def test_remote_error_carries_the_nodes_message(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    from bitcoin_rpc_mp.ipc.connection import Connection, map_exceptions
    from bitcoin_rpc_mp.ipc.errors import RemoteError
    from bitcoin_rpc_mp.ipc.schemas import load_variant

    _standin, path = await standin_factory(variant="v31")
    connection = await Connection.open(path)
    try:
        v30 = load_variant("v30")
        init = connection.bootstrap.cast_as(v30.init.Init)
        with pytest.raises(RemoteError) as info:
            with map_exceptions():
                thread_map = (await init.construct()).threadMap
                request = thread_map.makeThread_request()
                request.name = "test"
                thread = (await request.send()).result
                await init.makeMining(context=v30.proxy.Context.new_message(thread=thread))
        assert info.value.kind == "FAILED"
        assert info.value.message == "Old mining interface (@2) not supported. Please update your client!"
    finally:
        connection.close()


async def test_disconnect_fails_in_flight_calls_and_reconnects(
    standin_factory: StandinFactory, client_factory: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bitcoin_rpc_mp.ipc")
    standin, path = await standin_factory(variant="pr29409")
    client = await client_factory(path, reconnect_timeout_s=5)
    caps = await client.wait_connected(10)
    in_flight = asyncio.ensure_future(client.wait_tip_changed(standin.chain.tip.hash, 10_000))
    await asyncio.sleep(0.1)
    start = time.monotonic()
    standin.disconnect_all()
    with pytest.raises(NodeDisconnected):
        await asyncio.wait_for(in_flight, 1.0)
    assert time.monotonic() - start < 1.0
    # A node drops its clients only when it shuts down: no reconnect into the same listener ...
    await asyncio.sleep(0.5)
    assert not client.connected and client.statistics().reconnects == 0
    # ... until a node binds the socket anew (as a restarted node does). New calls wait for that and succeed.
    await standin.start(path)
    assert await client.echo("again") == "again"
    assert await client.wait_connected(5) == caps
    assert client.statistics().reconnects == 1
    described = [r.getMessage() for r in caplog.records if r.getMessage() == caps.describe()]
    assert len(described) == 2


async def test_every_failure_is_an_ipc_error(kj: None, sock_path: str, client_factory: ClientFactory) -> None:
    client = await client_factory(sock_path, reconnect_timeout_s=0.1)
    calls: list[Callable[[], Awaitable[Any]]] = [
        client.get_height,
        client.get_tip,
        lambda: client.find_block_hash_at_height(0),
        lambda: client.find_block_data(bytes(32)),
        lambda: client.echo("x"),
        lambda: client.init_message("x"),
        lambda: client.wait_tip_changed(bytes(32), 1),
        lambda: client.execute_rpc("{}", "/", ""),
        client.is_initial_block_download,
    ]
    for call in calls:
        with pytest.raises(IpcError):
            await call()


async def test_aclose_fails_later_calls_with_node_unavailable(
    standin_factory: StandinFactory, client_factory: ClientFactory
) -> None:
    _standin, path = await standin_factory()
    client = await client_factory(path)
    await client.wait_connected(10)
    await client.aclose()
    assert not client.connected
    with pytest.raises(NodeUnavailable):
        await client.echo("closed")


async def test_tests_run_on_uvloop_inside_the_kj_loop(kj: None) -> None:
    import uvloop

    loop = asyncio.get_running_loop()
    assert isinstance(loop, uvloop.Loop)
    assert hasattr(loop, "_kj_loop")
