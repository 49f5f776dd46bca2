"""The process around the server: garbage-collector tuning, the file-descriptor limit, crash traces, and leaving.

Owns the knobs of the Python process that no part of the server owns: `prepare_process` (the file-descriptor
limit as bitcoind's RaiseFileDescriptorLimit lifts it, crash traces), `tune_gc` (once serving), and the end of the
process: `finish_tasks` cancels what still runs and `exit_now` leaves without waiting for a task that will not
end. Must not import any
sub-package of ours (it sits beside `app`, which wires them).
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import os
from typing import NoReturn

from .spawn import exit_with_status

__all__ = [
    "FD_LIMIT_WANTED",
    "GC_GEN0_THRESHOLD",
    "exit_now",
    "finish_tasks",
    "prepare_process",
    "raise_fd_limit",
    "tune_gc",
]

log = logging.getLogger("bitcoin_rpc_mp")

GC_GEN0_THRESHOLD = 10_000  # see tune_gc
FD_LIMIT_WANTED = 65536  # each HTTP connection costs one fd; idle keep-alive clients can hold thousands


def tune_gc(gen0_threshold: int = GC_GEN0_THRESHOLD) -> None:
    """Make the cyclic garbage collector cheap for a server whose requests build large acyclic values.

    A JSON batch of 1000 requests is about 7000 objects; with CPython's default first threshold (700) a
    collection runs several times per batch, in-flight batches survive into the oldest generation, and full
    collections then walk every live request (measured: 9 of the 10 ms it took to read a 1000-element batch
    while 64 were in flight). The start-up heap (modules, schemas) is moved out of the collector's sight
    (`gc.freeze`) and the first threshold raised, so collections run about 15 times less often; cyclic garbage
    is still collected, just after 10000 allocations instead of 700."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)


def raise_fd_limit(wanted: int = FD_LIMIT_WANTED) -> int:
    """bitcoind's RaiseFileDescriptorLimit: lift the soft RLIMIT_NOFILE towards `wanted`, as far as the hard
    limit allows; returns the soft limit now in force. Past it, new connections are dropped at accept (the
    event loop keeps serving the others)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def prepare_process() -> None:
    """Before serving: lift the file-descriptor limit (warning when it stays low), and have a crash inside a C
    extension (pycapnp, uvloop), which would otherwise end the process without a word, write the Python stack of
    every thread to stderr (SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL)."""
    limit = raise_fd_limit()
    if limit < 1024:
        log.warning("only %d file descriptors allowed (ulimit -n): at most about %d RPC clients at once", limit,
                    max(0, limit - 64))
    faulthandler.enable()


async def finish_tasks(grace_s: float) -> bool:
    """Cancel what is still running; True if every task ended within `grace_s`."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    if not pending:
        return True
    _, still_running = await asyncio.wait(pending, timeout=grace_s)
    if still_running:
        log.warning("%d task(s) did not end after cancellation: %s", len(still_running), still_running)
    return not still_running


def exit_now(status: int) -> NoReturn:
    """Leave the process at once, with the exit `status` would give (`spawn.exit_with_status`: spawn mode's node
    status becomes ours).

    Only for a shutdown in which a task did not end after cancellation (`finish_tasks` returned False): a task
    parked in a Cap'n Proto wait that ignores cancellation keeps the event loop, and with it `uvloop.run` and the
    interpreter's normal exit, from ever finishing, so the process would hang after `stop`. By then the cookie is
    removed, the sockets are closed and the datadir lock is released; what `os._exit` skips (atexit handlers,
    joining threads, finalizers) is exactly what would wait for that task. The log is flushed first."""
    logging.shutdown()
    os._exit(exit_with_status(status))
