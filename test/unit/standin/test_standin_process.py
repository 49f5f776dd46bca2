"""`python -m bitcoin_rpc_mp.standin` as a process: readiness line, signals, and dying like bitcoin-node."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import capnp
import pytest
from standin_testing import RawClient


class Proc:
    def __init__(self, proc: asyncio.subprocess.Process, path: str) -> None:
        self.proc = proc
        self.path = path

    async def connect(self, variant: str = "pr29409") -> RawClient:
        stream = await capnp.AsyncIoStream.create_unix_connection(self.path)
        return await RawClient(variant, stream).setup()

    async def wait_exit(self, timeout: float = 5.0) -> tuple[int, str]:
        assert self.proc.stderr is not None
        rc = await asyncio.wait_for(self.proc.wait(), timeout)
        return rc, (await self.proc.stderr.read()).decode(errors="replace")


@pytest.fixture
async def spawn(kj: None, short_dir: Path) -> AsyncIterator[Any]:
    procs: list[asyncio.subprocess.Process] = []

    async def start(*extra: str, blocks: int = 5) -> Proc:
        path = str(short_dir / f"p{len(procs)}.sock")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bitcoin_rpc_mp.standin",
            "--socket",
            path,
            "--blocks",
            str(blocks),
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.decode() == f"Listening for IPC requests on address unix:{path}\n"
        return Proc(proc, path)

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_get_block_hash_with_bad_height_aborts_like_the_node(spawn: Any) -> None:
    p = await spawn()
    c = await p.connect()
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    assert (await chain.getHeight(context=ctx)).result == 5
    with pytest.raises(capnp.KjException) as info:
        await asyncio.wait_for(chain.getBlockHash(context=ctx, height=6), 5)
    assert info.value.type == "DISCONNECTED"
    rc, stderr = await p.wait_exit()
    assert rc == -signal.SIGABRT
    assert "Assertion `chainman().ActiveChain()[height]' failed." in stderr


async def test_negative_height_aborts_too(spawn: Any) -> None:
    p = await spawn("--variant", "pr29409-2025-02")
    c = await p.connect("pr29409-2025-02")
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    with pytest.raises(capnp.KjException):
        await asyncio.wait_for(chain.getBlockHash(context=ctx, height=-1), 5)
    rc, stderr = await p.wait_exit()
    assert rc == -signal.SIGABRT and "Assertion `chainman().ActiveChain()[height]' failed." in stderr


async def test_call_after_destroy_kills_the_process(spawn: Any) -> None:
    p = await spawn()
    c = await p.connect()
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    await echo.destroy(context=ctx)
    with pytest.raises(capnp.KjException):
        await asyncio.wait_for(echo.echo(context=ctx, echo="x"), 5)
    rc, _ = await p.wait_exit()
    assert rc == -signal.SIGABRT


async def test_sigusr1_mines_and_sigterm_stops(spawn: Any) -> None:
    p = await spawn("--delay-ms", "1")
    c = await p.connect()
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    assert (await chain.getHeight(context=ctx)).result == 5
    p.proc.send_signal(signal.SIGUSR1)
    for _ in range(100):
        if (await chain.getHeight(context=ctx)).result == 6:
            break
        await asyncio.sleep(0.02)
    assert (await chain.getHeight(context=ctx)).result == 6
    p.proc.send_signal(signal.SIGTERM)
    rc, _ = await p.wait_exit()
    assert rc == 0
    with pytest.raises(capnp.KjException) as info:
        await asyncio.wait_for(chain.getHeight(context=ctx), 2)
    assert info.value.type == "DISCONNECTED"


async def test_stop_rpc_exits_the_process(spawn: Any) -> None:
    p = await spawn()
    c = await p.connect()
    ctx = await c.context()
    rpc = (await c.init.makeRpc(context=ctx)).result
    reply = await rpc.executeRpc(
        context=ctx, request='{"jsonrpc":"2.0","method":"stop","id":1}', uri="/", user=""
    )
    assert reply.result == '{"jsonrpc":"2.0","result":"Bitcoin Core stopping","id":1}'
    rc, _ = await p.wait_exit()
    assert rc == 0


async def test_probe_connection_that_closes_silently_does_not_kill_it(spawn: Any) -> None:
    p = await spawn()
    _reader, writer = await asyncio.open_unix_connection(p.path)
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.1)
    c = await p.connect()
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    assert (await chain.getHeight(context=ctx)).result == 5
    assert p.proc.returncode is None


async def _stop_and_reconnect(p: Proc) -> RawClient:
    """`stop` through executeRpc; once the node has dropped us, connect again (its listener still accepts)."""
    c = await p.connect()
    ctx = await c.context()
    rpc = (await c.init.makeRpc(context=ctx)).result
    reply = await rpc.executeRpc(context=ctx, request='{"method":"stop","id":1}', uri="/", user="")
    assert reply.result == '{"result":"Bitcoin Core stopping","error":null,"id":1}'
    with pytest.raises(capnp.KjException) as info:
        for _ in range(100):
            await asyncio.wait_for(rpc.executeRpc(context=ctx, request="{}", uri="/", user=""), 2)
            await asyncio.sleep(0.01)
    assert info.value.type == "DISCONNECTED", "the node drops its IPC clients shortly after stop"
    return await p.connect()


async def test_after_stop_the_listener_accepts_until_exit_and_a_chain_call_aborts(spawn: Any) -> None:
    """As bitcoin-node shutting down: clients dropped, listener still open, a Chain call on a new connection
    aborts the process with the node's assertion."""
    p = await spawn()
    late = await _stop_and_reconnect(p)
    ctx = await late.context()
    echo = (await late.init.makeEcho(context=ctx)).result
    assert (await echo.echo(context=ctx, echo="x")).result == "x", "calls that need no chainstate still answer"
    chain = (await late.init.makeChain(context=ctx)).result
    with pytest.raises(capnp.KjException):
        await asyncio.wait_for(chain.getHeight(context=ctx), 5)
    rc, stderr = await p.wait_exit()
    assert rc == -signal.SIGABRT
    assert "ChainImpl::chainman(): Assertion `m_node.chainman' failed." in stderr


async def test_after_stop_a_process_left_alone_exits_cleanly(spawn: Any) -> None:
    p = await spawn()
    late = await _stop_and_reconnect(p)
    late.close()
    rc, _ = await p.wait_exit()
    assert rc == 0


async def test_warmup_answers_minus_28_and_a_chain_call_aborts(spawn: Any) -> None:
    """As bitcoin-node loading its chainstate: executeRpc answers -28, a Chain call aborts the process."""
    p = await spawn("--warmup-ms", "60000")
    c = await p.connect()
    ctx = await c.context()
    rpc = (await c.init.makeRpc(context=ctx)).result
    reply = await rpc.executeRpc(context=ctx, request='{"method":"getblockcount","id":1}', uri="/", user="")
    assert reply.result == '{"result":null,"error":{"code":-28,"message":"Loading block index…"},"id":1}'
    making = asyncio.ensure_future(c.init.makeMining(context=await c.context("m")))
    await asyncio.sleep(0.3)
    assert not making.done(), "makeMining waits for the chainstate, as MakeMining(wait_loaded=true)"
    chain = (await c.init.makeChain(context=ctx)).result
    with pytest.raises(capnp.KjException):
        await asyncio.wait_for(chain.getHeight(context=ctx), 5)
    rc, stderr = await p.wait_exit()
    assert rc == -signal.SIGABRT
    assert "ChainImpl::chainman(): Assertion `m_node.chainman' failed." in stderr
    making.cancel()
