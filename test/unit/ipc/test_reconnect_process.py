"""Reconnect after the node process dies: the stand-in runs as `python -m bitcoin_rpc_mp.standin`, is killed with
SIGKILL and started again on the same socket path."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from ipc_testing import NODE_BLOCKS, StandinProcess

from bitcoin_rpc_mp.ipc.client import NodeClient, NodeDisconnected, NodeUnavailable

ClientFactory = Callable[..., Awaitable[NodeClient]]


async def test_sigkill_fails_in_flight_calls_and_new_calls_succeed_after_restart(
    standin_process: StandinProcess, client_factory: ClientFactory
) -> None:
    await standin_process.start()
    client = await client_factory(standin_process.path, reconnect_timeout_s=15)
    try:
        caps = await client.wait_connected(10)
    except NodeUnavailable:
        pytest.fail(standin_process.diagnostics())
    assert caps.variant == "pr29409"
    tip = await client.get_tip()
    assert tip is not None and tip[1] == NODE_BLOCKS

    in_flight = [asyncio.ensure_future(client.wait_tip_changed(tip[0], 20_000)) for _ in range(2)]
    await asyncio.sleep(0.2)
    start = time.monotonic()
    standin_process.kill()
    for call in in_flight:
        with pytest.raises(NodeDisconnected):
            await asyncio.wait_for(call, 1.0)
    assert time.monotonic() - start < 1.0

    # A call made while the node is down waits for the restart instead of failing.
    waiting = asyncio.ensure_future(client.get_height())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert not client.connected
    await standin_process.start()
    assert await asyncio.wait_for(waiting, 10) == NODE_BLOCKS
    assert await client.echo("back") == "back"
    assert client.statistics().reconnects == 1


async def test_node_unavailable_when_the_node_stays_down(
    standin_process: StandinProcess, client_factory: ClientFactory
) -> None:
    await standin_process.start()
    client = await client_factory(standin_process.path, reconnect_timeout_s=0.5)
    await client.wait_connected(10)
    standin_process.kill()
    await asyncio.sleep(0.1)
    start = time.monotonic()
    with pytest.raises(NodeUnavailable):
        await client.echo("gone")
    assert time.monotonic() - start < 2.0
