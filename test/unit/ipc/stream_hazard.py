"""The client side of the read-buffer hazard (`bitcoin_rpc_mp/ipc/streams.py`), made deterministic; run as a child.

``python test/unit/ipc/stream_hazard.py ours|pycapnp reset|data [DIR]`` on uvloop: connect a Cap'n Proto stream to a
plain listening socket, then, before any Cap'n Proto read is posted on it (no `TwoPartyClient` yet),

* ``reset``: close the listener, so the connection still in its queue is reset (as when the node is SIGKILLed);
* ``data``: accept it and send one Cap'n Proto message, an `Abort` whose reason is ``peer says goodbye``.

Either makes uvloop ask the protocol for a buffer. It then waits 0.2 s, prints ``survived``, puts a
`TwoPartyClient` on the stream, sends `Init.construct` and prints how the call failed: ``DISCONNECTED`` for
``reset``; for ``data`` the peer's reason, which shows the bytes read before the first Cap'n Proto read reached
Cap'n Proto intact. With ``pycapnp`` (its own `AsyncIoStream.create_unix_connection`) the process dies of SIGSEGV
instead of printing ``survived``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import capnp
import uvloop

from bitcoin_rpc_mp.ipc.schemas import load_variant
from bitcoin_rpc_mp.ipc.streams import open_unix_stream

_CAPNP_DIR = Path(capnp.__file__).parent
ABORT_REASON = "peer says goodbye"


async def run(opener: str, peer: str, directory: str) -> None:
    rpc = capnp.load(str(_CAPNP_DIR / "rpc.capnp"), imports=[str(_CAPNP_DIR.parent)])
    path = os.path.join(directory, "s.sock")
    async with capnp.kj_loop():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)
            listener.listen(4)
            if opener == "pycapnp":
                stream = await capnp.AsyncIoStream.create_unix_connection(path)
            else:
                stream = await open_unix_stream(path)
            accepted = None
            if peer == "data":
                accepted, _ = listener.accept()
                abort = rpc.Message.new_message(abort={"reason": ABORT_REASON, "type": "failed"})
                accepted.sendall(abort.to_bytes())
        # `reset`: the listener is closed here with our connection in its queue
        await asyncio.sleep(0.2)
        print("survived", flush=True)
        client = capnp.TwoPartyClient(stream)
        init = client.bootstrap().cast_as(load_variant("pr29409").init.Init)
        try:
            await asyncio.wait_for(init.construct(), 5)
            print("call succeeded", flush=True)
        except capnp.KjException as exc:
            print(f"call failed: {exc.type}: {exc.description}", flush=True)
        if accepted is not None:
            accepted.close()


def main() -> int:
    """DIR (for the socket) defaults to a temporary directory removed at exit (not when the process crashes)."""
    if (
        len(sys.argv) not in (3, 4)
        or sys.argv[1] not in ("ours", "pycapnp")
        or sys.argv[2] not in ("reset", "data")
    ):
        print(__doc__, file=sys.stderr)
        return 2
    opener, peer = sys.argv[1], sys.argv[2]
    if len(sys.argv) == 4:
        uvloop.run(run(opener, peer, sys.argv[3]))
        return 0
    directory = tempfile.mkdtemp(prefix="hazard.")
    try:
        uvloop.run(run(opener, peer, directory))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
