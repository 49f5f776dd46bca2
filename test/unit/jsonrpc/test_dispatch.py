"""The dispatcher: order of checks, whitelist decisions, batch handling and HTTP status (spec §3, §4, §8).

A fake executor stands in for the node: it records what it was asked to run (method and the exact bytes that
would reach `Rpc.executeRpc`) and answers like a node would.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bitcoin_rpc_mp.auth.whitelist import Whitelist
from bitcoin_rpc_mp.jsonrpc.dispatch import Dispatcher, Outcome
from bitcoin_rpc_mp.jsonrpc.errors import RpcError
from bitcoin_rpc_mp.jsonrpc.reader import JsonValue
from bitcoin_rpc_mp.jsonrpc.request import Call


class FakeExecutor:
    """Answers getblockcount natively (210), passes everything else 'through' to a fake node."""

    def __init__(self, whole_batches: bool = False) -> None:
        self.ran: list[tuple[str, bytes]] = []
        self.whole_batches = whole_batches
        self.batches: list[bytes] = []

    async def execute(self, call: Call, raw: bytes, user: str, uri: str) -> Outcome:
        self.ran.append((call.method, raw))
        if call.method == "getblockcount":
            return Outcome(result=b"210")
        if call.method == "fails":
            return Outcome(error=RpcError(-8, "Block height out of range"))
        if call.method == "nodeonly":
            return Outcome(node_reply=b'{"result":null,"error":{"code":-18,"message":"Requested wallet does not exist or is not loaded"},"id":1}')
        if call.method == "nodenotify":
            return Outcome(node_reply=b"null")
        return Outcome(error=RpcError(-32601, "Method not found"))

    async def execute_batch(self, calls: Sequence[JsonValue], raw: bytes, user: str, uri: str) -> bytes | None:
        if not self.whole_batches:
            return None
        self.batches.append(raw)
        return b"[]"


async def run(body: bytes, user: str = "u", executor: FakeExecutor | None = None,
              whitelist: Whitelist | None = None) -> tuple[int, bytes | None]:
    dispatcher = Dispatcher(executor or FakeExecutor(), whitelist or Whitelist.from_options([]))
    reply = await dispatcher.handle(body, user, "/")
    return reply.status, reply.body


@pytest.mark.parametrize(
    ("body", "status", "reply"),
    [
        (b'{"method":"getblockcount","id":1}', 200, b'{"result":210,"error":null,"id":1}'),
        (b'{"jsonrpc":"2.0","method":"getblockcount","id":1}', 200, b'{"jsonrpc":"2.0","result":210,"id":1}'),
        (b'{"jsonrpc":"2.0","method":"getblockcount"}', 204, None),
        (b'{"jsonrpc":"2.0","method":"nosuch"}', 204, None),
        (b'{"method":"nosuch","id":1}', 404, b'{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}'),
        (b'{"jsonrpc":"2.0","method":"nosuch","id":1}', 200,
         b'{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}'),
        (b'{"method":"fails","id":1}', 500, b'{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}'),
        (b'{"jsonrpc":"2.0","id":1}', 400, b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Missing method"},"id":1}'),
        (b'{"jsonrpc":"2.0","method":"getblockcount","params":"x"}', 400,
         b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Params must be an array or object"}}'),
        (b"{", 500, b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}'),
        (b"", 500, b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}'),
        (b"1", 500, b'{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}'),
        (b"[]", 200, b"[]"),
        (b'[{"jsonrpc":"2.0","method":"getblockcount"}]', 204, None),
        (b'[{"jsonrpc":"2.0","method":"getblockcount","id":7},1]', 200,
         b'[{"jsonrpc":"2.0","result":210,"id":7},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request object"},"id":7}]'),
        (b'[{"method":"nosuch","id":4}]', 200,
         b'[{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":4}]'),
        # after a notification element, a non-object element inherits its state: its error is dropped too
        (b'[{"jsonrpc":"2.0","method":"getblockcount"},2]', 204, None),
    ],
)
async def test_status_and_body(body: bytes, status: int, reply: bytes | None) -> None:
    assert await run(body) == (status, reply)


async def test_node_reply_status_is_recomputed_from_the_error_code() -> None:
    """Spec §8: the node drops the HTTP status; legacy replies get it back from error.code."""
    status, body = await run(b'{"method":"nodeonly","id":1}')
    assert status == 500 and body is not None and b'"code":-18' in body
    assert await run(b'{"jsonrpc":"2.0","method":"nodenotify"}') == (204, None)


async def test_original_bytes_reach_the_executor() -> None:
    executor = FakeExecutor()
    body = b'{ "method" : "nosuch", "params" : [1.50, "\\u00e9"], "id" : 1 }'
    await run(body, executor=executor)
    assert executor.ran == [("nosuch", body)]


async def test_batch_elements_are_forwarded_as_their_own_bytes() -> None:
    executor = FakeExecutor()
    body = b'[ {"method":"a","id":1} ,{"method":"b", "params":[1.0]} ]'
    await run(body, executor=executor)
    assert executor.ran == [("a", b'{"method":"a","id":1}'), ("b", b'{"method":"b", "params":[1.0]}')]


async def test_whole_batch_passthrough_when_the_executor_can() -> None:
    executor = FakeExecutor(whole_batches=True)
    assert await run(b'[{"method":"a","id":1}]', executor=executor) == (200, b"[]")
    assert executor.batches == [b'[{"method":"a","id":1}]'] and executor.ran == []


async def test_first_duplicate_method_key_is_what_the_whitelist_sees() -> None:
    """The security case: alice may call getblockcount only; `stop` must never run although a second
    `method` key says getblockcount (the node would run the first key, `stop`)."""
    executor = FakeExecutor()
    whitelist = Whitelist.from_options(["alice:getblockcount"])
    status, body = await run(b'{"method":"stop","method":"getblockcount","id":1}', "alice", executor, whitelist)
    assert (status, body) == (403, None)
    assert executor.ran == []
    status, _ = await run(b'{"method":"getblockcount","method":"stop","id":1}', "alice", executor, whitelist)
    assert status == 200 and executor.ran[0][0] == "getblockcount"


async def test_whitelist_rules() -> None:
    wl = Whitelist.from_options(["a:getblockcount,getbestblockhash"])
    ex = FakeExecutor()
    assert await run(b'{"method":"getblockcount","id":1}', "a", ex, wl) == (200, b'{"result":210,"error":null,"id":1}')
    assert await run(b'{"method":"getblockhash","id":1}', "a", ex, wl) == (403, None)
    assert await run(b'{"method":"getblockcount","id":1}', "b", ex, wl) == (403, None)
    assert (await run(b"{", "b", ex, wl))[0] == 500, "parsing precedes the whitelist"
    assert await run(b"1", "b", ex, wl) == (403, None)
    assert await run(b"[]", "b", ex, wl) == (403, None)
    assert await run(b'[{"method":"getblockcount","id":1},{"method":"getblockhash","id":2}]', "a", ex, wl) == (403, None)
    assert await run(b"[1]", "a", ex, wl) == (
        400,
        b'{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}',
    )
    assert await run(b'[{"id":1}]', "a", ex, wl) == (
        500,
        b'{"result":null,"error":{"code":-32700,"message":"JSON value of type null is not of expected type string"},"id":null}',
    )
    assert await run(b'{"id":1}', "a", ex, wl) == (
        400,
        b'{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":1}',
    )
    assert [m for m, _ in ex.ran] == ["getblockcount"], "nothing refused was executed"
    # bitcoind checks a whitelisted user's batch element by element: the first failing check decides
    assert (await run(b'[{"method":"getblockhash","id":1},1]', "a", ex, wl))[0] == 403
    assert (await run(b'[1,{"method":"getblockhash","id":1}]', "a", ex, wl))[0] == 400


async def test_whitelist_default_off_leaves_users_without_a_list_free() -> None:
    wl = Whitelist.from_options(["a:getblockcount"], False)
    assert (await run(b'{"method":"getblockhash","id":1}', "b", whitelist=wl))[0] == 404
    assert (await run(b'{"method":"getblockhash","id":1}', "a", whitelist=wl))[0] == 403




async def test_rpcmaxbatch_refuses_before_running_anything() -> None:
    """-rpcmaxbatch (0 = none, bitcoind's default): a larger batch is refused whole, nothing runs."""
    executor = FakeExecutor()
    limited = Dispatcher(executor, Whitelist.from_options([]), max_batch=2)
    reply = await limited.handle(b"[" + b",".join([b'{"method":"getblockcount","id":1}'] * 3) + b"]", "u", "/")
    assert reply.status == 400
    assert reply.body == (b'{"result":null,"error":{"code":-32600,"message":"Batch of 3 requests is larger than '
                          b'-rpcmaxbatch=2; split it into smaller batches"},"id":null}')
    assert executor.ran == []
    reply = await limited.handle(b'[{"method":"getblockcount","id":1},{"method":"getblockcount","id":2}]', "u", "/")
    assert reply.status == 200 and len(executor.ran) == 2
    unlimited = Dispatcher(FakeExecutor(), Whitelist.from_options([]))
    big = b"[" + b",".join([b'{"method":"getblockcount","id":1}'] * 5000) + b"]"
    reply = await unlimited.handle(big, "u", "/")
    assert reply.status == 200 and reply.body is not None and reply.body.count(b'"result":210') == 5000


async def test_a_large_batch_lets_other_tasks_run() -> None:
    """Element by element, a batch gives the event loop a turn every few elements (and a body of 256 KiB or
    more is read in a thread), so one huge batch cannot starve the other clients."""
    import asyncio

    ticks = 0
    done = asyncio.Event()

    async def other_client() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_client())
    body = b"[" + b",".join([b'{"method":"getblockcount","id":1}'] * 20_000) + b"]"
    assert len(body) >= 256 * 1024
    reply = await Dispatcher(FakeExecutor(), Whitelist.from_options([])).handle(body, "u", "/")
    done.set()
    await other
    assert reply.status == 200
    assert ticks >= 20_000 // 32


async def test_rpcmaxbatch_applies_to_batches_the_node_would_run_whole() -> None:
    executor = FakeExecutor(whole_batches=True)
    limited = Dispatcher(executor, Whitelist.from_options([]), max_batch=1)
    reply = await limited.handle(b'[{"method":"a","id":1},{"method":"b","id":2}]', "u", "/")
    assert reply.status == 400 and reply.body is not None and b"-rpcmaxbatch=1" in reply.body
    assert executor.batches == [] and executor.ran == []
