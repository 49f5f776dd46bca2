"""pycapnp servers of the stand-in node: Init, ThreadMap, Thread, Echo, Mining, Rpc and Chain.

Owns the libmultiprocess semantics a client can observe:

- every connection gets its own Init (bootstrap) and ThreadMap; ``ThreadMap.makeThread(name)`` returns a
  Thread named ``bitcoin-node-<pid>/b-capnp-loop-<n> (from <name>)``; ``makePool(count)`` (variants that
  have it) creates ``(pool/<i>)`` threads used for calls without ``context.thread``;
- a method with a ``context`` runs on the Thread named there: one call at a time per Thread, FIFO; calls on
  different Threads run concurrently. The v30 variant instead fails a call sent to a busy Thread;
- no valid Thread and no pool: ``FAILED remote exception: std::exception: no thread specified and no pool
  configured``; ordinals a variant lacks answer UNIMPLEMENTED (pycapnp's dispatcher does this);
- ``Chain.getBlockHash`` with a height outside the active chain, and any call on an Echo/Chain after its
  ``destroy``, kill the process (``os.abort()``) as bitcoin-node dies.

How errors reach the client with bitcoin-node's exact text: pycapnp turns an exception raised
*synchronously* by a ``<method>_context`` function into a KJ exception whose description is
``repr(type) + ":" + str(exc)``; `NodeError` is shaped so that this reads ``std::exception: <message>``, which
the client sees as ``remote exception: std::exception: <message>``. Every error the stand-in can decide when
the call arrives (no thread, short hash, unsupported method, …) is raised that way. An error that can only
be known later (v30's "thread busy", which needs the call's Thread first) goes through pycapnp's coroutine
path, which prefixes ``message = ``; a small hook makes the rest of that text ``std::exception: <message>``.

A call's Thread is found by asking the received capability for its name (``Thread.getName``, a local call
since the client hands back our own object) and mapping the unique name back; pycapnp offers no way to
unwrap a capability to its server object.

Imports of ours: only ``bitcoin_rpc_mp.ipc.schemas`` (through ``StandinNode``) and other ``standin`` modules.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import struct
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn

from bitcoin_rpc_mp.standin.chain import Block, compact_size

if TYPE_CHECKING:
    from bitcoin_rpc_mp.standin.node import ClientConnection, StandinNode

log = logging.getLogger("bitcoin_rpc_mp.standin")

NO_THREAD = "no thread specified and no pool configured"
SHORT_DATA = "SpanReader::read(): end of data: iostream error"
OLD_MINING = "Old mining interface (@2) not supported. Please update your client!"
POOL_EXISTS = "makePool called on connection with existing pool"
THREAD_BUSY = "thread busy"
CHAINMAN_ASSERT = (
    "./node/interfaces.cpp:873 ChainstateManager& node::{anonymous}::ChainImpl::chainman(): "
    "Assertion `m_node.chainman' failed.\n"
)
TEARDOWN_ASSERT = {
    "Chain": CHAINMAN_ASSERT,
    "Mining": "./node/interfaces.cpp ChainstateManager& node::{anonymous}::MinerImpl::chainman(): "
    "Assertion `m_node.chainman' failed.\n",
}
GETBLOCKHASH_ASSERT = (
    "bitcoin-node: ./src/node/interfaces.cpp: virtual uint256 node::(anonymous namespace)::ChainImpl::"
    "getBlockHash(int): Assertion `chainman().ActiveChain()[height]' failed.\n"
)
LOCATOR_VERSION = 70016  # CBlockLocator's DUMMY_VERSION
MAX_WAIT_S = 100 * 365 * 24 * 3600  # the node caps waits at 100 years


class _StdExceptionType(type):
    def __repr__(cls) -> str:
        return "std:"


class NodeError(Exception, metaclass=_StdExceptionType):
    """An error as bitcoin-node reports a C++ std::exception: the client reads ``std::exception: <message>``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        # pycapnp describes a synchronously raised exception as repr(type) + ":" + str(exc).
        return "exception: " + self.message


class _TracebackHook:
    """Stands in for ``traceback`` inside pycapnp: formats a NodeError raised in a coroutine as the node would."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    def format_exception(self, exc_type: Any, exc: BaseException | None = None, tb: Any = None) -> list[str]:
        if isinstance(exc, NodeError):
            return ["std::exception: " + exc.message]
        return traceback.format_exception(exc_type, exc, tb)


def install_error_hook() -> None:
    capnp_lib = sys.modules.get("capnp.lib.capnp")
    if capnp_lib is not None and not isinstance(getattr(capnp_lib, "_traceback", None), _TracebackHook):
        capnp_lib._traceback = _TracebackHook()  # type: ignore[attr-defined]


def abort_process(stderr_text: str | None = None) -> NoReturn:
    if stderr_text:
        os.write(2, stderr_text.encode())
    os.abort()


def read_hash(data: Any) -> bytes:
    """uint256 as Bitcoin Core's serializer reads it: short → error, extra bytes ignored."""
    raw = bytes(data)
    if len(raw) < 32:
        raise NodeError(SHORT_DATA)
    return raw[:32]


Work = Callable[[], Awaitable[None]]


async def _forever() -> None:
    await asyncio.Event().wait()


class _Served:
    """Shared plumbing: run a call's work on its Thread, honouring faults; reject methods we do not serve."""

    _iface = ""
    destroyed = False
    destroyable = False

    def __init__(self, conn: ClientConnection) -> None:
        self.conn: ClientConnection = conn
        self.node: StandinNode = conn.node

    def __getattr__(self, name: str) -> Any:
        if not name.endswith("_context") or name.startswith("_"):
            raise AttributeError(name)
        method = name[: -len("_context")]

        def unsupported(ctx: Any) -> NoReturn:
            self._arrival(ctx, method, needs_context=False)
            raise NodeError(f"{self._iface}.{method} is not supported by the stand-in")

        return unsupported

    def _arrival(self, ctx: Any, method: str, *, needs_context: bool) -> Any:
        """Checks done when a call arrives; returns the call's context param (or None)."""
        if self.destroyed:
            abort_process()  # bitcoin-node dereferences the destroyed object and dies
        if self._iface in ("Chain", "Mining") and self.node.tearing_down:
            abort_process(TEARDOWN_ASSERT[self._iface])  # the ChainstateManager is gone: bitcoin-node's Assert fails
        if self._iface == "Chain" and self.node.warmup_status is not None:
            abort_process(CHAINMAN_ASSERT)  # no ChainstateManager yet: bitcoin-node's Assert fails
        if self.node.faults.check_fatal():
            self.node.disconnect_all()
        if not needs_context:
            return None
        context = ctx.params.context
        if not context._has("thread") and self.conn.pool is None:
            log.error("IPC server error request, %s", NO_THREAD)
            raise NodeError(NO_THREAD)
        return context

    def _call(
        self,
        ctx: Any,
        method: str,
        work: Work,
        *,
        needs_context: bool = True,
        checks: Callable[[], None] | None = None,
    ) -> Coroutine[Any, Any, None]:
        context = self._arrival(ctx, method, needs_context=needs_context)
        if checks is not None:
            checks()
        faults = self.node.faults

        async def body() -> None:
            await faults.apply(method)
            await work()

        if context is None:
            return body()
        return self.conn.run_on_thread(context, body)


class ThreadServer:
    """Mixin state of one Thread; the pycapnp class is built per variant in `make_server_classes`."""

    name: str
    busy: asyncio.Lock
    in_flight: int


def make_server_classes(vs: Any, variant: str) -> dict[str, type]:
    """Build the server classes for one variant's schemas (types of two schema parsers never mix)."""
    queueing = variant != "v30"

    class Thread(vs.proxy.Thread.Server):
        def __init__(self, conn: ClientConnection, name: str) -> None:
            self.conn = conn
            self.name = name
            self.busy = asyncio.Lock()
            self.in_flight = 0

        async def getName(self, _context: Any, **kwargs: Any) -> str:
            return self.name

        async def run(self, fn: Work) -> None:
            if not queueing and self.busy.locked():
                raise NodeError(THREAD_BUSY)
            self.in_flight += 1
            try:
                async with self.busy:
                    await fn()
            finally:
                self.in_flight -= 1

    class ThreadMap(_Served, vs.proxy.ThreadMap.Server):
        _iface = "ThreadMap"

        def makeThread_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            name = str(ctx.params.name)

            async def work() -> None:
                ctx.results.result = self.conn.new_thread(f"(from {name})")

            return self._call(ctx, "makeThread", work, needs_context=False)

        def makePool_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            count = int(ctx.params.count)

            def checks() -> None:
                if self.conn.pool is not None:
                    raise NodeError(POOL_EXISTS)
                self.conn.pool = [self.conn.new_thread(f"(pool/{i})") for i in range(count)]

            async def work() -> None:
                return None

            return self._call(ctx, "makePool", work, needs_context=False, checks=checks)

    class Echo(_Served, vs.echo.Echo.Server):
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

    class Rpc(_Served, vs.rpc.Rpc.Server if vs.rpc is not None else object):  # type: ignore[misc]
        _iface = "Rpc"

        def executeRpc_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            p = ctx.params
            request, uri, user = str(p.request), str(p.uri), str(p.user)

            async def work() -> None:
                ctx.results.result = self.node.rpc.execute(request, uri, user)

            return self._call(ctx, "executeRpc", work)

    class Mining(_Served, vs.mining.Mining.Server):
        _iface = "Mining"

        def __init__(self, conn: ClientConnection) -> None:
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

    class Chain(_Served, vs.chain.Chain.Server if vs.chain is not None else object):  # type: ignore[misc]
        _iface = "Chain"

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

    class Init(_Served, vs.init.Init.Server):
        _iface = "Init"

        def construct_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            async def work() -> None:
                ctx.results.threadMap = self.conn.thread_map

            return self._call(ctx, "construct", work, needs_context=False)

        def _make(self, ctx: Any, method: str, factory: Callable[[], Any]) -> Coroutine[Any, Any, None]:
            async def work() -> None:
                ctx.results.result = factory()

            return self._call(ctx, method, work)

        def makeEcho_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            return self._make(ctx, "makeEcho", lambda: Echo(self.conn))

        def makeMining_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            # MakeMining(wait_loaded=true): the call returns once the chainstate is loaded.
            node = self.node

            async def work() -> None:
                await node.loaded.wait()
                ctx.results.result = Mining(self.conn)

            return self._call(ctx, "makeMining", work)

        def makeMiningOld2_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            self._arrival(ctx, "makeMiningOld2", needs_context=False)
            raise NodeError(OLD_MINING)

        def makeRpc_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            return self._make(ctx, "makeRpc", lambda: Rpc(self.conn))

        def makeChain_context(self, ctx: Any) -> Coroutine[Any, Any, None]:
            return self._make(ctx, "makeChain", lambda: Chain(self.conn))

    return {"Thread": Thread, "ThreadMap": ThreadMap, "Init": Init}


def wait_seconds(timeout_ms: float) -> float:
    """waitTipChanged's timeout (milliseconds, Float64) as seconds, capped like the node's."""
    if math.isnan(timeout_ms) or timeout_ms <= 0:
        return 0.0
    return min(timeout_ms / 1000.0, MAX_WAIT_S)
