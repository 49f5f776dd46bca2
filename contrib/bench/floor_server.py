"""The floor front end for contrib/bench/run.py: the least any Python HTTP front end on our stack can do per request.

Owns: one process that serves `getblockhash h` over HTTP/1.1 keep-alive on uvloop and answers each request with
one `Chain.findFirstBlockWithTimeAndHeight` call over pycapnp, exactly the IPC call our server makes, on the same
number of node Threads with the same least-busy rule as contrib/bench/ipc_ceiling.py. Everything else a real
server must do is left out on purpose: no HTTP validation (it finds the blank line and Content-Length and
nothing more), no authentication, no JSON reader (a regex pulls the height and id out of the body), no
JSON-RPC envelope, no work queue, no timeouts, no reconnects. It is **not** a server anyone should run: it exists
so the benchmark can show how far the raw IPC ceiling is out of reach of *any* Python front end on the same
machine, and how much of the remaining gap is our server's own work.

    python contrib/bench/floor_server.py --socket /tmp/node.sock --port 18555 --threads 4

Prints `listening <port>` on stdout once it accepts connections. Uses only `load_variant` of ours.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from typing import Any

import capnp
import uvloop

from bitcoin_rpc_mp.ipc.schemas import load_variant

__all__ = ["main"]

_HEIGHT = re.compile(rb'"params"\s*:\s*\[\s*(\d+)\s*\]')
_ID = re.compile(rb'"id"\s*:\s*(\d+|"[^"]*")')
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


class _Node:
    def __init__(self, chain: Any, contexts: list[Any]) -> None:
        self.chain = chain
        self.contexts = contexts
        self.in_flight = [0] * len(contexts)

    async def block_hash(self, height: int) -> bytes | None:
        in_flight = self.in_flight
        index = in_flight.index(min(in_flight))
        in_flight[index] += 1
        try:
            reply = await self.chain.findFirstBlockWithTimeAndHeight(
                context=self.contexts[index], minTime=0, minHeight=height, block={"wantHash": True}
            )
        finally:
            in_flight[index] -= 1
        return bytes(reply.block.hash) if reply.result else None


class _FloorProtocol(asyncio.Protocol):
    def __init__(self, node: _Node) -> None:
        self.node = node
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self.next_request()

    def next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        match = _CONTENT_LENGTH.search(self.buffer, 0, end + 2)
        length = int(match.group(1)) if match else 0
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        body = self.buffer[end + 4 : total]
        self.buffer = self.buffer[total:]
        self.busy = True
        asyncio.get_running_loop().create_task(self.answer(body))

    async def answer(self, body: bytes) -> None:
        height = _HEIGHT.search(body)
        ident = _ID.search(body)
        block = await self.node.block_hash(int(height.group(1))) if height else None
        reply = b'{"result":"%s","error":null,"id":%s}\n' % (
            block[::-1].hex().encode() if block else b"",
            ident.group(1) if ident else b"null",
        )
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(reply), reply)
        )
        self.busy = False
        if self.buffer:
            self.next_request()


async def _serve(args: argparse.Namespace) -> None:
    vs = load_variant(args.variant)
    stream = await capnp.AsyncIoStream.create_unix_connection(args.socket)
    client = capnp.TwoPartyClient(stream)
    init = client.bootstrap().cast_as(vs.init.Init)
    thread_map = (await init.construct()).threadMap
    contexts = []
    for i in range(args.threads):
        request = thread_map.makeThread_request()
        request.name = f"bench-floor-{i}"
        contexts.append(vs.proxy.Context.new_message(thread=(await request.send()).result))
    chain = (await init.makeChain(context=contexts[0])).result
    node = _Node(chain, contexts)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _FloorProtocol(node), "127.0.0.1", args.port)
    print(f"listening {args.port}", flush=True)
    async with server:
        await server.serve_forever()


async def _run(args: argparse.Namespace) -> None:
    async with capnp.kj_loop():
        await _serve(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--socket", required=True, help="the node's IPC socket path (unix:PATH accepted)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4, help="node Threads to spread the calls over")
    parser.add_argument("--variant", default="pr29409", help="schema variant of the node")
    args = parser.parse_args(argv)
    if args.socket.startswith("unix:"):
        args.socket = args.socket[len("unix:") :]
    uvloop.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
