"""One JSON-RPC request object → `Call`, as bitcoind's JSONRPCRequest::parse does it (compat spec §4, §7.2).

Owns: the order of the request checks and the request state they leave behind.
Must not import: asyncio, `http`, `ipc`, `handlers`.

bitcoind parses every element of a batch into ONE request object, and each check updates it as it goes:
the object check comes first and changes nothing, then `id` is stored, then the version is reset to legacy and
set from `jsonrpc`, then `method` and `params` are read. An error reply takes the id and version the request
object holds at the moment of the error. Hence the quirks `BatchState` reproduces:
* a non-object element answers with the PREVIOUS element's id and version (the first one: legacy, id null);
* `"jsonrpc":"1.1"` answers legacy-shaped even after a 2.0 element (the version was reset before the check);
* after a 2.0 notification, a non-object element's error is itself a notification and gets no reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import RpcError, RpcErrorCode
from .reader import JsonObject, JsonValue

JSONRPC_LEGACY = 1  # bitcoind's JSONRPCVersion::V1_LEGACY (no "jsonrpc", or "1.0")
JSONRPC_V2 = 2


class BatchState:
    """bitcoind's reused JSONRPCRequest: the id and version the next error reply will carry.

    A fresh state is what a new request object holds: legacy, `"id":null` present.
    """

    __slots__ = ("id", "id_present", "version")

    def __init__(self) -> None:
        self.id_present: bool = True
        self.id: JsonValue = None
        self.version: int = JSONRPC_LEGACY

    @property
    def is_notification(self) -> bool:
        return self.version == JSONRPC_V2 and not self.id_present

    def __repr__(self) -> str:
        shown = repr(self.id) if self.id_present else "<absent>"
        return f"BatchState(version={self.version}, id={shown})"


@dataclass(frozen=True, slots=True)
class Call:
    """A request that passed JSONRPCRequest::parse."""

    method: str
    params: JsonValue  # a list or a JsonObject (absent/null params become [])
    id_present: bool
    id: JsonValue  # kept verbatim (numbers keep their text); None with id_present=False means no id key
    version: int  # JSONRPC_LEGACY or JSONRPC_V2

    @property
    def is_notification(self) -> bool:
        """JSON-RPC 2.0 without an id key: executed, but nothing is written back."""
        return self.version == JSONRPC_V2 and not self.id_present


class RequestParseError(RpcError):
    """JSONRPCRequest::parse threw: the error plus the id and version its reply must carry."""

    def __init__(self, code: int, message: str, id_present: bool, id: JsonValue, version: int) -> None:
        super().__init__(code, message)
        self.id_present = id_present
        self.id = id
        self.version = version

    @property
    def is_notification(self) -> bool:
        """bitcoind drops the reply of a batch element whose request state is a notification."""
        return self.version == JSONRPC_V2 and not self.id_present

    def __repr__(self) -> str:
        shown = repr(self.id) if self.id_present else "<absent>"
        return f"RequestParseError({self.code}, {self.message!r}, id={shown}, version={self.version})"


def _invalid(state: BatchState, message: str) -> RequestParseError:
    return RequestParseError(
        RpcErrorCode.RPC_INVALID_REQUEST, message, state.id_present, state.id, state.version
    )


def parse_request(value: JsonValue, state: BatchState | None) -> Call:
    """Parse one request object, updating `state` as bitcoind updates its request (None: a fresh state).

    Raises `RequestParseError` (-32600) carrying the id and version of `state` at the time of the error.
    """
    if state is None:
        state = BatchState()
    if not isinstance(value, JsonObject):
        raise _invalid(state, "Invalid Request object")

    # JsonObject lookups return the first occurrence of a key, as UniValue's find_value does.
    if value.has("id"):
        state.id_present = True
        state.id = value.get("id")
    else:
        state.id_present = False
        state.id = None

    state.version = JSONRPC_LEGACY
    jsonrpc = value.get("jsonrpc")
    if jsonrpc is not None:
        if not isinstance(jsonrpc, str):
            raise _invalid(state, "jsonrpc field must be a string")
        if jsonrpc == "2.0":
            state.version = JSONRPC_V2
        elif jsonrpc != "1.0":
            raise _invalid(state, "JSON-RPC version not supported")

    method = value.get("method")
    if method is None:
        raise _invalid(state, "Missing method")
    if not isinstance(method, str):
        raise _invalid(state, "Method must be a string")

    params = value.get("params")
    if params is None:
        params = []
    elif not isinstance(params, list | JsonObject):
        raise _invalid(state, "Params must be an array or object")

    return Call(method, params, state.id_present, state.id, state.version)
