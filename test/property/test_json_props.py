"""Properties of the UniValue-faithful JSON reader and writer (jsonrpc/reader.py, jsonrpc/writer.py).

Invariants:
* reading raises nothing but JsonParseError, whatever the bytes, and the fast path (stdlib json scanner) and
  the reference parser always agree: same value, same spans, or both reject;
* write(read(x)) is the canonical compact form of x, and reading it back gives the same value;
* on JSON without duplicate keys or number-text and UTF-8 peculiarities, the reader agrees with Python's
  json module (both ways: same acceptance, same values);
* string bodies are read exactly as an independent byte-by-byte model of UniValue's tokenizer and
  JSONUTF8StringFilter says;
* spans of a top-level array slice back to text that reads as the same element;
* the orjson fast path of the writer gives the reference writer's bytes.
"""

from __future__ import annotations

import json
import math
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitcoin_rpc_mp.jsonrpc.reader import (
    JsonNumber,
    JsonObject,
    JsonParseError,
    JsonValue,
    _read_fast,
    _read_reference,
    read_json,
    read_json_spans,
)
from bitcoin_rpc_mp.jsonrpc.writer import write_json, write_json_reference

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -------------------------------------------------------------------------------------------
def number_texts() -> st.SearchStrategy[str]:
    int_part = st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,25}", fullmatch=True))
    frac = st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,8}", fullmatch=True))
    exp = st.one_of(st.just(""), st.from_regex(r"[eE][-+]?[0-9]{1,3}", fullmatch=True))
    return st.builds(lambda s, i, f, e: s + i + f + e, st.sampled_from(["", "-"]), int_part, frac, exp)


# Text without surrogates, rich in characters the escaper treats specially.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list('"\\/\b\f\n\r\t\x00\x01\x1f\x7f\x80\u00e9\u20ac\U0001f600 aZ')),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=12,
)
keys = st.one_of(st.sampled_from(["a", "b", "id", "method"]), texts)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[JsonValue]:
    scalars = st.one_of(st.none(), st.booleans(), number_texts().map(JsonNumber), texts)
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.lists(st.tuples(keys, children), max_size=5).map(JsonObject),
        ),
        max_leaves=max_leaves,
    )


WHITESPACE = st.text(alphabet=" \t\n\r", max_size=2)


@st.composite
def spelled(draw: st.DrawFn, value: JsonValue) -> bytes:
    """Some JSON spelling of `value`: random whitespace, random escapes (\\u in either case, \\/)."""
    ws = lambda: draw(WHITESPACE).encode()  # noqa: E731
    if isinstance(value, list):
        inner = b",".join(ws() + draw(spelled(item)) + ws() for item in value)
        return b"[" + (inner or ws()) + b"]"
    if isinstance(value, JsonObject):
        members = [
            ws() + draw(spelled(key)) + ws() + b":" + ws() + draw(spelled(item)) + ws()
            for key, item in value.items()
        ]
        return b"{" + (b",".join(members) or ws()) + b"}"
    if isinstance(value, str):
        out = bytearray(b'"')
        for char in value:
            code = ord(char)
            how = draw(st.integers(0, 3))
            if char in '"\\' or code < 0x20 or (how == 0 and not or_quirk(code)):
                if code > 0xFFFF:
                    high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
                    escaped = f"\\u{high:04x}\\u{low:04x}"
                else:
                    escaped = f"\\u{code:04x}"
                out += (escaped.upper().replace("\\U", "\\u") if how == 1 else escaped).encode()
            elif char == "/" and how == 2:
                out += b"\\/"
            else:
                out += char.encode("utf-8")
        return bytes(out + b'"')
    return write_json(value)


def or_quirk(code: int) -> bool:
    """Whether UniValue combines this character's UTF-16 surrogate pair into a different code point
    (it ORs 0x10000 in instead of adding it; see reader.py)."""
    return code > 0xFFFF and bool((code - 0x10000) & 0x10000)


def typed(value: JsonValue) -> object:
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, JsonObject):
        return ("object", [(k, typed(v)) for k, v in value.items()])
    return (type(value).__name__, value)


def read_outcome(data: bytes, spans: bool) -> object:
    try:
        value, found = _read_reference(data, spans)
    except JsonParseError:
        return "rejected"
    return (typed(value), found)


def check_paths_agree(data: bytes) -> None:
    """The public readers raise only JsonParseError and agree with the reference parser."""
    for spans in (False, True):
        expected = read_outcome(data, spans)
        try:
            if spans:
                value, found = read_json_spans(data)
            else:
                value, found = read_json(data), None
        except JsonParseError:
            assert expected == "rejected"
            continue
        assert expected == (typed(value), found)
    fast = _read_fast(data, True)
    if fast is not None:
        assert read_outcome(data, True) == (typed(fast[0]), fast[1])


# -- reading arbitrary bytes ------------------------------------------------------------------------------
INTERESTING = [
    *b'{}[],:"\\-0123456789.eE+ \t\n\rtruefalsenull/bfnrtu',
    *(0, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF7, 0xF8, 0xFF),
]


@FAST
@given(st.one_of(st.binary(max_size=40), st.lists(st.sampled_from(INTERESTING), max_size=40).map(bytes)))
def test_arbitrary_bytes(data: bytes) -> None:
    check_paths_agree(data)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(json_values().flatmap(spelled)))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.integers(0, 2))
        byte = draw(st.sampled_from(INTERESTING))
        if action == 0:
            data.insert(pos, byte)
        elif pos < len(data):
            if action == 1:
                del data[pos]
            else:
                data[pos] = byte
    return bytes(data)


@FAST
@given(mutated())
def test_mutated_json(data: bytes) -> None:
    check_paths_agree(data)


# -- round trips ------------------------------------------------------------------------------------------
@FAST
@given(json_values().flatmap(lambda v: st.tuples(st.just(v), spelled(v))))
def test_write_of_read_is_the_canonical_compact_form(pair: tuple[JsonValue, bytes]) -> None:
    value, text = pair
    canonical = write_json(value)
    read = read_json(text)
    assert typed(read) == typed(value)
    assert write_json(read) == canonical
    assert typed(read_json(canonical)) == typed(value)
    check_paths_agree(text)


@FAST
@given(st.lists(json_values(8), max_size=6).flatmap(lambda items: st.tuples(st.just(items), spelled(items))))
def test_spans_slice_back_to_the_same_element(pair: tuple[list[JsonValue], bytes]) -> None:
    items, text = pair
    value, spans = read_json_spans(text)
    assert isinstance(value, list) and spans is not None and len(spans) == len(items)
    for item, (start, end) in zip(items, spans, strict=True):
        assert typed(read_json(text[start:end])) == typed(item)


# -- against Python's json module -------------------------------------------------------------------------
def to_python(value: JsonValue) -> object:
    if isinstance(value, JsonNumber):
        return json.loads(value.text)
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, JsonObject):
        return {k: to_python(v) for k, v in value.items()}
    return value


# json.dumps(ensure_ascii=True) spells non-BMP characters as surrogate pairs: leave out those UniValue combines
# differently (its OR quirk), which the quirk tables of test_reader.py cover.
plain_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)).filter(lambda c: not or_quirk(ord(c))), max_size=10
)
plain_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        plain_texts,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(plain_texts, children, max_size=4)
    ),
    max_leaves=15,
)


@FAST
@given(plain_values, st.booleans(), st.sampled_from([None, 1]))
def test_agrees_with_python_json_on_plain_json(value: object, ensure_ascii: bool, indent: int | None) -> None:
    data = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent).encode()
    ours = to_python(read_json(data))
    theirs = json.loads(data)
    assert ours == theirs or (isinstance(theirs, float) and math.isnan(theirs))


def python_json_accepts(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"), parse_constant=lambda name: 1 / 0)
    except (ValueError, ZeroDivisionError, RecursionError):
        return False
    return True


@FAST
@given(mutated())
def test_acceptance_matches_python_json_where_univalue_has_no_quirk(data: bytes) -> None:
    # Inputs outside UniValue's quirks: strict UTF-8, no surrogate escapes, not a bare '-'.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    if b"\\u" in data.lower() or data.strip(b" \t\r\n") == b"-":
        return
    try:
        ours: JsonValue | str = read_json(data)
    except JsonParseError:
        ours = "rejected"
    if python_json_accepts(data):
        assert ours != "rejected"
        pairs_hook_value = json.loads(
            data, object_pairs_hook=lambda pairs: ("obj", pairs), parse_float=str, parse_int=str
        )
        assert normalise_pairs(ours) == pairs_hook_value
    else:
        assert ours == "rejected"


def normalise_pairs(value: object) -> object:
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, list):
        return [normalise_pairs(v) for v in value]
    if isinstance(value, JsonObject):
        return ("obj", [(k, normalise_pairs(v)) for k, v in value.items()])
    return value


# -- string bodies against an independent model of UniValue's tokenizer and UTF-8 filter ------------------
class _FilterModel:
    """JSONUTF8StringFilter, byte by byte, with its sticky is_valid flag (no early exits)."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.valid = True
        self.state = 0
        self.codepoint = 0
        self.surpair = 0

    def push_back(self, ch: int) -> None:
        if self.state == 0:
            if ch < 0x80:
                self.out.append(ch)
            elif ch < 0xC0:
                self.valid = False
            elif ch < 0xE0:
                self.codepoint, self.state = (ch & 0x1F) << 6, 6
            elif ch < 0xF0:
                self.codepoint, self.state = (ch & 0x0F) << 12, 12
            elif ch < 0xF8:
                self.codepoint, self.state = (ch & 0x07) << 18, 18
            else:
                self.valid = False
        else:
            if (ch & 0xC0) != 0x80:
                self.valid = False
            self.state -= 6
            self.codepoint |= (ch & 0x3F) << self.state
            if self.state == 0:
                self.push_back_u(self.codepoint)

    def push_back_u(self, cp: int) -> None:
        if self.state:
            self.valid = False
        if 0xD800 <= cp < 0xDC00:
            if self.surpair:
                self.valid = False
            else:
                self.surpair = cp
        elif 0xDC00 <= cp < 0xE000:
            if self.surpair:
                self.append(0x10000 | ((self.surpair - 0xD800) << 10) | (cp - 0xDC00))
                self.surpair = 0
            else:
                self.valid = False
        elif self.surpair:
            self.valid = False
        else:
            self.append(cp)

    def append(self, cp: int) -> None:
        if cp <= 0x7F:
            self.out.append(cp)
        elif cp <= 0x7FF:
            self.out += bytes([0xC0 | cp >> 6, 0x80 | cp & 0x3F])
        elif cp <= 0xFFFF:
            self.out += bytes([0xE0 | cp >> 12, 0x80 | (cp >> 6) & 0x3F, 0x80 | cp & 0x3F])
        elif cp <= 0x1FFFFF:
            self.out += bytes(
                [0xF0 | cp >> 18, 0x80 | (cp >> 12) & 0x3F, 0x80 | (cp >> 6) & 0x3F, 0x80 | cp & 0x3F]
            )


_SIMPLE = {ord('"'): 0x22, ord("\\"): 0x5C, ord("/"): 0x2F, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9}  # fmt: skip


def model_read_string(data: bytes) -> bytes | None:
    """What UniValue stores for input that is one string token (plus whitespace), or None if it fails."""
    end = len(data)
    i = 1
    model = _FilterModel()
    while True:
        if i >= end or data[i] < 0x20:
            return None
        ch = data[i]
        if ch == 0x5C:
            i += 1
            if i >= end:
                return None
            esc = data[i]
            if esc in _SIMPLE:
                model.push_back(_SIMPLE[esc])
            elif esc == ord("u"):
                digits = data[i + 1 : i + 5]
                if (
                    i + 1 + 4 >= end
                    or len(digits) != 4
                    or any(d not in string.hexdigits.encode() for d in digits)
                ):
                    return None
                model.push_back_u(int(digits, 16))
                i += 4
            else:
                return None
            i += 1
        elif ch == 0x22:
            i += 1
            break
        else:
            model.push_back(ch)
            i += 1
    if model.state or model.surpair:
        model.valid = False
    if not model.valid or data[i:].strip(b" \t\n\r"):
        return None
    return bytes(model.out)


STRING_PIECES = [
    b"a", b" ", b"\\n", b"\\/", b"\\\\", b'\\"', b"\\x", b"\\u", b"\\u0041", b"\\u00e9", b"\\ud83d", b"\\uDE00",
    b"\\udc00", b"\\uD800", b"\\u0000", b"\xc3\xa9", b"\xc3", b"\xa9", b"\xe2\x82\xac", b"\xed\xa0\xbd",
    b"\xed\xb8\x80", b"\xf0\x9f\x98\x80", b"\xf4\x90\x80\x80", b"\xf7\xbf\xbf\xbf", b"\xf8", b"\xff", b"\xc0\x80",
    b"\x7f", b"\x01", b'"',
]  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(STRING_PIECES), max_size=8).map(b"".join))
def test_strings_match_the_univalue_model(body: bytes) -> None:
    data = b'"' + body + b'"'
    expected = model_read_string(data)
    try:
        value = read_json(data)
    except JsonParseError:
        assert expected is None
        return
    assert expected is not None
    assert isinstance(value, str)
    assert value.encode("utf-8", "surrogateescape") == expected
    assert typed(_read_reference(data, False)[0]) == typed(value)


# -- writer -----------------------------------------------------------------------------------------------
writable = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        number_texts().map(JsonNumber),
        texts,
        st.binary(max_size=6).map(lambda b: b.decode("utf-8", "surrogateescape")),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
        st.lists(st.tuples(keys, children), max_size=4).map(JsonObject),
    ),
    max_leaves=20,
)


@FAST
@given(writable)
def test_writer_fast_path_matches_reference(value: object) -> None:
    assert write_json(value) == write_json_reference(value)


@FAST
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_written_strings_escape_per_byte_as_univalue(text: str) -> None:
    table = {code: b"\\u%04x" % code for code in range(0x20)}
    table.update(
        {
            8: b"\\b",
            9: b"\\t",
            10: b"\\n",
            12: b"\\f",
            13: b"\\r",
            0x22: b'\\"',
            0x5C: b"\\\\",
            0x7F: b"\\u007f",
        }
    )
    expected = b'"' + b"".join(table.get(byte, bytes([byte])) for byte in text.encode("utf-8")) + b'"'
    assert write_json(text) == expected
