"""Fixtures for the IPC client tests: uvloop + `capnp.kj_loop()`, stand-in nodes, clients, and `node`.

Every async test here runs on uvloop (`pytest_asyncio_loop_factories`), and fixtures that touch capnp depend on
`kj`, which enters `capnp.kj_loop()` inside that loop — the same arrangement `app.py` uses.

`node` is a real bitcoin-node when the environment variable BITCOIN_NODE names its binary (fresh regtest
datadir, started as every test starts one (`test_framework.node.real_node_command`), loaded and a few blocks
mined through its own HTTP port before the client under test connects),
otherwise the in-process stand-in: the client tests that take `node` run against either.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop
from ipc_testing import NODE_BLOCKS, NodeUnderTest, StandinProcess, spawn

from bitcoin_rpc_mp.ipc.client import NodeClient
from bitcoin_rpc_mp.standin.node import StandinNode

# How a real node is started and waited for has one owner: the functional framework's node module.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functional"))
from test_framework.authproxy import AuthServiceProxy
from test_framework.node import (
    OP_TRUE_DESCRIPTOR,
    real_node_binary,
    real_node_command,
    stop_process,
    wait_rpc_ready,
)
from test_framework.util import get_free_port


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], Any]]:
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture
def sock_path(short_dir: Path) -> str:
    return str(short_dir / "node.sock")


@pytest.fixture
async def standin_factory(
    kj: None, short_dir: Path
) -> AsyncIterator[Callable[..., Awaitable[tuple[StandinNode, str]]]]:
    """`await make(variant=..., blocks=...)` -> (started in-process StandinNode, its socket path)."""
    started: list[StandinNode] = []

    async def make(*, variant: str = "pr29409", blocks: int = NODE_BLOCKS) -> tuple[StandinNode, str]:
        path = str(short_dir / f"s{len(started)}.sock")
        node = StandinNode(variant=variant, blocks=blocks)
        await node.start(path)
        started.append(node)
        return node, path

    yield make
    for node in started:
        await node.aclose()


@pytest.fixture
async def client_factory(kj: None) -> AsyncIterator[Callable[..., Awaitable[NodeClient]]]:
    """`await make(path, **kwargs)` -> a started NodeClient, closed at teardown."""
    clients: list[NodeClient] = []

    async def make(path: str, **kwargs: Any) -> NodeClient:
        client = NodeClient(path, **kwargs)
        await client.start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def _start_real_node(binary: str, datadir: Path, path: str, blocks: int) -> subprocess.Popen[bytes]:
    """Start the real node as every test does (test_framework.node), wait for its chainstate, mine `blocks`
    through its own HTTP port: the client under test meets a node that has finished loading."""
    rpcport = get_free_port()
    proc = spawn(real_node_command(binary, datadir, Path(path), rpcport))

    def proxy() -> AuthServiceProxy:
        return AuthServiceProxy(f"http://u:p@127.0.0.1:{rpcport}/", timeout=60)

    try:
        wait_rpc_ready(proxy, 60.0, lambda: proc.poll() is None, "bitcoin-node")
        rpc = proxy()
        rpc.generatetodescriptor(blocks, OP_TRUE_DESCRIPTOR)
        rpc.close()
    except BaseException:
        _stop(proc)
        raise
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc, signal.SIGTERM, 30)


@pytest.fixture
async def node(kj: None, short_dir: Path) -> AsyncIterator[NodeUnderTest]:
    binary = real_node_binary()
    path = str(short_dir / "node.sock")
    if not binary:
        standin = StandinNode(variant="pr29409", blocks=NODE_BLOCKS)
        await standin.start(path)
        try:
            yield NodeUnderTest(path, standin)
        finally:
            await standin.aclose()
        return
    datadir = short_dir / "data"
    datadir.mkdir()
    proc = await asyncio.to_thread(_start_real_node, binary, datadir, path, NODE_BLOCKS)
    try:
        yield NodeUnderTest(path, None, NODE_BLOCKS)
    finally:
        await asyncio.to_thread(_stop, proc)


@pytest.fixture
def standin_process(sock_path: str) -> Iterator[StandinProcess]:
    proc = StandinProcess(sock_path)
    try:
        yield proc
    finally:
        with contextlib.suppress(Exception):
            proc.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Here only the tests that take `node` meet a real node; the rest run on the stand-in whatever
    BITCOIN_NODE says, so the real-node CI pass (`-m "not standin"`) leaves them out."""
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().parent == here and "node" not in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.standin)
