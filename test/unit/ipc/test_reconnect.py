"""ipc/reconnect.py: Backoff is pure; the Supervisor loop is driven with fake connect/sleep (no socket)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bitcoin_rpc_mp.ipc.errors import NodeDisconnected
from bitcoin_rpc_mp.ipc.reconnect import Backoff, Supervisor


def test_backoff_doubles_from_a_tenth_of_a_second_and_caps_at_two() -> None:
    backoff = Backoff()
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])
    assert backoff.attempts == 8


def test_backoff_reset_starts_over() -> None:
    backoff = Backoff(initial_s=0.5, max_s=3.0, factor=3.0)
    assert [backoff.next_delay() for _ in range(3)] == pytest.approx([0.5, 1.5, 3.0])
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(0.5)


def test_backoff_never_exceeds_its_cap_even_after_many_attempts() -> None:
    backoff = Backoff()
    for _ in range(2000):
        assert 0.1 <= backoff.next_delay() <= 2.0


@pytest.mark.parametrize(("initial", "cap", "factor"), [(0, 1, 2), (1, 0.5, 2), (0.1, 2, 0.5)])
def test_backoff_rejects_nonsense(initial: float, cap: float, factor: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial_s=initial, max_s=cap, factor=factor)


class FakeSession:
    def __init__(self) -> None:
        self.lost = asyncio.Event()


async def test_supervisor_backs_off_on_failures_and_publishes_each_session() -> None:
    outcomes: list[Any] = [
        FileNotFoundError(2, "No such file"),
        ConnectionRefusedError(111, "refused"),
        NodeDisconnected("x"),
    ]
    sessions = [FakeSession(), FakeSession()]
    slept: list[float] = []
    events: list[tuple[str, Any]] = []

    async def connect() -> Any:
        if outcomes:
            raise outcomes.pop(0)
        if not sessions:
            await asyncio.Event().wait()
        return sessions.pop(0)

    async def sleep(delay: float) -> None:
        slept.append(delay)

    sup = Supervisor(
        "/nowhere.sock",
        connect,  # type: ignore[arg-type]
        lambda s: events.append(("up", s)),
        lambda s: events.append(("down", s)),
        sleep=sleep,
    )
    first, second = sessions
    task = asyncio.create_task(sup.run())
    await asyncio.sleep(0.01)
    assert slept == pytest.approx([0.1, 0.2, 0.4])
    assert events == [("up", first)]
    first.lost.set()
    await asyncio.sleep(0.01)
    assert events == [("up", first), ("down", first), ("up", second)]
    assert sup.sessions == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events[-1] == ("down", second)


class DroppedSession(FakeSession):
    def __init__(self, dropped_by_peer: bool) -> None:
        super().__init__()
        self.dropped_by_peer = dropped_by_peer


async def test_supervisor_never_reconnects_into_a_node_that_dropped_it() -> None:
    """A node drops its clients only while it shuts down, and its listener accepts until it exits: the same
    socket file is not connected to again; a file bound anew (a restarted node) is."""
    identity = {"value": ("dev", 1)}
    connects: list[object] = []
    sessions = [DroppedSession(True), DroppedSession(False), DroppedSession(False)]

    async def connect() -> Any:
        connects.append(identity["value"])
        if not sessions:
            await asyncio.Event().wait()
        return sessions.pop(0)

    async def sleep(delay: float) -> None:
        await asyncio.sleep(0.001)

    sup = Supervisor(
        "/node.sock",
        connect,  # type: ignore[arg-type]
        lambda s: None,
        lambda s: None,
        sleep=sleep,
        identity=lambda path: identity["value"],
    )
    first, second, third = sessions
    task = asyncio.create_task(sup.run())
    await asyncio.sleep(0.01)
    first.lost.set()  # the node closed the connection
    await asyncio.sleep(0.05)
    assert connects == [("dev", 1)], "connected again into the node that is shutting down"
    identity["value"] = ("dev", 2)  # a new node bound the path
    await asyncio.sleep(0.05)
    assert connects == [("dev", 1), ("dev", 2)]
    second.lost.set()  # this time we closed it ourselves: reconnecting to the same file is fine
    await asyncio.sleep(0.05)
    assert connects == [("dev", 1), ("dev", 2), ("dev", 2)]
    assert sup.sessions == 3
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    del third


async def test_supervisor_treats_a_drop_during_the_handshake_as_a_shutdown() -> None:
    identity = {"value": ("dev", 7)}
    attempts: list[object] = []

    async def connect() -> Any:
        attempts.append(identity["value"])
        if len(attempts) == 1:
            raise NodeDisconnected("accepted, then dropped")
        await asyncio.Event().wait()

    async def sleep(delay: float) -> None:
        await asyncio.sleep(0.001)

    sup = Supervisor(
        "/node.sock", connect, lambda s: None, lambda s: None, sleep=sleep,  # type: ignore[arg-type]
        identity=lambda path: identity["value"],
    )
    task = asyncio.create_task(sup.run())
    await asyncio.sleep(0.05)
    assert attempts == [("dev", 7)]
    identity["value"] = None  # the node exited and the file went away: trying again is harmless
    await asyncio.sleep(0.05)
    assert attempts[-1] is None and len(attempts) == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
