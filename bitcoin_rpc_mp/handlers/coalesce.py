"""Request coalescing: single requests that wait for the node are sent together as one `Rpc.executeRpc` batch.

Owns: deciding which single requests may be combined (`eligible`), holding them while the node is busy, sending
each waiting group as ONE JSON array through `Rpc.executeRpc`, and splitting the node's reply array back into
the reply each request would have got alone.

Why: every IPC call costs bitcoin-node about 60 µs of CPU (libmultiprocess hands it to a worker thread and back),
while one element of an `executeRpc` batch costs it about 2 µs. Under load most of the node's time went into the
hand-over, not the RPC.

When: at most `limit` coalesced calls are at the node at once (default: the number of IPC threads). A request
that finds fewer in flight is sent at once, alone and unchanged, so at low load nothing waits and nothing is
delayed. A request that finds `limit` in flight joins the open group of its (URI, user); when a call returns,
the oldest waiting group is sent, with everything that joined it meanwhile.

Exactness (compat spec §8; checked element by element against single requests on a real pr29409 node):
* bitcoind runs batch elements one after the other on ONE request object, re-parsing each element into it. An
  element that parses completely sets every field the next one reads (id, version, method, params), so only
  requests that our reader already parsed as a valid request object are combined;
* a batch never fails at the HTTP level: errors are caught per element and written as the same reply object a
  single request gets (`JSONRPCExec` with errors caught vs. `JSONErrorReply`: the same envelope; a legacy
  request's HTTP 404/500 is recomputed from the element's error code by the dispatcher, as for any single
  reply of the node);
* notifications (2.0 without id) are left out of batch replies, so they are never combined; neither are
  requests without an id (their reply ends without an "id" member, so it could not be found in the array)
  nor requests whose id is an object or an array;
* only short, side-effect-free methods are combined (`COALESCABLE_METHODS`): never `waitfor*`, `stop`,
  anything that changes state or may run long, so one slow element cannot hold up the others;
* the node's reply array is split by position: element i ends with its own id member (`,"id":<id>}`, written
  as UniValue writes the id) followed by `,` and the start of element i+1 (`{"result":` or
  `{"jsonrpc":"2.0",`). None of the combined methods returns an object with an "id" member, so this
  boundary cannot occur inside a result; if the split does not come out exactly (n elements, the array's end
  where it should be), every request of the group is sent again alone.

Must not import: `http`, capnp.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from dataclasses import dataclass, field

from ..aioloop import RunningLoop
from ..ipc.client import NodeClient
from ..ipc.errors import NodeUnavailable
from ..jsonrpc.reader import JsonNumber, JsonValue
from ..jsonrpc.request import JSONRPC_V2, Call
from ..jsonrpc.writer import write_json

log = logging.getLogger("bitcoin_rpc_mp.handlers.coalesce")

# Short, read-only methods whose results never hold an object with an "id" member.
COALESCABLE_METHODS: frozenset[str] = frozenset(
    {
        "getblockhash",
        "getblockcount",
        "getbestblockhash",
        "getblockheader",
        "getblockchaininfo",
        "getchaintips",
        "getdifficulty",
        "estimatesmartfee",
        "gettxout",
        "getrawtransaction",
        "getmempoolinfo",
        "getmempoolentry",
        "getnetworkinfo",
        "getconnectioncount",
        "getnettotals",
        "uptime",
        "getindexinfo",
        "getdeploymentinfo",
        "validateaddress",
    }
)

DEFAULT_MAX_BATCH = 500  # elements per combined call: bounds the node time one call can take

_LEGACY_START = '{"result":'
_V2_START = '{"jsonrpc":"2.0",'


def _id_suffix(call: Call) -> str:
    ident = call.id
    return ',"id":' + ("null" if ident is None else write_json(ident).decode("utf-8")) + "}"


def eligible(call: Call) -> bool:
    """Whether `call` may be combined with others (see the module docstring)."""
    if call.method not in COALESCABLE_METHODS or not call.id_present:
        return False
    ident: JsonValue = call.id
    return ident is None or isinstance(ident, str | JsonNumber | bool)


@dataclass(slots=True)
class _Item:
    text: str
    start: str  # how its reply begins
    suffix: str  # how its reply ends
    future: asyncio.Future[str]


@dataclass(slots=True)
class _Group:
    key: tuple[str, str]
    items: list[_Item] = field(default_factory=list)


@dataclass
class CoalesceStatistics:
    direct: int = 0  # sent at once, alone
    combined_calls: int = 0  # executeRpc calls that carried a group of two or more
    combined_requests: int = 0  # requests that travelled in such a call
    split_failures: int = 0  # groups whose reply could not be split (sent again one by one)


class Coalescer:
    """See the module docstring. One per server; all methods run on the event loop."""

    def __init__(self, client: NodeClient, *, limit: int, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._client = client
        self.limit = limit
        self.max_batch = max(1, max_batch)
        self._in_flight = 0
        self._open: dict[tuple[str, str], _Group] = {}
        self._queue: collections.deque[_Group] = collections.deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = RunningLoop()  # one getpid() per loop, not per waiting request (aioloop.py)
        self.stats = CoalesceStatistics()

    def describe(self) -> str:
        s = self.stats
        return (
            f"coalescing: {s.direct} requests sent alone, {s.combined_requests} in {s.combined_calls} combined "
            f"calls, {s.split_failures} replies that could not be split"
        )

    async def execute(self, call: Call, text: str, uri: str, user: str) -> str:
        """The node's reply text for one eligible request, exactly as `execute_rpc(text, uri, user)` gives it."""
        if self._in_flight < self.limit and not self._queue:
            self._in_flight += 1
            self.stats.direct += 1
            try:
                return await self._client.execute_rpc(text, uri, user)
            finally:
                self._in_flight -= 1
                self._dispatch()
        key = (uri, user)
        group = self._open.get(key)
        if group is None or len(group.items) >= self.max_batch:
            group = _Group(key)
            self._open[key] = group
            self._queue.append(group)
        future: asyncio.Future[str] = self._loop().create_future()
        start = _V2_START if call.version == JSONRPC_V2 else _LEGACY_START
        group.items.append(_Item(text, start, _id_suffix(call), future))
        # The future is this request's own: if the request is cancelled, so is the future, and the group (sent
        # anyway: read-only) skips it when the reply comes.
        return await future

    def _dispatch(self) -> None:
        while self._in_flight < self.limit and self._queue:
            group = self._queue.popleft()
            if self._open.get(group.key) is group:
                del self._open[group.key]
            self._in_flight += 1
            task = self._loop().create_task(self._send(group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, group: _Group) -> None:
        items = group.items
        try:
            if self._client.capabilities is None:
                # The node went away while the group waited: nothing was sent, and each request gets what a
                # request arriving now gets (-28, which clients retry), not a wait for the node's return.
                lost = NodeUnavailable(self._client.socket_path, "the connection was lost while the request waited")
                for item in items:
                    if not item.future.done():
                        item.future.set_exception(lost)
                return
            if len(items) == 1:
                await self._send_alone(items[0], group.key)
                return
            self.stats.combined_calls += 1
            self.stats.combined_requests += len(items)
            try:
                reply = await self._client.execute_rpc(
                    "[" + ",".join(item.text for item in items) + "]", group.key[0], group.key[1]
                )
            except Exception as exc:  # IpcError and friends: every request of the group gets it
                for item in items:
                    if not item.future.done():
                        item.future.set_exception(exc)
                return
            parts = split_reply(reply, [(item.start, item.suffix) for item in items])
            if parts is None:
                self.stats.split_failures += 1
                log.warning("could not split a combined reply of %d elements; sending them one by one", len(items))
                await asyncio.gather(*(self._send_alone(item, group.key) for item in items))
                return
            for item, part in zip(items, parts, strict=True):
                if not item.future.done():
                    item.future.set_result(part)
        finally:
            self._in_flight -= 1
            self._dispatch()

    async def _send_alone(self, item: _Item, key: tuple[str, str]) -> None:
        try:
            reply = await self._client.execute_rpc(item.text, key[0], key[1])
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            item.future.set_result(reply)


def split_reply(reply: str, shapes: list[tuple[str, str]]) -> list[str] | None:
    """Split a batch reply `[e0,e1,...]` into its elements, given how each element starts and ends
    (`shapes[i] = (start, suffix)`); None unless the split comes out exactly."""
    if not reply.startswith("[") or not reply.endswith("]"):
        return None
    parts: list[str] = []
    pos = 1
    last = len(shapes) - 1
    for i, (start, suffix) in enumerate(shapes):
        if not reply.startswith(start, pos):
            return None
        if i == last:
            end = len(reply) - 1
            if not reply.endswith(suffix, pos, end):
                return None
        else:
            boundary = suffix + "," + shapes[i + 1][0]
            found = reply.find(boundary, pos)
            if found < 0:
                return None
            end = found + len(suffix)
        parts.append(reply[pos:end])
        pos = end + 1
    return parts
