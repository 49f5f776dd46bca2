"""runtime.py: the process's knobs, and how it ends."""

from __future__ import annotations

import asyncio
import gc
import signal
import subprocess
import sys

import pytest

from bitcoin_rpc_mp.runtime import GC_GEN0_THRESHOLD, finish_tasks, tune_gc


def test_tune_gc_freezes_the_start_up_heap_and_raises_the_first_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 0
        # cyclic garbage is still collected
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_finish_tasks_reports_a_task_that_ignores_cancellation() -> None:
    async def stubborn(release: asyncio.Event) -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # like a task parked in a wait that ignores cancellation

    async def scenario() -> tuple[bool, bool]:
        release = asyncio.Event()
        task = asyncio.get_running_loop().create_task(stubborn(release))
        await asyncio.sleep(0)
        stuck = await finish_tasks(0.05)
        release.set()
        await task
        quiet = asyncio.get_running_loop().create_task(asyncio.sleep(10))
        await asyncio.sleep(0)
        ended = await finish_tasks(1.0)
        return stuck, ended and quiet.cancelled()

    assert asyncio.run(scenario()) == (False, True)


@pytest.mark.parametrize(("status", "code"), [(0, 0), (3, 3), (-signal.SIGTERM, -signal.SIGTERM)])
def test_exit_now_leaves_at_once_with_the_status(status: int, code: int) -> None:
    """Neither atexit handlers nor a non-daemon thread hold the exit up; spawn mode's node status becomes ours
    (its code, or death by its signal)."""
    program = (
        "import atexit, sys, threading\n"
        "from bitcoin_rpc_mp.runtime import exit_now\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "threading.Thread(target=threading.Event().wait).start()\n"
        f"exit_now({status})\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (code, "")
