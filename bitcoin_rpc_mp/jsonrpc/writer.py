"""Compact JSON exactly as UniValue writes it (UniValue::write() with no indent; compat spec §5).

Owns: value → bytes. Must not import: asyncio, `http`, `ipc`, `handlers`.

No whitespace; object keys in stored order (a `JsonObject`'s duplicates are written as stored); numbers as their
text; strings escaped per byte: 0x00–0x1F as ``\\u00XX`` (lowercase hex) except ``\\b \\t \\n \\f \\r``,
``"`` and ``\\`` with a backslash, 0x7F as ``\\u007f``; everything else raw (``/`` and UTF-8 included).

Accepted values: None, bool, int (any size, IntEnum included), str, list/tuple, dict (str keys), `JsonObject`,
`JsonNumber`. Strings from the reader may carry ``surrogateescape`` bytes (code points above U+10FFFF): they
are written back as those raw bytes. Floats are not UniValue values; they are written as orjson writes them.

Fast path: orjson escapes strings exactly as UniValue does except that it leaves 0x7F raw. 0x7F can only occur
inside strings in orjson's output, so one replace makes it exact. Whatever orjson refuses (ints beyond 64 bits,
surrogate-escaped bytes, nesting beyond its limit) goes to `write_json_reference`, which is the definition;
test/property/test_json_props.py checks the two agree.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .reader import JsonNumber, JsonObject

_DEL = b"\x7f"
_DEL_ESCAPED = b"\\u007f"


def write_json(value: Any) -> bytes:
    """`value` as UniValue's compact JSON text."""
    try:
        out = orjson.dumps(value, default=_orjson_default, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included: too big an int, surrogates, too deep
        return write_json_reference(value)
    if _DEL in out:
        out = out.replace(_DEL, _DEL_ESCAPED)
    return out


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _orjson_default(value: Any) -> Any:
    if type(value) is JsonNumber:
        return orjson.Fragment(value.text.encode("utf-8", "surrogateescape"))
    if type(value) is JsonObject:
        if value.duplicate_keys():
            return orjson.Fragment(write_json_reference(value))
        # Same pairs in the same order: orjson writes it, calling back here for nested numbers/objects.
        return dict(value.items())
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# -- reference writer --------------------------------------------------------------------------------------

_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_ESCAPES = {chr(code): f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"})
_ESCAPES.update({'"': '\\"', "\\": "\\\\", "\x7f": "\\u007f"})


def _escape_char(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def quote_string(text: str) -> str:
    """A JSON string literal for `text` with UniValue's escapes (still text: encode with surrogateescape)."""
    if _NEEDS_ESCAPE.search(text) is not None:
        text = _NEEDS_ESCAPE.sub(_escape_char, text)
    return '"' + text + '"'


def write_json_reference(value: Any) -> bytes:
    """The definition of `write_json`, in plain Python."""
    parts: list[str] = []
    _write_into(value, parts)
    return "".join(parts).encode("utf-8", "surrogateescape")


def _write_into(value: Any, parts: list[str]) -> None:
    # Explicit work list instead of recursion: values may nest 512 deep (and more when built by hand).
    work: list[Any] = [value]
    while work:
        item = work.pop()
        if type(item) is _Literal:
            parts.append(item.text)
        elif item is None:
            parts.append("null")
        elif item is True:
            parts.append("true")
        elif item is False:
            parts.append("false")
        elif isinstance(item, JsonNumber):
            parts.append(item.text)
        elif isinstance(item, str):
            parts.append(quote_string(item))
        elif isinstance(item, int):
            parts.append(int.__repr__(item))
        elif isinstance(item, float):
            parts.append(orjson.dumps(item).decode("ascii"))
        elif isinstance(item, JsonObject | dict):
            pairs = list(item.items())
            for key in pairs:
                if not isinstance(key[0], str):
                    raise TypeError(f"JSON object keys must be str, not {type(key[0]).__name__}")
            work.append(_CLOSE_OBJECT)
            for index in range(len(pairs) - 1, -1, -1):
                key, member = pairs[index]
                work.append(member)
                work.append(_Literal(("," if index else "") + quote_string(key) + ":"))
            parts.append("{")
        elif isinstance(item, list | tuple):
            work.append(_CLOSE_ARRAY)
            for index in range(len(item) - 1, -1, -1):
                work.append(item[index])
                if index:
                    work.append(_COMMA)
            parts.append("[")
        else:
            raise TypeError(f"cannot write {type(item).__name__} as JSON")


class _Literal:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_CLOSE_OBJECT = _Literal("}")
_CLOSE_ARRAY = _Literal("]")
_COMMA = _Literal(",")
