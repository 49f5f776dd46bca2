"""A JSON reader that accepts and rejects exactly what UniValue's reader does (compat spec §5, §7 item 5).

Owns: the JSON value model of the JSON-RPC layer and the bytes → value step.
Must not import: asyncio, `http`, `ipc`, `handlers` (it is pure: bytes in, values out).

Values: `None`, `bool`, `JsonNumber` (keeps its source text: `1.50`, `-0`, `1E+3` are echoed as sent),
`str`, `list`, `JsonObject` (ordered key/value pairs, duplicates kept, lookups return the first).

Theory of operation
-------------------
UniValue's grammar is standard JSON (whitespace only space/TAB/LF/CR, no NaN, no leading zeros, no trailing
commas), with three differences that matter:

1. Its number lexer accepts a lone ``-`` when it is the very last byte of the input, so a body of just ``-``
   (or whitespace then ``-``) reads as the number ``-``. Anywhere else ``-`` must be followed by a digit.
2. Strings go through ``JSONUTF8StringFilter``, which is not a strict UTF-8 validator: it decodes overlong
   forms (``C0 80`` → U+0000) and re-encodes them canonically, treats UTF-8-encoded surrogates like ``\\u``
   escapes (so a CESU-8 pair becomes one code point), accepts code points up to U+1FFFFF (4-byte leads F5–F7),
   and lets ASCII bytes and short escapes (``\\n``…) sit between a high and a low surrogate without breaking
   the pair (``"\\ud800a\\udc00"`` reads as ``"a\\U00010000"``). It combines a pair as
   ``0x10000 | hi << 10 | lo`` (OR, not +), so ``"\\ud840\\udc00"`` reads as U+10000, not U+20000. It
   rejects stray continuation bytes, leads F8–FF, truncated sequences, and surrogates that do not pair up.
3. Nesting: 512 open arrays/objects are fine, the 513th fails.

Strings are stored as UniValue stores them (bytes) and handed out as `str` decoded with ``surrogateescape``;
only code points above U+10FFFF (which Python cannot hold) come out as escaped bytes, and `writer.write_json`
restores them byte for byte.

Two implementations share the work:

* `_read_reference` is the definition: an iterative parser over bytes that emulates UniValue token by token
  and the UTF-8 filter byte by byte. Every input the fast path cannot vouch for ends up here.
* `_read_fast` runs the C scanner of the stdlib ``json`` module, but only when the answer is provably the
  same: the body decodes as strict UTF-8 (so every raw string run passes UniValue's filter unchanged), holds no
  ``\\u`` escape of a surrogate (the one place the two decoders differ on text json accepts), and nests at most
  512 deep. json's whitespace, number, escape and control-character rules are UniValue's; duplicate keys and
  number text are kept through ``object_pairs_hook`` and ``parse_int``/``parse_float``. Whenever json rejects,
  the reference parser decides (json rejects some inputs UniValue accepts: ``-``, overlong UTF-8, …).
  test/property/test_json_props.py checks both paths agree on arbitrary bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn, TypeAlias, cast

import orjson

MAX_JSON_DEPTH = 512


class JsonParseError(ValueError):
    """The body is not JSON as UniValue reads it (bitcoind answers -32700 `Parse error`)."""


class JsonNumber:
    """A JSON number, kept as its text (UniValue stores numbers as strings and writes them back verbatim)."""

    __slots__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "text", text)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("JsonNumber is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("JsonNumber is immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonNumber):
            return self.text == other.text
        return NotImplemented

    def __hash__(self) -> int:
        return hash((JsonNumber, self.text))

    def __repr__(self) -> str:
        return f"JsonNumber({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[JsonNumber], tuple[str]]:
        return (JsonNumber, (self.text,))

    @classmethod
    def from_int(cls, value: int) -> JsonNumber:
        return cls(int.__repr__(int(value)))


_SCAN_UP_TO = 8  # JsonObject.get looks along at most this many pairs before it builds an index


class JsonObject:
    """A JSON object as UniValue keeps it: ordered (key, value) pairs, duplicates included.

    `get`/`has`/`in` look at the FIRST occurrence of a key (UniValue's find_value); `items()` gives every pair
    in order, which is also what the writer writes.
    """

    __slots__ = ("_first", "_items")

    def __init__(self, items: Iterable[tuple[str, JsonValue]] = ()) -> None:
        # json's object_pairs_hook hands over a fresh list: keep it rather than copy it.
        self._items: list[tuple[str, JsonValue]] = items if type(items) is list else list(items)
        self._first: dict[str, JsonValue] | None = None

    @classmethod
    def from_dict(cls, mapping: dict[str, JsonValue]) -> JsonObject:
        return cls(list(mapping.items()))

    def _index(self) -> dict[str, JsonValue]:
        first = self._first
        if first is None:
            # Later duplicates are inserted first and then overwritten by earlier ones: the first one wins.
            first = self._first = dict(reversed(self._items))
        return first

    def get(self, key: str, default: JsonValue = None) -> JsonValue:
        """The value of the first `key`, or `default` when absent."""
        first = self._first
        if first is None and len(self._items) <= _SCAN_UP_TO:
            # A request object has a handful of members: looking along them is cheaper than building the index,
            # which a batch of a thousand requests would build a thousand times.
            for name, value in self._items:
                if name == key:
                    return value
            return default
        return self._index().get(key, default)

    def has(self, key: str) -> bool:
        return key in self._index()

    def __contains__(self, key: object) -> bool:
        return key in self._index()

    def __getitem__(self, key: str) -> JsonValue:
        return self._index()[key]

    def items(self) -> list[tuple[str, JsonValue]]:
        """Every (key, value) pair in order, duplicates included. Do not mutate the returned list."""
        return self._items

    def keys(self) -> list[str]:
        return [key for key, _ in self._items]

    def values(self) -> list[JsonValue]:
        return [value for _, value in self._items]

    def append(self, key: str, value: JsonValue) -> None:
        """Add a pair at the end (UniValue's pushKVEnd: a duplicate is kept, lookups still see the first)."""
        self._items.append((key, value))
        first = self._first
        if first is not None and key not in first:
            first[key] = value

    def duplicate_keys(self) -> bool:
        return len(self._index()) != len(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[str]:
        """Keys in order, duplicates included (like the key vector of a UniValue object)."""
        return (key for key, _ in self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonObject):
            return self._items == other._items
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonObject({self._items!r})"


JsonValue: TypeAlias = "bool | JsonNumber | str | list[JsonValue] | JsonObject | None"
Spans: TypeAlias = list[tuple[int, int]]


def univalue_type_name(value: JsonValue) -> str:
    """UniValue's uvTypeName of a value, as its type errors print it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, JsonObject | dict):
        return "object"
    return "number"


def read_json(data: bytes) -> JsonValue:
    """Read `data` as UniValue::read does; raise `JsonParseError` where it returns false."""
    result = _read_fast(data, False)
    if result is None:
        result = _read_reference(data, False)
    return result[0]


def read_json_spans(data: bytes) -> tuple[JsonValue, Spans | None]:
    """Like `read_json`; for a top-level array also the (start, end) byte span of each element, so that
    `data[start:end]` is the element's original text. Spans are None for any other top-level value."""
    result = _read_fast(data, True)
    if result is None:
        result = _read_reference(data, True)
    return result


# -- fast path: the stdlib json C scanner, where it provably agrees ----------------------------------------


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=JsonObject,
    parse_int=JsonNumber,
    parse_float=JsonNumber,
    parse_constant=_reject_constant,
    strict=True,
)
_scan_once: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
# Whitespace runs always match (possibly empty): typed as never None.
_match_ws_text = cast("Callable[[str, int], re.Match[str]]", re.compile(r"[ \t\n\r]*").match)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_ALL_BUT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ALL_BUT_BRACKETS_AND_QUOTES = bytes(b for b in range(256) if b not in b'[]{}"')
_BRACKETS_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


def _nesting_exceeds(data: bytes, limit: int) -> bool:
    """Whether valid JSON `data` nests deeper than `limit`, without a Python loop over its bytes.

    Only the brackets outside strings are kept; each pass then deletes every innermost pair, so the number of
    passes needed to empty the sequence is the nesting depth.
    """
    brackets: bytes | None = None
    if b"\\" not in data:
        # Keep brackets and quotes, then drop adjacent quote pairs in one pass. If no quote is left, no string
        # held a bracket: the first string that did would leave an odd run of quotes before its content.
        reduced = data.translate(None, _ALL_BUT_BRACKETS_AND_QUOTES).replace(b'""', b"")
        if b'"' not in reduced:
            brackets = reduced.translate(_BRACKETS_AS_SQUARE)
    if brackets is None:
        brackets = _JSON_STRING.sub(b"", data).translate(_BRACKETS_AS_SQUARE, _ALL_BUT_BRACKETS)
    passes = 0
    while brackets:
        passes += 1
        if passes > limit:
            return True
        brackets = brackets.replace(b"[]", b"")
    return False


def _read_fast(data: bytes, want_spans: bool) -> tuple[JsonValue, Spans | None] | None:
    """The answer of the stdlib scanner when it is certainly UniValue's, else None (undecided)."""
    if data.isascii():
        text = data.decode("latin-1")
        ascii_only = True
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        ascii_only = False
    if b"\\u" in data and _SURROGATE_ESCAPE.search(data) is not None:
        return None
    size = len(text)
    try:
        pos = _match_ws_text(text, 0).end()
        if not (want_spans and text.startswith("[", pos)):
            value, end = _scan_once(text, pos)
            spans = None
        else:
            items: list[JsonValue] = []
            char_spans: list[tuple[int, int]] = []
            pos = _match_ws_text(text, pos + 1).end()
            if text.startswith("]", pos):
                end = pos + 1
            else:
                while True:
                    item, end = _scan_once(text, pos)
                    items.append(item)
                    char_spans.append((pos, end))
                    pos = _match_ws_text(text, end).end()
                    if text.startswith(",", pos):
                        pos = _match_ws_text(text, pos + 1).end()
                    elif text.startswith("]", pos):
                        end = pos + 1
                        break
                    else:
                        return None
            value = items
            spans = char_spans if ascii_only else _byte_spans(text, char_spans)
    except (StopIteration, ValueError, RecursionError):
        return None
    if _match_ws_text(text, end).end() != size:
        return None
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and _nesting_exceeds(data, MAX_JSON_DEPTH):
        return None
    return value, spans


def read_batch_methods(data: bytes) -> list[str | None] | None:
    """For a body that is a JSON array UniValue certainly reads, the `method` of each element (None where the
    element is not an object or its method is missing or not a string); None when undecided (read_json then
    decides). Much cheaper than read_json for large batches that are forwarded whole: orjson builds plain dicts
    and numbers without a Python call per object and number.

    Agrees with read_json because: orjson reads RFC 8259 JSON (the grammar, whitespace set and number forms
    UniValue reads; no NaN/Infinity, no raw control characters, nothing after the value), what it cannot hold
    (integers beyond 64 bits, nesting beyond its limit) it refuses, nesting beyond UniValue's 512 is checked
    here, backslashes and non-ASCII bytes are left undecided, and every element's
    `"method"` key is the only one in it (the body holds exactly as many `"method"` texts as elements have that
    key, so a dict keeping the last duplicate cannot differ from UniValue keeping the first).
    """
    if not data.startswith(b"[") or b"\\" in data or not data.isascii():
        return None
    try:
        value = orjson.loads(data)
    except (ValueError, RecursionError):  # orjson.JSONDecodeError is a ValueError
        return None
    if not isinstance(value, list):
        return None
    if data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH and _nesting_exceeds(data, MAX_JSON_DEPTH):
        return None
    methods: list[str | None] = []
    keyed = 0
    for item in value:
        if type(item) is dict and "method" in item:
            keyed += 1
            method = item["method"]
            methods.append(method if type(method) is str else None)
        else:
            methods.append(None)
    if data.count(b'"method"') != keyed:
        return None
    return methods


def _byte_spans(text: str, char_spans: list[tuple[int, int]]) -> Spans:
    """Character offsets → UTF-8 byte offsets, walking the text once."""
    result: Spans = []
    char_pos = 0
    byte_pos = 0
    for start, end in char_spans:
        byte_pos += len(text[char_pos:start].encode("utf-8"))
        byte_start = byte_pos
        byte_pos += len(text[start:end].encode("utf-8"))
        char_pos = end
        result.append((byte_start, byte_pos))
    return result


# -- reference: UniValue's reader, token by token -----------------------------------------------------------

_match_ws = cast("Callable[[bytes, int], re.Match[bytes]]", re.compile(rb"[ \t\n\r]*").match)
_NUMBER = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# A lexically complete string: no raw control bytes, only UniValue's escapes. Its content is group 1.
_STRING = re.compile(rb'"([^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*)"')
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|(.))", re.S)
_SHORT_ESCAPES = {
    ord('"'): 0x22, ord("\\"): 0x5C, ord("/"): 0x2F,
    ord("b"): 0x08, ord("f"): 0x0C, ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09,
}  # fmt: skip
_OPEN_OBJECT, _OPEN_ARRAY, _CLOSE_OBJECT, _CLOSE_ARRAY = 0x7B, 0x5B, 0x7D, 0x5D
_QUOTE, _MINUS, _COMMA, _COLON = 0x22, 0x2D, 0x2C, 0x3A
_KEYWORDS: dict[int, tuple[bytes, JsonValue]] = {
    ord("t"): (b"true", True),
    ord("f"): (b"false", False),
    ord("n"): (b"null", None),
}


class _Frame:
    """One open array or object of the reference parser."""

    __slots__ = ("is_object", "items", "key")

    def __init__(self, is_object: bool) -> None:
        self.is_object = is_object
        self.items: list[Any] = []
        self.key = ""


def _fail(what: str, pos: int) -> NoReturn:
    raise JsonParseError(f"{what} at byte {pos}")


def _read_reference(data: bytes, want_spans: bool) -> tuple[JsonValue, Spans | None]:
    """UniValue::read over bytes; raises `JsonParseError` wherever UniValue would return false."""
    size = len(data)
    ws = _match_ws
    stack: list[_Frame] = []
    spans: Spans | None = None
    element_start = 0
    pos = ws(data, 0).end()
    if pos >= size:
        _fail("empty input", pos)
    while True:
        # -- a value starts at pos ------------------------------------------------------------------------
        if len(stack) == 1 and spans is not None:
            element_start = pos
        c = data[pos] if pos < size else -1
        value: JsonValue
        if c == _OPEN_OBJECT or c == _OPEN_ARRAY:
            if len(stack) + 1 > MAX_JSON_DEPTH:
                _fail("nesting deeper than 512", pos)
            frame = _Frame(c == _OPEN_OBJECT)
            if not stack and want_spans and c == _OPEN_ARRAY:
                spans = []
            pos = ws(data, pos + 1).end()
            close = _CLOSE_OBJECT if frame.is_object else _CLOSE_ARRAY
            if pos < size and data[pos] == close:
                pos += 1
                value = JsonObject([]) if frame.is_object else []
            else:
                stack.append(frame)
                if frame.is_object:
                    pos = _read_key(data, pos, frame)
                continue
        elif c == _QUOTE:
            value, pos = _read_string(data, pos)
        elif c == _MINUS and pos + 1 == size:
            # UniValue's lexer takes a '-' that ends the input as a number.
            value = JsonNumber("-")
            pos = size
        elif c == _MINUS or 0x30 <= c <= 0x39:
            match = _NUMBER.match(data, pos)
            if match is None:
                _fail("bad number", pos)
            value = JsonNumber(match.group().decode("ascii"))
            pos = match.end()
        elif c in _KEYWORDS:
            word, value = _KEYWORDS[c]
            if not data.startswith(word, pos):
                _fail("bad literal", pos)
            pos += len(word)
        else:
            _fail("expected a value", pos)

        # -- attach the value; close containers as long as they end here ---------------------------------
        while True:
            if not stack:
                if ws(data, pos).end() != size:
                    _fail("data after the top-level value", pos)
                return value, spans
            frame = stack[-1]
            if frame.is_object:
                frame.items.append((frame.key, value))
            else:
                frame.items.append(value)
                if spans is not None and len(stack) == 1:
                    spans.append((element_start, pos))
            pos = ws(data, pos).end()
            c = data[pos] if pos < size else -1
            if c == _COMMA:
                pos = ws(data, pos + 1).end()
                if frame.is_object:
                    pos = _read_key(data, pos, frame)
                break
            if c == (_CLOSE_OBJECT if frame.is_object else _CLOSE_ARRAY):
                pos += 1
                stack.pop()
                value = JsonObject(frame.items) if frame.is_object else frame.items
                continue
            _fail("expected ',' or a closing bracket", pos)


def _read_key(data: bytes, pos: int, frame: _Frame) -> int:
    """Read `"key" :` at pos into frame.key; return the position of the value after it."""
    if pos >= len(data) or data[pos] != _QUOTE:
        _fail("expected an object key", pos)
    frame.key, pos = _read_string(data, pos)
    pos = _match_ws(data, pos).end()
    if pos >= len(data) or data[pos] != _COLON:
        _fail("expected ':'", pos)
    return _match_ws(data, pos + 1).end()


def _read_string(data: bytes, pos: int) -> tuple[str, int]:
    match = _STRING.match(data, pos)
    if match is None:
        _fail("bad string", pos)
    content = match.group(1)
    if b"\\" not in content:
        if content.isascii():
            return content.decode("ascii"), match.end()
        try:
            return content.decode("utf-8"), match.end()
        except UnicodeDecodeError:
            pass
    return _filter_string(content, pos).decode("utf-8", "surrogateescape"), match.end()


# -- UniValue's JSONUTF8StringFilter -----------------------------------------------------------------------


def _filter_string(content: bytes, pos: int) -> bytes:
    """The bytes UniValue stores for a lexically valid string body, or JsonParseError where the filter
    reports it invalid. Escapes split the body into raw runs; a run must end on a whole UTF-8 sequence,
    because the filter rejects an escape or the closing quote in the middle of one."""
    out = bytearray()
    surpair = 0
    start = 0
    for match in _ESCAPE.finditer(content):
        if match.start() > start:
            surpair = _filter_run(content[start : match.start()], surpair, out, pos)
        hex_digits = match.group(1)
        if hex_digits is not None:
            surpair = _push_codepoint(int(hex_digits, 16), surpair, out, pos)
        else:
            # A short escape is pushed as an ASCII byte, which never touches a pending surrogate.
            out.append(_SHORT_ESCAPES[match.group(2)[0]])
        start = match.end()
    if start < len(content):
        surpair = _filter_run(content[start:], surpair, out, pos)
    if surpair:
        _fail("unpaired UTF-16 surrogate", pos)
    return bytes(out)


def _filter_run(run: bytes, surpair: int, out: bytearray, pos: int) -> int:
    """Feed raw bytes (no escapes) through the filter; return the pending high surrogate."""
    if run.isascii():
        out += run
        return surpair
    try:
        run.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # Strict UTF-8 holds no surrogates, so a pending high surrogate meets a non-surrogate code point.
        if surpair:
            _fail("unpaired UTF-16 surrogate", pos)
        out += run
        return 0
    state = 0
    codepoint = 0
    for byte in run:
        if state == 0:
            if byte < 0x80:
                out.append(byte)
            elif byte < 0xC0:
                _fail("stray UTF-8 continuation byte", pos)
            elif byte < 0xE0:
                codepoint, state = (byte & 0x1F) << 6, 6
            elif byte < 0xF0:
                codepoint, state = (byte & 0x0F) << 12, 12
            elif byte < 0xF8:
                codepoint, state = (byte & 0x07) << 18, 18
            else:
                _fail("invalid UTF-8 lead byte", pos)
        else:
            if byte & 0xC0 != 0x80:
                _fail("truncated UTF-8 sequence", pos)
            state -= 6
            codepoint |= (byte & 0x3F) << state
            if state == 0:
                surpair = _push_codepoint(codepoint, surpair, out, pos)
    if state:
        _fail("truncated UTF-8 sequence", pos)
    return surpair


def _push_codepoint(codepoint: int, surpair: int, out: bytearray, pos: int) -> int:
    if 0xD800 <= codepoint < 0xDC00:
        if surpair:
            _fail("two UTF-16 high surrogates", pos)
        return codepoint
    if 0xDC00 <= codepoint < 0xE000:
        if not surpair:
            _fail("UTF-16 low surrogate without a high one", pos)
        # UniValue ORs 0x10000 in where UTF-16 adds it: a high surrogate whose offset has bit 6 set
        # (D840-D87F, D8C0-D8FF, ...) yields a code point 0x10000 lower than UTF-16 says. Kept, byte-exact.
        _append_utf8(0x10000 | ((surpair - 0xD800) << 10) | (codepoint - 0xDC00), out)
        return 0
    if surpair:
        _fail("unpaired UTF-16 surrogate", pos)
    _append_utf8(codepoint, out)
    return 0


def _append_utf8(codepoint: int, out: bytearray) -> None:
    """Canonical UTF-8, extended to 4-byte forms up to U+1FFFFF as UniValue writes them."""
    if codepoint <= 0x7F:
        out.append(codepoint)
    elif codepoint <= 0x7FF:
        out += bytes((0xC0 | (codepoint >> 6), 0x80 | (codepoint & 0x3F)))
    elif codepoint <= 0xFFFF:
        out += bytes((0xE0 | (codepoint >> 12), 0x80 | ((codepoint >> 6) & 0x3F), 0x80 | (codepoint & 0x3F)))
    else:
        out += bytes(
            (
                0xF0 | (codepoint >> 18),
                0x80 | ((codepoint >> 12) & 0x3F),
                0x80 | ((codepoint >> 6) & 0x3F),
                0x80 | (codepoint & 0x3F),
            )
        )
