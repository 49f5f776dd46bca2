"""The stand-in's Init (bootstrap) server and the two small interfaces it makes besides Mining and Chain:
Echo and Rpc.

``Init.makeMining`` behaves as bitcoin-node's ``MakeMining(wait_loaded=true)``: it returns once the node has
finished loading (during warm-up it waits). ``makeMiningOld2`` answers the node's "Old mining interface" error.
The classes Init hands out are the variant's (set as class attributes by `server.make_server_classes`).
Imports of ours: ``standin.serve_base`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from bitcoin_rpc_mp.standin.serve_base import NodeError, Served

OLD_MINING = "Old mining interface (@2) not supported. Please update your client!"


class EchoService(Served):
    _iface = "Echo"

    def destroy_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            self.destroyed = True

        return self._call(ctx, "destroy", work)

    def echo_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        text = str(ctx.params.echo)

        async def work() -> None:
            ctx.results.result = text

        return self._call(ctx, "echo", work)


class RpcService(Served):
    _iface = "Rpc"

    def executeRpc_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        request, uri, user = str(p.request), str(p.uri), str(p.user)

        async def work() -> None:
            ctx.results.result = self.node.rpc.execute(request, uri, user)

        return self._call(ctx, "executeRpc", work)


class InitService(Served):
    _iface = "Init"
    # the variant's server classes, set by make_server_classes (None: the variant has no such interface)
    echo_class: type[Served]
    mining_class: type[Served]
    rpc_class: type[Served] | None = None
    chain_class: type[Served] | None = None

    def construct_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        if ctx.params._has("threadMap"):  # the client's own: callbacks to it name a Thread made there
            self.conn.client_thread_map = ctx.params.threadMap

        async def work() -> None:
            ctx.results.threadMap = self.conn.thread_map

        return self._call(ctx, "construct", work, needs_context=False)

    def _make(self, ctx: Any, method: str, factory: Callable[[], Any]) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            ctx.results.result = factory()

        return self._call(ctx, method, work)

    def makeEcho_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._make(ctx, "makeEcho", lambda: self.echo_class(self.conn))

    def makeMining_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        # MakeMining(wait_loaded=true): the call returns once the chainstate is loaded.
        node = self.node

        async def work() -> None:
            await node.loaded.wait()
            ctx.results.result = self.mining_class(self.conn)

        return self._call(ctx, "makeMining", work)

    def makeMiningOld2_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        self._arrival(ctx, "makeMiningOld2", needs_context=False)
        raise NodeError(OLD_MINING)

    def makeRpc_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        rpc_class = self.rpc_class
        assert rpc_class is not None  # only variants whose Init has makeRpc dispatch here
        return self._make(ctx, "makeRpc", lambda: rpc_class(self.conn))

    def makeChain_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        chain_class = self.chain_class
        assert chain_class is not None  # only variants whose Init has makeChain dispatch here
        return self._make(ctx, "makeChain", lambda: chain_class(self.conn))
