"""Coalescing: waiting requests travel together, and each still gets exactly the reply it would get alone."""

from __future__ import annotations

import asyncio
import json

import pytest

from bitcoin_rpc_mp.handlers.coalesce import Coalescer, eligible, split_reply
from bitcoin_rpc_mp.ipc.errors import IpcTimeout, NodeUnavailable
from bitcoin_rpc_mp.jsonrpc.envelope import error_reply, result_reply
from bitcoin_rpc_mp.jsonrpc.reader import JsonObject, read_json
from bitcoin_rpc_mp.jsonrpc.request import Call, parse_request
from bitcoin_rpc_mp.jsonrpc.writer import write_json


def call_of(text: str) -> Call:
    value = read_json(text.encode())
    assert isinstance(value, JsonObject)
    return parse_request(value, None)


def node_answer(element: JsonObject) -> bytes:
    """What a node answers for one element: an error for negative heights, else a result naming the params.
    The result holds look-alikes of the element boundary to prove the split is not fooled by them."""
    call = parse_request(element, None)
    params = call.params
    assert isinstance(params, list)
    if params and isinstance(params[0], object) and write_json(params[0]).startswith(b"-"):
        return error_reply(-8, 'Block height out of range ,"id":1},{"result":', call.id_present, call.id, call.version)
    result = write_json(call.method + ":" + write_json(params).decode() + ' },{"result": ,"id":')
    return result_reply(result, call.id_present, call.id, call.version)


class FakeClient:
    """Runs requests as bitcoind's ExecuteHTTPRPC would (one object or an array), records what was sent."""

    socket_path = "/run/node.sock"

    def __init__(self, delay_s: float = 0.01, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.delay_s = delay_s
        self.fail = fail
        self.capabilities: object | None = "connected"  # None once the node is gone

    async def execute_rpc(self, request: str, uri: str, user: str, *, long: bool = False) -> str:
        self.sent.append(request)
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise IpcTimeout("no answer")
        value = read_json(request.encode())
        if isinstance(value, list):
            parts = [node_answer(item) for item in value if isinstance(item, JsonObject)]
            return (b"[" + b",".join(parts) + b"]").decode()
        assert isinstance(value, JsonObject)
        return node_answer(value).decode()


REQUESTS = [
    '{"method":"getblockhash","params":[%d],"id":%d}',
    '{"jsonrpc":"2.0","method":"getblockhash","params":[%d],"id":"s%d"}',
    '{"method":"getblockhash","params":[-%d],"id":%d.50}',
    '{"jsonrpc":"2.0","method":"getblockheader","params":[%d],"id":null,"x":%d}',
    '{"method":"getblockcount","params":[%d],"id":"\\u00e9\\"%d"}',
    '{"jsonrpc":"2.0","method":"getblockhash","params":[-%d],"id":%d}',
]


def test_waiting_requests_share_one_call_and_get_their_own_replies() -> None:
    async def main() -> None:
        client = FakeClient()
        coalescer = Coalescer(client, limit=1)  # type: ignore[arg-type]
        texts = [REQUESTS[i % len(REQUESTS)] % (i, i) for i in range(40)]
        replies = await asyncio.gather(*(coalescer.execute(call_of(t), t, "/", "u") for t in texts))
        alone = [await FakeClient(0).execute_rpc(t, "/", "u") for t in texts]
        assert replies == alone
        assert len(client.sent) < len(texts) / 4, "the 39 that waited went in few calls"
        assert client.sent[0] == texts[0], "the first found the node idle: sent alone, unchanged"
        assert coalescer.stats.combined_requests >= 30
        assert all(json.loads(s) for s in client.sent)

    asyncio.run(main())


def test_at_low_load_every_request_goes_alone_and_unchanged() -> None:
    async def main() -> None:
        client = FakeClient(0)
        coalescer = Coalescer(client, limit=4)  # type: ignore[arg-type]
        texts = [REQUESTS[0] % (i, i) for i in range(10)]
        for t in texts:
            await coalescer.execute(call_of(t), t, "/", "u")
        assert client.sent == texts
        assert coalescer.stats.combined_calls == 0

    asyncio.run(main())


def test_groups_never_mix_users_or_uris() -> None:
    async def main() -> None:
        client = FakeClient()
        coalescer = Coalescer(client, limit=1)  # type: ignore[arg-type]
        keys = [("/", "a"), ("/", "b"), ("/wallet/w", "a")]
        seen: list[tuple[str, str]] = []
        original = client.execute_rpc

        async def record(request: str, uri: str, user: str, *, long: bool = False) -> str:
            seen.append((uri, user))
            return await original(request, uri, user)

        client.execute_rpc = record  # type: ignore[method-assign]
        jobs = []
        for i in range(30):
            uri, user = keys[i % 3]
            text = REQUESTS[0] % (i, i)
            jobs.append(coalescer.execute(call_of(text), text, uri, user))
        await asyncio.gather(*jobs)
        batches = [s for s in client.sent if s.startswith("[")]
        assert batches and len(seen) == len(client.sent)
        for text, key in zip(client.sent, seen, strict=True):
            if text.startswith("["):
                heights = [item["params"][0] for item in json.loads(text)]
                assert {keys[h % 3] for h in heights} == {key}

    asyncio.run(main())


def test_a_failed_combined_call_fails_every_request_in_it() -> None:
    async def main() -> None:
        coalescer = Coalescer(FakeClient(fail=True), limit=1)  # type: ignore[arg-type]
        texts = [REQUESTS[0] % (i, i) for i in range(5)]
        results = await asyncio.gather(
            *(coalescer.execute(call_of(t), t, "/", "u") for t in texts), return_exceptions=True
        )
        assert all(isinstance(r, IpcTimeout) for r in results)
        assert coalescer._in_flight == 0 and not coalescer._queue

    asyncio.run(main())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"method":"getblockhash","params":[1],"id":1}', True),
        ('{"jsonrpc":"2.0","method":"getblockhash","params":[1]}', False),  # notification: left out of batches
        ('{"method":"getblockhash","params":[1]}', False),  # legacy without id: reply has no id member
        ('{"method":"getblockhash","params":[1],"id":[1]}', False),
        ('{"method":"getblockhash","params":[1],"id":{"a":1}}', False),
        ('{"method":"waitfornewblock","id":1}', False),
        ('{"method":"stop","id":1}', False),
        ('{"method":"generatetoaddress","params":[1,"x"],"id":1}', False),
        ('{"method":"getblock","params":["00"],"id":1}', False),  # large replies: not combined
    ],
)
def test_which_requests_may_be_combined(text: str, expected: bool) -> None:
    assert eligible(call_of(text)) is expected


def test_split_refuses_anything_that_does_not_line_up() -> None:
    shapes = [('{"result":', ',"id":1}'), ('{"result":', ',"id":2}')]
    good = '[{"result":1,"error":null,"id":1},{"result":2,"error":null,"id":2}]'
    assert split_reply(good, shapes) == ['{"result":1,"error":null,"id":1}', '{"result":2,"error":null,"id":2}']
    assert split_reply(good[:-1], shapes) is None
    assert split_reply('{"result":null,"error":{"code":-28,"message":"x"},"id":null}', shapes) is None
    assert split_reply('[{"result":1,"error":null,"id":1}]', shapes) is None
    assert split_reply("null", shapes) is None


def test_a_cancelled_waiting_request_leaves_its_group_intact() -> None:
    async def main() -> None:
        client = FakeClient()
        coalescer = Coalescer(client, limit=1)  # type: ignore[arg-type]
        texts = [REQUESTS[0] % (i, i) for i in range(6)]
        tasks = [asyncio.ensure_future(coalescer.execute(call_of(t), t, "/", "u")) for t in texts]
        await asyncio.sleep(0)
        tasks[3].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(done[3], asyncio.CancelledError)
        alone = [await FakeClient(0).execute_rpc(t, "/", "u") for t in texts]
        assert [d for i, d in enumerate(done) if i != 3] == [a for i, a in enumerate(alone) if i != 3]
        assert coalescer._in_flight == 0 and not coalescer._queue

    asyncio.run(main())


def test_waiting_requests_do_not_ask_asyncio_for_the_loop_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.11's get_running_loop() is a getpid() system call: 11 % of the server's CPU on a real node when
    every waiting request made one (aioloop.py). The coalescer asks once."""
    asked: list[int] = []
    real = asyncio.get_running_loop

    def counting() -> asyncio.AbstractEventLoop:
        asked.append(1)
        return real()

    async def main() -> None:
        client = FakeClient()
        coalescer = Coalescer(client, limit=1)  # type: ignore[arg-type]
        texts = [REQUESTS[0] % (i, i) for i in range(50)]
        monkeypatch.setattr(asyncio, "get_running_loop", counting)
        await asyncio.gather(*(coalescer.execute(call_of(t), t, "/", "u") for t in texts))
        assert coalescer.stats.combined_requests >= 40

    asyncio.run(main())
    assert len(asked) <= 1


def test_requests_that_waited_while_the_node_went_away_fail_at_once_unsent() -> None:
    """A group dispatched after the connection was lost is not sent into the reconnect wait: each request gets
    NodeUnavailable (the executor's -28, as for a request arriving then), while the call in flight gets its own."""

    async def main() -> None:
        client = FakeClient(delay_s=0.05)
        coalescer = Coalescer(client, limit=1)  # type: ignore[arg-type]
        texts = [REQUESTS[0] % (i, i) for i in range(5)]
        tasks = [asyncio.ensure_future(coalescer.execute(call_of(t), t, "/", "u")) for t in texts]
        await asyncio.sleep(0.01)  # the first is at the node, four wait
        client.capabilities = None  # the node dies
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert results[0] == await FakeClient(0).execute_rpc(texts[0], "/", "u")
        assert all(isinstance(r, NodeUnavailable) for r in results[1:]), results
        assert client.sent == [texts[0]]

    asyncio.run(main())
