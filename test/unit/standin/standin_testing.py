"""Raw pycapnp client helper for the stand-in tests (a module of its own: conftest names collide across dirs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import capnp

from bitcoin_rpc_mp.ipc.schemas import load_variant

if TYPE_CHECKING:
    from bitcoin_rpc_mp.standin.node import StandinNode


class RawClient:
    """One pycapnp connection to a stand-in, with the variant's Init and a ThreadMap."""

    def __init__(self, variant: str, stream: Any) -> None:
        self.vs = load_variant(variant)
        self.stream = stream
        self.client = capnp.TwoPartyClient(stream)
        self.init = self.client.bootstrap().cast_as(self.vs.init.Init)
        self.thread_map: Any = None

    async def setup(self) -> RawClient:
        self.thread_map = (await self.init.construct()).threadMap
        return self

    async def thread(self, name: str) -> Any:
        return (await self.thread_map.makeThread(name)).result

    async def context(self, name: str = "t") -> Any:
        ctx = self.vs.proxy.Context.new_message()
        ctx.thread = await self.thread(name)
        return ctx

    def close(self) -> None:
        self.client.close()


Factory = Callable[..., Awaitable[tuple["StandinNode", RawClient]]]


class Notes:
    """What a client's ChainNotifications object received: ``events`` as tuples, in arrival order.

    ``("connected", hash, height, prev_hash, role, block)``, ``("disconnected", hash, height, prev_hash, block)``,
    ``("tip",)``, ``("destroy",)`` (hashes in internal byte order; ``block`` is the BlockInfo as a dict);
    ``threads`` the name of the Thread each callback's context named (None when it named none).
    """

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.threads: list[str | None] = []
        self.fail = False  # raise from every callback (a client that refuses)


class TaggedLog(list[tuple[Any, ...]]):
    """``Notes.events`` of one of several registrations that also writes ``"<tag> <kind>"`` to a shared log."""

    def __init__(self, shared: list[str], tag: str) -> None:
        super().__init__()
        self.shared, self.tag = shared, tag

    def append(self, event: tuple[Any, ...]) -> None:
        self.shared.append(f"{self.tag} {event[0]}")
        super().append(event)


def notifications_server(vs: Any, notes: Notes, *, delay_s: float = 0.0) -> Any:
    """A ChainNotifications server of variant schemas ``vs`` recording into ``notes``."""
    import asyncio

    async def thread_name(context: Any) -> str | None:
        if not context._has("thread"):
            return None
        try:
            return str((await context.thread.getName()).result)
        except capnp.KjException:
            return None

    def info(block: Any) -> dict[str, Any]:
        return {
            "hash": bytes(block.hash),
            "prevHash": bytes(block.prevHash),
            "height": block.height,
            "fileNumber": block.fileNumber,
            "dataPos": block.dataPos,
            "data": bytes(block.data),
            "undoData": bytes(block.undoData),
            "chainTimeMax": block.chainTimeMax,
        }

    class Server(vs.chain.ChainNotifications.Server):  # type: ignore[misc]
        async def _record(self, context: Any, event: tuple[Any, ...]) -> None:
            if notes.fail:
                raise RuntimeError("this client refuses notifications")
            if delay_s:
                await asyncio.sleep(delay_s)
            notes.threads.append(await thread_name(context))
            notes.events.append(event)

        async def blockConnected(self, context: Any, role: Any, block: Any, **kwargs: Any) -> None:
            role_value = (role.validated, role.historical) if hasattr(role, "validated") else int(role)
            b = info(block)
            await self._record(context, ("connected", b["hash"], b["height"], b["prevHash"], role_value, b))

        async def blockDisconnected(self, context: Any, block: Any, **kwargs: Any) -> None:
            b = info(block)
            await self._record(context, ("disconnected", b["hash"], b["height"], b["prevHash"], b))

        async def updatedBlockTip(self, context: Any, **kwargs: Any) -> None:
            await self._record(context, ("tip",))

        async def destroy(self, context: Any, **kwargs: Any) -> None:
            notes.events.append(("destroy",))

    return Server()
