"""The values that cross the sans-I/O HTTP boundary: `Request`, `Response`, `ProtocolFailure`, `NEED_DATA`.

Owns: the frozen event types and the two small text rules every HTTP module shares (ASCII case folding for
header names and the keep-alive decision, compat spec §2). Imports nothing of ours, no asyncio, no sockets.

Text fields (`method`, `target`, header names and values) are the received bytes decoded as Latin-1, so every
byte survives: `request.target.encode("latin-1")` gives back the bytes on the wire.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

Headers = tuple[tuple[str, str], ...]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

# Headers the wire layer writes itself; a handler setting one would produce duplicates bitcoind never sends.
FRAMING_HEADERS = frozenset({"content-length", "date", "connection", "transfer-encoding"})


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only, as bitcoind's `ToLower` does (Latin-1 letters such as 'Ä' are left alone)."""
    return text.translate(_ASCII_LOWER)


def find_header(headers: Headers, name: str) -> str | None:
    """Value of the first header called `name` (ASCII case-insensitive), or None."""
    wanted = ascii_lower(name)
    size = len(name)
    for key, value in headers:
        # Only names of the right length are folded: this runs for every request and most names differ.
        if len(key) == size and (key == name or ascii_lower(key) == wanted):
            return value
    return None


def wants_keep_alive(version: tuple[int, int], connection: str | None) -> bool:
    """bitcoind's rule: `Connection: close` always closes; HTTP/1.1+ keeps alive by default; HTTP/1.0 only
    with `Connection: keep-alive`. `connection` is the request's first Connection value (None if absent);
    values are compared whole and case-insensitively (`keep-alive, Upgrade` is neither)."""
    token = ascii_lower(connection) if connection is not None else None
    if token == "close":
        return False
    if version[1] >= 1:
        return True
    return token == "keep-alive"


@dataclass(frozen=True)
class Request:
    """One complete request as received; `body` is already de-chunked."""

    method: str
    target: str
    version: tuple[int, int]
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        """First occurrence wins, names compared case-insensitively (ASCII)."""
        return find_header(self.headers, name)

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after the reply to this request."""
        return wants_keep_alive(self.version, self.header("Connection"))


class CheckedHeaders(tuple[tuple[str, str], ...]):
    """A header tuple that passed Response's checks once (made by `checked_headers`, for the tuples a handler
    defines once and replies with many times): Response does not check it again."""

    __slots__ = ()


def _check_headers(headers: Headers) -> None:
    for name, value in headers:
        if (
            not name
            or any(c in name for c in " \t\r\n\0:")
            or any(c in value for c in "\r\n\0")
            or (not (name + value).isascii() and max(map(ord, name + value)) > 0xFF)
        ):
            raise ValueError(f"invalid response header {name!r}: {value!r}")
        if ascii_lower(name) in FRAMING_HEADERS:
            raise ValueError(f"{name} is written by the wire layer, not by handlers")


def checked_headers(*pairs: tuple[str, str]) -> CheckedHeaders:
    """Headers checked now, once, instead of at every Response built with them. Raises ValueError."""
    _check_headers(pairs)
    return CheckedHeaders(pairs)


@dataclass(frozen=True)
class Response:
    """What a handler decides: status, its own headers in order, body. The wire layer adds Date,
    Content-Length, the default Content-Type and Connection (compat spec §2 "Response serialization")."""

    status: int
    headers: Headers = ()
    body: bytes = b""
    # Bytes that follow the body on the wire (and in Content-Length), kept apart so that a large body is written
    # as it is, never copied to append a few bytes (the JSON-RPC endpoint's trailing newline).
    tail: bytes = b""
    # Written only after this many seconds, waited out after the request has given its worker back: bitcoind's
    # 250 ms deterrent after a wrong password, without letting password guessers occupy every worker.
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if not 100 <= self.status <= 599:
            raise ValueError(f"HTTP status out of range: {self.status}")
        if self.headers and type(self.headers) is not CheckedHeaders:
            _check_headers(self.headers)

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)


@dataclass(frozen=True)
class ProtocolFailure:
    """The request could not be read (400) or its body is too large (413).

    Send `response` with `HttpConnection.send_response`, write the bytes, then close: the connection is
    unusable afterwards (`must_close` is True). `version` is what the reply's status line uses: (1, 1) when the
    request line did not parse. `headers` are the request headers read before the failure (empty if the header
    block itself failed); a `Connection: close` among them is echoed like for any reply.
    """

    response: Response
    detail: str
    version: tuple[int, int] = (1, 1)
    headers: Headers = ()

    @property
    def status(self) -> int:
        return self.response.status


class NeedData(enum.Enum):
    """Sentinel type: no event can be produced from the bytes received so far (see HttpConnection)."""

    NEED_DATA = "NEED_DATA"


NEED_DATA = NeedData.NEED_DATA

Event = Request | ProtocolFailure | NeedData
