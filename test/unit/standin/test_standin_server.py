"""The stand-in's pycapnp servers, driven by raw pycapnp calls: threads, errors, variants, faults, waits."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any

import capnp
import pytest
from standin_testing import Factory, RawClient

from bitcoin_rpc_mp.ipc.schemas import VARIANTS, init_methods, load_variant
from bitcoin_rpc_mp.standin.node import StandinNode

NO_THREAD = "remote exception: std::exception: no thread specified and no pool configured"


async def failure(coro: Any) -> capnp.KjException:
    with pytest.raises(capnp.KjException) as info:
        await coro
    return info.value


async def test_listening_socket_is_private_and_replaces_stale_file(kj: None, short_dir: Any) -> None:
    path = str(short_dir / "node.sock")
    await asyncio.to_thread(Path(path).write_text, "stale")
    node = StandinNode(blocks=1)
    await node.start(path)
    try:
        mode = os.stat(path).st_mode
        assert stat.S_ISSOCK(mode)
        assert mode & 0o077 == 0
        assert node.log_lines == [f"Listening for IPC requests on address unix:{path}"]
    finally:
        await node.aclose()


async def test_thread_names_and_no_thread_failure(standin: Factory) -> None:
    _node, c = await standin()
    t1 = await c.thread("ipc-poc")
    t2 = await c.thread("ipc-poc")
    n1, n2 = (await t1.getName()).result, (await t2.getName()).result
    assert n1.startswith(f"bitcoin-node-{os.getpid()}/b-capnp-loop-") and n1.endswith(" (from ipc-poc)")
    assert n1 != n2
    ctx = c.vs.proxy.Context.new_message()
    ctx.thread = t1
    echo = (await c.init.makeEcho(context=ctx)).result
    assert (await echo.echo(context=ctx, echo="hi é")).result == "hi é"
    err = await failure(echo.echo(echo="x"))
    assert err.type == "FAILED" and err.description == NO_THREAD
    err = await failure(c.init.makeChain())
    assert err.type == "FAILED" and err.description == NO_THREAD


async def test_one_thread_is_fifo_two_threads_run_concurrently(standin: Factory) -> None:
    node, c = await standin()
    ctx1, ctx2 = await c.context("a"), await c.context("b")
    echo = (await c.init.makeEcho(context=ctx1)).result
    node.faults.method_delay_s["echo"] = 0.2
    start = time.monotonic()
    r = await asyncio.gather(echo.echo(context=ctx1, echo="1"), echo.echo(context=ctx1, echo="2"))
    same = time.monotonic() - start
    start = time.monotonic()
    await asyncio.gather(echo.echo(context=ctx1, echo="1"), echo.echo(context=ctx2, echo="2"))
    two = time.monotonic() - start
    assert [x.result for x in r] == ["1", "2"]
    assert 0.38 <= same < 0.6
    assert 0.18 <= two < 0.35


async def test_fifo_order_on_one_thread(standin: Factory) -> None:
    node, c = await standin()
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    node.faults.method_delay_s["echo"] = 0.01
    done: list[str] = []

    async def call(text: str) -> None:
        done.append((await echo.echo(context=ctx, echo=text)).result)

    await asyncio.gather(*(call(str(i)) for i in range(8)))
    assert done == [str(i) for i in range(8)]


async def test_v30_busy_thread_fails_instead_of_queueing(standin: Factory) -> None:
    node, c = await standin(variant="v30")
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    node.faults.method_delay_s["echo"] = 0.2
    first = asyncio.ensure_future(echo.echo(context=ctx, echo="1"))
    await asyncio.sleep(0.05)
    err = await failure(echo.echo(context=ctx, echo="2"))
    assert err.type == "FAILED" and err.description.endswith("std::exception: thread busy")
    assert (await first).result == "1"


async def test_make_pool_serves_calls_without_thread(standin: Factory) -> None:
    _node, c = await standin(variant="v32")
    await c.thread_map.makePool(count=2)
    echo = (await c.init.makeEcho()).result
    assert (await echo.echo(echo="pooled")).result == "pooled"
    err = await failure(c.thread_map.makePool(count=1))
    assert (
        err.description
        == "remote exception: std::exception: makePool called on connection with existing pool"
    )


@pytest.mark.parametrize("variant", VARIANTS)
async def test_variant_serves_its_init_numbering(standin: Factory, variant: str) -> None:
    _node, c = await standin(variant=variant)
    ordinals = init_methods(variant)
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    assert (await echo.echo(context=ctx, echo="v")).result == "v"
    mining = (await c.init.makeMining(context=ctx)).result
    tip = await mining.getTip(context=ctx)
    assert tip.hasResult and tip.result.height == 10
    if "makeChain" in ordinals:
        chain = (await c.init.makeChain(context=ctx)).result
        assert (await chain.getHeight(context=ctx)).result == 10
    if "makeRpc" in ordinals:
        rpc = (await c.init.makeRpc(context=ctx)).result
        reply = await rpc.executeRpc(
            context=ctx, request='{"method":"getblockcount","id":1}', uri="/", user=""
        )
        assert reply.result == '{"result":10,"error":null,"id":1}'
    if "makeMiningOld2" in ordinals:
        err = await failure(c.init.makeMiningOld2())
        assert err.description == (
            "remote exception: std::exception: Old mining interface (@2) not supported. Please update your client!"
        )
    # one ordinal past the variant's last answers UNIMPLEMENTED, seen through the widest schema
    wide = load_variant("pr29409-2026-02")
    probe = c.client.bootstrap().cast_as(wide.init.Init)
    last = max(ordinals.values())
    if last < 7:
        name = {v: k for k, v in init_methods("pr29409-2026-02").items()}[last + 1]
        err = await failure(getattr(probe, name)(context=wide.proxy.Context.new_message()))
        assert err.type == "UNIMPLEMENTED"
        assert "Method not implemented" in err.description


async def test_interface_mismatch_is_unimplemented(standin: Factory) -> None:
    _node, c = await standin()
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    as_chain = echo.cast_as(c.vs.chain.Chain)
    err = await failure(as_chain.getHeight(context=ctx))
    assert err.type == "UNIMPLEMENTED" and "Requested interface not implemented" in err.description


async def test_chain_find_methods(standin: Factory) -> None:
    node, c = await standin(blocks=20)
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    want = {
        "wantHash": True,
        "wantHeight": True,
        "wantTime": True,
        "wantMaxTime": True,
        "wantMtpTime": True,
        "wantInActiveChain": True,
        "wantData": True,
        "nextBlock": {"wantHash": True},
    }
    b5 = node.chain.at_height(5)
    b6 = node.chain.at_height(6)
    assert b5 is not None and b6 is not None
    r = await chain.findBlock(context=ctx, hash=b5.hash, block=want)
    assert r.result and r.block.found
    assert bytes(r.block.hash) == b5.hash and r.block.height == 5 and r.block.time == b5.time
    assert r.block.maxTime == b5.max_time and r.block.mtpTime == b5.mtp and r.block.inActiveChain
    assert bytes(r.block.data) == b5.serialize()
    assert r.block.nextBlock.found and bytes(r.block.nextBlock.hash) == b6.hash
    only_hash = await chain.findBlock(context=ctx, hash=b5.hash, block={"wantHash": True})
    assert not only_hash.block._has("data") and only_hash.block.height == 0
    # extra bytes are ignored, a short hash fails like the node
    assert (await chain.findBlock(context=ctx, hash=b5.hash + b"\x01", block={})).result
    err = await failure(chain.findBlock(context=ctx, hash=b5.hash[:5], block={}))
    assert (
        err.description == "remote exception: std::exception: SpanReader::read(): end of data: iostream error"
    )
    assert not (await chain.findBlock(context=ctx, hash=b"\x00" * 32, block={})).result
    r = await chain.findFirstBlockWithTimeAndHeight(
        context=ctx, minTime=0, minHeight=6, block={"wantHash": True}
    )
    assert r.result and bytes(r.block.hash) == b6.hash
    assert not (
        await chain.findFirstBlockWithTimeAndHeight(context=ctx, minTime=0, minHeight=21, block={})
    ).result
    tip = node.chain.tip.hash
    r = await chain.findAncestorByHeight(
        context=ctx, blockHash=tip, ancestorHeight=5, ancestor={"wantHash": True}
    )
    assert r.result and bytes(r.ancestor.hash) == b5.hash
    for bad in (-1, 21):
        assert not (
            await chain.findAncestorByHeight(context=ctx, blockHash=tip, ancestorHeight=bad, ancestor={})
        ).result
    r = await chain.findAncestorByHash(
        context=ctx, blockHash=tip, ancestorHash=b5.hash, ancestor={"wantHeight": True}
    )
    assert r.result and r.ancestor.height == 5
    assert not (
        await chain.findAncestorByHash(context=ctx, blockHash=b5.hash, ancestorHash=tip, ancestor={})
    ).result
    assert (await chain.haveBlockOnDisk(context=ctx, height=20)).result
    assert not (await chain.haveBlockOnDisk(context=ctx, height=1020)).result
    assert not (await chain.isInitialBlockDownload(context=ctx)).result
    assert not (await chain.havePruned(context=ctx)).result
    assert not (await chain.getPruneHeight(context=ctx)).hasResult
    assert bytes((await chain.getBlockHash(context=ctx, height=6)).result) == b6.hash
    await chain.initMessage(context=ctx, message="hello")
    assert "init message: hello" in node.log_lines


async def test_find_after_reorg_reports_stale_block(standin: Factory) -> None:
    node, c = await standin(blocks=10)
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    old8 = node.chain.at_height(8)
    assert old8 is not None
    node.invalidate(7)
    node.mine(5)
    r = await chain.findBlock(
        context=ctx, hash=old8.hash, block={"wantInActiveChain": True, "wantHeight": True}
    )
    assert r.result and r.block.height == 8 and not r.block.inActiveChain
    assert (await chain.getHeight(context=ctx)).result == 11


async def test_mining_tip_and_wait(standin: Factory) -> None:
    node, c = await standin(blocks=10)
    ctx, ctx2 = await c.context("w"), await c.context("m")
    mining = (await c.init.makeMining(context=ctx)).result
    assert (await mining.isTestChain(context=ctx)).result
    assert not (await mining.isInitialBlockDownload(context=ctx)).result
    tip = (await mining.getTip(context=ctx)).result
    assert bytes(tip.hash) == node.chain.tip.hash and tip.height == 10
    start = time.monotonic()
    r = await mining.waitTipChanged(context=ctx, currentTip=tip.hash, timeout=100.0)
    assert 0.09 <= time.monotonic() - start < 0.5
    assert bytes(r.result.hash) == node.chain.tip.hash and r.result.height == 10
    wait = asyncio.ensure_future(mining.waitTipChanged(context=ctx, currentTip=tip.hash, timeout=10_000.0))
    await asyncio.sleep(0.05)
    new = node.mine(1)[0]
    r = await asyncio.wait_for(wait, 2)
    assert bytes(r.result.hash) == new and r.result.height == 11
    # interrupt: a running wait returns empty; an interrupt with no waiter makes the next wait return at once
    wait = asyncio.ensure_future(mining.waitTipChanged(context=ctx, currentTip=new, timeout=10_000.0))
    await asyncio.sleep(0.05)
    await mining.interrupt()
    r = await asyncio.wait_for(wait, 2)
    assert not r._has("result")
    await mining.interrupt()
    r = await asyncio.wait_for(mining.waitTipChanged(context=ctx2, currentTip=new, timeout=10_000.0), 2)
    assert not r._has("result")


async def test_stop_through_rpc_ends_waits_then_disconnects(standin: Factory) -> None:
    node, c = await standin()
    ctx, ctx2 = await c.context("w"), await c.context("r")
    mining = (await c.init.makeMining(context=ctx)).result
    rpc = (await c.init.makeRpc(context=ctx2)).result
    tip = node.chain.tip.hash
    wait = asyncio.ensure_future(mining.waitTipChanged(context=ctx, currentTip=tip, timeout=10_000.0))
    await asyncio.sleep(0.05)
    reply = await rpc.executeRpc(context=ctx2, request='{"method":"stop","id":1}', uri="/", user="")
    assert reply.result == '{"result":"Bitcoin Core stopping","error":null,"id":1}'
    r = await asyncio.wait_for(wait, 1)
    assert not r._has("result")
    await asyncio.wait_for(node.stopped.wait(), 2)
    err = await failure(asyncio.wait_for(rpc.executeRpc(context=ctx2, request="{}", uri="/", user=""), 2))
    assert err.type == "DISCONNECTED"


async def test_faults_hang_and_disconnect_all(standin: Factory) -> None:
    node, c = await standin()
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    node.faults.hang = True
    pending = asyncio.ensure_future(echo.echo(context=ctx, echo="x"))
    await asyncio.sleep(0.2)
    assert not pending.done()
    node.disconnect_all()
    err = await failure(asyncio.wait_for(pending, 2))
    assert err.type == "DISCONNECTED"


async def test_fault_disconnect_on_next_call(standin: Factory) -> None:
    node, c = await standin()
    ctx = await c.context()
    echo = (await c.init.makeEcho(context=ctx)).result
    node.faults.disconnect_on_next_call = True
    err = await failure(asyncio.wait_for(echo.echo(context=ctx, echo="x"), 2))
    assert err.type == "DISCONNECTED"


async def test_unsupported_method_is_a_plain_failure(standin: Factory) -> None:
    _node, c = await standin()
    ctx = await c.context()
    mining = (await c.init.makeMining(context=ctx)).result
    err = await failure(mining.submitBlock(context=ctx, block=b""))
    assert err.type == "FAILED"
    assert (
        err.description
        == "remote exception: std::exception: Mining.submitBlock is not supported by the stand-in"
    )


async def test_serve_stream_over_socketpair(kj: None) -> None:
    a, b = socket.socketpair()
    node = StandinNode(blocks=3)
    server_stream = await capnp.AsyncIoStream.create_connection(sock=a)
    task = asyncio.ensure_future(node.serve_stream(server_stream))
    client = await RawClient("pr29409", await capnp.AsyncIoStream.create_connection(sock=b)).setup()
    ctx = await client.context()
    chain = (await client.init.makeChain(context=ctx)).result
    assert (await chain.getHeight(context=ctx)).result == 3
    client.close()
    await node.aclose()
    await asyncio.wait_for(task, 2)
