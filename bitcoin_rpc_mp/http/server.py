"""Listening sockets, the -rpcallowip filter and the work queue.

Owns: binding the RPC endpoints and the connection set; peers outside the allow list are closed without a byte,
as bitcoind does (the allow list itself comes from the configuration layer).
Must not import: `jsonrpc`, `handlers`, `ipc`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sequence
from typing import Protocol

from .protocol import Handler, HttpProtocol
from .wire import ReplyWriter
from .workqueue import WorkQueue

log = logging.getLogger("bitcoin_rpc_mp.http")

class PeerFilter(Protocol):
    """Who may connect (`-rpcallowip`); built by the configuration layer."""

    def allows(self, host: str) -> bool: ...


class HttpServer:
    """Binds the endpoints and hands each accepted connection to an `HttpProtocol`."""

    def __init__(
        self,
        handler: Handler,
        *,
        allow: PeerFilter,
        work_queue: WorkQueue,
        idle_timeout_s: int,
        clock: Callable[[], float],
    ) -> None:
        self._handler = handler
        self._allow = allow
        self.work_queue = work_queue
        self._idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._writer = ReplyWriter()  # the pieces of common replies, shared by every connection
        self._servers: list[asyncio.Server] = []
        self.connections: set[HttpProtocol] = set()
        self.bound: list[tuple[str, int]] = []

    def _make_protocol(self) -> HttpProtocol:
        return HttpProtocol(
            self._handler,
            allow=self._allow.allows,
            work_queue=self.work_queue,
            idle_timeout_s=self._idle_timeout_s,
            clock=self._clock,
            registry=self.connections,
            writer=self._writer,
        )

    async def bind(self, endpoints: Sequence[tuple[str, int]]) -> None:
        """Bind every endpoint that can be bound; raise OSError if none could (bitcoind's rule)."""
        loop = asyncio.get_running_loop()
        errors: list[str] = []
        for host, port in endpoints:
            try:
                family = socket.AF_INET6 if ":" in host else socket.AF_UNSPEC
                server = await loop.create_server(
                    self._make_protocol,
                    host=host or None,
                    port=port,
                    family=family,
                    reuse_address=True,
                    backlog=128,
                )
            except OSError as exc:
                errors.append(f"{host}:{port}: {exc.strerror or exc}")
                log.warning("Binding RPC on address %s port %d failed: %s", host, port, exc)
                continue
            self._servers.append(server)
            for sock in server.sockets:
                name = sock.getsockname()
                self.bound.append((name[0], name[1]))
            log.info("Binding RPC on address %s port %d", host, port)
        if not self._servers:
            raise OSError("Unable to bind any endpoint for RPC server (" + "; ".join(errors) + ")")

    async def aclose(self) -> None:
        for server in self._servers:
            server.close()
        for conn in list(self.connections):
            conn.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
