"""jsonrpc/reader.py: UniValue's reader, accept/reject tables (compat spec §5, §7 item 5, §6 cases 27-31, 78-92)
and the quirks read off univalue_read.cpp / univalue_utffilter.h.

Every table row runs through both the public entry points (fast path first) and the reference parser, so a
row fails if either implementation disagrees with UniValue.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
import compat_cases as cc

from bitcoin_rpc_mp.jsonrpc.reader import (
    MAX_JSON_DEPTH,
    JsonNumber,
    JsonObject,
    JsonParseError,
    JsonValue,
    _nesting_exceeds,
    _read_fast,
    _read_reference,
    read_json,
    read_json_spans,
)
from bitcoin_rpc_mp.jsonrpc.writer import write_json


def read_both(data: bytes) -> JsonValue:
    """read_json, after checking that the reference parser gives the identical value (and type)."""
    value = read_json(data)
    reference, _ = _read_reference(data, False)
    # The writer's output tells every value apart (1 vs "1" vs true, [] vs {}) and copes with 512 levels.
    assert write_json(value) == write_json(reference)
    return value


def typed(value: JsonValue) -> object:
    """A comparable form that keeps types apart (True vs 1 vs "1")."""
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, JsonObject):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    return (type(value).__name__, value)


def rejected_by_both(data: bytes) -> None:
    with pytest.raises(JsonParseError):
        read_json(data)
    with pytest.raises(JsonParseError):
        read_json_spans(data)
    with pytest.raises(JsonParseError):
        _read_reference(data, True)
    assert _read_fast(data, False) is None


def nested(depth: int, inner: bytes = b"") -> bytes:
    return b"[" * depth + inner + b"]" * depth


# -- values that read, and what they read as --------------------------------------------------------------
ACCEPTED: list[tuple[bytes, JsonValue]] = [
    (b"{}", JsonObject()),
    (b"[]", []),
    (b" \t\r\n{} \t\r\n", JsonObject()),
    (b'{ "a" : [ 1 , { } ] }', JsonObject([("a", [JsonNumber("1"), JsonObject()])])),
    (b"0", JsonNumber("0")),
    (b"-0", JsonNumber("-0")),
    (b"1.50", JsonNumber("1.50")),
    (b"1E+3", JsonNumber("1E+3")),
    (b"1e3", JsonNumber("1e3")),
    (b"-1.25e-10", JsonNumber("-1.25e-10")),
    (b"1e05", JsonNumber("1e05")),
    (b"12345678901234567890123", JsonNumber("12345678901234567890123")),
    (b"0.0", JsonNumber("0.0")),
    (b'"x"', "x"),
    (b"true", True),
    (b"false", False),
    (b"null", None),
    (b'"\\/"', "/"),
    (b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\/\b\f\n\r\t'),
    (b'"\\u00C9"', "\u00c9"),  # §6 case 92: upper-case hex
    (b'"\\u00e9"', "\u00e9"),
    (b'"\\u0000"', "\x00"),  # NUL is kept
    (b'"\\ud83d\\ude00"', "\U0001f600"),  # surrogate pair combined
    (b'"\\uD83D\\uDE00"', "\U0001f600"),
    (b'"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"', "\u00e9\u20ac\U0001f600"),  # raw UTF-8
    (b'"\x7f"', "\x7f"),  # DEL is not a control character for the reader
    (b'"a\\"/\\u00e9"', 'a"/\u00e9'),  # §6 case 76
    # A lone '-' that ends the input is a number for UniValue's lexer (§7 item 5: a body of just '-' parses).
    (b"-", JsonNumber("-")),
    (b" \n-", JsonNumber("-")),
    # Duplicate keys are kept, in order.
    (b'{"a":1,"a":2}', JsonObject([("a", JsonNumber("1")), ("a", JsonNumber("2"))])),
]

# UniValue's UTF-8 filter (univalue_utffilter.h) is looser than strict UTF-8; these are read, and normalised.
FILTER_QUIRKS: list[tuple[bytes, JsonValue]] = [
    (b'"\xc0\x80"', "\x00"),  # overlong NUL → NUL
    (b'"\xc1\xbf"', "\x7f"),  # overlong DEL
    (b'"\xe0\x80\x80"', "\x00"),  # 3-byte overlong
    (b'"\xf0\x80\x80\x80"', "\x00"),  # 4-byte overlong
    (b'"\xe0\x81\x81"', "A"),
    (b'"\xed\xa0\xbd\xed\xb8\x80"', "\U0001f600"),  # CESU-8: UTF-8-encoded surrogates pair up
    (b'"\\ud83d\xed\xb8\x80"', "\U0001f600"),  # escaped high + UTF-8-encoded low
    (b'"\xed\xa0\xbd\\ude00"', "\U0001f600"),  # UTF-8-encoded high + escaped low
    (b'"\\ud800a\\udc00"', "a\U00010000"),  # ASCII between the halves does not break the pair
    (b'"\\ud83d\\n\\ude00"', "\n\U0001f600"),  # nor does a short escape
    (b'"\\ud83dxy\\/\\ude00z"', "xy/\U0001f600z"),
    # The pair is combined as 0x10000 | hi << 10 | lo: where bit 16 of the offset is set, UTF-16's +0x10000
    # is lost. U+20000 spelled as a pair reads as U+10000; U+2A6D6 as U+1A6D6.
    (b'"\\ud840\\udc00"', "\U00010000"),
    (b'"\\ud869\\uded6"', "\U0001a6d6"),
    (b'"\\udbff\\udfff"', "\U000fffff"),
    (b'"\xed\xa1\x80\xed\xb0\x80"', "\U00010000"),  # the same through CESU-8
    (b'"\xf0\xa0\x80\x80"', "\U00020000"),  # raw UTF-8 of U+20000 is of course read as U+20000
]

# Code points above U+10FFFF (4-byte leads up to F7) are accepted; Python str cannot hold them, so they come
# out as surrogate-escaped bytes and write back unchanged.
ABOVE_UNICODE: list[bytes] = [b'"\xf4\x90\x80\x80"', b'"\xf7\xbf\xbf\xbf"', b'"a\xf5\x80\x80\x80b"']


@pytest.mark.parametrize(("data", "expected"), ACCEPTED + FILTER_QUIRKS, ids=repr)
def test_accepted(data: bytes, expected: JsonValue) -> None:
    assert typed(read_both(data)) == typed(expected)


@pytest.mark.parametrize("data", ABOVE_UNICODE, ids=repr)
def test_code_points_above_unicode_survive_a_round_trip(data: bytes) -> None:
    value = read_both(data)
    assert isinstance(value, str)
    assert write_json(value) == data


def test_overlong_forms_are_written_back_canonically() -> None:
    assert write_json(read_json(b'["\xc0\x80","\xe0\x81\x81"]')) == b'["\\u0000","A"]'


REJECTED: list[bytes] = [
    b"",
    b" \t\r\n",
    b"{",
    b"[",
    b"}",
    b"]",
    b",",
    b":",
    b"[1]]",
    b"{}x",  # §6 case 79
    b"{}{}",  # §6 case 80
    b"1 2",
    b"[1,]",
    b'{"a":1,}',  # §6 case 83
    b"[,1]",
    b"[1,,2]",
    b"{,}",
    b"{'method':'x'}",  # §6 case 84
    b'{"a"}',
    b'{"a" 1}',
    b'{"a"::1}',
    b"{1:2}",
    b"[1 2]",
    b"[1:2]",
    b'{"a":1 "b":2}',
    b"[[]1]",
    b"01",  # §6 case 82
    b"-01",
    b"00",
    b"1.",
    b".5",
    b"1e",
    b"1e+",
    b"1.e3",
    b"+1",
    b"0x10",
    b"NaN",  # §6 case 78
    b"Infinity",
    b"-Infinity",
    b"nul",
    b"tru",
    b"True",
    b"nulll",
    b"truefalse",
    # '-' is a number only as the very last byte of the input
    b"-a",
    b"--",
    b"- ",
    b"-\n",
    b"[-]",
    b"[-",
    b'{"a":-}',
    # whitespace is space, TAB, LF, CR only
    b"\x0c{}",
    b"\x0b{}",
    b"\xc2\xa0{}",
    b"{}\x00",
    b"\x00",
    b"\xef\xbb\xbf{}",  # a UTF-8 BOM is not whitespace
    # strings
    b'"abc',
    b'"\x01"',  # §6 case 87
    b'"\x1f"',
    b'"\t"',
    b'"\n"',
    b'"\\x"',  # §6 case 88
    b'"\\\'"',
    b'"\\U0041"',
    b'"\\u12"',
    b'"\\u12G4"',
    b'"\\u"',
    b'"\\',
    b'"\\\x01"',
    # UTF-8 the filter refuses
    b'"\xff"',  # §6 case 85
    b'"\xf8\x88\x80\x80\x80"',
    b'"\x80"',
    b'"\xbf"',
    b'"\xc3"',
    b'"\xc3a"',
    b'"\xe2\x82"',
    b'"\xe2\x82a"',
    b'"\xf0\x9f\x98"',
    b'"\xc3\\n"',  # an escape inside a multi-byte sequence
    b'"\xc3\\u00e9"',
    b'"\xc3\xc3"',
    b"\xc3\xa9",  # non-ASCII outside a string
    # surrogates that do not pair up
    b'"\\ud800"',  # §6 case 86
    b'"\\udc00"',
    b'"\\udc00\\ud800"',
    b'"\\ud800\\ud800\\udc00"',
    b'"\\ud800\\u0041\\udc00"',  # a \u-escaped non-surrogate breaks the pair
    b'"\\ud800\xc3\xa9\\udc00"',  # so does a raw multi-byte character
    b'"\xed\xa0\x80"',  # lone UTF-8-encoded high surrogate
    b'"\xed\xb0\x80"',  # lone UTF-8-encoded low surrogate
    b'"\\ud800a"',
    b'{"\\ud800":1}',  # keys go through the same filter
]


@pytest.mark.parametrize("data", REJECTED, ids=repr)
def test_rejected(data: bytes) -> None:
    rejected_by_both(data)


# -- nesting ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("opener", [b"[", b"{"])
def test_depth_512_reads_and_513_fails(opener: bytes) -> None:
    def build(depth: int) -> bytes:
        if opener == b"[":
            return nested(depth)
        return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)

    value = read_both(build(MAX_JSON_DEPTH))
    assert write_json(value) == build(MAX_JSON_DEPTH)
    rejected_by_both(build(MAX_JSON_DEPTH + 1))


def test_depth_counts_every_open_container_including_empty_ones() -> None:
    rejected_by_both(nested(MAX_JSON_DEPTH, b"[]"))
    read_both(nested(MAX_JSON_DEPTH - 1, b"[]"))
    read_both(nested(MAX_JSON_DEPTH, b"1"))


def test_a_wide_document_is_not_mistaken_for_a_deep_one() -> None:
    wide = b"[" + b",".join([b'{"a":[[1]],"b":"[[[[{{{{"}'] * 600) + b"]"
    assert _read_fast(wide, True) is not None
    assert len(read_both(wide)) == 600  # type: ignore[arg-type]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    deep_text = b'["' + b"[" * 600 + b'"]'
    assert read_both(deep_text) == ["[" * 600]


def test_spec_cases_90_and_91_bodies() -> None:
    # The captured bodies: 511 arrays inside the request object (512 levels) read; one more fails.
    ok = b'{"method":"echo","params":' + nested(511) + b',"id":1}'
    too_deep = b'{"method":"echo","params":' + nested(512) + b',"id":1}'
    assert len(ok) == 1056 and len(too_deep) == 1058  # Content-Length of §6 cases 90 and 91
    read_both(ok)
    rejected_by_both(too_deep)


# -- the captured §6 cases --------------------------------------------------------------------------------
def _jsonrpc_cases() -> list[tuple[int, bytes, bool]]:
    """(case number, body, whether bitcoind read the body) for every §6 case answered by the JSON-RPC layer."""
    found = []
    for case in cc.load_spec_cases():
        head, _, body = case.request.partition(b"\r\n\r\n")
        if b"Transfer-Encoding" in head or not head.startswith(b"POST /"):
            continue
        if b"application/json" not in case.response_head and case.status != 204:
            continue
        parse_error = b'"message":"Parse error"' in case.response_body
        found.append((case.number, body, not parse_error))
    return found


JSONRPC_CASES = _jsonrpc_cases()


def test_the_case_table_covers_the_parse_error_cases() -> None:
    numbers = {number for number, _, readable in JSONRPC_CASES if not readable}
    assert {27, 28, 70, 78, 79, 80, 82, 83, 84, 85, 86, 87, 88, 91} <= numbers


@pytest.mark.parametrize(
    ("number", "body", "readable"), JSONRPC_CASES, ids=[f"case{c[0]}" for c in JSONRPC_CASES]
)
def test_spec_case_bodies_read_exactly_when_bitcoind_read_them(
    number: int, body: bytes, readable: bool
) -> None:
    if readable:
        read_both(body)
    else:
        rejected_by_both(body)


def test_top_level_scalars_read() -> None:
    # §6 cases 29-31: they read, and the RPC layer then answers "Top-level object parse error".
    assert read_both(b"1") == JsonNumber("1")
    assert read_both(b'"x"') == "x"
    assert read_both(b"null") is None


def test_duplicate_keys_first_wins() -> None:
    # §6 case 89
    value = read_both(b'{"method":"getblockcount","method":"nosuch","id":1,"id":2}')
    assert isinstance(value, JsonObject)
    assert value.get("method") == "getblockcount"
    assert value.get("id") == JsonNumber("1")
    assert value.keys() == ["method", "method", "id", "id"]
    assert write_json(value) == b'{"method":"getblockcount","method":"nosuch","id":1,"id":2}'


@pytest.mark.parametrize("size", [1, 2, 7, 8, 9, 20])
def test_first_occurrence_wins_for_small_and_large_objects(size: int) -> None:
    """`get` looks along small objects and indexes large ones; both must see the first occurrence, also after
    `append` and after a lookup of another key has built the index."""
    pairs = [(f"k{i}", JsonNumber(str(i))) for i in range(size)]
    obj = JsonObject([*pairs, ("k0", "late"), (f"k{size - 1}", "late")])
    assert obj.get("k0") == JsonNumber("0")
    assert obj.get(f"k{size - 1}") == JsonNumber(str(size - 1))
    assert obj.get("absent") is None and obj.get("absent", "d") == "d"
    obj.append("new", True)
    obj.append("new", False)
    assert obj.get("new") is True
    assert obj.has("k0") and "new" in obj and obj["k0"] == JsonNumber("0")


# -- spans ------------------------------------------------------------------------------------------------
SPAN_INPUTS = [
    b"[]",
    b" [ ] ",
    b"[1]",
    b'[{"method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"x"}]',
    b' [ 1 ,\t"a" ,\n[ [ ] ] , { "k" : [ 1 , 2 ] } ,null,true,false , -0.5e3 ] ',
    b'["\xc3\xa9", {"\xe2\x82\xac":"\xf0\x9f\x98\x80"}, "x"]',
    b'["\\u00e9", "\\ud83d\\ude00", 1]',  # surrogate escapes take the reference path
    b'["\xc0\x80", 2]',  # so does UTF-8 that only the filter accepts
    b'[{"a":"]"}, "[", "\\"]"]',
]


@pytest.mark.parametrize("data", SPAN_INPUTS, ids=repr)
def test_spans_slice_back_to_each_element(data: bytes) -> None:
    value, spans = read_json_spans(data)
    ref_value, ref_spans = _read_reference(data, True)
    assert spans == ref_spans
    assert typed(value) == typed(ref_value)
    assert isinstance(value, list) and spans is not None
    assert len(spans) == len(value)
    for item, (start, end) in zip(value, spans, strict=True):
        piece = data[start:end]
        assert piece == piece.strip(b" \t\r\n")
        assert typed(read_json(piece)) == typed(item)


def test_spans_of_a_batch_with_known_offsets() -> None:
    data = b'[ {"id":1} ,2,"x"]'
    assert read_json_spans(data)[1] == [(2, 10), (12, 13), (14, 17)]


@pytest.mark.parametrize("data", [b"{}", b"1", b'"x"', b"null", b"-"])
def test_no_spans_for_other_top_level_values(data: bytes) -> None:
    assert read_json_spans(data)[1] is None
    assert _read_reference(data, True)[1] is None


def test_spans_are_not_computed_when_not_asked_for() -> None:
    assert _read_reference(b"[1,2]", False)[1] is None


# -- the value classes ------------------------------------------------------------------------------------
def test_json_number_is_immutable_and_compares_by_text() -> None:
    number = JsonNumber("1.50")
    assert number.text == "1.50"
    assert number == JsonNumber("1.50")
    assert number != JsonNumber("1.5")
    assert number != "1.50"
    assert hash(number) == hash(JsonNumber("1.50"))
    assert str(number) == "1.50"
    assert JsonNumber.from_int(-7) == JsonNumber("-7")
    with pytest.raises(AttributeError):
        number.text = "2"  # type: ignore[misc]
    assert not isinstance(number, str)  # a number is never mistaken for a string by isinstance checks


def test_json_object_keeps_pairs_and_looks_up_the_first() -> None:
    obj = JsonObject([("a", JsonNumber("1")), ("b", None), ("a", "second")])
    assert obj.get("a") == JsonNumber("1")
    assert obj["a"] == JsonNumber("1")
    assert obj.get("b") is None
    assert obj.has("b") and "b" in obj
    assert not obj.has("c") and "c" not in obj
    assert obj.get("c", "dflt") == "dflt"
    assert obj.items() == [("a", JsonNumber("1")), ("b", None), ("a", "second")]
    assert list(obj) == ["a", "b", "a"]
    assert obj.values() == [JsonNumber("1"), None, "second"]
    assert len(obj) == 3 and obj.duplicate_keys()
    obj.append("c", True)
    obj.append("a", "third")
    assert obj.get("c") is True and obj.get("a") == JsonNumber("1")
    assert obj == JsonObject(obj.items())
    assert obj != JsonObject(list(reversed(obj.items())))
    assert not JsonObject() and JsonObject.from_dict({"x": 1}).items() == [("x", 1)]


def naive_depth(data: bytes) -> int:
    """Nesting depth of valid JSON by walking it byte by byte (the test's own model)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


@pytest.mark.parametrize(
    "data",
    [
        b"[" + b",".join([b'{"a":[1],"b":"x"}'] * 300) + b"]",  # wide, no brackets in strings
        b"[" + b",".join([b'{"a":[1],"b":"]["}'] * 300) + b"]",  # brackets inside strings
        b"[" + b",".join([b'{"a":[1],"b":"\\"[\\\\"}'] * 300) + b"]",  # escapes
        b'["[","]",' + nested(513) + b"]",
        b'["\\"",' + nested(512) + b"]",
        b'{"x":"' + b"[" * 700 + b'","y":' + nested(500) + b"}",
        nested(300, b'"' + b"]" * 600 + b'"'),
        b'[""' + b',""' * 600 + b"," + nested(511) + b"]",
    ],
)
def test_nesting_check_of_the_fast_path(data: bytes) -> None:
    depth = naive_depth(data)
    assert _nesting_exceeds(data, MAX_JSON_DEPTH) == (depth > MAX_JSON_DEPTH)
    assert _nesting_exceeds(data, depth) is False
    assert _nesting_exceeds(data, depth - 1) is True
    if depth > MAX_JSON_DEPTH:
        rejected_by_both(data)
    else:
        read_both(data)


def test_huge_numbers_keep_their_text() -> None:
    # Numbers are never converted: no int()/float() limits apply (Python refuses int() of > 4300 digits).
    data = b"[" + b"1" * 10000 + b",-" + b"9" * 6000 + b".5e99999]"
    value = read_both(data)
    assert isinstance(value, list) and value[0] == JsonNumber("1" * 10000)
    assert write_json(value) == data
