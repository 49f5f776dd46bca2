"""The stand-in's side of ``Chain.handleNotifications``: calls into the client's ``ChainNotifications`` object
and the ``Handler`` server that ends a registration.

What the pr29409 node sends, measured (``docs/ARCHITECTURE.md`` has the sequences): ``blockConnected(role,
block)`` with ``role = {validated: true, historical: false}`` (``0`` where the schema's role is a UInt32),
``blockDisconnected(block)`` and ``updatedBlockTip()``; a ``BlockInfo`` carries ``hash``/``prevHash`` in
internal byte order, ``height``, the serialized block in ``data`` (no ``undoData``), ``fileNumber`` 0, the
block's ``dataPos`` in that file and ``chainTimeMax``. ``Handler.disconnect`` stops the callbacks and calls
``destroy`` on the client's object; ``Handler.destroy`` disconnects first if needed; releasing the Handler
without either does the same. If the client gave a ThreadMap in ``Init.construct``, callbacks name a Thread
it made for the stand-in's scheduler (``ServedConnection.callback_thread``); otherwise ``context.thread`` is
left unset (the node sends a capability the client cannot use).

Imports of ours: ``standin.chain``, ``standin.notifications`` and ``standin.serve_base`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Coroutine
from typing import Any

from bitcoin_rpc_mp.standin.chain import Block, ChainEvent
from bitcoin_rpc_mp.standin.notifications import NotificationHub, Registration
from bitcoin_rpc_mp.standin.serve_base import Served, ServedConnection


class Notifier:
    """Sends chain events to one client's ``ChainNotifications`` capability, as the node does."""

    def __init__(self, conn: ServedConnection, callbacks: Any, *, role_is_struct: bool) -> None:
        self.conn = conn
        self.callbacks = callbacks
        self.role_is_struct = role_is_struct

    async def _request(self, method: str) -> Any:
        request = getattr(self.callbacks, f"{method}_request")()
        context = request.init("context")
        thread = await self.conn.callback_thread()
        if thread is not None:
            context.thread = thread
        return request

    async def deliver(self, event: ChainEvent) -> None:
        kind, block = event
        if kind == "tip":
            request = await self._request("updatedBlockTip")
        elif kind == "connected":
            request = await self._request("blockConnected")
            if self.role_is_struct:
                role = request.init("role")
                role.validated = True
                role.historical = False
            else:
                request.role = 0  # ChainstateRole::NORMAL
            self._fill(request.init("block"), block)
        else:
            request = await self._request("blockDisconnected")
            self._fill(request.init("block"), block)
        await request.send()

    def _fill(self, out: Any, block: Block | None) -> None:
        assert block is not None
        out.hash = block.hash
        out.prevHash = block.prev_hash
        out.height = block.height
        out.fileNumber = 0
        out.dataPos = self.conn.node.chain.data_pos(block)
        out.data = block.serialize()
        out.chainTimeMax = block.max_time

    async def destroy(self) -> None:
        """The node destroys the client's object once the registration ends; a gone client is fine."""
        with contextlib.suppress(Exception):
            await (await self._request("destroy")).send()


def end_registration(hub: NotificationHub, registration: Registration, notifier: Notifier) -> None:
    """Released Handler: stop notifying, then tell the client (scheduled: this can run inside GC)."""
    if not registration.active:
        return
    hub.unregister(registration)
    with contextlib.suppress(RuntimeError):  # no running loop: the stand-in is shutting down
        asyncio.get_running_loop().create_task(notifier.destroy())


class HandlerService(Served):
    _iface = "Handler"

    def __init__(
        self, conn: ServedConnection, hub: NotificationHub, registration: Registration, notifier: Notifier
    ) -> None:
        super().__init__(conn)
        self.hub = hub
        self.registration = registration
        self.notifier = notifier
        weakref.finalize(self, end_registration, hub, registration, notifier)

    async def _disconnect(self) -> None:
        if self.registration.active:
            self.hub.unregister(self.registration)
            await self.notifier.destroy()

    def disconnect_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._call(ctx, "disconnect", self._disconnect)

    def destroy_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            await self._disconnect()
            self.destroyed = True

        return self._call(ctx, "destroy", work)
