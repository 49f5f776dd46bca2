"""read_batch_methods, the cheap reading of batches forwarded whole, never disagrees with read_json."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bitcoin_rpc_mp.jsonrpc.reader import JsonObject, JsonParseError, read_batch_methods, read_json

SCALARS = ["1", "-0", "1.5e3", '"x"', '"method"', "true", "null", '"getblockhash"', '"\\u0041"', '"\u00e9"', "NaN"]
KEYS = ['"method"', '"id"', '"params"', '"jsonrpc"', '"m\\u0065thod"', '"x"']


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 3 if depth < 2 else 1))
    if kind == 0:
        return draw(st.sampled_from(SCALARS))
    if kind == 1:
        members = draw(st.lists(st.tuples(st.sampled_from(KEYS), st.sampled_from(SCALARS)), max_size=4))
        return "{" + ",".join(f"{k}:{v}" for k, v in members) + "}"
    if kind == 2:
        return "[" + ",".join(draw(st.lists(elements(depth + 1), max_size=3))) + "]"
    members = draw(st.lists(st.tuples(st.sampled_from(KEYS), elements(depth + 1)), max_size=4))
    return "{" + ",".join(f"{k}:{v}" for k, v in members) + "}"


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    items = draw(st.lists(elements(), max_size=6))
    space = draw(st.sampled_from(["", " ", "\n", "\t"]))
    text = "[" + ("," + space).join(items) + "]" + draw(st.sampled_from(["", " ", "x", ",", "]"]))
    return text.encode()


@settings(max_examples=600, deadline=None)
@given(bodies())
def test_agrees_with_read_json_whenever_it_decides(body: bytes) -> None:
    methods = read_batch_methods(body)
    if methods is None:
        return
    value = read_json(body)  # must not raise: the fast reading said the body is valid
    assert isinstance(value, list)
    expected = []
    for item in value:
        method = item.get("method") if isinstance(item, JsonObject) else None
        expected.append(method if isinstance(method, str) else None)
    assert methods == expected


def test_decides_the_common_batch_and_refuses_the_tricky_ones() -> None:
    plain = b'[{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":[1]},{"method":"getblockcount","id":2}]'
    assert read_batch_methods(plain) == ["getblockhash", "getblockcount"]
    assert read_batch_methods(b'[{"method":"a","method":"b","id":1}]') is None  # duplicate: UniValue keeps "a"
    assert read_batch_methods(b'[{"m\\u0065thod":"a"}]') is None
    assert read_batch_methods(b'[{"method":"a"}] x') is None
    assert read_batch_methods(b'{"method":"a"}') is None
    assert read_batch_methods(b"[NaN]") is None
    for bad in (b"[1,]", b"[{]"):
        assert read_batch_methods(bad) is None
        try:
            read_json(bad)
        except JsonParseError:
            pass
        else:
            raise AssertionError(bad)
