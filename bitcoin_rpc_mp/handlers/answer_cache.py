"""A reorg-safe cache of answers that depend only on the block chain (`-rpccachesize=<MiB>`, default 0: off).

Owns: which requests may be answered from memory (`cache_key`), the LRU store bounded in bytes, the check that
makes a stored answer usable, and invalidation from the node's tip changes.

What is cached (only success replies of pass-through requests; errors never are):

| method | parameters | why the answer depends on the chain only |
| --- | --- | --- |
| getblockhash | any | the active chain's block at a height |
| getblockheader, getblock, getblockstats | any | a block's content, plus confirmations/nextblockhash, which follow the tip |
| getrawtransaction | with a block hash (3rd positional or named `blockhash`) | a transaction read from that block |
| getblockcount, getbestblockhash, getdifficulty | none | the tip itself |

Not cached: anything that reads the mempool, the UTXO set (`gettxout`, `estimatesmartfee`), wallets, the clock
(`getblockchaininfo` has `time`-dependent progress), headers not yet on the active chain (`getchaintips`),
client batches, and every method not listed. A node with `-prune` may drop a cached block's data while the
tip stays the same: keep the cache off there.

Every answer is tagged with the tip (hash, height) it was computed under, and the whole cache belongs to one
tip. The guarantee: **no client reads an answer that the node would no longer give after the client has
observed a newer chain state**, through us or through the node directly. For that,

* a hit is served only after a tip reading that *started after the request arrived* (`Mining.getTip`,
  `TipProbe.fresh`) equals the cache's tip; any tip the client could have observed before sending its request
  is visible to that reading. Concurrent hits share one reading, so under load the check costs one IPC call
  per group of requests, not per request;
* a miss is sent to the node as usual; its answer is stored only if the cache's tip before sending equals a
  fresh reading after the answer came back, and no tip change was reported in between;
* the node's tip changes empty the cache as soon as they are reported, so memory is not held for a chain state
  that is gone, and a tip that changed and changed back while a miss was computed (A → B → A) is not stored
  under A. How they are reported depends on the node:
  - with `Chain` (pr29409): `Chain.handleNotifications` tells us of every block that joins or leaves the active
    chain, in order. A miss is stored only if, after its answer came back, `Chain.waitForNotifications` (every
    notification queued so far delivered) and then a tip reading show no change since it was sent, and only
    while a registration is live (each new registration, and each lost one, counts as a change). The node queues
    a block's notification before the tip can move on, so A → B → A always reaches us before that check;
  - without `Chain` (v32): `Mining.waitTipChanged` on a node Thread of its own. It reports the tip only when its
    waiting thread wakes, so a change undone within the microseconds before that is not seen, and an answer
    computed under B could be stored under A. That residual gap is why `Chain` nodes use notifications.

A cache hit never reaches the node: the node's `debug.log` has no `ThreadRPCServer method=` line for it and
`getrpcinfo` does not count it. This is why the cache is off by default (issue 11: the node's log and
getrpcinfo stay as bitcoind's unless the operator chooses otherwise).

Must not import: `http`, capnp.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..aioloop import RunningLoop
from ..ipc.client import NodeClient, NotificationHandle
from ..ipc.errors import IpcError
from ..jsonrpc.envelope import result_reply
from ..jsonrpc.reader import JsonObject
from ..jsonrpc.request import JSONRPC_V2, Call
from ..jsonrpc.writer import write_json

log = logging.getLogger("bitcoin_rpc_mp.handlers.cache")

Tip = tuple[bytes, int]

_ANY_PARAMS = frozenset({"getblockhash", "getblockheader", "getblock", "getblockstats"})
_NO_PARAMS = frozenset({"getblockcount", "getbestblockhash", "getdifficulty"})
CACHED_METHODS: frozenset[str] = _ANY_PARAMS | _NO_PARAMS | {"getrawtransaction"}

ENTRY_OVERHEAD = 200  # bytes per entry besides its key and answer (dict slot, tuple, bytes headers)
WATCH_TIMEOUT_MS = 600_000.0  # one waitTipChanged call at most this long, then a new one


def cache_key(call: Call) -> str | None:
    """The key under which `call`'s answer may be stored, or None if it must always reach the node."""
    method = call.method
    if method not in CACHED_METHODS:
        return None
    params = call.params
    if method in _NO_PARAMS:
        if (isinstance(params, list) and params) or (isinstance(params, JsonObject) and params.items()):
            return None
    elif method == "getrawtransaction":
        if isinstance(params, list):
            if len(params) != 3 or not isinstance(params[2], str):
                return None
        elif not isinstance(params, JsonObject) or not isinstance(params.get("blockhash"), str):
            return None
    return method + " " + write_json(params).decode("utf-8")


def _id_suffix(call: Call) -> str:
    if not call.id_present:
        return "}"
    return ',"id":' + ("null" if call.id is None else write_json(call.id).decode("utf-8")) + "}"


def result_of(reply: str, call: Call) -> str | None:
    """The result text inside a node's success reply to `call`, None for an error reply (or anything else)."""
    if call.version == JSONRPC_V2:
        prefix, suffix = '{"jsonrpc":"2.0","result":', _id_suffix(call)
    else:
        prefix, suffix = '{"result":', ',"error":null' + _id_suffix(call)
    if reply.startswith(prefix) and reply.endswith(suffix) and len(reply) > len(prefix) + len(suffix):
        return reply[len(prefix) : len(reply) - len(suffix)]
    return None


class TipProbe:
    """Readings of the node's tip; `fresh()` returns one that started after it was called, shared by every
    caller waiting at the same time."""

    def __init__(self, read: Callable[[], Awaitable[Tip | None]]) -> None:
        self._read = read
        self._running: asyncio.Future[Tip | None] | None = None
        self._next: asyncio.Future[Tip | None] | None = None
        self.readings = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = RunningLoop()  # fresh() runs per cached request (aioloop.py)

    async def fresh(self) -> Tip | None:
        if self._running is None:
            future = self._start(None)
        else:
            if self._next is None:
                self._next = self._loop().create_future()
            future = self._next
        return await asyncio.shield(future)

    def _start(self, future: asyncio.Future[Tip | None] | None) -> asyncio.Future[Tip | None]:
        loop = self._loop()
        if future is None:
            future = loop.create_future()
        self._running = future
        task = loop.create_task(self._run(future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _run(self, future: asyncio.Future[Tip | None]) -> None:
        try:
            self.readings += 1
            tip = await self._read()
        except BaseException as exc:  # handed to every waiter (IpcError; CancelledError at shutdown)
            if not future.done():
                future.set_exception(exc if isinstance(exc, Exception) else IpcError("tip reading cancelled"))
                future.exception()  # retrieved here too: no "never retrieved" warning if nobody waits
        else:
            if not future.done():
                future.set_result(tip)
        finally:
            self._running = None
            following, self._next = self._next, None
            if following is not None:
                self._start(following)


@dataclass(slots=True)
class CacheStatistics:
    """Counts since start, logged by `describe()`."""

    hits: int = 0
    misses: int = 0
    stores: int = 0
    evictions: int = 0
    flushes: int = 0  # the whole cache dropped for a new tip


class AnswerCache:
    """See the module docstring. One per server, used from the event loop only."""

    def __init__(self, client: NodeClient, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self._client = client
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self._entries: collections.OrderedDict[str, bytes] = collections.OrderedDict()
        self._tip: Tip | None = None  # the tip every entry was computed under
        self._changes = 0  # tip changes seen (notifications, watcher, readings)
        # Whether a miss may be stored at all: always with the waitTipChanged watcher (and in unit tests without
        # one); with notifications only while a registration is live.
        self._storing = True
        self._notifications: NotificationHandle | None = None
        self.probe = TipProbe(self._read_tip)  # hits: a tip reading that started after the request arrived
        self.synced_probe = TipProbe(self._read_synced_tip)  # misses: the same, after pending notifications
        self.stats = CacheStatistics()
        self._watcher: asyncio.Task[None] | None = None

    # -- lifetime ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch(), name="rpc cache tip watcher")

    async def aclose(self) -> None:
        task, self._watcher = self._watcher, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=2.0)
        if self._notifications is not None:
            self._notifications.release()
            self._notifications = None
        self._flush(None)

    @property
    def notified(self) -> bool:
        """Tip changes reach us as Chain notifications (a live registration)."""
        return self._notifications is not None and self._notifications.active

    def describe(self) -> str:
        s = self.stats
        return (
            f"rpc cache: {s.hits} hits, {s.misses} misses, {s.stores} stored, {s.evictions} evicted, "
            f"{s.flushes} emptied on a new tip; {len(self._entries)} entries, {self.size_bytes / 2**20:.1f} of "
            f"{self.max_bytes / 2**20:.0f} MiB; {self.probe.readings} tip readings"
        )

    # -- the request path --------------------------------------------------------------------------------------

    async def run(self, call: Call, key: str, send: Callable[[], Awaitable[str]]) -> bytes:
        """The reply for `call`: from the cache when it is valid for the node's current tip, else from `send()`
        (the node), stored when that is safe."""
        answer = self._entries.get(key)
        if answer is not None:
            tip = await self._fresh_tip()
            if tip is not None and tip == self._tip:
                answer = self._entries.get(key)
                if answer is not None:
                    self._entries.move_to_end(key)
                    self.stats.hits += 1
                    if call.is_notification:
                        return b"null"  # what the node answers a notification: the dispatcher makes it a 204
                    return result_reply(answer, call.id_present, call.id, call.version)
            elif tip is not None:
                self._new_tip(tip)
        self.stats.misses += 1
        before, changes = self._tip, self._changes
        reply = await send()
        result = result_of(reply, call)
        if result is not None and self._storing:
            after = await self._fresh_tip(self.synced_probe if self.notified else self.probe)
            if after is not None:
                if (
                    before is not None
                    and after == before
                    and self._changes == changes
                    and self._tip == before
                    and self._storing
                ):
                    self._store(key, result.encode("utf-8"))
                elif after != self._tip:
                    self._new_tip(after)
        return reply.encode("utf-8")

    async def _fresh_tip(self, probe: TipProbe | None = None) -> Tip | None:
        try:
            return await (probe or self.probe).fresh()
        except IpcError:
            return None

    async def _read_tip(self) -> Tip | None:
        if not self._client.node_ready:  # no Mining call while the node loads or shuts down: no reading
            return None
        return await self._client.get_tip()

    async def _read_synced_tip(self) -> Tip | None:
        if not self._client.node_ready:
            return None
        await self._client.wait_for_notifications()
        return await self._client.get_tip()

    # -- the store ---------------------------------------------------------------------------------------------

    def _store(self, key: str, answer: bytes) -> None:
        size = len(key) + len(answer) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size_bytes -= len(key) + len(old) + ENTRY_OVERHEAD
        self._entries[key] = answer
        self.size_bytes += size
        self.stats.stores += 1
        while self.size_bytes > self.max_bytes:
            old_key, old_answer = self._entries.popitem(last=False)
            self.size_bytes -= len(old_key) + len(old_answer) + ENTRY_OVERHEAD
            self.stats.evictions += 1

    def _new_tip(self, tip: Tip | None) -> None:
        """The node's tip is not the one the entries belong to: drop them all."""
        self._changes += 1
        self._flush(tip)

    def _flush(self, tip: Tip | None) -> None:
        if self._entries:
            self.stats.flushes += 1
        self._entries.clear()
        self.size_bytes = 0
        self._tip = tip

    # -- the watchers -----------------------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Follow the node's tip changes for as long as the cache lives, across reconnects (module docstring)."""
        while True:
            try:
                capabilities = await self._client.wait_connected()
                if not self._client.node_ready:  # no Chain or Mining call until the node has finished loading
                    await asyncio.sleep(0.5)
                    continue
                if capabilities.has("Chain"):
                    await self._follow_notifications()
                else:
                    await self._follow_tip()
            except asyncio.CancelledError:
                raise
            except IpcError as exc:
                log.debug("rpc cache tip watcher: %s; starting over", exc)
            except Exception:  # a bug of ours must not end the watcher silently
                log.exception("rpc cache tip watcher failed; starting over")
            self._new_tip(None)
            await asyncio.sleep(1.0)

    def _on_block(self, connected: bool, block_hash: bytes, height: int) -> None:
        self._new_tip(None)

    async def _follow_notifications(self) -> None:
        """Chain nodes: register for notifications, then empty the cache at each block connected or disconnected,
        until the session ends. No miss is stored unless a registration is live."""
        self._storing = False
        handle = await self._client.handle_notifications(self._on_block)
        if not handle.active:
            return
        self._notifications = handle
        self._new_tip(None)  # a miss sent before the registration was live must not be stored
        self._storing = True
        log.info("rpc cache: following the node's tip through Chain notifications")
        try:
            await handle.wait_ended()
        finally:
            self._storing = False
            self._notifications = None
            handle.release()

    async def _follow_tip(self) -> None:
        """Nodes without Chain: Mining.waitTipChanged on a Thread of its own, until the node ends a wait."""
        self._storing = True
        current = await self._client.get_tip()
        if current is None:
            return
        log.info("rpc cache: following the node's tip through Mining.waitTipChanged (no Chain interface)")
        if current != self._tip:
            self._new_tip(current)
        while True:
            changed = await self._client.wait_tip_changed(current[0], WATCH_TIMEOUT_MS)
            if changed is None:  # the node ended the wait (shutting down): start over
                return
            if changed != current:
                current = changed
                self._new_tip(changed)
