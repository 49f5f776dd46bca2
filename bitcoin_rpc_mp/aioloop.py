"""`RunningLoop`: the running event loop, asked of asyncio once per object instead of once per request.

Why: on Python 3.11, `asyncio.get_running_loop()` (and everything that calls it: `asyncio.Future()`,
`asyncio.create_task`, `current_task()` without a loop) makes a `getpid()` system call, a check against a loop
inherited through `fork()`. On this project's machine a system call costs microseconds, and a py-spy profile of
the server on a real node (64 connections of `getblockhash`, coalescing at work) found 11 % of its CPU in the
one `get_running_loop()` a waiting request made to create its future (`contrib/bench/run.py --profile
getblockhash:64 --profile-native`). Objects on the request path keep a `RunningLoop` and call it instead.

A loop that has been closed is never handed out: the next call asks asyncio again, so an object that outlives one
`asyncio.run()` (tests) follows the new loop. Imports nothing of ours; every layer may use it.
"""

from __future__ import annotations

import asyncio

__all__ = ["RunningLoop"]


class RunningLoop:
    """Call it for the running loop (RuntimeError outside one, as `asyncio.get_running_loop()`)."""

    __slots__ = ("_loop",)

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        return loop
