"""The JSON-RPC endpoint as bitcoind's HTTP handler runs it after routing: Basic auth, then the dispatcher.

Owns: the 401 (at once for a missing header, after bitcoind's 250 ms for wrong credentials), the remembered
last accepted Authorization value (compared in constant time: an HMAC per credential per request was a tenth of
our CPU), turning the dispatcher's reply into an HTTP response, and the one `-metrics` observation per request.
Imports `http.events`/`http.errors` for the response, `auth` for the credentials, `jsonrpc.dispatch`; no I/O.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import time

from .auth.credentials import Authenticator
from .http.errors import Forbidden, Unauthorized
from .http.events import Request, Response, checked_headers
from .jsonrpc.dispatch import Dispatcher
from .metrics import RequestMetrics

__all__ = ["AUTH_FAILURE_DELAY_S", "JsonRpcHttpHandler"]

log = logging.getLogger("bitcoin_rpc_mp")

UNAUTHORIZED = Unauthorized().response
# the dispatcher's replies without a body: whitelist refusals and notifications
BODILESS = {403: Forbidden().response, 204: Response(204)}
JSON_CONTENT = checked_headers(("Content-Type", "application/json"))
AUTH_FAILURE_DELAY_S = 0.25  # bitcoind's deterrent against guessing, only for wrong credentials
UNAUTHORIZED_AFTER_DELAY = dataclasses.replace(UNAUTHORIZED, delay_s=AUTH_FAILURE_DELAY_S)


class JsonRpcHttpHandler:
    """bitcoind's JSON-RPC HTTP handler after routing: Basic auth, then the dispatcher."""

    def __init__(
        self, authenticator: Authenticator, dispatcher: Dispatcher, metrics: RequestMetrics | None = None
    ) -> None:
        self._authenticator = authenticator
        self._dispatcher = dispatcher
        self._metrics = metrics  # -metrics: one observation per request
        # The last accepted Authorization value and its user: a client sends the same header with every
        # request, and an HMAC per entry per request is a tenth of our CPU. Compared in constant time.
        self._accepted: tuple[bytes, str] = (b"", "")

    def _authenticate(self, header: str) -> str | None:
        raw = header.encode("latin-1")
        accepted, user = self._accepted
        if accepted and hmac.compare_digest(raw, accepted):
            return user
        found = self._authenticator.check(header)
        if found is not None:
            self._accepted = (raw, found)
        return found

    async def __call__(self, request: Request, peer: str) -> Response:
        if self._metrics is None:
            return (await self._answer(request, peer))[0]
        started = time.perf_counter()
        response, method = await self._answer(request, peer)
        self._metrics.observe(method, response.status, time.perf_counter() - started)
        return response

    async def _answer(self, request: Request, peer: str) -> tuple[Response, str]:
        """The response, and the method it answered ("" when no request was read)."""
        header = request.header("Authorization")
        if header is None:
            return UNAUTHORIZED, ""
        user = self._authenticate(header)
        if user is None:
            log.warning("ThreadRPCServer incorrect password attempt from %s", peer)
            # bitcoind sleeps 250 ms in its worker; we wait after giving the worker back (see Response.delay_s)
            return UNAUTHORIZED_AFTER_DELAY, ""
        reply = await self._dispatcher.handle(request.body, user, request.target)
        if reply.body is None:
            return BODILESS.get(reply.status) or Response(reply.status), reply.method
        # bitcoind ends every JSON-RPC reply with a newline; as the tail, not appended (a copy of the whole body)
        return Response(reply.status, JSON_CONTENT, reply.body, tail=b"\n"), reply.method
