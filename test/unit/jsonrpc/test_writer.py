"""jsonrpc/writer.py: UniValue's compact writer (compat spec §5; §6 cases 71-77)."""

from __future__ import annotations

from enum import IntEnum

import pytest

from bitcoin_rpc_mp.jsonrpc.reader import JsonNumber, JsonObject, read_json
from bitcoin_rpc_mp.jsonrpc.writer import quote_string, write_json, write_json_reference


def both(value: object) -> bytes:
    fast = write_json(value)
    assert fast == write_json_reference(value)
    return fast


def univalue_escape_table() -> dict[int, bytes]:
    """The table of compat spec §5, spelled out byte by byte."""
    table = {code: b"\\u%04x" % code for code in range(0x20)}
    table.update({0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0C: b"\\f", 0x0D: b"\\r"})
    table.update({0x22: b'\\"', 0x5C: b"\\\\", 0x7F: b"\\u007f"})
    return table


@pytest.mark.parametrize("code", range(0x80))
def test_every_ascii_character_is_escaped_as_univalue_does(code: int) -> None:
    expected = univalue_escape_table().get(code, bytes([code]))
    assert both(chr(code)) == b'"' + expected + b'"'
    assert both("a" + chr(code) + "b") == b'"a' + expected + b'b"'


def test_escape_examples() -> None:
    assert both("\x00\x1f") == b'"\\u0000\\u001f"'
    assert both("\x0b") == b'"\\u000b"'  # lowercase hex, no \v
    assert both("/") == b'"/"'
    assert both("\x7f") == b'"\\u007f"'


def test_non_ascii_is_written_raw() -> None:
    assert both("\u0080\u00e9\u20ac\U0001f600") == b'"\xc2\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"'


def test_case_71_echo_escapes() -> None:
    body = (
        b'{"method":"echo","params":["\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\"\\\\/\\u007f\\u0080\\u00e9'
        b'\\u20ac\\ud83d\\ude00"],"id":1}'
    )
    request = read_json(body)
    assert isinstance(request, JsonObject)
    assert both(request.get("params")) == (
        b'["\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\"\\\\/\\u007f\xc2\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"]'
    )


def test_case_76_id_string_escape() -> None:
    request = read_json(b'{"method":"getblockcount","id":"a\\"/\\u00e9"}')
    assert isinstance(request, JsonObject)
    assert both(request.get("id")) == b'"a\\"/\xc3\xa9"'


def test_case_73_numbers_verbatim() -> None:
    params = read_json(b"[1.50,-0,1e3,1E+3,0.0,-1.25e-10,12345678901234567890123]")
    assert both(params) == b"[1.50,-0,1e3,1E+3,0.0,-1.25e-10,12345678901234567890123]"


def test_case_75_and_77_structure_compaction() -> None:
    assert both(read_json(b'{"a":[1,true,null]}')) == b'{"a":[1,true,null]}'
    value = read_json(b'[ { "a" : 1 , "b" : [ ] } , { } ]')
    assert both(value) == b'[{"a":1,"b":[]},{}]'


def test_duplicate_keys_are_written_as_stored() -> None:
    obj = JsonObject([("a", JsonNumber("1")), ("b", [JsonObject([("x", "\x7f"), ("x", None)])]), ("a", "z")])
    assert both(obj) == b'{"a":1,"b":[{"x":"\\u007f","x":null}],"a":"z"}'
    assert both([obj, {"k": obj}]) == b"[" + both(obj) + b',{"k":' + both(obj) + b"}]"


def test_python_values() -> None:
    class Code(IntEnum):
        X = -32600

    assert both(None) == b"null"
    assert both(True) == b"true"
    assert both(False) == b"false"
    assert both(0) == b"0"
    assert both(-(2**63)) == b"-9223372036854775808"
    assert both(2**64) == b"18446744073709551616"  # beyond orjson: the reference writer takes it
    assert both(-(2**200)) == b"-" + str(2**200).encode()
    assert both(Code.X) == b"-32600"
    assert both({"b": 1, "a": [1, "x", (True, None)]}) == b'{"b":1,"a":[1,"x",[true,null]]}'
    assert both(JsonNumber("5500.00000000")) == b"5500.00000000"
    assert both([]) == b"[]" and both({}) == b"{}" and both(JsonObject()) == b"{}"


def test_surrogate_escaped_bytes_are_written_raw() -> None:
    text = b"\xf7\xbf\xbf\xbf".decode("utf-8", "surrogateescape")
    assert both(text) == b'"\xf7\xbf\xbf\xbf"'
    assert both({"k": [text, "\x7f"]}) == b'{"k":["\xf7\xbf\xbf\xbf","\\u007f"]}'


def test_deep_values_are_written() -> None:
    deep: list[object] = []
    for _ in range(600):
        deep = [deep]
    assert both(deep) == b"[" * 601 + b"]" * 601


@pytest.mark.parametrize("bad", [object(), {1: 2}, {"a": {(1,): 2}}, [b"bytes"], {"s": {1, 2}}])
def test_unsupported_values_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        write_json(bad)
    with pytest.raises(TypeError):
        write_json_reference(bad)


def test_quote_string_is_text() -> None:
    assert quote_string('a"b') == '"a\\"b"'
