"""The stand-in's Mining server: the tip, waits for a tip change, interrupt; block templates are not served
(``createNewBlock`` and friends answer "... is not supported by the stand-in").

A call arriving while the node tears down after ``stop`` aborts the process with the node's assertion (see
`serve_base.Served`). Imports of ours: ``standin.serve_base`` only.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from bitcoin_rpc_mp.standin.serve_base import Served, ServedConnection, read_hash


class MiningService(Served):
    _iface = "Mining"

    def __init__(self, conn: ServedConnection) -> None:
        super().__init__(conn)
        self.interrupted = False

    def _value(self, ctx: Any, method: str, value: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            ctx.results.result = value

        return self._call(ctx, method, work)

    def isTestChain_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._value(ctx, "isTestChain", True)

    def isInitialBlockDownload_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._value(ctx, "isInitialBlockDownload", False)

    def getTip_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            tip = self.node.chain.tip
            ref = ctx.results.init("result")
            ref.hash = tip.hash
            ref.height = tip.height
            ctx.results.hasResult = True

        return self._call(ctx, "getTip", work)

    def waitTipChanged_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        current = read_hash(ctx.params.currentTip)
        timeout_ms = float(ctx.params.timeout)

        async def work() -> None:
            block = await self.node.wait_tip_changed(current, timeout_ms, self)
            if block is not None:
                ref = ctx.results.init("result")
                ref.hash = block.hash
                ref.height = block.height

        return self._call(ctx, "waitTipChanged", work)

    def interrupt_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            self.interrupted = True
            self.node.wake_waiters()

        return self._call(ctx, "interrupt", work, needs_context=False)
