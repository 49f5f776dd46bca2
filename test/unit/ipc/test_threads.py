"""ipc/threads.py: the pure assignment step and the pool's bookkeeping, with a fake make_thread (no capnp)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bitcoin_rpc_mp.ipc.threads import PoolClosed, ThreadPool, ThreadsBusy, ThreadSlot, choose_slot


def slots(*loads: int) -> list[ThreadSlot]:
    return [
        ThreadSlot(index=i, name=f"t{i}", handle=object(), context=None, in_flight=n)
        for i, n in enumerate(loads)
    ]


class FakeThreads:
    """Stands in for ThreadMap.makeThread: records names, can be slowed down or made to fail."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fail: BaseException | None = None

    async def __call__(self, name: str) -> tuple[Any, Any]:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.names.append(name)
        return ("thread", name), ("context", name)


# -- choose_slot (pure) ---------------------------------------------------------------------------------------


def test_choose_slot_prefers_least_busy_then_lowest_index() -> None:
    assert choose_slot(slots(2, 1, 1, 3), None).index == 1  # type: ignore[union-attr]
    assert choose_slot(slots(0, 0), None).index == 0  # type: ignore[union-attr]
    assert choose_slot(slots(5, 4, 0), None).index == 2  # type: ignore[union-attr]


def test_choose_slot_respects_max_in_flight() -> None:
    assert choose_slot(slots(1, 1, 1), 1) is None
    assert choose_slot(slots(1, 0, 1), 1).index == 1  # type: ignore[union-attr]
    assert choose_slot(slots(2, 1), 2).index == 1  # type: ignore[union-attr]


def test_choose_slot_skips_retired_slots() -> None:
    s = slots(0, 3)
    s[0].retired = True
    assert choose_slot(s, None) is s[1]
    assert choose_slot(s, 1) is None
    assert choose_slot([], None) is None


# -- ThreadPool ----------------------------------------------------------------------------------------------


async def test_fill_creates_size_threads_with_distinct_names() -> None:
    fake = FakeThreads()
    pool = ThreadPool(fake, size=3)
    await pool.fill()
    assert sorted(fake.names) == ["bitcoin-rpc-mp/0", "bitcoin-rpc-mp/1", "bitcoin-rpc-mp/2"]
    stats = pool.statistics()
    assert (stats.threads, stats.busy, stats.calls_in_flight) == (3, 0, 0)


async def test_short_calls_spread_over_idle_threads_then_queue_on_least_busy() -> None:
    pool = ThreadPool(FakeThreads(), size=2, queues_calls=True)
    await pool.fill()
    a = await pool.acquire()
    b = await pool.acquire()
    assert a.slot is not b.slot
    c = await pool.acquire()  # both busy, node queues: goes to the lowest-index least-busy thread
    assert c.slot is min((a.slot, b.slot), key=lambda s: s.index)
    stats = pool.statistics()
    assert (stats.threads, stats.busy, stats.calls_in_flight) == (2, 2, 3)
    for lease in (a, b, c):
        lease.release()
    assert pool.statistics().calls_in_flight == 0


async def test_without_queuing_a_third_call_waits_for_a_free_thread() -> None:
    pool = ThreadPool(FakeThreads(), size=2, queues_calls=False)
    await pool.fill()
    a = await pool.acquire()
    b = await pool.acquire()
    with pytest.raises(ThreadsBusy):
        pool.acquire_nowait()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    assert pool.statistics().waiting == 1
    b.release()
    c = await asyncio.wait_for(waiter, 1)
    assert c.slot is b.slot
    assert c.slot.in_flight == 1
    a.release()
    c.release()


async def test_long_calls_get_threads_of_their_own_up_to_the_cap() -> None:
    fake = FakeThreads()
    pool = ThreadPool(fake, size=1, max_long=2, queues_calls=False)
    await pool.fill()
    w1 = await pool.acquire(long=True)
    w2 = await pool.acquire(long=True)
    assert w1.slot.long and w2.slot.long and w1.slot is not w2.slot
    assert all("wait-" in name for name in fake.names[1:])
    short = pool.acquire_nowait()  # the short pool is untouched by the waits
    assert not short.slot.long
    third = asyncio.ensure_future(pool.acquire(long=True))
    await asyncio.sleep(0.01)
    assert not third.done()  # cap reached, node does not queue: wait
    w1.release()
    w3 = await asyncio.wait_for(third, 1)
    assert w3.slot is w1.slot  # an idle long thread is reused, no new one
    assert len(fake.names) == 3
    for lease in (w2, w3, short):
        lease.release()


async def test_retired_thread_is_never_reused_and_is_replaced_on_demand() -> None:
    fake = FakeThreads()
    pool = ThreadPool(fake, size=1, queues_calls=False)
    await pool.fill()
    hung = await pool.acquire()
    hung_slot = hung.slot
    hung.retire()
    assert hung_slot.retired and hung_slot.handle is None
    assert pool.statistics().threads == 0
    fresh = await pool.acquire()
    assert fresh.slot is not hung_slot
    assert len(fake.names) == 2
    fresh.release()
    hung.release()  # a second end of the same lease is ignored
    assert pool.statistics().calls_in_flight == 0


async def test_retiring_wakes_a_waiter_which_gets_a_new_thread() -> None:
    fake = FakeThreads()
    pool = ThreadPool(fake, size=1, queues_calls=False)
    await pool.fill()
    busy = await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    busy.retire()
    lease = await asyncio.wait_for(waiter, 1)
    assert lease.slot is not busy.slot
    lease.release()


async def test_close_wakes_waiters_with_pool_closed() -> None:
    pool = ThreadPool(FakeThreads(), size=1, queues_calls=False)
    await pool.fill()
    await pool.acquire()
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    pool.close()
    with pytest.raises(PoolClosed):
        await asyncio.wait_for(waiter, 1)
    with pytest.raises(PoolClosed):
        await pool.acquire()
    assert pool.statistics().threads == 0


async def test_failed_thread_creation_propagates_and_frees_the_reservation() -> None:
    fake = FakeThreads()
    pool = ThreadPool(fake, size=1)
    fake.fail = ConnectionError("gone")
    with pytest.raises(ConnectionError):
        await pool.acquire()
    fake.fail = None
    lease = await pool.acquire()
    assert pool.statistics().threads == 1
    lease.release()


async def test_cancelled_waiter_passes_its_turn_on() -> None:
    pool = ThreadPool(FakeThreads(), size=1, queues_calls=False)
    await pool.fill()
    busy = await pool.acquire()
    first = asyncio.ensure_future(pool.acquire())
    second = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.01)
    busy.release()  # wakes `first` ...
    first.cancel()  # ... which leaves before it runs
    lease = await asyncio.wait_for(second, 1)
    assert lease.slot is busy.slot
    lease.release()


def test_invalid_sizes_are_rejected() -> None:
    with pytest.raises(ValueError):
        ThreadPool(FakeThreads(), size=0)
    with pytest.raises(ValueError):
        ThreadPool(FakeThreads(), size=1, max_long=0)
