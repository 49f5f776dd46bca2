"""Chain.handleNotifications on the stand-in: what the client's ChainNotifications object receives, when, and
how a registration ends (the node's sequences are checked against a real node in test_notification_sequence.py).
"""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

import capnp
import pytest
from standin_testing import Factory, Notes, RawClient, TaggedLog, notifications_server

from bitcoin_rpc_mp.standin.chain import sha256d
from bitcoin_rpc_mp.standin.node import StandinNode


async def register(c: RawClient, notes: Notes, **kwargs: Any) -> tuple[Any, Any, Any]:
    """(ctx, chain, handler) with ``notes`` registered."""
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    handler = (
        await chain.handleNotifications(context=ctx, notifications=notifications_server(c.vs, notes, **kwargs))
    ).result
    return ctx, chain, handler


def kinds(notes: Notes) -> list[tuple[Any, ...]]:
    """Events as (kind, height) pairs, ``("tip",)``, ``("destroy",)``."""
    return [e[:1] if len(e) == 1 else (e[0], e[2]) for e in notes.events]


async def test_mined_blocks_arrive_in_order_after_the_mining_call_returned(standin: Factory) -> None:
    node, c = await standin(blocks=3)
    notes = Notes()
    ctx, chain, _handler = await register(c, notes)
    hashes = node.mine(2)
    assert notes.events == []  # queued for the scheduler: nothing is delivered inside the mining call
    await chain.waitForNotifications(context=ctx)
    assert kinds(notes) == [("connected", 4), ("tip",), ("connected", 5), ("tip",)]
    first, second = notes.events[0], notes.events[2]
    assert [first[1], second[1]] == hashes  # internal byte order, as Chain.getBlockHash gives them
    assert first[3] == node.chain.at_height(3).hash and second[3] == hashes[0]
    assert first[4] == (True, False)  # ChainstateRole{validated, historical}
    info = second[5]
    block = node.chain.by_hash(hashes[1])
    assert info["data"] == block.serialize() and sha256d(info["data"][:80]) == hashes[1]
    assert info["undoData"] == b"" and info["fileNumber"] == 0 and info["chainTimeMax"] == block.max_time
    assert info["dataPos"] == first[5]["dataPos"] + len(first[5]["data"]) + 8  # appended to one block file
    assert notes.threads == [None] * 4  # no ThreadMap given in construct: callbacks name no Thread of ours


async def test_invalidate_disconnects_without_tip_and_reconsider_reconnects(standin: Factory) -> None:
    node, c = await standin(blocks=3)
    notes = Notes()
    ctx, chain, _handler = await register(c, notes)
    b4, b5 = node.mine(2)
    node.invalidate(4)
    await chain.waitForNotifications(context=ctx)
    del notes.events[:4]
    assert [(e[0], e[1]) for e in notes.events] == [("disconnected", b5), ("disconnected", b4)]
    assert notes.events[0][3] == b4
    notes.events.clear()
    node.reconsider(b4)
    await chain.waitForNotifications(context=ctx)
    assert [e[:2] for e in notes.events] == [("connected", b4), ("tip",), ("connected", b5), ("tip",)]
    assert node.chain.tip.hash == b5


async def test_reorgs_follow_the_most_work_then_first_received_rule(standin: Factory) -> None:
    node, c = await standin(blocks=3)
    notes = Notes()
    ctx, chain, _handler = await register(c, notes)

    async def step(change: Any) -> list[tuple[Any, ...]]:
        notes.events.clear()
        change()
        await chain.waitForNotifications(context=ctx)
        return [e[:2] for e in notes.events]

    mined: list[bytes] = []
    await step(lambda: mined.extend(node.mine(1)))
    b4 = mined[0]
    assert await step(lambda: node.invalidate(4)) == [("disconnected", b4)]
    other: list[bytes] = []
    assert await step(lambda: other.extend(node.mine(1))) == [("connected", other[0]), ("tip",)]
    # equal work: the block received first wins again
    assert await step(lambda: node.reconsider(b4)) == [("disconnected", other[0]), ("connected", b4), ("tip",)]
    await step(lambda: mined.extend(node.mine(2)))
    b5, b6 = mined[1:]
    shorter: list[bytes] = []
    await step(lambda: node.invalidate(5))
    await step(lambda: shorter.extend(node.mine(1)))
    # more work: one tip notification for the step that ends past the old tip's work
    assert await step(lambda: node.reconsider(b5)) == [
        ("disconnected", shorter[0]),
        ("connected", b5),
        ("connected", b6),
        ("tip",),
    ]
    # invalidating moves to the best remaining valid branch
    assert await step(lambda: node.invalidate(5)) == [
        ("disconnected", b6),
        ("disconnected", b5),
        ("connected", shorter[0]),
        ("tip",),
    ]


async def test_wait_for_notifications_returns_after_slow_callbacks_ran(standin: Factory) -> None:
    node, c = await standin()
    notes = Notes()
    ctx, chain, _handler = await register(c, notes, delay_s=0.05)
    node.mine(3)
    await chain.waitForNotifications(context=ctx)
    assert len(notes.events) == 6


async def test_every_registration_gets_each_event_before_the_next(standin: Factory) -> None:
    node, c = await standin()
    a, b = Notes(), Notes()
    ctx, chain, _ha = await register(c, a)
    _hb = (await chain.handleNotifications(context=ctx, notifications=notifications_server(c.vs, b))).result
    both: list[str] = []
    a.events, b.events = TaggedLog(both, "a"), TaggedLog(both, "b")
    node.mine(2)
    await chain.waitForNotifications(context=ctx)
    assert both == ["a connected", "b connected", "a tip", "b tip"] * 2


async def test_disconnect_stops_callbacks_and_destroys_the_clients_object(standin: Factory) -> None:
    node, c = await standin()
    notes = Notes()
    ctx, chain, handler = await register(c, notes)
    await handler.disconnect(context=ctx)
    assert notes.events == [("destroy",)]
    node.mine(2)
    await chain.waitForNotifications(context=ctx)
    await handler.destroy(context=ctx)
    assert notes.events == [("destroy",)]
    assert node.notifications.registrations == []


async def test_destroy_without_disconnect_ends_the_registration(standin: Factory) -> None:
    node, c = await standin()
    notes = Notes()
    ctx, chain, handler = await register(c, notes)
    await handler.destroy(context=ctx)
    node.mine(1)
    await chain.waitForNotifications(context=ctx)
    assert notes.events == [("destroy",)]


async def test_releasing_the_handler_ends_the_registration(standin: Factory) -> None:
    node, c = await standin()
    notes = Notes()
    ctx, chain, handler = await register(c, notes)
    del handler
    gc.collect()
    for _ in range(50):
        if notes.events:
            break
        await asyncio.sleep(0.01)
    node.mine(1)
    await chain.waitForNotifications(context=ctx)
    assert notes.events == [("destroy",)]
    assert node.notifications.registrations == []


async def test_a_client_that_went_away_is_dropped_and_others_keep_their_notifications(standin: Factory) -> None:
    node, c1 = await standin()
    gone, stays = Notes(), Notes()
    _kept = await register(c1, gone)  # holds its Handler: only the connection's end can stop it
    assert node.socket_path is not None
    c2 = await RawClient("pr29409", await capnp.AsyncIoStream.create_unix_connection(node.socket_path)).setup()
    try:
        ctx, chain, _handler = await register(c2, stays)
        c1.close()
        c1.stream.close()
        node.mine(1)  # may still find c1's registration: its callback fails and is dropped
        await chain.waitForNotifications(context=ctx)
        node.mine(1)
        await chain.waitForNotifications(context=ctx)
        assert kinds(stays) == [("connected", 11), ("tip",), ("connected", 12), ("tip",)]
        assert gone.events == []
        assert len(node.notifications.registrations) == 1
    finally:
        c2.close()


async def test_a_failing_callback_drops_that_registration_only(standin: Factory) -> None:
    node, c = await standin()
    refuses, fine = Notes(), Notes()
    refuses.fail = True
    ctx, chain, _h1 = await register(c, refuses)
    _h2 = (await chain.handleNotifications(context=ctx, notifications=notifications_server(c.vs, fine))).result
    node.mine(2)
    await chain.waitForNotifications(context=ctx)
    assert refuses.events == []
    assert kinds(fine) == [("connected", 11), ("tip",), ("connected", 12), ("tip",)]
    assert len(node.notifications.registrations) == 1


async def test_callbacks_name_a_thread_made_in_the_clients_thread_map(standin: Factory) -> None:
    node, c = await standin()
    made: list[str] = []

    class Thread(c.vs.proxy.Thread.Server):  # type: ignore[misc]
        def __init__(self, name: str) -> None:
            self.name = name

        async def getName(self, **kwargs: Any) -> str:
            return self.name

    class ThreadMap(c.vs.proxy.ThreadMap.Server):  # type: ignore[misc]
        async def makeThread(self, name: str, **kwargs: Any) -> Any:
            made.append(name)
            return Thread(name)

    assert node.socket_path is not None
    stream = await capnp.AsyncIoStream.create_unix_connection(node.socket_path)
    own = RawClient("pr29409", stream)
    own.thread_map = (await own.init.construct(threadMap=ThreadMap())).threadMap
    try:
        notes = Notes()
        ctx, chain, _handler = await register(own, notes)
        node.mine(2)
        await chain.waitForNotifications(context=ctx)
        assert len(made) == 1 and made[0].startswith(f"bitcoin-node-{os.getpid()}/b-scheduler-")
        assert notes.threads == made * 4
    finally:
        own.close()


@pytest.mark.parametrize("variant", ["pr29409-2026-02", "pr29409-2025-02"])
async def test_older_chain_variants_notify_and_wait_if_tip_changed(standin: Factory, variant: str) -> None:
    node, c = await standin(variant=variant)
    notes = Notes()
    ctx, chain, _handler = await register(c, notes, delay_s=0.02)
    old_tip = node.chain.tip.hash
    node.mine(1)
    await chain.waitForNotificationsIfTipChanged(context=ctx, oldTip=node.chain.tip.hash)  # unchanged: no wait
    await chain.waitForNotificationsIfTipChanged(context=ctx, oldTip=old_tip)
    assert kinds(notes) == [("connected", 11), ("tip",)]
    role = notes.events[0][4]
    assert role == ((True, False) if variant == "pr29409-2026-02" else 0)  # UInt32 there: NORMAL


async def test_wait_for_notifications_with_nothing_queued_returns_at_once(standin: Factory) -> None:
    _node, c = await standin()
    ctx = await c.context()
    chain = (await c.init.makeChain(context=ctx)).result
    await asyncio.wait_for(chain.waitForNotifications(context=ctx), 1.0)


def test_a_chain_change_outside_a_loop_with_nobody_registered_is_delivered_at_once() -> None:
    node = StandinNode(blocks=2)
    node.mine(1)
    node.invalidate(3)
    asyncio.run(asyncio.wait_for(node.notifications.wait_delivered(), 1.0))
