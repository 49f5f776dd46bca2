"""aioloop.RunningLoop: the running loop asked of asyncio once per object (a getpid() per ask on Python 3.11)."""

from __future__ import annotations

import asyncio

import pytest

from bitcoin_rpc_mp.aioloop import RunningLoop


def test_it_is_the_running_loop_asked_once_while_that_loop_lives(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    real = asyncio.get_running_loop

    def counting() -> asyncio.AbstractEventLoop:
        asked.append(1)
        return real()

    monkeypatch.setattr(asyncio, "get_running_loop", counting)
    running = RunningLoop()

    async def main() -> None:
        for _ in range(100):
            assert running() is real()
        future = running().create_future()
        future.set_result(1)
        assert await future == 1

    asyncio.run(main())
    assert len(asked) == 1


def test_a_closed_loop_is_never_handed_out() -> None:
    running = RunningLoop()

    async def loop_now() -> asyncio.AbstractEventLoop:
        return running()

    first = asyncio.run(loop_now())
    second = asyncio.run(loop_now())  # the same object, one asyncio.run() later
    assert first.is_closed() and second is not first


def test_outside_a_loop_it_raises_as_asyncio_does() -> None:
    with pytest.raises(RuntimeError):
        RunningLoop()()
