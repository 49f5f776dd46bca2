"""Reply envelopes byte for byte as bitcoind's JSONRPCReplyObj writes them, and their HTTP statuses.

Owns: the four envelope shapes, splicing of pre-serialised results, the legacy status mapping (JSONErrorReply)
and reading `error.code` back out of a node's reply (compat spec §8). Must not import: asyncio, `http`, `ipc`.

Key order is fixed (compat spec §4):
* legacy success  ``{"result":R,"error":null,"id":ID}``
* legacy error    ``{"result":null,"error":{"code":C,"message":M},"id":ID}``
* 2.0 success     ``{"jsonrpc":"2.0","result":R,"id":ID}``
* 2.0 error       ``{"jsonrpc":"2.0","error":{"code":C,"message":M},"id":ID}``
The ``"id"`` member is left out when the request had no id key. Bodies here carry no trailing newline: the
HTTP layer appends bitcoind's ``\\n``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import RpcError, RpcErrorCode
from .reader import JsonNumber, JsonObject, JsonParseError, JsonValue, read_json
from .request import JSONRPC_V2
from .writer import write_json

HTTP_BAD_REQUEST = 400
HTTP_NOT_FOUND = 404
HTTP_INTERNAL_SERVER_ERROR = 500

_V2_PREFIX = b'{"jsonrpc":"2.0",'


def _id_member(id_present: bool, id: JsonValue) -> bytes:
    if not id_present:
        return b"}"
    if id is None:
        return b',"id":null}'
    return b',"id":' + write_json(id) + b"}"


def error_object(code: int, message: str) -> bytes:
    """bitcoind's JSONRPCError(code, message) as JSON text."""
    return b'{"code":' + int.__repr__(int(code)).encode("ascii") + b',"message":' + write_json(message) + b"}"


def result_reply(result: bytes, id_present: bool, id: JsonValue, version: int) -> bytes:
    """A success envelope around `result`, JSON text written elsewhere (our writer, orjson or the node):
    spliced in as is, never re-parsed. One join: `result` may be megabytes (a cached `getblock`), copied once."""
    if version == JSONRPC_V2:
        return b"".join((_V2_PREFIX, b'"result":', result, _id_member(id_present, id)))
    return b"".join((b'{"result":', result, b',"error":null', _id_member(id_present, id)))


def error_reply(code: int, message: str, id_present: bool, id: JsonValue, version: int) -> bytes:
    """An error envelope; `version` decides the shape, not the code."""
    if version == JSONRPC_V2:
        return _V2_PREFIX + b'"error":' + error_object(code, message) + _id_member(id_present, id)
    return b'{"result":null,"error":' + error_object(code, message) + _id_member(id_present, id)


def rpc_error_reply(error: RpcError, id_present: bool, id: JsonValue, version: int) -> bytes:
    return error_reply(error.code, error.message, id_present, id, version)


def batch_reply(replies: Iterable[bytes]) -> bytes:
    """The replies of a batch's elements, in request order, as one JSON array."""
    return b"[" + b",".join(replies) + b"]"


def legacy_http_status(code: int) -> int:
    """bitcoind's JSONErrorReply: -32600 → 400, -32601 → 404, anything else → 500."""
    if code == RpcErrorCode.RPC_INVALID_REQUEST:
        return HTTP_BAD_REQUEST
    if code == RpcErrorCode.RPC_METHOD_NOT_FOUND:
        return HTTP_NOT_FOUND
    return HTTP_INTERNAL_SERVER_ERROR


_PARSE_ERROR = error_reply(RpcErrorCode.RPC_PARSE_ERROR, "Parse error", True, None, 1)
_TOP_LEVEL_ERROR = error_reply(RpcErrorCode.RPC_PARSE_ERROR, "Top-level object parse error", True, None, 1)


def parse_error_reply() -> bytes:
    """The body (HTTP 500) for a body that is not JSON: -32700 `Parse error`, id null."""
    return _PARSE_ERROR


def top_level_error_reply() -> bytes:
    """The body (HTTP 500) for JSON that is neither an object nor an array."""
    return _TOP_LEVEL_ERROR


# Codes are ints; longer digit strings are not bitcoind's (and would be costly to convert).
_LEGACY_ERROR_CODE = re.compile(rb'\{"result":null,"error":\{"code":(-?[0-9]{1,12})[,}]')
_V2_ERROR_CODE = re.compile(rb'\{"jsonrpc":"2\.0","error":\{"code":(-?[0-9]{1,12})[,}]')
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,12}")
_SUCCESS_PREFIXES = (b'{"result":', b'{"jsonrpc":"2.0","result":')


def error_code_of_reply(reply_text: bytes | str) -> int | None:
    """`error.code` of a single reply envelope written by UniValue, or None when it is a success.

    The error object sits at a fixed place in bitcoind's envelopes (result is null before it), so a prefix
    match finds it without reading a possibly huge result. Text of any other shape is read in full.
    """
    data = reply_text.encode("utf-8", "surrogateescape") if isinstance(reply_text, str) else reply_text
    match = _LEGACY_ERROR_CODE.match(data) or _V2_ERROR_CODE.match(data)
    if match is not None:
        return int(match.group(1))
    if data.startswith(_SUCCESS_PREFIXES) and not data.startswith(b'{"result":null,"error":{'):
        return None
    try:
        value = read_json(data)
    except JsonParseError:
        return None
    if not isinstance(value, JsonObject):
        return None
    error = value.get("error")
    if not isinstance(error, JsonObject):
        return None
    code = error.get("code")
    if isinstance(code, JsonNumber) and _INTEGER_TEXT.fullmatch(code.text):
        return int(code.text)
    return None
