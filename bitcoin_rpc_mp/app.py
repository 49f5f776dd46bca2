"""Composition root: builds Settings → NodeClient → executor → Dispatcher → HTTP server, and runs them.

Owns: the uvloop event loop with pycapnp's KJ loop inside it, the in-process stand-in node when no node socket
was given, the datadir lock (taken before anything else, `datadir_lock`), the cookie file's life (written only
once the ports are bound, removed only if still ours), signals and graceful shutdown, and the glue from an HTTP `Request` to the
JSON-RPC dispatcher (authentication first, as bitcoind's handler does). It is the only module that sees every
layer.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import hmac
import logging
import os
import signal
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import capnp
import uvloop

from .auth.cookie import AuthCookie
from .auth.credentials import Authenticator, entry_for_password
from .auth.whitelist import Whitelist
from .config.settings import DEBUG_CATEGORIES, Settings
from .datadir_lock import DatadirClaim, DatadirError, claim_datadir, remember_cookie
from .handlers.answer_cache import AnswerCache
from .handlers.coalesce import Coalescer
from .handlers.registry import NodeExecutor
from .http.errors import Forbidden, Unauthorized
from .http.events import Request, Response
from .http.server import HttpServer
from .http.workqueue import WorkQueue
from .ipc.client import NodeClient
from .jsonrpc.dispatch import Dispatcher
from .metrics import Metrics, RequestMetrics, serve_metrics

log = logging.getLogger("bitcoin_rpc_mp")

UNAUTHORIZED = Unauthorized().response
# the dispatcher's replies without a body: whitelist refusals and notifications
BODILESS = {403: Forbidden().response, 204: Response(204)}
JSON_CONTENT = (("Content-Type", "application/json"),)
AUTH_FAILURE_DELAY_S = 0.25  # bitcoind's deterrent against guessing, only for wrong credentials
STANDIN_BLOCKS = 210
STANDIN_DEMO_USER = ("u", "p")
SHUTDOWN_TIMEOUT_S = 3.0
GC_GEN0_THRESHOLD = 10_000  # see tune_gc


class JsonRpcHttpHandler:
    """bitcoind's JSON-RPC HTTP handler after routing: Basic auth, then the dispatcher."""

    def __init__(
        self, authenticator: Authenticator, dispatcher: Dispatcher, metrics: RequestMetrics | None = None
    ) -> None:
        self._authenticator = authenticator
        self._dispatcher = dispatcher
        self._metrics = metrics  # -metrics: one observation per request
        # The last accepted Authorization value and its user: a client sends the same header with every
        # request, and an HMAC per entry per request is a tenth of our CPU. Compared in constant time.
        self._accepted: tuple[bytes, str] = (b"", "")

    def _authenticate(self, header: str) -> str | None:
        raw = header.encode("latin-1")
        accepted, user = self._accepted
        if accepted and hmac.compare_digest(raw, accepted):
            return user
        found = self._authenticator.check(header)
        if found is not None:
            self._accepted = (raw, found)
        return found

    async def __call__(self, request: Request, peer: str) -> Response:
        if self._metrics is None:
            return (await self._answer(request, peer))[0]
        started = time.perf_counter()
        response, method = await self._answer(request, peer)
        self._metrics.observe(method, response.status, time.perf_counter() - started)
        return response

    async def _answer(self, request: Request, peer: str) -> tuple[Response, str]:
        """The response, and the method it answered ("" when no request was read)."""
        header = request.header("Authorization")
        if header is None:
            return UNAUTHORIZED, ""
        user = self._authenticate(header)
        if user is None:
            log.warning("ThreadRPCServer incorrect password attempt from %s", peer)
            await asyncio.sleep(AUTH_FAILURE_DELAY_S)
            return UNAUTHORIZED, ""
        reply = await self._dispatcher.handle(request.body, user, request.target)
        if reply.body is None:
            return BODILESS.get(reply.status) or Response(reply.status), reply.method
        return Response(reply.status, JSON_CONTENT, reply.body + b"\n"), reply.method


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


def socket_permission_warnings(socket_path: str) -> list[str]:
    """Whoever can open the node's IPC socket controls the node without authentication (ipc-protocol.md §1):
    say so when the socket or its directory is writable by others."""
    path = socket_path.removeprefix("unix:")
    warnings = []
    for target, what in ((path, "IPC socket"), (os.path.dirname(path) or ".", "directory of the IPC socket")):
        try:
            mode = os.stat(target).st_mode
        except OSError:
            continue  # not there yet: checked again by nobody, the node creates it 0700
        if mode & stat.S_IWOTH and not (what.startswith("directory") and mode & stat.S_ISVTX):
            warnings.append(
                f"the {what} {target} is writable by every user: anyone who can open the socket controls "
                "bitcoin-node without authentication; restrict its permissions (bitcoin-node creates it 0700)"
            )
    return warnings


def claim_settings_datadir(settings: Settings) -> DatadirClaim:
    """Lock the net datadir as bitcoind does (see `datadir_lock`); raises DatadirError."""
    return claim_datadir(
        settings.net_datadir,
        node_socket=settings.node_socket,
        cookie_path=settings.rpccookiefile if settings.cookie_enabled else None,
    )


async def serve(settings: Settings, claim: DatadirClaim | None = None) -> Running:
    """Start everything; return once the HTTP endpoints are bound (the node may still be away).

    `claim` is the datadir lock taken by the caller before anything else (`claim_settings_datadir`); the
    returned `Running` releases it at the end of `aclose()`. The cookie is written only after every endpoint
    is bound, so a start that fails (port taken) never touches another process's cookie."""
    try:
        return await _serve(settings, claim)
    except BaseException:
        if claim is not None:
            claim.release()
        raise


async def _serve(settings: Settings, claim: DatadirClaim | None) -> Running:
    standin = None
    socket_dir = None
    socket_path = settings.node_socket
    if socket_path is None:
        log.info(
            "no -ipcconnect/--socket given: starting the stand-in node (a test double of bitcoin-node, "
            "regtest, %d blocks); point -ipcconnect=unix:<path> at a real bitcoin-node to serve it",
            STANDIN_BLOCKS,
        )
        standin, socket_path, socket_dir = await start_standin()
        log.info("stand-in node listening on unix:%s", socket_path)
    for warning in settings.warnings:
        log.warning("%s", warning)
    for warning in socket_permission_warnings(socket_path):
        log.warning("%s", warning)

    client = NodeClient(
        socket_path,
        threads=settings.ipcthreads,
        call_timeout_s=settings.ipc_call_timeout_s,
        variant=settings.ipcvariant,
        # a connect attempt on a Unix socket costs microseconds; polling twice a second lets service resume
        # within a second of the node's socket returning
        backoff_max_s=0.5,
    )
    await client.start()

    cookie = None
    cookie_password = None
    if settings.cookie_enabled:
        assert settings.rpccookiefile is not None
        cookie = AuthCookie(settings.rpccookiefile, settings.rpccookieperms_mode)
        cookie_password = cookie.new_password()  # the file is written once the ports are ours
    elif settings.rpccookiefile is None:
        log.info("RPC authentication cookie file generation is disabled.")
    authenticator = Authenticator.from_options(
        rpcuser=settings.rpcuser,
        rpcpassword=settings.rpcpassword,
        rpcauth=settings.rpcauth,
        cookie_password=cookie_password,
    )
    if standin is not None and not settings.rpcpassword and not settings.rpcauth:
        # Lets a newcomer `curl --user u:p` the stand-in at once; never with a real node.
        authenticator = Authenticator((*authenticator.entries, entry_for_password(*STANDIN_DEMO_USER)))
        log.warning("stand-in mode without -rpcpassword/-rpcauth: also accepting the demo login u:p")

    whitelist = Whitelist.from_options(settings.rpcwhitelist, settings.rpcwhitelistdefault)
    coalescer = Coalescer(client, limit=settings.ipcthreads) if settings.ipccoalesce else None
    cache = AnswerCache(client, settings.rpccachesize_mib * 2**20) if settings.rpccachesize_mib > 0 else None
    if cache is not None:
        cache.start()
    executor = NodeExecutor(client, native=settings.ipcnative, coalescer=coalescer, cache=cache)
    dispatcher = Dispatcher(executor, whitelist)
    work_queue = WorkQueue(settings.rpcthreads, settings.rpcworkqueue)
    metrics = None
    if settings.metrics is not None:
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
    handler = JsonRpcHttpHandler(authenticator, dispatcher, None if metrics is None else metrics.requests)
    server = HttpServer(
        handler,
        allow=settings.rpc_allow,
        work_queue=work_queue,
        idle_timeout_s=settings.rpcservertimeout_s,
        clock=time.time,
    )
    reporters = tuple(r for r in (coalescer, cache) if r is not None)
    running = Running(server, client, None, standin, socket_dir, reporters=reporters)
    if reporters:
        running.report_task = asyncio.get_running_loop().create_task(_report(reporters), name="statistics")
    try:
        await server.bind(settings.rpc_bind_endpoints)
        if metrics is not None and settings.metrics is not None:
            running.metrics = metrics
            running.metrics_server = await serve_metrics(metrics, *settings.metrics)
        if cookie is not None:
            cookie.write()
            running.cookie = cookie
            if claim is not None and cookie.content is not None:
                remember_cookie(claim, cookie.content)
            log.info("Generated RPC authentication cookie %s", settings.rpccookiefile)
    except OSError:
        await running.aclose()
        raise
    running.claim = claim
    return running


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


async def _main(settings: Settings) -> int:
    try:
        claim = claim_settings_datadir(settings)  # before anything else, as bitcoind locks its datadir
    except DatadirError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        if exc.detail:
            sys.stderr.write(f"{exc.detail}\n")
        sys.stderr.flush()
        return 1
    async with capnp.kj_loop():
        try:
            running = await serve(settings, claim)
        except OSError as exc:
            log.error("%s", exc)
            return 1
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        watcher = None
        if running.standin is not None:
            # The demo is one process, as bitcoind is: `stop` ends the stand-in node and with it everything.
            watcher = loop.create_task(_stop_with(running.standin.stopped, stop), name="stop with the stand-in")
        endpoints = ", ".join(f"{host}:{port}" for host, port in running.server.bound)
        log.info("bitcoin-rpc-mp serving JSON-RPC on %s", endpoints)
        tune_gc()
        await stop.wait()
        if watcher is not None:
            watcher.cancel()
        log.info("shutting down")
        try:
            await asyncio.wait_for(running.aclose(), SHUTDOWN_TIMEOUT_S)
        except TimeoutError:
            log.warning("shutdown took longer than %.0f s; exiting anyway", SHUTDOWN_TIMEOUT_S)
        if not await _finish_tasks():
            # A task parked in a Cap'n Proto wait that ignores cancellation would keep the loop from ever
            # finishing; the cookie is already removed and the sockets closed, so leave now.
            logging.shutdown()
            os._exit(0)
    return 0


async def _stop_with(stopped: asyncio.Event, stop: asyncio.Event) -> None:
    await stopped.wait()
    log.info("the stand-in node stopped (stop RPC): shutting down")
    stop.set()


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


async def _finish_tasks() -> bool:
    """Cancel what is still running; True if every task ended within the grace period."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    if not pending:
        return True
    _, still_running = await asyncio.wait(pending, timeout=SHUTDOWN_TIMEOUT_S)
    if still_running:
        log.warning("%d task(s) did not end after cancellation: %s", len(still_running), still_running)
    return not still_running


def configure_logging(settings: Settings) -> None:
    """INFO and above everywhere; DEBUG for the loggers of each -debug category that is enabled."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    for category, loggers in DEBUG_CATEGORIES.items():
        level = logging.DEBUG if settings.debug_enabled(category) else logging.NOTSET
        for name in loggers:
            logging.getLogger(name).setLevel(level)


def run(settings: Settings) -> int:
    """Entry point used by the console script once the options are valid."""
    configure_logging(settings)
    # A crash inside a C extension (pycapnp, uvloop) would otherwise end the process without a word: write the
    # Python stack of every thread to stderr on SIGSEGV, SIGFPE, SIGABRT, SIGBUS and SIGILL.
    faulthandler.enable()
    return uvloop.run(_main(settings))
