"""Handshake and discovery on a fresh connection: `Init.construct`, Threads, which variant, which interfaces.

Owns: turning an open `Connection` into a ready `Session` — `Init.construct` (no ThreadMap of ours), the first
`ThreadMap.makeThread`, the side-effect-free probes of spec ipc-protocol.md §8 that tell the six schema variants
apart (unless the caller named the variant), the interface objects (`makeEcho`, `makeMining`, `makeRpc`,
`makeChain`) and the pool of Threads every later call runs on.

Probes (in this order; each is harmless, nothing here can change node state or reach the chainstate):
1. `Init @4` as `makeRpc`, then `Rpc.executeRpc` of `getnetworkinfo`. UNIMPLEMENTED at @4 -> the node is 31.x or
   older (or the 2025 #29409 build); an Rpc that answers "Requested interface not implemented ... Chain" is in
   fact a Chain (the pr/trace layout, Chain at @4).
2. `Init @2` with the 29/30 meaning (`makeMining(context)`): FAILED "Old mining interface (@2)" -> 31.x.
3. `makeChain` at @5 (32 + #29409) or @3 (2025 #29409): a returned capability confirms Chain.
`ThreadMap.makePool` is never called (a second one fails, and we always name a Thread); whether the node has one
follows from the variant's schema. `Chain.getBlockHash` is never used (it aborts the node on a bad height).

Start-up safety (node/interfaces.cpp): every `Chain` and `Mining` method asserts that the chainstate manager
exists, and it does not while the node loads (nor after shutdown freed it). The only calls made here are
factories (`Init.make*`, which construct an object and touch no chain state) and `Rpc.executeRpc`, which answers
bitcoind's -28 "in warm-up" before it looks at the method. `Init.makeMining` itself waits until the chainstate is
loaded, and once it has returned every Chain and Mining method is safe: on a node without Rpc the session is
published only then; on a node with Rpc it is published at once (the node answers -28 to pass-through requests
itself), and Mining is made on a Thread of its own once `Rpc.executeRpc` has stopped answering -28 (a makeMining
left waiting in a node whose start-up fails hangs that node: `_mining_once_loaded`); `Session.ready` is set
when it returns. Typed calls wait for
`ready` (`client.NodeClient`).

The six variants live in six `capnp.SchemaParser`s whose types do not mix: the bootstrap capability and Thread
handles are cast (`cast_as`) to each parser's interface — only interface ids travel — and every call's `Context`
is built from the same parser as the interface it is sent to.

Must not import `http`, `jsonrpc`, `handlers`, `standin`. Catches no `capnp.KjException` itself: it goes through
`connection.map_exceptions()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bitcoin_rpc_mp.ipc.capabilities import NodeCapabilities
from bitcoin_rpc_mp.ipc.connection import Connection, map_exceptions
from bitcoin_rpc_mp.ipc.errors import IpcError, RemoteError
from bitcoin_rpc_mp.ipc.schemas import VariantSchemas, load_variant
from bitcoin_rpc_mp.ipc.threads import ThreadPool

__all__ = ["Detection", "Session", "UnsupportedNode", "detect_variant", "establish"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PROBE_REQUEST = '{"method":"getnetworkinfo","id":0}'
WARMUP_REQUEST = '{"method":"uptime","id":"bitcoin-rpc-mp-warmup"}'
WARMUP_POLL_S = 0.2  # how often a loading node is asked whether it has finished (see _mining_once_loaded)
WARMUP_ANSWER_S = 0.1  # a loading node answers -28 in well under a millisecond: no answer by then means it hangs
RPC_IN_WARMUP = -28
LOADED_WAIT_S = 0.25  # how long the handshake waits for makeMining before serving a node that is still loading
# Cap'n Proto's answer to a method of another interface names the object's real one (spec ipc-protocol.md §4).
_ACTUAL_CHAIN = re.compile(r"actualInterfaceName = \S*:Chain\b")


class UnsupportedNode(IpcError):
    """The node answered the probes in a way none of the known variants does."""


@dataclass
class Session:
    """One connected, handshaken node: its schemas, capabilities, interface objects and Thread pool."""

    connection: Connection
    schemas: VariantSchemas
    capabilities: NodeCapabilities
    pool: ThreadPool
    thread_map: Any
    echo: Any = None
    mining: Any = None
    rpc: Any = None
    chain: Any = None
    node_version: int | None = None
    # Set once the node has finished loading: only then may Chain and Mining methods be called (module docstring).
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    # A node with Rpc that was still loading at connect time: its makeMining, still waiting, and the Thread it
    # waits on (not one of the pool's).
    _pending_mining: asyncio.Future[Any] | None = field(default=None, repr=False)
    _mining_thread: Any = field(default=None, repr=False)
    _warmup: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def lost(self) -> asyncio.Event:
        return self.connection.lost

    @property
    def dropped_by_peer(self) -> bool:
        return self.connection.dropped_by_peer

    def start_warmup_watch(self) -> None:
        """Set `ready` once the `makeMining` sent by `establish` returns (module docstring). Runs as a task of its
        own; ends with the session. Nothing to do when the handshake already made Mining."""
        if self.ready.is_set() or self._pending_mining is None or self._warmup is not None:
            return
        self._warmup = asyncio.ensure_future(self._await_mining(self._pending_mining))

    async def _await_mining(self, pending: asyncio.Future[Any]) -> None:
        log.info("bitcoin-node is still loading; passing requests through until it is ready")
        try:
            mining = await pending
        except IpcError as exc:
            log.debug("makeMining failed: %s", exc)
            return
        finally:
            self._pending_mining = self._mining_thread = None
        if mining is not None:
            self.mining = mining
            log.info("bitcoin-node finished loading")
            self.ready.set()

    def close(self) -> None:
        """Drop every capability (no `destroy` calls) and close the socket."""
        if self._warmup is not None:
            self._warmup.cancel()
        if self._pending_mining is not None:
            self._pending_mining.cancel()
        self.pool.close()
        self.echo = self.mining = self.rpc = self.chain = self.thread_map = self._mining_thread = None
        self.connection.close()


@dataclass(frozen=True)
class Detection:
    variant: str
    node_version: int | None = None


async def _attempt(call: Awaitable[T]) -> T | RemoteError:
    """Await a call; a remote exception is returned (probes expect some), a lost connection is raised."""
    try:
        with map_exceptions():
            return await call
    except RemoteError as exc:
        return exc


def _context(vs: VariantSchemas, thread: Any) -> Any:
    return vs.proxy.Context.new_message(thread=thread.cast_as(vs.proxy.Thread))


def _init(vs: VariantSchemas, bootstrap: Any) -> Any:
    return bootstrap.cast_as(vs.init.Init)


async def _offers_chain(vs: VariantSchemas, bootstrap: Any, thread: Any) -> bool:
    """True if `Init.makeChain` (at this variant's ordinal) returns a capability. Nothing is called on it: every
    Chain method needs the chainstate, which a loading node does not have yet (module docstring)."""
    ctx = _context(vs, thread)
    made = await _attempt(_init(vs, bootstrap).makeChain(context=ctx))
    if isinstance(made, RemoteError):
        if made.kind == "UNIMPLEMENTED":
            return False
        raise made
    return bool(made._has("result"))


def _version_of(reply: str) -> int | None:
    try:
        value = json.loads(reply)
        version = value["result"]["version"]
    except (ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, int) else None


async def detect_variant(bootstrap: Any, thread: Any) -> Detection:
    """Tell the node's variant from harmless probes (module docstring). `thread` is any Thread of the node."""
    v32 = load_variant("v32")
    ctx32 = _context(v32, thread)
    made = await _attempt(_init(v32, bootstrap).makeRpc(context=ctx32))
    if isinstance(made, RemoteError):
        if made.kind != "UNIMPLEMENTED":
            raise made
        log.debug("probe: Init @4 unimplemented (no makeRpc, no Chain at @4)")
        v30 = load_variant("v30")
        mining = await _attempt(_init(v30, bootstrap).makeMining(context=_context(v30, thread)))
        if isinstance(mining, RemoteError):
            if mining.kind == "FAILED":
                log.debug("probe: Init @2 answered %r: 31.x numbering", mining.message)
                return Detection("v31")
            raise UnsupportedNode(f"Init @2 answered {mining.kind}: {mining.message}")
        del mining
        if await _offers_chain(load_variant("pr29409-2025-02"), bootstrap, thread):
            return Detection("pr29409-2025-02")
        return Detection("v30")
    reply = await _attempt(made.result.executeRpc(context=ctx32, request=PROBE_REQUEST, uri="/", user=""))
    if isinstance(reply, RemoteError):
        if reply.kind != "UNIMPLEMENTED":
            raise reply
        log.debug("probe: the object at Init @4 is no Rpc (%s)", reply.message)
        if _ACTUAL_CHAIN.search(reply.message):
            return Detection("pr29409-2026-02")
        raise UnsupportedNode(f"Init @4 gave an object that is neither Rpc nor Chain: {reply.message}")
    version = _version_of(str(reply.result))
    log.debug("probe: Rpc.executeRpc(getnetworkinfo) -> version %s", version)
    if await _offers_chain(load_variant("pr29409"), bootstrap, thread):
        return Detection("pr29409", version)
    return Detection("v32", version)


async def _mining_once_loaded(
    init: Any, rpc: Any, ctx: Any, new_thread: Callable[[], Awaitable[tuple[Any, Any]]]
) -> Any:
    """`Init.makeMining` once the node has finished loading, asked first through `Rpc.executeRpc` (-28 until then).

    makeMining itself waits in the node until the chainstate is loaded, but a node whose start-up fails while one
    waits (for example `The block database contains a block which appears to be from the future`) never exits:
    the waiting worker is not woken, and the node hangs after `Shutdown done` (seen on the v32 and pr29409 nodes,
    which Bitcoin Core's rpc_blockchain.py test hits through spawn mode). So no makeMining is sent before the
    node's RPC has left warm-up; each poll costs the node one `ThreadRPCServer method=uptime` debug line. A node
    whose executeRpc does not answer at all (hung) gets makeMining at once, on a Thread of its own."""
    while rpc is not None:
        try:
            reply = await asyncio.wait_for(
                _attempt(rpc.executeRpc(context=ctx, request=WARMUP_REQUEST, uri="/", user="")), WARMUP_ANSWER_S
            )
        except TimeoutError:
            log.debug("Rpc.executeRpc did not answer within %.1f s; making Mining without waiting", WARMUP_ANSWER_S)
            _thread, ctx = await new_thread()  # the hung call keeps the old Thread busy
            break
        if isinstance(reply, RemoteError):
            raise reply
        if not _in_warmup(str(reply.result)):
            break
        await asyncio.sleep(WARMUP_POLL_S)
    return await _make(init, "makeMining", ctx, "Mining")


def _in_warmup(reply: str) -> bool:
    try:
        error = json.loads(reply).get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and error.get("code") == RPC_IN_WARMUP


async def _make(init: Any, method: str, ctx: Any, name: str) -> Any:
    """Call a factory `Init.make*`; None when the node lacks it or returned a null capability."""
    made = await _attempt(getattr(init, method)(context=ctx))
    if isinstance(made, RemoteError):
        if made.kind == "UNIMPLEMENTED":
            log.warning("the node does not implement Init.%s: no %s interface", method, name)
            return None
        raise made
    if not made._has("result"):
        log.warning("Init.%s returned no object (node shutting down?)", method)
        return None
    return made.result


async def establish(
    connection: Connection,
    *,
    threads: int = 4,
    max_long_threads: int = 16,
    variant: str | None = None,
) -> Session:
    """Handshake, discovery and Thread creation on an open connection. Raises `IpcError` subclasses."""
    probe_vs = load_variant(variant or "v32")
    bootstrap = connection.bootstrap
    with map_exceptions():
        constructed = await _init(probe_vs, bootstrap).construct()
        thread_map = constructed.threadMap
    pool_holder: dict[str, Any] = {}

    async def make_thread(name: str) -> tuple[Any, Any]:
        vs_now: VariantSchemas = pool_holder["vs"]
        # A request object, not makeThread(name=...): pycapnp's _send() takes `name` itself.
        request = thread_map.cast_as(vs_now.proxy.ThreadMap).makeThread_request()
        request.name = name
        with map_exceptions():
            made = await request.send()
        handle = made.result.cast_as(vs_now.proxy.Thread)
        return handle, vs_now.proxy.Context.new_message(thread=handle)

    pool_holder["vs"] = probe_vs
    pool = ThreadPool(make_thread, size=threads, max_long=max_long_threads, queues_calls=False)
    first_name = pool.next_name()
    first_thread, _ = await make_thread(first_name)

    if variant is None:
        detection = await detect_variant(bootstrap, first_thread)
    else:
        detection = Detection(variant)
    vs = load_variant(detection.variant)
    pool_holder["vs"] = vs
    thread = first_thread.cast_as(vs.proxy.Thread)
    ctx = vs.proxy.Context.new_message(thread=thread)
    pool.adopt(thread, ctx, first_name)

    init = _init(vs, bootstrap)
    init_methods = set(vs.init.Init.schema.method_names)
    # makeMining waits until the chainstate is loaded, and once it has returned every Chain and Mining method is
    # safe. A node with Rpc is served before that (its executeRpc answers -28 itself): its makeMining goes on a
    # Thread of its own and, if it does not return at once, Session.start_warmup_watch waits for it. A node
    # without Rpc has nothing to serve until then.
    deferred_mining = "makeRpc" in init_methods and vs.rpc is not None
    wanted = [("Echo", "makeEcho")]
    pending_mining: asyncio.Future[Any] | None = None
    mining_thread: Any = None
    if deferred_mining:
        wanted.append(("Rpc", "makeRpc"))
        mining_thread, mining_ctx = await make_thread(pool.next_name())
    else:
        wanted.append(("Mining", "makeMining"))
    if "makeChain" in init_methods and vs.chain is not None:
        wanted.append(("Chain", "makeChain"))
    made = await asyncio.gather(*(_make(init, method, ctx, name) for name, method in wanted))
    objects = {name: obj for (name, _method), obj in zip(wanted, made, strict=True) if obj is not None}
    if deferred_mining:
        pending_mining = asyncio.ensure_future(
            _mining_once_loaded(init, objects.get("Rpc"), mining_ctx, lambda: make_thread(pool.next_name()))
        )
        # a handshake that fails below must not leave an unretrieved exception behind
        pending_mining.add_done_callback(lambda f: f.cancelled() or f.exception())
        done, _ = await asyncio.wait({pending_mining}, timeout=LOADED_WAIT_S)
        if done:
            mining_now, pending_mining = pending_mining.result(), None
            if mining_now is not None:
                objects["Mining"] = mining_now
    offered = set(objects)
    if pending_mining is not None and "Rpc" in objects:
        offered.add("Mining")  # made when the node has loaded
    capabilities = NodeCapabilities(
        variant=vs.name,
        interfaces=frozenset(offered),
        has_pool="makePool" in vs.proxy.ThreadMap.schema.method_names,
    )
    pool.max_in_flight = None if capabilities.queues_calls else 1
    await pool.fill()
    session = Session(
        connection=connection,
        schemas=vs,
        capabilities=capabilities,
        pool=pool,
        thread_map=thread_map,
        echo=objects.get("Echo"),
        mining=objects.get("Mining"),
        rpc=objects.get("Rpc"),
        chain=objects.get("Chain"),
        node_version=detection.node_version,
    )
    if pending_mining is None:
        session.ready.set()
    else:
        session._pending_mining, session._mining_thread = pending_mining, mining_thread
    return session
