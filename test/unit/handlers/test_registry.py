"""What reaches Rpc.executeRpc: the original bytes, or, only where pycapnp cannot carry them, the same value."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.handlers.registry import request_text
from bitcoin_rpc_mp.jsonrpc.errors import RpcError
from bitcoin_rpc_mp.jsonrpc.reader import read_json


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
