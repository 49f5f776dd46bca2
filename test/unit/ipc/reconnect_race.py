"""Stress: reconnect into a stand-in node the moment it is SIGKILLed, with calls in flight, on uvloop.

``python test/unit/ipc/reconnect_race.py [--cycles N] [--opener ours|pycapnp] [--node BITCOIN_NODE]``: each cycle
starts a stand-in node (forked from a spawner that has already imported everything, so a restart costs
milliseconds; or, with ``--node``, a real bitcoin-node on a fresh regtest datadir), opens a
`Connection` and runs the handshake, puts calls in flight (some of them time out), SIGKILLs the node and at once
opens new connections on its socket until it refuses them. A connection that gets through lands in the dying
node's listen queue and is reset while Cap'n Proto has not posted its first read: the moment pycapnp's own
stream protocol stops libuv's reading inside its buffer callback and the process dies of SIGSEGV (see
`bitcoin_rpc_mp/ipc/streams.py`, "The read-buffer hazard"). ``--opener pycapnp`` opens those sockets with
`capnp.AsyncIoStream.create_unix_connection` instead of ours, to measure the crash rate without the fix.

Prints ``cycles=N raced=R`` (R: connections that got through after the kill) and exits 0 when it survived.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import capnp
import uvloop

from bitcoin_rpc_mp.ipc import connection
from bitcoin_rpc_mp.ipc.connection import Connection
from bitcoin_rpc_mp.ipc.handshake import Session, establish
from bitcoin_rpc_mp.ipc.schemas import load_variant
from bitcoin_rpc_mp.standin.__main__ import parse_args as standin_args
from bitcoin_rpc_mp.standin.__main__ import run as run_standin

VARIANT = "pr29409"
REAL_NODE = False  # set by --node


def _spawner(requests: int, replies: int, argv: list[str]) -> None:
    """Fork one stand-in node per byte read from `requests`, answer its pid; kill the last one at EOF."""
    args = standin_args(argv)
    child = 0
    while os.read(requests, 1):
        child = os.fork()
        if child == 0:
            os.close(requests)
            os.close(replies)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # its "Listening for IPC requests" line, once per cycle
            code = 0
            try:
                asyncio.run(run_standin(args))
            except BaseException:
                code = 1
            os._exit(code)
        os.write(replies, f"{child}\n".encode())
        # reap the nodes killed so far (the current one included once it is gone)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
    if child:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    os._exit(0)


class Spawner:
    def __init__(self, socket_path: str) -> None:
        load_variant(VARIANT)
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        argv = [
            "--socket",
            socket_path,
            "--variant",
            VARIANT,
            "--blocks",
            "3",
            "--method-delay-ms",
            "echo=200",
        ]
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self._requests)
            os.close(self._replies)
            _spawner(requests_r, replies_w, argv)
        os.close(requests_r)
        os.close(replies_w)
        self._reader = os.fdopen(self._replies)

    def start_node(self) -> int:
        os.write(self._requests, b"n")
        return int(self._reader.readline())

    def close(self) -> None:
        os.close(self._requests)
        self._reader.close()
        os.waitpid(self.pid, 0)


class RealNodes:
    """The same interface as `Spawner` for a real bitcoin-node binary: one fresh regtest datadir per node."""

    def __init__(self, binary: str, socket_path: str) -> None:
        self.binary = binary
        self.socket_path = socket_path
        self.directory = os.path.dirname(socket_path)
        self._nodes: list[subprocess.Popen[bytes]] = []

    def start_node(self) -> int:
        datadir = os.path.join(self.directory, f"d{len(self._nodes)}")
        os.mkdir(datadir)
        argv = [self.binary, "-regtest", f"-datadir={datadir}", f"-ipcbind=unix:{self.socket_path}"]
        argv += ["-server=0", "-listen=0", "-printtoconsole=0", "-disablewallet"]
        self._nodes.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
        return self._nodes[-1].pid

    def close(self) -> None:
        for node in self._nodes:
            if node.poll() is None:
                node.kill()
            node.wait()


async def _call(session: Session, slow: bool) -> None:
    ctx = session.pool.acquire_nowait().context
    if session.capabilities.variant != VARIANT or session.rpc is None or slow:
        call = session.echo.echo(context=ctx, echo="x")
    elif REAL_NODE:  # Chain asserts on a node still loading (issue 10 section 1): executeRpc answers -28 then
        call = session.rpc.executeRpc(
            context=ctx, request='{"method":"getblockcount","id":1}', uri="/", user=""
        )
    else:
        call = session.chain.getHeight(context=ctx)
    with contextlib.suppress(capnp.KjException, TimeoutError):
        await asyncio.wait_for(call, 0.05)  # the slow ones time out: their promises are dropped mid-call


async def _connect(path: str, deadline_s: float) -> Connection:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        try:
            return await Connection.open(path)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.002)


async def run(spawner: Spawner | RealNodes, path: str, cycles: int, seed: int) -> int:
    rnd = random.Random(seed)
    raced = 0
    async with capnp.kj_loop():
        for _ in range(cycles):
            node = spawner.start_node()
            conn = await _connect(path, 10.0)
            session = await establish(conn, threads=2, variant=VARIANT)
            calls = [asyncio.ensure_future(_call(session, slow=i % 2 == 1)) for i in range(4)]
            await asyncio.sleep(rnd.uniform(0.0, 0.03))
            os.kill(node, signal.SIGKILL)
            await session.lost.wait()
            late: list[Connection] = []
            while True:  # reconnect at once, racing the dying node's listener
                try:
                    late.append(await Connection.open(path))
                except OSError:
                    break
            raced += len(late)
            await asyncio.sleep(0.01)  # the reset of a raced connection arrives in here
            await asyncio.gather(*calls)
            for c in late:
                c.close()
            session.close()
    return raced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--opener", choices=["ours", "pycapnp"], default="ours")
    parser.add_argument("--node", help="a real bitcoin-node binary (pr29409 build) instead of the stand-in")
    parser.add_argument("--dir", help="directory for the socket and node datadirs (default: a temporary one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.opener == "pycapnp":
        opener: Any = capnp.AsyncIoStream.create_unix_connection
        connection.open_unix_stream = opener  # type: ignore[assignment]  # Connection.open looks it up per call
    directory = args.dir or tempfile.mkdtemp(prefix="race.")
    path = os.path.join(directory, "node.sock")
    spawner: Spawner | RealNodes
    if args.node:
        global REAL_NODE
        REAL_NODE = True
        spawner = RealNodes(args.node, path)
    else:
        spawner = Spawner(path)  # forked before any event loop runs in this process
    started = time.monotonic()
    try:
        raced = uvloop.run(run(spawner, path, args.cycles, args.seed))
    finally:
        spawner.close()
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"cycles={args.cycles} raced={raced} seconds={time.monotonic() - started:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
