"""The server side of the read-buffer hazard (`bitcoin_rpc_mp/ipc/streams.py`), made deterministic; run as a child.

``python test/unit/ipc/stream_hazard_server.py ours|pycapnp reset|data DIR`` on uvloop: start the stand-in node in
this process, listening with ``ours`` (`ipc.streams.create_unix_server`, what `StandinNode.start` uses) or
``pycapnp`` (pycapnp's own `AsyncIoStream.create_unix_server`). Then, while the event loop is blocked, a client
connects and either

* ``data``: sends a Cap'n Proto message (an `Abort`) at once, as a client sends its bootstrap, or
* ``reset``: resets the connection (SO_LINGER 0),

so the connection is accepted with its bytes or its reset already queued, before Cap'n Proto's first read on it.
Prints ``survived`` after 0.3 s, then connects our IPC client to the same stand-in, runs the handshake and prints
``handshake ok`` with the interfaces it found, so the listener still serves after the bad connection.
With ``pycapnp`` the process dies of SIGSEGV instead of printing ``survived``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import sys
from pathlib import Path

import capnp
import uvloop

from bitcoin_rpc_mp.ipc.connection import Connection
from bitcoin_rpc_mp.ipc.handshake import establish
from bitcoin_rpc_mp.standin.node import StandinNode

_CAPNP_DIR = Path(capnp.__file__).parent


async def run(listener: str, peer: str, directory: str) -> None:
    rpc = capnp.load(str(_CAPNP_DIR / "rpc.capnp"), imports=[str(_CAPNP_DIR.parent)])
    abort = rpc.Message.new_message(abort={"reason": "early bytes", "type": "failed"}).to_bytes()
    path = os.path.join(directory, "n.sock")
    async with capnp.kj_loop():
        node = StandinNode(blocks=3)
        if listener == "pycapnp":
            node._server = await capnp.AsyncIoStream.create_unix_server(node._on_connection, path)
            node.socket_path = path
        else:
            await node.start(path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)  # the loop is not running: the connection waits in the listen queue
            if peer == "data":
                client.sendall(abort)
            else:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        await asyncio.sleep(0.3)
        print("survived", flush=True)
        session = await establish(await Connection.open(path), threads=1)
        try:
            print("handshake ok", " ".join(sorted(session.capabilities.interfaces)), flush=True)
        finally:
            session.close()
        await node.aclose()


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[1] not in ("ours", "pycapnp") or sys.argv[2] not in ("reset", "data"):
        print(__doc__, file=sys.stderr)
        return 2
    uvloop.run(run(sys.argv[1], sys.argv[2], sys.argv[3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
