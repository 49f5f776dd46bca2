"""Composition root: builds Settings → NodeClient → executor → Dispatcher → HTTP server, and runs them.

Wiring only: the uvloop event loop with pycapnp's KJ loop inside it, the in-process stand-in node when no node
socket was given, the datadir lock (taken before anything else, `datadir_lock`), the cookie file's life (written
only once the ports are bound, removed only if still ours), spawn mode's node, signals and graceful shutdown, in
that order. The policies live with their owners: the HTTP request to JSON-RPC glue (authentication first, as
bitcoind's handler does) is `rpc_endpoint.JsonRpcHttpHandler`, the demo login `auth.credentials`, the IPC
socket's permission check `ipc.socket_permissions`, the process's knobs and its hard exit `runtime`. It is the
only module that sees every layer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import capnp
import uvloop

from .auth.cookie import AuthCookie
from .auth.credentials import Authenticator
from .auth.whitelist import Whitelist
from .config import cli
from .config.http_options import HTTP_START_ERROR
from .config.node_target import NodeSocket, SpawnedNode
from .config.settings import Settings
from .datadir_lock import (
    SERVER_LOCK,
    DatadirClaim,
    DatadirError,
    claim_datadir,
    lock_directory,
    probe_directory,
    remember_cookie,
)
from .handlers.answer_cache import AnswerCache
from .handlers.coalesce import Coalescer
from .handlers.executor import NodeExecutor
from .http.server import HttpServer
from .http.workqueue import WorkQueue
from .ipc.client import NodeClient
from .ipc.socket_permissions import socket_permission_warnings
from .jsonrpc.dispatch import Dispatcher, Executor
from .logsetup import AppendFileHandler, configure_logging
from .metrics import Metrics, serve_metrics
from .rpc_endpoint import JsonRpcHttpHandler
from .runtime import exit_now, finish_tasks, prepare_process, tune_gc
from .spawn import (
    SOCKET_NAME,
    FirstConnectionWait,
    NodeProcess,
    create_net_datadir,
    exit_with_status,
    node_command,
    private_socket_dir,
    remove_dir,
)

log = logging.getLogger("bitcoin_rpc_mp")

STANDIN_BLOCKS = 210
SHUTDOWN_TIMEOUT_S = 3.0
# spawn mode: how long a request that arrives before the first IPC connection waits for it (the node binds its
# socket early in its start-up, before it loads anything); after that it gets our -28
FIRST_CONNECTION_WAIT_S = 10.0


@dataclass
class Running:
    """What `serve` started, for tests and for shutdown."""

    server: HttpServer
    client: NodeClient
    cookie: AuthCookie | None
    standin: Any | None
    socket_dir: tempfile.TemporaryDirectory[str] | None
    claim: DatadirClaim | None = None
    reporters: tuple[Any, ...] = ()  # Coalescer / AnswerCache: describe() logged every minute and at the end
    report_task: asyncio.Task[None] | None = None
    metrics: Metrics | None = None  # -metrics: what is counted, for other parts to add their counters
    metrics_server: asyncio.Server | None = None

    async def aclose(self) -> None:
        try:
            if self.cookie is not None:
                self.cookie.remove()
            if self.report_task is not None:
                self.report_task.cancel()
            if self.metrics_server is not None:
                self.metrics_server.close()
            await self.server.aclose()
            for reporter in self.reporters:
                log.info("%s", reporter.describe())
                if hasattr(reporter, "aclose"):
                    await reporter.aclose()
            await self.client.aclose()
            if self.standin is not None:
                await self.standin.aclose()
            if self.socket_dir is not None:
                self.socket_dir.cleanup()
        finally:
            if self.claim is not None:
                self.claim.release()  # last: until here a second instance must not start on this datadir


def _counts_of(stats: Any) -> dict[str, int]:
    """The integer fields of a statistics dataclass, by name (read at scrape time)."""
    return {name: value for name, value in vars(stats).items() if isinstance(value, int)}


async def start_standin(blocks: int = STANDIN_BLOCKS) -> tuple[Any, str, tempfile.TemporaryDirectory[str]]:
    from .standin.node import StandinNode  # only when asked: a test double, not part of serving a node

    socket_dir = tempfile.TemporaryDirectory(prefix="bitcoin-rpc-mp-standin-")
    path = os.path.join(socket_dir.name, "node.sock")
    node = StandinNode(blocks=blocks)
    await node.start(path)
    return node, path, socket_dir


def claim_settings_datadir(settings: Settings) -> DatadirClaim:
    """Lock the net datadir as bitcoind does (see `datadir_lock`); raises DatadirError.

    Spawn mode: bitcoind's own lock (`.lock`) is the node's to take once we start it; we fail with bitcoind's
    message if another process holds it now, and hold `.rpc.lock`, so two of us never serve one datadir."""
    if settings.spawned is not None:
        probe_directory(settings.net_datadir)
        return DatadirClaim(lock_directory(settings.net_datadir, SERVER_LOCK))
    return claim_datadir(
        settings.net_datadir,
        node_socket=settings.node.path if isinstance(settings.node, NodeSocket) else None,
        cookie_path=settings.auth.cookiefile if settings.auth.cookie_enabled else None,
    )


class StartupError(Exception):
    """The HTTP server cannot start: the lines bitcoind prints to stderr (after `Error: `); the reason is logged."""

    def __init__(self, *stderr_lines: str) -> None:
        super().__init__(stderr_lines[-1] if stderr_lines else HTTP_START_ERROR)
        self.stderr_lines = stderr_lines or (HTTP_START_ERROR,)


async def serve(settings: Settings, claim: DatadirClaim | None = None, node_socket: str | None = None) -> Running:
    """Start everything; return once the HTTP endpoints are bound (the node may still be away).

    `claim` is the datadir lock taken by the caller before anything else (`claim_settings_datadir`); the
    returned `Running` releases it at the end of `aclose()`. The cookie is written only after every endpoint
    is bound, so a start that fails (port taken) never touches another process's cookie. `node_socket`
    overrides the settings' socket (spawn mode's private one). Raises StartupError, after logging the reason,
    where bitcoind's HTTP server would not start; nothing is left running then."""
    try:
        return await _serve(settings, claim, node_socket)
    except BaseException:
        if claim is not None:
            claim.release()
        raise


async def _serve(settings: Settings, claim: DatadirClaim | None, node_socket: str | None) -> Running:
    if settings.http_failure is not None:
        log.error("%s", settings.http_failure.log)
        raise StartupError(*settings.http_failure.stderr)
    standin, socket_path, socket_dir = await _node_socket(settings, node_socket)
    for warning in (*settings.warnings, *socket_permission_warnings(socket_path)):
        log.warning("%s", warning)
    client = NodeClient(
        socket_path,
        threads=settings.ipc.threads,
        call_timeout_s=settings.ipc.call_timeout_s,
        variant=settings.ipc.variant,
        # a connect attempt on a Unix socket costs microseconds; polling twice a second lets service resume
        # within a second of the node's socket returning; in spawn mode the node we just started opens it within
        # a second, and every start of ours waits for that
        backoff_max_s=0.5 if settings.spawned is None else 0.1,
    )
    cookie, authenticator = _authentication(settings, standin=standin is not None)
    whitelist = Whitelist.from_options(settings.auth.whitelist, settings.auth.whitelistdefault)
    executor, coalescer, cache = _executor(settings, client)
    dispatcher = Dispatcher(executor, whitelist, max_batch=settings.http.maxbatch)
    work_queue = WorkQueue(settings.http.threads, settings.http.workqueue)
    metrics = None if settings.metrics is None else _metrics(client, work_queue, coalescer, cache)
    handler = JsonRpcHttpHandler(authenticator, dispatcher, None if metrics is None else metrics.requests)
    server = HttpServer(
        handler,
        allow=settings.http.allow,
        work_queue=work_queue,
        idle_timeout_s=settings.http.servertimeout_s,
        clock=time.time,
    )
    reporters = tuple(r for r in (coalescer, cache) if r is not None)
    running = Running(server, client, None, standin, socket_dir, reporters=reporters)
    if reporters:
        running.report_task = asyncio.get_running_loop().create_task(_report(reporters), name="statistics")
    await _listen(running, settings, metrics)
    if cookie is not None:
        await _write_cookie(running, cookie, claim)
    # connect only once the HTTP server has started: a start that fails then has no IPC session to tear down
    # (tearing down one mid-handshake crashed the process, SIGSEGV, 3 of 3 times under load)
    await client.start()
    running.claim = claim
    return running


async def _node_socket(
    settings: Settings, node_socket: str | None
) -> tuple[Any | None, str, tempfile.TemporaryDirectory[str] | None]:
    """(the stand-in or None, the node's socket, the stand-in's socket directory or None): `node_socket`, else
    the settings' socket, else a stand-in node started here."""
    socket_path = node_socket or (settings.node.path if isinstance(settings.node, NodeSocket) else None)
    if socket_path is not None:
        return None, socket_path, None
    log.info(
        "no -ipcconnect/--socket given: starting the stand-in node (a test double of bitcoin-node, "
        "regtest, %d blocks); point -ipcconnect=unix:<path> at a real bitcoin-node to serve it",
        STANDIN_BLOCKS,
    )
    standin, socket_path, socket_dir = await start_standin()
    log.info("stand-in node listening on unix:%s", socket_path)
    return standin, socket_path, socket_dir


def _authentication(settings: Settings, *, standin: bool) -> tuple[AuthCookie | None, Authenticator]:
    """The cookie to write once the ports are ours (None when there is none), and who may call."""
    cookie = None
    cookie_password = None
    if settings.auth.cookie_enabled:
        assert settings.auth.cookiefile is not None
        cookie = AuthCookie(settings.auth.cookiefile, settings.auth.cookie_mode)
        cookie_password = cookie.new_password()  # the file is written once the ports are ours
    elif settings.auth.cookiefile is None:
        log.info("RPC authentication cookie file generation is disabled.")
    authenticator = Authenticator.from_options(
        rpcuser=settings.auth.rpcuser,
        rpcpassword=settings.auth.rpcpassword,
        rpcauth=settings.auth.rpcauth,
        cookie_password=cookie_password,
        standin=standin,
    )
    return cookie, authenticator


def _executor(settings: Settings, client: NodeClient) -> tuple[Executor, Coalescer | None, AnswerCache | None]:
    """What answers the calls, with the coalescer and the answer cache it uses (None when off)."""
    coalescer = Coalescer(client, limit=settings.ipc.threads) if settings.ipc.coalesce else None
    cache = AnswerCache(client, settings.ipc.cachesize_mib * 2**20) if settings.ipc.cachesize_mib > 0 else None
    if cache is not None:
        cache.start()
    executor: Executor = NodeExecutor(client, native=settings.ipc.native, coalescer=coalescer, cache=cache)
    if settings.spawned is not None:
        executor = FirstConnectionWait(executor, client, FIRST_CONNECTION_WAIT_S)
    return executor, coalescer, cache


def _metrics(
    client: NodeClient, work_queue: WorkQueue, coalescer: Coalescer | None, cache: AnswerCache | None
) -> Metrics:
    metrics = Metrics(
        work_queue=work_queue.statistics,
        ipc=client.statistics,
        ipc_calls=client.call_counts,
        connected=lambda: client.connected,
    )
    for name, what, reporter in (("cache", "answer cache", cache), ("coalesce", "request coalescing", coalescer)):
        if reporter is not None:
            stats = reporter.stats
            metrics.add_counters(
                f"bitcoin_rpc_mp_{name}_events", f"Events of the {what}", "event", partial(_counts_of, stats)
            )
    return metrics


async def _listen(running: Running, settings: Settings, metrics: Metrics | None) -> None:
    """Bind the RPC endpoints (and the metrics one); StartupError, with everything closed, when one is taken."""
    try:
        await running.server.bind(settings.http.bind)
        if metrics is not None and settings.metrics is not None:
            running.metrics = metrics
            running.metrics_server = await serve_metrics(metrics, *settings.metrics)
    except OSError as exc:
        log.error("%s", exc)
        await running.aclose()
        raise StartupError() from None


async def _write_cookie(running: Running, cookie: AuthCookie, claim: DatadirClaim | None) -> None:
    """Write the cookie (the ports are ours now); StartupError, with everything closed, when it cannot be."""
    try:
        cookie.write()
    except OSError as exc:
        log.error("Unable to open cookie authentication file %s for writing: %s", cookie.path, exc)
        await running.aclose()
        raise StartupError() from None
    running.cookie = cookie
    if claim is not None and cookie.content is not None:
        remember_cookie(claim, cookie.content)
    log.info("Generated RPC authentication cookie %s", cookie.path)


async def _report(reporters: tuple[Any, ...], every_s: float = 60.0) -> None:
    """Log the coalescing and cache counters every minute while they change (`-debug` not needed)."""
    last: list[str] = [""] * len(reporters)
    while True:
        await asyncio.sleep(every_s)
        for i, reporter in enumerate(reporters):
            text = reporter.describe()
            if text != last[i]:
                log.info("%s", text)
                last[i] = text


def _print_errors(lines: Sequence[str]) -> None:
    """bitcoind's init error box on stderr: one `Error: ` line each."""
    sys.stderr.write("".join(f"Error: {line}\n" for line in lines))
    sys.stderr.flush()


def _claim_or_report(settings: Settings) -> DatadirClaim | None:
    """The datadir lock (`claim_settings_datadir`); None, with bitcoind's error printed and logged, when it is held."""
    try:
        return claim_settings_datadir(settings)
    except DatadirError as exc:
        log.error("%s%s", exc, f" ({exc.detail})" if exc.detail else "")
        sys.stderr.write(f"Error: {exc}\n")
        if exc.detail:
            sys.stderr.write(f"{exc.detail}\n")
        sys.stderr.flush()
        return None


async def _main(settings: Settings, file_log: AppendFileHandler | None) -> int:
    claim = _claim_or_report(settings)  # before anything else, as bitcoind locks its datadir
    if claim is None:
        return 1
    async with capnp.kj_loop():
        loop = asyncio.get_running_loop()
        spawned = settings.spawned
        socket_dir = private_socket_dir() if spawned is not None else None
        node_socket = None if socket_dir is None else os.path.join(socket_dir, SOCKET_NAME)
        try:
            running = await serve(settings, claim, node_socket)
        except StartupError as exc:
            _print_errors(exc.stderr_lines)
            if socket_dir is not None:
                remove_dir(socket_dir)
            return 1
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        watcher = None
        if running.standin is not None:
            # The demo is one process, as bitcoind is: `stop` ends the stand-in node and with it everything.
            watcher = loop.create_task(_stop_with(running.standin.stopped, stop), name="stop with the stand-in")
        node: NodeProcess | None = None
        if spawned is not None:
            assert node_socket is not None and socket_dir is not None
            node = await _start_node(spawned, node_socket, socket_dir, running)
            if node is None:
                return 1
        loop.add_signal_handler(signal.SIGHUP, _on_sighup, file_log, node)
        endpoints = ", ".join(f"{host}:{port}" for host, port in running.server.bound)
        log.info("bitcoin-rpc-mp serving JSON-RPC on %s", endpoints)
        tune_gc()
        status = 0
        if node is None:
            await stop.wait()
            if watcher is not None:
                watcher.cancel()
            log.info("shutting down")
        else:
            status = await _supervise(node, stop, running)
        await _close(running)
        if socket_dir is not None:
            remove_dir(socket_dir)
        if not await finish_tasks(SHUTDOWN_TIMEOUT_S):
            exit_now(status)  # a task that ignores cancellation would keep the loop from ever finishing
    return status


async def _start_node(
    spawned: SpawnedNode, node_socket: str, socket_dir: str, running: Running
) -> NodeProcess | None:
    """Spawn mode: start bitcoin-node on our private socket; None, with everything closed and the error printed,
    when it cannot be started."""
    node = NodeProcess(node_command(spawned.executable, spawned.args, node_socket))
    try:
        node.start()
    except OSError as exc:
        await _close(running)
        remove_dir(socket_dir)
        _print_errors([f"Cannot start bitcoin-node {spawned.executable}: {exc.strerror or exc}"])
        return None
    log.info("started bitcoin-node (pid %d): %s", node.pid, " ".join(node.argv))
    return node


async def _supervise(node: NodeProcess, stop: asyncio.Event, running: Running) -> int:
    """Spawn mode: serve until the node exits (a `stop`, a crash) or we are told to stop (then stop it too)."""
    stop_wait = asyncio.ensure_future(stop.wait())
    node_wait = asyncio.ensure_future(node.wait())
    await asyncio.wait((stop_wait, node_wait), return_when=asyncio.FIRST_COMPLETED)
    if not node_wait.done():
        log.info("shutting down: stopping bitcoin-node (pid %s)", node.pid)
        node.send_signal(signal.SIGTERM)
        # no new requests while the node shuts down, as bitcoind's HTTP server stops accepting first
        await running.server.aclose()
    else:
        stop_wait.cancel()
    status = await node_wait
    if status == 0:
        log.info("bitcoin-node exited")
    else:
        log.warning("bitcoin-node exited with status %d", status)
    return status


async def _close(running: Running) -> None:
    try:
        await asyncio.wait_for(running.aclose(), SHUTDOWN_TIMEOUT_S)
    except TimeoutError:
        log.warning("shutdown took longer than %.0f s; exiting anyway", SHUTDOWN_TIMEOUT_S)
        if running.claim is not None:
            running.claim.release()


def _on_sighup(file_log: AppendFileHandler | None, node: NodeProcess | None) -> None:
    """Log rotation: reopen our log file by name; in spawn mode the node gets the signal too (it reopens its own)."""
    if file_log is not None:
        try:
            file_log.reopen()
        except OSError as exc:
            log.warning("cannot reopen the log file %s: %s", file_log.path, exc)
    if node is not None:
        node.send_signal(signal.SIGHUP)


async def _stop_with(stopped: asyncio.Event, stop: asyncio.Event) -> None:
    await stopped.wait()
    log.info("the stand-in node stopped (stop RPC): shutting down")
    stop.set()


def main(argv: list[str] | None = None) -> int:
    """The console script `bitcoin-rpc-mp` (and `python -m bitcoin_rpc_mp`): the command line, then `run`."""
    return cli.main(run, argv)


def run(settings: Settings) -> int:
    """Entry point used by the console script once the options are valid."""
    try:
        if settings.spawned is not None:
            create_net_datadir(settings.net_datadir)
        file_log = configure_logging(settings.log)
    except OSError as exc:
        _print_errors([f"Could not open debug log file {settings.log.debuglogfile}: {exc.strerror or exc}"])
        return 1
    prepare_process()
    status = uvloop.run(_main(settings, file_log))
    # spawn mode: the node's exit status becomes ours (its code, or death by the same signal)
    return exit_with_status(status)
