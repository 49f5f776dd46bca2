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
