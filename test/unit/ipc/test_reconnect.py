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
