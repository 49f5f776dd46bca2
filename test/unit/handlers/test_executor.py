"""What reaches Rpc.executeRpc: the original bytes, or, only where pycapnp cannot carry them, the same value;
and which calls are long (a Thread of their own, no call timeout)."""

from __future__ import annotations

from typing import cast

import pytest

from bitcoin_rpc_mp.auth.whitelist import Whitelist
from bitcoin_rpc_mp.handlers.executor import NodeExecutor, request_text
from bitcoin_rpc_mp.ipc.capabilities import NodeCapabilities
from bitcoin_rpc_mp.ipc.client import NodeClient
from bitcoin_rpc_mp.ipc.errors import IpcTimeout, NodeDisconnected, NodeUnavailable, RemoteError
from bitcoin_rpc_mp.jsonrpc.dispatch import Dispatcher
from bitcoin_rpc_mp.jsonrpc.errors import RpcError
from bitcoin_rpc_mp.jsonrpc.reader import read_json
from bitcoin_rpc_mp.jsonrpc.request import Call, parse_request


@pytest.mark.parametrize(
    "body",
    [
        b'{ "method" : "echo", "params":[1.50, -0, 1E+3], "id": 1 }',
        b'{"method":"stop","method":"getblockcount","id":1}',
        '{"method":"echo","params":["\u00e9\\u00e9"]}'.encode(),
    ],
)
def test_utf8_bodies_go_byte_for_byte(body: bytes) -> None:
    assert request_text(body).encode("utf-8") == body


@pytest.mark.parametrize(
    "body",
    [
        b'{"method":"echo","params":["a\xc0\x80b"],"method":"x","id":1.50}',  # overlong NUL, duplicate key
        b'{"method":"echo","params":["\xed\xa0\xbd\xed\xb8\x80"],"id":1}',  # a surrogate pair written as UTF-8
    ],
)
def test_univalue_only_sequences_are_rewritten_as_the_same_value(body: bytes) -> None:
    text = request_text(body)
    assert read_json(text.encode("utf-8")) == read_json(body)
    assert text.startswith('{"method":"echo","params":[')
    if b'"method":"x"' in body:
        assert '"method":"x","id":1.50' in text, "duplicates and number text kept, in order"


def test_text_that_cannot_be_utf8_is_refused_with_a_reason() -> None:
    with pytest.raises(RpcError) as info:
        request_text(b'{"method":"echo","params":["\xf5\x80\x80\x80"],"id":1}')
    assert info.value.code == -32600 and "not UTF-8" in info.value.message


# -- long-running RPCs --------------------------------------------------------------------------------------------
class FakeClient:
    """A node with Rpc whose `execute_rpc` records whether it was asked for a long call."""

    socket_path = "/tmp/node.sock"

    def __init__(self) -> None:
        self.capabilities = NodeCapabilities("pr29409", frozenset({"Rpc", "Mining", "Echo", "Chain"}), True)
        self.calls: list[tuple[str, bool]] = []

    async def execute_rpc(self, request: str, uri: str, user: str, *, long: bool = False) -> str:
        self.calls.append((request, long))
        return '{"result":null,"error":null,"id":1}'


def call_of(method: str) -> tuple[Call, bytes]:
    raw = b'{"method":"%s","params":[],"id":1}' % method.encode()
    value = read_json(raw)
    return parse_request(value, None), raw


# the six that once ran on short Threads with a call timeout, because a second, shorter list was the one used
@pytest.mark.parametrize(
    "method",
    ["scanblocks", "verifychain", "pruneblockchain", "importmulti", "gettxspendingprevout", "generate", "waitforblock"],
)
async def test_long_running_rpcs_get_a_long_call(method: str) -> None:
    client = FakeClient()
    executor = NodeExecutor(cast(NodeClient, client), native=False)
    call, raw = call_of(method)
    await executor.execute(call, raw, "u", "/")
    assert client.calls == [(raw.decode(), True)]
    # and a batch holding one is run element by element, so it cannot hold a short Thread
    assert await executor.execute_batch([read_json(raw)], b"[" + raw + b"]", "u", "/") is None


async def test_other_rpcs_get_a_short_call() -> None:
    client = FakeClient()
    executor = NodeExecutor(cast(NodeClient, client), native=False)
    call, raw = call_of("getblockchaininfo")
    await executor.execute(call, raw, "u", "/")
    assert client.calls == [(raw.decode(), False)]


# -- a batch sent whole that fails is never run again element by element --------------------------------------
class FailingClient(FakeClient):
    """`execute_rpc` raises `error` for a batch (text starting with '['), answers single calls."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def execute_rpc(self, request: str, uri: str, user: str, *, long: bool = False) -> str:
        self.calls.append((request, long))
        if request.startswith("["):
            raise self.error
        return '{"result":"ran","error":null,"id":1}'


BATCH = b'[{"method":"sendtoaddress","params":["a",1],"id":1},{"method":"getblockcount","id":2},{"id":3}]'


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (IpcTimeout("bitcoin-node did not answer Rpc within 900 s"), -1),
        (NodeDisconnected("connection lost"), -28),
        (RemoteError("boom"), -1),
    ],
)
async def test_a_batch_that_failed_after_it_was_sent_is_not_run_again(error: Exception, code: int) -> None:
    client = FailingClient(error)
    dispatcher = Dispatcher(NodeExecutor(cast(NodeClient, client), native=False), Whitelist.from_options([]))
    reply = await dispatcher.handle(BATCH, "u", "/")
    assert [request for request, _ in client.calls] == [BATCH.decode()], "sent once, whole, and never again"
    body = read_json(reply.body or b"")
    assert reply.status == 200 and isinstance(body, list) and len(body) == 3
    for element in body[:2]:
        assert element.get("error").get("code").text == str(code)  # type: ignore[union-attr]
    assert body[2].get("error").get("code").text == "-32600"  # type: ignore[union-attr]  # its own parse error


async def test_a_batch_that_could_not_be_sent_runs_element_by_element() -> None:
    client = FailingClient(NodeUnavailable("/tmp/node.sock", "not there"))
    dispatcher = Dispatcher(NodeExecutor(cast(NodeClient, client), native=False), Whitelist.from_options([]))
    reply = await dispatcher.handle(BATCH, "u", "/")
    assert [request for request, _ in client.calls if not request.startswith("[")] == [
        '{"method":"sendtoaddress","params":["a",1],"id":1}',
        '{"method":"getblockcount","id":2}',
    ]
    assert reply.status == 200
