"""jsonrpc/envelope.py: reply bytes and statuses (compat spec §4, §8), checked byte for byte against the
captured §6 cases through the real dispatcher (`jsonrpc.dispatch.Dispatcher`) with a fake node."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
import compat_cases as cc

from bitcoin_rpc_mp.auth.whitelist import Whitelist
from bitcoin_rpc_mp.jsonrpc.dispatch import Dispatcher, Outcome
from bitcoin_rpc_mp.jsonrpc.envelope import (
    batch_reply,
    error_code_of_reply,
    error_object,
    error_reply,
    legacy_http_status,
    parse_error_reply,
    result_reply,
    rpc_error_reply,
    top_level_error_reply,
)
from bitcoin_rpc_mp.jsonrpc.errors import RpcError, RpcErrorCode
from bitcoin_rpc_mp.jsonrpc.reader import JsonNumber, JsonObject, JsonValue
from bitcoin_rpc_mp.jsonrpc.request import Call

ONE = JsonNumber("1")


def test_four_shapes() -> None:
    assert result_reply(b"210", True, ONE, 1) == b'{"result":210,"error":null,"id":1}'
    assert error_reply(-32601, "Method not found", True, ONE, 1) == (
        b'{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}'
    )
    assert result_reply(b"210", True, ONE, 2) == b'{"jsonrpc":"2.0","result":210,"id":1}'
    assert error_reply(-32601, "Method not found", True, ONE, 2) == (
        b'{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}'
    )


def test_id_member_is_left_out_without_an_id_and_null_when_null() -> None:
    assert result_reply(b"210", False, None, 1) == b'{"result":210,"error":null}'
    assert result_reply(b"210", False, None, 2) == b'{"jsonrpc":"2.0","result":210}'
    assert error_reply(-1, "x", False, None, 2) == b'{"jsonrpc":"2.0","error":{"code":-1,"message":"x"}}'
    assert result_reply(b"210", True, None, 2) == b'{"jsonrpc":"2.0","result":210,"id":null}'


def test_ids_and_results_are_written_as_univalue_does() -> None:
    obj_id = JsonObject([("a", [ONE, True, None])])
    assert result_reply(b"210", True, obj_id, 1) == b'{"result":210,"error":null,"id":{"a":[1,true,null]}}'
    assert result_reply(b"1", True, JsonNumber("1.50"), 1).endswith(b',"id":1.50}')
    assert result_reply(b"1", True, 'a"/\u00e9', 1).endswith(b',"id":"a\\"/\xc3\xa9"}')


def test_error_messages_are_escaped() -> None:
    assert error_object(RpcErrorCode.RPC_TYPE_ERROR, 'a\n"b"') == b'{"code":-3,"message":"a\\n\\"b\\""}'
    err = RpcError(RpcErrorCode.RPC_IN_WARMUP, "Loading block index\u2026")
    assert rpc_error_reply(err, True, ONE, 1) == (
        b'{"result":null,"error":{"code":-28,"message":"Loading block index\xe2\x80\xa6"},"id":1}'
    )


def test_fixed_replies() -> None:
    assert parse_error_reply() == b'{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}'
    assert top_level_error_reply() == (
        b'{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}'
    )
    assert batch_reply([]) == b"[]"
    assert batch_reply([b"{}", b"1"]) == b"[{},1]"


@pytest.mark.parametrize(
    ("code", "status"),
    [(-32600, 400), (-32601, 404), (-32700, 500), (-32602, 500), (-1, 500), (-3, 500), (-8, 500), (-18, 500),
     (-28, 500), (0, 500)],
)  # fmt: skip
def test_legacy_http_status(code: int, status: int) -> None:
    assert legacy_http_status(code) == status


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (b'{"result":210,"error":null,"id":1}', None),
        (b'{"result":null,"error":null,"id":1}', None),
        (b'{"result":"x\\"error\\":{\\"code\\":-1","error":null}', None),
        (b'{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}', -32601),
        (b'{"result":null,"error":{"code":-8,"message":"Block height out of range"}}', -8),
        ('{"result":null,"error":{"code":-28,"message":"Loading\u2026"},"id":"\u00e9"}', -28),
        (b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"x"},"id":1}', -32600),
        (b'{"jsonrpc":"2.0","result":[],"id":1}', None),
        # other shapes are read in full
        (b'{"id":1,"error":{"message":"m","code":-5},"result":null}', -5),
        (b'{"error":{"code":1.5}}', None),
        (b"[]", None),
        (b"not json", None),
        (b'{"result":null,"error":{"code":-' + b"9" * 6000 + b',"message":"x"}}', None),
    ],
)
def test_error_code_of_reply(reply: bytes | str, code: int | None) -> None:
    assert error_code_of_reply(reply) == code


# -- through the dispatcher, against bitcoind's captured replies -------------------------------------------
class CapturedNode:
    """The captured node (height 210) as the dispatcher's executor: getblockcount, else -32601."""

    async def execute(self, call: Call, raw: bytes, user: str, uri: str) -> Outcome:
        if call.method == "getblockcount":
            return Outcome(result=b"210")
        return Outcome(error=RpcError(RpcErrorCode.RPC_METHOD_NOT_FOUND, "Method not found"))

    async def execute_batch(self, calls: Sequence[JsonValue], raw: bytes, user: str, uri: str) -> bytes | None:
        return None


DISPATCHER = Dispatcher(CapturedNode(), Whitelist.from_options([]))


def handle(body: bytes) -> tuple[int, bytes | None]:
    """bitcoind's HTTPReq_JSONRPC after auth, without whitelists."""
    reply = asyncio.run(DISPATCHER.handle(body, "u", "/"))
    return reply.status, reply.body


COMPOSED_CASES = [
    *range(1, 20), 27, 28, *range(29, 41), 70, *range(78, 90), 91, 97, 98, 99, 100, 101,
]  # fmt: skip


def _cases() -> dict[int, cc.SpecCase]:
    return {case.number: case for case in cc.load_spec_cases()}


SPEC = _cases()


@pytest.mark.parametrize("number", COMPOSED_CASES, ids=[f"case{n}" for n in COMPOSED_CASES])
def test_captured_replies_byte_for_byte(number: int) -> None:
    case = SPEC[number]
    body = case.request.partition(b"\r\n\r\n")[2]
    status, reply = handle(body)
    assert status == case.status
    if case.status == 204:
        assert reply is None and case.response_body == b""
    else:
        assert reply is not None and reply + b"\n" == case.response_body


def test_batch_notification_error_is_dropped() -> None:
    # §7 item 2: the non-object after a notification produces no entry, so the batch is all notifications
    assert handle(b'[{"jsonrpc":"2.0","method":"getblockcount"},7]') == (204, None)
    status, reply = handle(
        b'[{"jsonrpc":"2.0","method":"getblockcount"},{"id":9,"method":"getblockcount"},7]'
    )
    assert status == 200
    assert reply == (
        b'[{"result":210,"error":null,"id":9},'
        b'{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":9}]'
    )
