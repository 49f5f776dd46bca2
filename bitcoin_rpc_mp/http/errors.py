"""HTTP-level error replies: each `HttpError` subclass knows the `Response` it implies (compat spec §1-§3).

Owns: the status, handler headers and body of every reply that bitcoind decides before JSON-RPC runs.
Imports only `http.events` (for `Response`); nothing else of ours, no I/O.

    try:
        ...
    except HttpError as exc:
        return exc.response
"""

from __future__ import annotations

from typing import ClassVar

from .events import Headers, Response, checked_headers

NO_STORE: Headers = checked_headers(("Cache-Control", "no-store"))


class HttpError(Exception):
    """Base of the family. `detail` is for logs only; it never reaches the wire."""

    status: ClassVar[int] = 500
    headers: ClassVar[Headers] = NO_STORE
    body: ClassVar[bytes] = b""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail

    @property
    def response(self) -> Response:
        return Response(self.status, self.headers, self.body)


class BadRequest(HttpError):
    """400: any request parse failure; the connection is closed after it."""

    status = 400


class Unauthorized(HttpError):
    """401: missing or wrong credentials (the 250 ms delay on wrong ones is the caller's business)."""

    status = 401
    headers = checked_headers(("WWW-Authenticate", 'Basic realm="jsonrpc"'))


class Forbidden(HttpError):
    """403: whitelist refusal; empty body, no handler headers."""

    status = 403
    headers = ()


class NotFound(HttpError):
    """404: URI neither "/" nor under "/wallet/"."""

    status = 404


class MethodNotAllowed(HttpError):
    """405 for a method other than GET/POST/HEAD/PUT (checked before the URI)."""

    status = 405


class PostOnly(MethodNotAllowed):
    """405 from the JSON-RPC handler for GET/HEAD/PUT: text body, no Cache-Control."""

    headers = ()
    body = b"JSONRPC server handles only POST requests"


class PayloadTooLarge(HttpError):
    """413 `Content too large`: Content-Length or the chunk total above 32 MiB; the connection is closed."""

    status = 413


class ServiceUnavailable(HttpError):
    """503 when the work queue is at its depth (-rpcworkqueue, `workqueue.WorkQueueFull`); the connection stays
    open."""

    status = 503
    body = b"Work queue depth exceeded"
