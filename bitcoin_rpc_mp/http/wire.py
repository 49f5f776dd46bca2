"""Response bytes exactly as bitcoind writes them (compat spec §2 "Response serialization").

Owns: the status line, reason phrases, the order of the headers the server adds (Connection: keep-alive for
HTTP/1.0, Date, Content-Length, the default Content-Type, Connection: close) and which statuses carry a body.
Pure: the clock is the `now` argument (seconds since the epoch); no asyncio, no `time.time`.

Layout, after the handler's own headers in their order:
  HTTP/1.0 with `Connection: keep-alive`:  Connection: keep-alive, Content-Length
  HTTP/1.1 .. 1.9:                          Date, Content-Length
  then, when a body is allowed:             Content-Type: text/html; charset=ISO-8859-1 (if none was set)
  then, if the request said `Connection: close`: Connection: close
204 and 1xx carry no Content-Length, no Content-Type and no body; HEAD replies keep their body (as bitcoind).
"""

from __future__ import annotations

import time

from .events import Response, ascii_lower

REASONS: dict[int, str] = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content too large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

DEFAULT_CONTENT_TYPE = "text/html; charset=ISO-8859-1"

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_http_date(now: float) -> str:
    """RFC 1123 date in GMT from whole seconds, e.g. `Tue, 24 Nov 2026 17:31:06 GMT` (locale-independent)."""
    t = time.gmtime(int(now // 1))
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


_PLAIN_STATUS = frozenset(status for status in REASONS if status != 204)
_CACHE_MAX = 256  # entries per cache: replies use a handful of statuses and header tuples


class ReplyWriter:
    """Writes replies; the common ones (HTTP/1.1-1.9, no Connection header in the request, a status with a
    body and a reason) from pieces it keeps: status lines, each header tuple's bytes, and the Date text of the
    current second, each cache bounded. The bytes are those of `serialize_response` (the general path), which
    test_wire checks for any headers, versions and Connection values. One per server, shared by its
    connections (clients such as bitcoin-cli open a connection per call)."""

    __slots__ = ("_date", "_header_bytes", "_status_lines")

    def __init__(self) -> None:
        self._date: tuple[int, str] = (-1, "")
        self._status_lines: dict[tuple[int, int, int], bytes] = {}
        self._header_bytes: dict[tuple[tuple[str, str], ...], tuple[bytes, bytes]] = {}

    def serialize(
        self, response: Response, now: float, *, version: tuple[int, int] = (1, 1), connection: str | None = None
    ) -> bytes:
        """`serialize_response`, with the common case from kept pieces."""
        return b"".join(self.serialize_parts(response, now, version=version, connection=connection))

    def serialize_parts(
        self, response: Response, now: float, *, version: tuple[int, int] = (1, 1), connection: str | None = None
    ) -> tuple[bytes, bytes, bytes]:
        """`serialize` as (head, body, tail): the same bytes once joined, for writing a large body without copying
        it into one buffer with its head and tail (`b""` as body and tail where the status has none)."""
        if not (version[1] and connection is None and response.status in _PLAIN_STATUS):
            head = response_head(response, now, version=version, connection=connection)
            if not body_allowed(response.status):
                return head, b"", b""
            return head, response.body, response.tail
        return b"".join(self._plain_head(response, now, version)), response.body, response.tail

    def _plain_head(self, response: Response, now: float, version: tuple[int, int]) -> tuple[bytes, ...]:
        """The pieces of the common case's head, from kept pieces."""
        own, tail = self._encoded_headers(response.headers)
        return (
            self._status_line(version[0], version[1], response.status),
            own,
            b"Date: ",
            self._date_text(now).encode("ascii"),
            b"\r\nContent-Length: ",
            str(len(response.body) + len(response.tail)).encode("ascii"),
            b"\r\n",
            tail,
        )

    def _date_text(self, now: float) -> str:
        second = int(now // 1)
        if self._date[0] != second:
            self._date = (second, format_http_date(second))
        return self._date[1]

    def _status_line(self, major: int, minor: int, status: int) -> bytes:
        key = (major, minor, status)
        line = self._status_lines.get(key)
        if line is None:
            line = f"HTTP/{major}.{minor} {status} {REASONS.get(status, '')}\r\n".encode("latin-1")
            if len(self._status_lines) < _CACHE_MAX:
                self._status_lines[key] = line
        return line

    def _encoded_headers(self, headers: tuple[tuple[str, str], ...]) -> tuple[bytes, bytes]:
        """(the handler's headers, each `name: value` CRLF; what follows Content-Length: the default
        Content-Type when the handler set none, then the blank line)."""
        cached = self._header_bytes.get(headers)
        if cached is None:
            data = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("latin-1")
            has_type = any(ascii_lower(k) == "content-type" for k, _ in headers)
            tail = b"\r\n" if has_type else f"Content-Type: {DEFAULT_CONTENT_TYPE}\r\n\r\n".encode("latin-1")
            cached = (data, tail)
            if len(self._header_bytes) < _CACHE_MAX:
                self._header_bytes[headers] = cached
        return cached


def body_allowed(status: int) -> bool:
    """libevent's rule that bitcoind kept: no body for 204 and 1xx."""
    return status != 204 and not 100 <= status < 200


def serialize_response(
    response: Response,
    now: float,
    *,
    version: tuple[int, int] = (1, 1),
    connection: str | None = None,
) -> bytes:
    """The bytes of `response` as the reply to a request of `version` whose first `Connection` header value was
    `connection` (None if it had none): the general path, from nothing kept. The caller decides keep-alive with
    `events.wants_keep_alive`."""
    head = response_head(response, now, version=version, connection=connection)
    return head + (response.body + response.tail if body_allowed(response.status) else b"")


def response_head(
    response: Response, now: float, *, version: tuple[int, int] = (1, 1), connection: str | None = None
) -> bytes:
    """`serialize_response` without the body: the status line, the headers and the blank line."""
    major, minor = version
    needs_body = body_allowed(response.status)
    conn = ascii_lower(connection) if connection is not None else None

    headers = list(response.headers)
    length = str(len(response.body) + len(response.tail))
    if minor == 0:
        if conn == "keep-alive":
            headers.append(("Connection", "keep-alive"))
            if needs_body:
                headers.append(("Content-Length", length))
    else:
        headers.append(("Date", format_http_date(now)))
        if needs_body:
            headers.append(("Content-Length", length))
    if needs_body and response.header("Content-Type") is None:
        headers.append(("Content-Type", DEFAULT_CONTENT_TYPE))
    if conn == "close":
        headers = [(k, v) for k, v in headers if ascii_lower(k) != "connection"]
        headers.append(("Connection", "close"))

    reason = REASONS.get(response.status, "")
    head = f"HTTP/{major}.{minor} {response.status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += "\r\n"
    return head.encode("latin-1")
