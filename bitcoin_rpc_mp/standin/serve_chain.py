"""The stand-in's Chain server (variants whose schema has Chain): heights, hashes, block lookups filled as
bitcoin-node fills ``FoundBlock``, and the node's aborts.

``getBlockHash`` with a height outside the active chain aborts the process with bitcoin-node's assertion text,
as does any Chain call during warm-up (no ChainstateManager yet) or teardown (see `serve_base.Served`).
Imports of ours: ``standin.chain`` and ``standin.serve_base`` only.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Coroutine
from typing import Any

from bitcoin_rpc_mp.standin.chain import Block, compact_size
from bitcoin_rpc_mp.standin.notifications import Registration
from bitcoin_rpc_mp.standin.serve_base import Served, abort_process, read_hash
from bitcoin_rpc_mp.standin.serve_notifications import HandlerService, Notifier

GETBLOCKHASH_ASSERT = (
    "bitcoin-node: ./src/node/interfaces.cpp: virtual uint256 node::(anonymous namespace)::ChainImpl::"
    "getBlockHash(int): Assertion `chainman().ActiveChain()[height]' failed.\n"
)
LOCATOR_VERSION = 70016  # CBlockLocator's DUMMY_VERSION


class ChainService(Served):
    _iface = "Chain"
    # set by make_server_classes: the variant's Handler server class, and whether its ChainNotifications
    # role parameter is the ChainstateRole struct (else a UInt32)
    handler_class: type[HandlerService]
    role_is_struct = True

    def _run(
        self, ctx: Any, method: str, fn: Callable[[Any], None], checks: Callable[[], None] | None = None
    ) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            fn(ctx.results)

        return self._call(ctx, method, work, checks=checks)

    def destroy_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        def fn(results: Any) -> None:
            self.destroyed = True

        return self._run(ctx, "destroy", fn)

    def getHeight_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        def fn(results: Any) -> None:
            results.result = self.node.chain.height
            results.hasResult = True

        return self._run(ctx, "getHeight", fn)

    def getBlockHash_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        height = int(ctx.params.height)

        def fn(results: Any) -> None:
            block = self.node.chain.at_height(height)
            if block is None:
                abort_process(GETBLOCKHASH_ASSERT)
            results.result = block.hash

        return self._run(ctx, "getBlockHash", fn)

    def haveBlockOnDisk_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        height = int(ctx.params.height)

        def fn(results: Any) -> None:
            results.result = self.node.chain.at_height(height) is not None

        return self._run(ctx, "haveBlockOnDisk", fn)

    def findBlock_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        block_hash = read_hash(p.hash)

        def fn(results: Any) -> None:
            results.result = self._fill(
                results.init("block"), p.block, self.node.chain.by_hash(block_hash)
            )

        return self._run(ctx, "findBlock", fn)

    def findFirstBlockWithTimeAndHeight_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        min_time, min_height = int(p.minTime), int(p.minHeight)

        def fn(results: Any) -> None:
            block = self.node.chain.first_with_time_and_height(min_time, min_height)
            results.result = self._fill(results.init("block"), p.block, block)

        return self._run(ctx, "findFirstBlockWithTimeAndHeight", fn)

    def findAncestorByHeight_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        block_hash = read_hash(p.blockHash)
        height = int(p.ancestorHeight)

        def fn(results: Any) -> None:
            chain = self.node.chain
            block = chain.by_hash(block_hash)
            ancestor = chain.ancestor(block, height) if block is not None else None
            results.result = self._fill(results.init("ancestor"), p.ancestor, ancestor)

        return self._run(ctx, "findAncestorByHeight", fn)

    def findAncestorByHash_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        block_hash, ancestor_hash = read_hash(p.blockHash), read_hash(p.ancestorHash)

        def fn(results: Any) -> None:
            chain = self.node.chain
            block, ancestor = chain.by_hash(block_hash), chain.by_hash(ancestor_hash)
            if (
                block is None
                or ancestor is None
                or chain.ancestor(block, ancestor.height) is not ancestor
            ):
                ancestor = None
            results.result = self._fill(results.init("ancestor"), p.ancestor, ancestor)

        return self._run(ctx, "findAncestorByHash", fn)

    def findCommonAncestor_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        p = ctx.params
        hash1, hash2 = read_hash(p.blockHash1), read_hash(p.blockHash2)

        def fn(results: Any) -> None:
            chain = self.node.chain
            b1, b2 = chain.by_hash(hash1), chain.by_hash(hash2)
            common = None
            if b1 is not None and b2 is not None:
                a1 = chain.ancestor(b1, min(b1.height, b2.height))
                a2 = chain.ancestor(b2, min(b1.height, b2.height))
                while a1 is not a2 and a1 is not None and a2 is not None:
                    a1, a2 = chain.by_hash(a1.prev_hash), chain.by_hash(a2.prev_hash)
                common = a1
            found = [
                self._fill(results.init("ancestor"), p.ancestor, common),
                self._fill(results.init("block1"), p.block1, b1),
                self._fill(results.init("block2"), p.block2, b2),
            ]
            results.result = all(found)

        return self._run(ctx, "findCommonAncestor", fn)

    def handleNotifications_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        callbacks = ctx.params.notifications

        async def work() -> None:
            hub = self.node.notifications
            notifier = Notifier(self.conn, callbacks, role_is_struct=self.role_is_struct)
            registration = Registration(owner=self.conn, deliver=notifier.deliver)
            hub.register(registration)
            ctx.results.result = self.handler_class(self.conn, hub, registration, notifier)

        return self._call(ctx, "handleNotifications", work)

    def waitForNotifications_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        async def work() -> None:
            await self.node.notifications.wait_delivered()

        return self._call(ctx, "waitForNotifications", work)

    def waitForNotificationsIfTipChanged_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        old_tip = read_hash(ctx.params.oldTip)

        async def work() -> None:
            if old_tip != self.node.chain.tip.hash:
                await self.node.notifications.wait_delivered()

        return self._call(ctx, "waitForNotificationsIfTipChanged", work)

    def _constant(self, ctx: Any, method: str, **values: Any) -> Coroutine[Any, Any, None]:
        def fn(results: Any) -> None:
            for key, value in values.items():
                setattr(results, key, value)

        return self._run(ctx, method, fn)

    def havePruned_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._constant(ctx, "havePruned", result=False)

    def getPruneHeight_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._constant(ctx, "getPruneHeight", hasResult=False)

    def isReadyToBroadcast_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._constant(ctx, "isReadyToBroadcast", result=True)

    def isInitialBlockDownload_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        return self._constant(ctx, "isInitialBlockDownload", result=False)

    def shutdownRequested_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        def fn(results: Any) -> None:
            results.result = self.node.shutting_down

        return self._run(ctx, "shutdownRequested", fn)

    def initMessage_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
        message = str(ctx.params.message)

        def fn(results: Any) -> None:
            self.node.log_line(f"init message: {message}")

        return self._run(ctx, "initMessage", fn)

    def _fill(self, out: Any, want: Any, block: Block | None) -> bool:
        """FoundBlockResult as bitcoin-node fills it: only the wanted facts, plus ``found``."""
        if block is None:
            return False
        chain = self.node.chain
        if want.wantHash:
            out.hash = block.hash
        if want.wantHeight:
            out.height = block.height
        if want.wantTime:
            out.time = block.time
        if want.wantMaxTime:
            out.maxTime = block.max_time
        if want.wantMtpTime:
            out.mtpTime = block.mtp
        if want.wantInActiveChain:
            out.inActiveChain = chain.in_active_chain(block)
        if want.wantLocator:
            hashes = chain.locator(block)
            out.locator = (
                struct.pack("<i", LOCATOR_VERSION) + compact_size(len(hashes)) + b"".join(hashes)
            )
        if want._has("nextBlock"):
            self._fill(out.init("nextBlock"), want.nextBlock, chain.next_in_active_chain(block))
        if want.wantData:
            out.data = block.serialize()
        out.found = True
        return True
