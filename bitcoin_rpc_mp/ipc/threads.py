"""The pool of node Threads one session sends its calls on.

Owns: which node `Thread` (created with `ThreadMap.makeThread`) each call runs on. A node Thread runs one call at
a time, in arrival order (spec ipc-protocol.md §3), so:

* short calls share `size` Threads: an idle one if there is one, else (on nodes that queue, 31.0+) the least busy
  one; on older nodes, which fail or crash on a second call to a busy Thread, the caller waits for one to free up;
* long waits (`waitTipChanged`, `waitfornewblock` through `executeRpc`, ...) get Threads of their own, created on
  demand up to `max_long`, so short calls never queue behind them;
* a Thread whose call timed out or was cancelled may still be busy in the node: it is *retired* (never used again,
  its handle dropped so the node joins it once the call ends) and a fresh Thread is made when one is needed.

Theory of operation: `choose_slot()` is the pure assignment step (no I/O, testable without a loop); `ThreadPool`
wraps it with the one I/O it needs (an injected `make_thread(name)` coroutine) and a FIFO of waiters.

Must not import capnp (Thread handles and contexts are opaque here), nor `http`, `jsonrpc`, `handlers`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bitcoin_rpc_mp.aioloop import RunningLoop

__all__ = [
    "Lease",
    "PoolClosed",
    "PoolStatistics",
    "ThreadPool",
    "ThreadSlot",
    "ThreadsBusy",
    "choose_slot",
]

log = logging.getLogger(__name__)

# make_thread(name) -> (thread handle, the Context to send with every call on that thread)
MakeThread = Callable[[str], Awaitable[tuple[Any, Any]]]


@dataclass(eq=False)
class ThreadSlot:
    """One node Thread and what we know of its load."""

    index: int
    name: str
    handle: Any
    context: Any
    long: bool = False
    in_flight: int = 0
    retired: bool = False


def choose_slot(slots: Sequence[ThreadSlot], max_in_flight: int | None) -> ThreadSlot | None:
    """Pure assignment step: the least busy usable slot, ties to the lowest index.

    Retired slots are never chosen. With `max_in_flight` set, a slot already carrying that many calls is not
    usable; None means any slot is (the node queues). Returns None when no slot is usable.
    """
    best: ThreadSlot | None = None
    for slot in slots:
        if slot.retired:
            continue
        if max_in_flight is not None and slot.in_flight >= max_in_flight:
            continue
        if (
            best is None
            or slot.in_flight < best.in_flight
            or (slot.in_flight == best.in_flight and slot.index < best.index)
        ):
            best = slot
    return best


@dataclass(frozen=True)
class PoolStatistics:
    threads: int  # live node Threads (short and long), retired ones excluded
    busy: int  # Threads with at least one call in flight
    calls_in_flight: int  # calls sent and not yet answered
    waiting: int  # calls waiting for a Thread


class ThreadsBusy(Exception):
    """`acquire_nowait()` found no Thread it may use without waiting (and none may be created)."""


class PoolClosed(Exception):
    """The pool's session ended; no more Threads will be handed out."""


class Lease:
    """The right to send one call on one Thread; `release()` (or `retire()`) exactly once when it ends."""

    __slots__ = ("_done", "_pool", "slot")

    def __init__(self, pool: ThreadPool, slot: ThreadSlot) -> None:
        self._pool = pool
        self.slot = slot
        self._done = False

    @property
    def context(self) -> Any:
        return self.slot.context

    def release(self) -> None:
        if not self._done:
            self._done = True
            self._pool._release(self.slot)

    def retire(self) -> None:
        """The call did not end cleanly (timeout, cancellation): never use this Thread again."""
        if not self._done:
            self._done = True
            self._pool._retire(self.slot)


class ThreadPool:
    """`size` Threads for short calls plus up to `max_long` for long waits; see the module docstring."""

    def __init__(
        self,
        make_thread: MakeThread,
        *,
        size: int = 4,
        max_long: int = 16,
        queues_calls: bool = True,
        name_prefix: str = "bitcoin-rpc-mp",
    ) -> None:
        if size < 1:
            raise ValueError("a thread pool needs at least one thread")
        if max_long < 1:
            raise ValueError("max_long must be at least 1")
        self._make_thread = make_thread
        self.size = size
        self.max_long = max_long
        # Against nodes that do not queue (30.x), at most one call in flight per Thread.
        self.max_in_flight: int | None = None if queues_calls else 1
        self._prefix = name_prefix
        self._slots: dict[bool, list[ThreadSlot]] = {False: [], True: []}
        self._creating: dict[bool, int] = {False: 0, True: 0}
        self._waiters: dict[bool, collections.deque[asyncio.Future[None]]] = {
            False: collections.deque(),
            True: collections.deque(),
        }
        self._counter = 0
        self._closed = False
        self._loop = RunningLoop()  # a waiting call's future without a getpid() (aioloop.py)

    # -- set-up ------------------------------------------------------------------------------------------------

    def adopt(self, handle: Any, context: Any, name: str) -> None:
        """Add an already created Thread (e.g. the one discovery used) as a short-call Thread."""
        self._add(handle, context, name, long=False)

    async def fill(self) -> None:
        """Create the short-call Threads still missing, all requests in flight at once."""
        missing = self.size - len(self._slots[False]) - self._creating[False]
        if missing > 0:
            created = await asyncio.gather(*(self._create(long=False) for _ in range(missing)))
            for slot in created:
                slot.in_flight = 0

    def next_name(self, long: bool = False) -> str:
        n = self._counter
        self._counter += 1
        return f"{self._prefix}/wait-{n}" if long else f"{self._prefix}/{n}"

    # -- handing out Threads -----------------------------------------------------------------------------------

    def acquire_nowait(self, long: bool = False) -> Lease:
        """A lease on a Thread that can take the call now; raises ThreadsBusy if one would have to be waited
        for or created first."""
        if self._closed:
            raise PoolClosed
        slot = self._pick(long, allow_queue=True)
        if slot is None:
            raise ThreadsBusy
        slot.in_flight += 1
        return Lease(self, slot)

    async def acquire(self, long: bool = False) -> Lease:
        """A lease on a Thread for one call, creating a Thread or waiting for one as needed."""
        while True:
            if self._closed:
                raise PoolClosed
            slot = self._pick(long, allow_queue=False)
            if slot is not None:
                slot.in_flight += 1
                return Lease(self, slot)
            if self._room_to_create(long):
                slot = await self._create(long)
                return Lease(self, slot)
            slot = self._pick(long, allow_queue=True)
            if slot is not None:
                slot.in_flight += 1
                return Lease(self, slot)
            await self._wait(long)

    def statistics(self) -> PoolStatistics:
        slots = [*self._slots[False], *self._slots[True]]
        return PoolStatistics(
            threads=len(slots),
            busy=sum(1 for slot in slots if slot.in_flight > 0),
            calls_in_flight=sum(slot.in_flight for slot in slots),
            waiting=sum(len(q) for q in self._waiters.values()),
        )

    def close(self) -> None:
        """Drop every Thread handle and wake every waiter with PoolClosed."""
        self._closed = True
        for kind in (False, True):
            for slot in self._slots[kind]:
                slot.retired = True
                slot.handle = None
                slot.context = None
            self._slots[kind] = []
            while self._waiters[kind]:
                waiter = self._waiters[kind].popleft()
                if not waiter.done():
                    waiter.set_exception(PoolClosed())

    # -- internals ---------------------------------------------------------------------------------------------

    def _pick(self, long: bool, *, allow_queue: bool) -> ThreadSlot | None:
        slots = self._slots[long]
        idle = choose_slot(slots, 1)
        if idle is not None or not allow_queue:
            return idle
        if self._room_to_create(long):
            return None
        return choose_slot(slots, self.max_in_flight)

    def _room_to_create(self, long: bool) -> bool:
        limit = self.max_long if long else self.size
        return len(self._slots[long]) + self._creating[long] < limit

    async def _create(self, long: bool) -> ThreadSlot:
        name = self.next_name(long)
        self._creating[long] += 1
        try:
            handle, context = await self._make_thread(name)
        except BaseException:
            self._creating[long] -= 1
            self._wake(long)
            raise
        self._creating[long] -= 1
        if self._closed:
            raise PoolClosed
        slot = self._add(handle, context, name, long=long)
        slot.in_flight = 1
        log.debug("created node thread %s", name)
        return slot

    def _add(self, handle: Any, context: Any, name: str, *, long: bool) -> ThreadSlot:
        index = max((s.index for s in self._slots[long]), default=-1) + 1
        slot = ThreadSlot(index=index, name=name, handle=handle, context=context, long=long)
        self._slots[long].append(slot)
        return slot

    async def _wait(self, long: bool) -> None:
        waiter: asyncio.Future[None] = self._loop().create_future()
        self._waiters[long].append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._wake(long)  # we were woken but leave: pass the turn on
            raise
        finally:
            try:
                self._waiters[long].remove(waiter)
            except ValueError:
                pass

    def _wake(self, long: bool) -> None:
        for waiter in self._waiters[long]:
            if not waiter.done():
                waiter.set_result(None)
                return

    def _release(self, slot: ThreadSlot) -> None:
        slot.in_flight -= 1
        if not slot.retired:
            self._wake(slot.long)

    def _retire(self, slot: ThreadSlot) -> None:
        slot.in_flight -= 1
        if slot.retired:
            return
        slot.retired = True
        log.warning("retiring node thread %s (a call on it did not finish)", slot.name)
        try:
            self._slots[slot.long].remove(slot)
        except ValueError:
            pass
        slot.handle = None
        slot.context = None
        self._wake(slot.long)
