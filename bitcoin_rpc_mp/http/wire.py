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


_last_date: tuple[int, str] = (-1, "")


def format_http_date(now: float) -> str:
    """RFC 1123 date in GMT from whole seconds, e.g. `Tue, 24 Nov 2026 17:31:06 GMT` (locale-independent).

    The text of the current second is kept: every reply of that second reuses it."""
    global _last_date
    second = int(now // 1)
    if _last_date[0] == second:
        return _last_date[1]
    text = _format_date(second)
    _last_date = (second, text)
    return text


def _format_date(second: int) -> str:
    t = time.gmtime(second)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


_PLAIN_STATUS = frozenset(status for status in REASONS if status != 204)
_STATUS_LINES: dict[tuple[int, int, int], bytes] = {}
_HEADER_BYTES: dict[tuple[tuple[str, str], ...], tuple[bytes, bytes]] = {}
_CACHE_MAX = 256  # entries per cache: replies use a handful of statuses and header tuples


def _status_line(major: int, minor: int, status: int) -> bytes:
    key = (major, minor, status)
    line = _STATUS_LINES.get(key)
    if line is None:
        line = f"HTTP/{major}.{minor} {status} {REASONS.get(status, '')}\r\n".encode("latin-1")
        if len(_STATUS_LINES) < _CACHE_MAX:
            _STATUS_LINES[key] = line
    return line


def _encoded_headers(headers: tuple[tuple[str, str], ...]) -> tuple[bytes, bytes]:
    """(the handler's headers, each `name: value` CRLF; what follows Content-Length: the default Content-Type
    when the handler set none, then the blank line), cached per header tuple."""
    cached = _HEADER_BYTES.get(headers)
    if cached is None:
        data = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("latin-1")
        has_type = any(ascii_lower(k) == "content-type" for k, _ in headers)
        tail = b"\r\n" if has_type else f"Content-Type: {DEFAULT_CONTENT_TYPE}\r\n\r\n".encode("latin-1")
        cached = (data, tail)
        if len(_HEADER_BYTES) < _CACHE_MAX:
            _HEADER_BYTES[headers] = cached
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
    `connection` (None if it had none). The caller decides keep-alive with `events.wants_keep_alive`."""
    if version[1] and connection is None and response.status in _PLAIN_STATUS:
        return _serialize_common(response, now, version)
    return _serialize_general(response, now, version, connection)


def _serialize_common(response: Response, now: float, version: tuple[int, int]) -> bytes:
    """The common case, from cached pieces: HTTP/1.1-1.9, no Connection header in the request, a status with a
    body and a reason. The same bytes as `_serialize_general` (test_http_wire checks both against each other)."""
    own, tail = _encoded_headers(response.headers)
    return b"".join(
        (
            _status_line(version[0], version[1], response.status),
            own,
            b"Date: ",
            format_http_date(now).encode("ascii"),
            b"\r\nContent-Length: ",
            str(len(response.body)).encode("ascii"),
            b"\r\n",
            tail,
            response.body,
        )
    )


def _serialize_general(
    response: Response, now: float, version: tuple[int, int], connection: str | None
) -> bytes:
    major, minor = version
    needs_body = body_allowed(response.status)
    conn = ascii_lower(connection) if connection is not None else None

    headers = list(response.headers)
    length = str(len(response.body))
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
    return head.encode("latin-1") + (response.body if needs_body else b"")
