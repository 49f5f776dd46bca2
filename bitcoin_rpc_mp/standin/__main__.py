"""``python -m bitcoin_rpc_mp.standin --socket PATH [--blocks N] [--variant V] [--delay-ms MS]``.

Runs the stand-in node, a TEST DOUBLE of bitcoin-node's IPC socket (see ``bitcoin_rpc_mp/standin/__init__.py``
for what it does and, above all, does not do: no P2P, no mempool, no validation, only a few RPC methods).
Prints ``Listening for IPC requests on address unix:<path>`` on stdout once it accepts connections.
Signals: SIGTERM/SIGINT shut it down as ``stop`` does (waits end, connections close, exit 0); SIGUSR1 mines
one block; SIGUSR2 reorgs: the tip block is replaced by a competing branch one block longer. Imports nothing of ours except the stand-in, ``bitcoin_rpc_mp.ipc.schemas`` and ``bitcoin_rpc_mp.ipc.streams``.

Event loop: asyncio's own, not uvloop. With pycapnp 2.2.4 and uvloop 0.23, pycapnp's own
``AsyncIoStream.create_unix_server`` dies with SIGSEGV inside uvloop when a connection arrives with bytes or a
reset already queued, which an idle process on uvloop meets at its first client: the read-buffer hazard of
``bitcoin_rpc_mp/ipc/streams.py``. The stand-in now listens through that module's ``create_unix_server``, which
removes the hazard on either loop (test/unit/ipc/test_stream_hazard.py checks the in-process stand-in on uvloop);
this process keeps asyncio's loop all the same, so the stand-in and our server never share a loop implementation
by accident.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import capnp

from bitcoin_rpc_mp.ipc.schemas import VARIANTS
from bitcoin_rpc_mp.standin.node import StandinNode


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bitcoin_rpc_mp.standin",
        description="Stand-in bitcoin-node IPC socket (a test double).",
    )
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--blocks", type=int, default=0, help="blocks to mine on top of genesis at start")
    parser.add_argument(
        "--variant", default="pr29409", choices=VARIANTS, help="node schema variant to present"
    )
    parser.add_argument("--delay-ms", type=float, default=0.0, help="delay added to every call")
    parser.add_argument(
        "--method-delay-ms",
        action="append",
        default=[],
        metavar="METHOD=MS",
        help="delay added to calls of one IPC method (e.g. executeRpc=5000); repeatable",
    )
    parser.add_argument("--hang", action="store_true", help="accept every call and never answer (a hung node)")
    parser.add_argument(
        "--warmup-ms",
        type=float,
        default=0.0,
        help="stay in warm-up this long after listening, as bitcoin-node loading its chainstate: executeRpc "
        "answers -28, makeMining waits, a Chain call aborts",
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    async with capnp.kj_loop():
        node = StandinNode(variant=args.variant, blocks=args.blocks)
        node.faults.delay_s = args.delay_ms / 1000.0
        for item in args.method_delay_ms:
            method, _, millis = item.partition("=")
            node.faults.method_delay_s[method] = float(millis) / 1000.0
        node.faults.hang = args.hang
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, node.request_stop)
        loop.add_signal_handler(signal.SIGINT, node.request_stop)
        loop.add_signal_handler(signal.SIGUSR1, node.mine)
        loop.add_signal_handler(signal.SIGUSR2, lambda: reorg(node))
        await node.start(args.socket, warmup_s=args.warmup_ms / 1000.0)
        print(f"Listening for IPC requests on address unix:{args.socket}", flush=True)
        await node.stopped.wait()
        await node.aclose()


def reorg(node: StandinNode) -> None:
    """Replace the tip with a two-block competing branch (genesis is never replaced)."""
    if node.chain.height >= 1:
        node.invalidate(node.chain.height)
    node.mine(2)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(message)s")
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
