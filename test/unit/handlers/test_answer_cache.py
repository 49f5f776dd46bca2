"""The answer cache: what may be stored, when a stored answer may be used, and its bound."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bitcoin_rpc_mp.handlers.answer_cache import AnswerCache, TipProbe, cache_key, result_of
from bitcoin_rpc_mp.ipc.errors import IpcTimeout
from bitcoin_rpc_mp.jsonrpc.reader import JsonObject, read_json
from bitcoin_rpc_mp.jsonrpc.request import Call, parse_request

A = (b"\xaa" * 32, 10)
B = (b"\xbb" * 32, 11)


def call_of(text: str) -> Call:
    value = read_json(text.encode())
    assert isinstance(value, JsonObject)
    return parse_request(value, None)


@pytest.mark.parametrize(
    ("text", "cached"),
    [
        ('{"method":"getblockhash","params":[1],"id":1}', True),
        ('{"method":"getblock","params":["00",2],"id":1}', True),
        ('{"method":"getblockheader","params":{"blockhash":"00"},"id":1}', True),
        ('{"method":"getblockcount","id":1}', True),
        ('{"method":"getblockcount","params":[1],"id":1}', False),  # the node's error must come back
        ('{"method":"getrawtransaction","params":["00",true,"11"],"id":1}', True),
        ('{"method":"getrawtransaction","params":["00",true],"id":1}', False),  # mempool / txindex
        ('{"method":"getrawtransaction","params":{"txid":"00","blockhash":"11"},"id":1}', True),
        ('{"method":"gettxout","params":["00",0],"id":1}', False),
        ('{"method":"getblockchaininfo","id":1}', False),
        ('{"method":"generatetoaddress","params":[1,"x"],"id":1}', False),
    ],
)
def test_which_requests_are_cached(text: str, cached: bool) -> None:
    assert (cache_key(call_of(text)) is not None) is cached


def test_keys_ignore_the_id_and_spacing_but_not_the_params() -> None:
    one = cache_key(call_of('{"method":"getblockhash","params":[1],"id":1}'))
    assert one == cache_key(call_of('{"jsonrpc":"2.0", "method":"getblockhash", "params":[ 1 ], "id":"x"}'))
    assert one != cache_key(call_of('{"method":"getblockhash","params":[2],"id":1}'))


def test_only_success_replies_give_a_result() -> None:
    legacy = call_of('{"method":"getblockhash","params":[1],"id":"a"}')
    v2 = call_of('{"jsonrpc":"2.0","method":"getblockhash","params":[1],"id":7}')
    assert result_of('{"result":"ab","error":null,"id":"a"}', legacy) == '"ab"'
    assert result_of('{"result":null,"error":{"code":-8,"message":"m"},"id":"a"}', legacy) is None
    assert result_of('{"jsonrpc":"2.0","result":{"x":1},"id":7}', v2) == '{"x":1}'
    assert result_of('{"jsonrpc":"2.0","error":{"code":-8,"message":"m"},"id":7}', v2) is None
    assert result_of("null", v2) is None


class FakeNode:
    """Answers getblockhash with the tip's first byte and height, so a stale answer is visible."""

    node_ready = True

    def __init__(self) -> None:
        self.tip = A
        self.sent = 0
        self.tip_reads = 0
        self.fail_tip = False

    async def get_tip(self) -> tuple[bytes, int]:
        self.tip_reads += 1
        await asyncio.sleep(0.001)
        if self.fail_tip:
            raise IpcTimeout("no answer")
        return self.tip

    async def send(self, call: Call) -> str:
        self.sent += 1
        await asyncio.sleep(0.001)
        return f'{{"result":"{self.tip[0][0]:02x}-{self.tip[1]}","error":null,"id":1}}'


def run_call(
    cache: AnswerCache, node: FakeNode, text: str = '{"method":"getblockhash","params":[1],"id":1}'
) -> Awaitable[bytes]:
    call = call_of(text)
    key = cache_key(call)
    assert key is not None
    return cache.run(call, key, lambda: node.send(call))


def test_a_hit_is_used_only_while_the_tip_is_unchanged() -> None:
    async def main() -> None:
        node = FakeNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        assert await run_call(cache, node) == b'{"result":"aa-10","error":null,"id":1}'  # cold: tip learnt
        assert await run_call(cache, node) == b'{"result":"aa-10","error":null,"id":1}'  # stored now
        assert node.sent == 2
        assert await run_call(cache, node) == b'{"result":"aa-10","error":null,"id":1}'
        assert node.sent == 2 and cache.stats.hits == 1
        node.tip = B  # a new tip, not reported by any watcher
        assert await run_call(cache, node) == b'{"result":"bb-11","error":null,"id":1}'
        assert node.sent == 3 and cache.stats.flushes == 1

    asyncio.run(main())


def test_a_reply_is_rebuilt_for_each_request_id_and_version() -> None:
    async def main() -> None:
        node = FakeNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        for _ in range(2):
            await run_call(cache, node)
        v2 = '{"jsonrpc":"2.0","method":"getblockhash","params":[1],"id":"\\u00e9"}'
        assert await run_call(cache, node, v2) == '{"jsonrpc":"2.0","result":"aa-10","id":"é"}'.encode()
        notification = '{"jsonrpc":"2.0","method":"getblockhash","params":[1]}'
        assert await run_call(cache, node, notification) == b"null"
        no_id = '{"method":"getblockhash","params":[1]}'
        assert await run_call(cache, node, no_id) == b'{"result":"aa-10","error":null}'
        assert node.sent == 2

    asyncio.run(main())


def test_an_answer_that_straddles_a_tip_change_is_not_stored() -> None:
    async def main() -> None:
        node = FakeNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        await run_call(cache, node)  # tip A known
        original = node.send

        async def change_tip_after_answer(call: Call) -> str:
            reply = await original(call)
            node.tip = B
            return reply

        node.send = change_tip_after_answer  # type: ignore[method-assign]
        await run_call(cache, node)
        assert cache.stats.stores == 0
        node.send = original  # type: ignore[method-assign]
        assert await run_call(cache, node) == b'{"result":"bb-11","error":null,"id":1}'

    asyncio.run(main())


def test_without_a_tip_reading_nothing_is_served_from_memory() -> None:
    async def main() -> None:
        node = FakeNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        for _ in range(2):
            await run_call(cache, node)
        node.fail_tip = True
        await run_call(cache, node)
        assert node.sent == 3 and cache.stats.hits == 0
        node.fail_tip = False
        node.node_ready = False  # loading or shutting down: no Mining call at all
        reads = node.tip_reads
        await run_call(cache, node)
        assert node.sent == 4 and cache.stats.hits == 0 and node.tip_reads == reads

    asyncio.run(main())


def test_the_store_is_bounded_and_evicts_the_least_recently_used() -> None:
    async def main() -> None:
        node = FakeNode()
        cache = AnswerCache(node, 2000)  # type: ignore[arg-type]
        await run_call(cache, node)
        for h in range(40):
            await run_call(cache, node, f'{{"method":"getblockhash","params":[{h}],"id":1}}')
        assert cache.size_bytes <= 2000
        assert cache.stats.evictions > 0
        assert len(cache._entries) < 40

    asyncio.run(main())


def test_concurrent_checks_share_one_reading_that_started_after_them() -> None:
    async def main() -> None:
        started: list[asyncio.Event] = []
        release: list[asyncio.Event] = []

        async def read() -> tuple[bytes, int]:
            number = len(started) + 1
            started.append(asyncio.Event())
            release.append(asyncio.Event())
            started[-1].set()
            await release[number - 1].wait()
            return (bytes(32), number)

        probe = TipProbe(read)
        first = asyncio.ensure_future(probe.fresh())
        while not started:
            await asyncio.sleep(0)
        later = [asyncio.ensure_future(probe.fresh()) for _ in range(20)]
        await asyncio.sleep(0)
        assert len(started) == 1, "no second reading while the first runs"
        release[0].set()
        assert await first == (bytes(32), 1)
        while len(started) < 2:
            await asyncio.sleep(0)
        release[1].set()
        assert {await f for f in later} == {(bytes(32), 2)}, "one more reading, started after the first ended"
        assert len(started) == 2

    asyncio.run(main())


class FakeHandle:
    def __init__(self) -> None:
        self.ended = asyncio.Event()
        self.released = False

    @property
    def active(self) -> bool:
        return not self.ended.is_set()

    async def wait_ended(self) -> None:
        await self.ended.wait()

    def release(self) -> None:
        self.released = True


class FakeCapabilities:
    def __init__(self, chain: bool) -> None:
        self.chain = chain

    def has(self, name: str) -> bool:
        return name == "Chain" and self.chain


class FakeChainNode(FakeNode):
    """A node with Chain: block notifications are queued when the tip moves and delivered only when the cache
    asks for them (Chain.waitForNotifications), as the real node's scheduler thread delivers them later."""

    def __init__(self) -> None:
        super().__init__()
        self.on_block: Callable[[bool, bytes, int], None] | None = None
        self.queued: list[tuple[bool, bytes, int]] = []
        self.handles: list[FakeHandle] = []
        self.syncs = 0
        self.flap_during_send = False

    async def wait_connected(self) -> FakeCapabilities:
        return FakeCapabilities(chain=True)

    async def handle_notifications(self, on_block: Callable[[bool, bytes, int], None]) -> FakeHandle:
        await asyncio.sleep(0.001)
        self.on_block = on_block
        self.queued.clear()  # nothing from before the registration is delivered
        self.handles.append(FakeHandle())
        return self.handles[-1]

    async def wait_for_notifications(self) -> None:
        self.syncs += 1
        await asyncio.sleep(0.001)
        queued, self.queued = self.queued, []
        for event in queued:
            assert self.on_block is not None
            self.on_block(*event)

    def move(self, tip: tuple[bytes, int]) -> None:
        if tip[1] > self.tip[1]:
            self.queued.append((True, tip[0], tip[1]))
        else:
            self.queued.append((False, self.tip[0], self.tip[1]))
        self.tip = tip

    async def send(self, call: Call) -> str:
        reply = await super().send(call)
        if self.flap_during_send:  # computed under B, and the tip is back at A before the answer returns
            self.move(B)
            reply = f'{{"result":"{B[0][0]:02x}-{B[1]}","error":null,"id":1}}'
            self.move(A)
        return reply


OTHER = '{"method":"getblockcount","id":1}'


async def registered(cache: AnswerCache, node: FakeChainNode) -> None:
    """Start the cache, wait for its registration, and let one miss (of another key) read the tip: the first
    miss after the cache was emptied only learns the tip, it stores nothing."""
    cache.start()
    while not cache.notified:
        await asyncio.sleep(0.001)
    await run_call(cache, node, OTHER)


def test_with_chain_notifications_a_miss_computed_under_a_tip_that_came_and_went_is_not_stored() -> None:
    async def main() -> None:
        node = FakeChainNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        await registered(cache, node)
        syncs, sent = node.syncs, node.sent
        node.flap_during_send = True
        assert await run_call(cache, node) == b'{"result":"bb-11","error":null,"id":1}'
        # The tip reads A before and after, but the notifications of B were waited for: not stored.
        assert node.syncs == syncs + 1 and cache.stats.stores == 0
        node.flap_during_send = False
        assert await run_call(cache, node) == b'{"result":"aa-10","error":null,"id":1}'
        assert cache.stats.stores == 1
        assert await run_call(cache, node) == b'{"result":"aa-10","error":null,"id":1}'
        assert cache.stats.hits == 1 and node.sent == sent + 2
        await cache.aclose()

    asyncio.run(main())


def test_a_notified_block_empties_the_cache() -> None:
    async def main() -> None:
        node = FakeChainNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        await registered(cache, node)
        await run_call(cache, node)
        await run_call(cache, node)
        assert cache.stats.stores == 1 and cache.stats.hits == 1
        node.move(B)
        await node.wait_for_notifications()  # the node's scheduler delivers the block
        assert cache.size_bytes == 0 and cache.stats.flushes == 1
        assert await run_call(cache, node) == b'{"result":"bb-11","error":null,"id":1}'
        await cache.aclose()

    asyncio.run(main())


def test_nothing_is_stored_while_no_registration_is_live_and_a_new_session_registers_again() -> None:
    async def main() -> None:
        node = FakeChainNode()
        cache = AnswerCache(node, 1 << 20)  # type: ignore[arg-type]
        await registered(cache, node)
        await run_call(cache, node, OTHER)  # the tip is known (and this answer stored): misses are stored now
        stores = cache.stats.stores
        node.handles[-1].ended.set()  # the session is lost: notifications stop
        while cache.notified:
            await asyncio.sleep(0.001)
        await run_call(cache, node)
        await run_call(cache, node)
        assert cache.stats.stores == stores, "without notifications a miss could straddle an unseen change"
        assert node.handles[-1].released
        while len(node.handles) < 2 or not cache.notified:  # the watcher registers on the next session
            await asyncio.sleep(0.01)
        await run_call(cache, node, OTHER)
        await run_call(cache, node)
        assert cache.stats.stores == stores + 1
        await cache.aclose()

    asyncio.run(main())
