"""A byte-level HTTP/1.x client for wire checks (pipelining, keep-alive, partial writes, exact headers).

Owns: ``build_request`` (exact request bytes), ``RawHttpConnection`` (one TCP socket; send bytes as given, read
one reply at a time honouring Content-Length or reading to EOF) and ``RawResponse``. Standard library only.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from test_framework.util import basic_auth


@dataclass
class RawResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes = field(repr=False)
    received_at: float = 0.0  # time.monotonic() when the last byte arrived

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_names(self) -> list[str]:
        return [key for key, _ in self.headers]

    def json(self) -> Any:
        return json.loads(self.body)


def build_request(method: str = "POST", path: str = "/", body: bytes | str = b"", *, version: str = "HTTP/1.1",
                  auth: tuple[str, str] | str | None = ("u", "p"), headers: list[tuple[str, str]] | None = None,
                  content_length: bool = True) -> bytes:
    """Request bytes: request line, Host, Authorization (from ``auth``), ``headers``, Content-Length, body."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"{method} {path} {version}", "Host: 127.0.0.1"]
    if isinstance(auth, tuple):
        lines.append("Authorization: " + basic_auth(*auth))
    elif isinstance(auth, str):
        lines.append("Authorization: " + auth)
    for key, value in headers or []:
        lines.append(f"{key}: {value}")
    if content_length:
        lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + data


class ConnectionClosed(Exception):
    """The server closed the connection before a complete reply arrived; ``partial`` holds what came."""

    def __init__(self, partial: bytes) -> None:
        super().__init__(f"connection closed by the server after {len(partial)} bytes: {partial[:200]!r}")
        self.partial = partial


class RawHttpConnection:
    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self._buf = b""
        self.eof = False

    def __enter__(self) -> RawHttpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_request(self, method: str = "POST", path: str = "/", body: bytes | str = b"", **kwargs: Any) -> None:
        self.send(build_request(method, path, body, **kwargs))

    def request(self, method: str = "POST", path: str = "/", body: bytes | str = b"", **kwargs: Any) -> RawResponse:
        self.send_request(method, path, body, **kwargs)
        return self.read_response()

    def _fill(self, timeout: float | None = None) -> bool:
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
            return False
        self._buf += chunk
        return True

    def read_response(self, *, no_body: bool = False) -> RawResponse:
        """Read exactly one reply. ``no_body``: the request was one whose reply has no body by definition."""
        while b"\r\n\r\n" not in self._buf:
            if self.eof or not self._fill():
                raise ConnectionClosed(self._buf)
        head, _, rest = self._buf.partition(b"\r\n\r\n")
        self._buf = rest
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status_text, reason = [*status_line.split(" ", 2), "", ""][:3]
        status = int(status_text)
        headers = []
        for line in header_lines:
            key, _, value = line.partition(":")
            headers.append((key, value.strip()))
        length_text = next((v for k, v in headers if k.lower() == "content-length"), None)
        if no_body or status == 204 or 100 <= status < 200:
            body = b""
        elif length_text is not None:
            length = int(length_text)
            while len(self._buf) < length:
                if self.eof or not self._fill():
                    raise ConnectionClosed(head + b"\r\n\r\n" + self._buf)
            body, self._buf = self._buf[:length], self._buf[length:]
        else:
            while not self.eof and self._fill():
                pass
            body, self._buf = self._buf, b""
        return RawResponse(version, status, reason, headers, body, head + b"\r\n\r\n", time.monotonic())

    def read_response_within(self, timeout: float) -> RawResponse:
        """``read_response`` with a different socket timeout (TimeoutError keeps the bytes received so far)."""
        saved = self.timeout
        self.timeout = timeout
        try:
            return self.read_response()
        finally:
            self.timeout = saved

    def wait_closed(self, timeout: float) -> bool:
        """True if the server closes the connection (EOF or reset) within ``timeout`` seconds, sending nothing."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                if not self._fill(remaining):
                    return True
            except TimeoutError:
                return False
            except ConnectionResetError:
                self.eof = True
                return True
        return True

    def pending(self) -> bytes:
        """Bytes received but not consumed by ``read_response``."""
        return self._buf


REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 413: "Content too large", 500: "Internal Server Error",
           503: "Service Unavailable"}
HTML_CONTENT_TYPE = "text/html; charset=ISO-8859-1"


def _fail(resp: RawResponse, what: str) -> None:
    raise AssertionError(f"{what}\nreply head: {resp.head!r}\nreply body: {resp.body[:500]!r}")


def assert_status(resp: RawResponse, status: int, version: str = "HTTP/1.1") -> None:
    if (resp.version, resp.status, resp.reason) != (version, status, REASONS[status]):
        _fail(resp, f"expected {version} {status} {REASONS[status]}")


def assert_json_reply(resp: RawResponse, status: int, body: bytes | str) -> None:
    """An HTTP/1.1 JSON reply exactly as bitcoind writes it: Content-Type, Date, Content-Length; ``body``."""
    expected = body.encode() if isinstance(body, str) else body
    assert_status(resp, status)
    if resp.header_names() != ["Content-Type", "Date", "Content-Length"]:
        _fail(resp, "expected headers Content-Type, Date, Content-Length in that order")
    if resp.header("Content-Type") != "application/json":
        _fail(resp, "expected Content-Type: application/json")
    if resp.header("Content-Length") != str(len(expected)):
        _fail(resp, f"expected Content-Length: {len(expected)}")
    if resp.body != expected:
        _fail(resp, f"expected body {expected!r}")


def assert_empty_reply(resp: RawResponse, status: int, *, first: list[tuple[str, str]] | None = None,
                       body: bytes = b"") -> None:
    """An HTTP/1.1 reply without a handler content type: ``first`` headers, Date, Content-Length, text/html."""
    assert_status(resp, status)
    expected = [*(first or []), ("Date", resp.header("Date") or "<missing>"), ("Content-Length", str(len(body))),
                ("Content-Type", HTML_CONTENT_TYPE)]
    if resp.headers != expected:
        _fail(resp, f"expected headers {expected}")
    if resp.body != body:
        _fail(resp, f"expected body {body!r}")


def assert_no_content(resp: RawResponse) -> None:
    """``204 No Content``: only a Date header, no body."""
    assert_status(resp, 204)
    if resp.header_names() != ["Date"] or resp.body:
        _fail(resp, "expected a 204 with only a Date header and no body")
