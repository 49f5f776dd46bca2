"""One socket session with bitcoin-node, and the one place Cap'n Proto exceptions become `ipc.errors`.

Owns: parsing `-ipcconnect`-style addresses (`unix:<path>` or a bare path), opening the Unix socket as a
`capnp.AsyncIoStream` (through `ipc.streams.open_unix_stream`: pycapnp's stream with its read-buffer hazard
removed, see that module), the `TwoPartyClient` and its bootstrap capability, noticing promptly that the peer
went away (`TwoPartyClient.on_disconnect()`), closing, and `map_exceptions()`: the single
translation of `capnp.KjException` into `NodeDisconnected` / `RemoteError` used by `handshake.py` and `client.py`
(no other module catches `capnp.KjException`).

Must run inside `capnp.kj_loop()`. Must not import `http`, `jsonrpc`, `handlers` (or `standin`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import capnp

from bitcoin_rpc_mp.ipc.errors import IpcError, NodeDisconnected, RemoteError

# looked up per call by Connection.open, so a test can swap the opener
from bitcoin_rpc_mp.ipc.streams import open_unix_stream

__all__ = [
    "Connection",
    "KjException",
    "map_exceptions",
    "open_unix_stream",
    "parse_socket_address",
    "translate_kj_exception",
]

# The exception type pycapnp raises for every failed call; client.py's call path catches it directly (a
# `with map_exceptions()` block costs a generator per call) and hands it to translate_kj_exception.
KjException = capnp.KjException

log = logging.getLogger(__name__)

_REMOTE_PREFIX = "remote exception: "
_STD_PREFIX = "std::exception: "


def parse_socket_address(address: str) -> str:
    """`unix:<path>` or a bare path -> the path. Raises ValueError when no path is named.

    (The node's own default, plain `unix`, means `<datadir>/<network>/node.sock`: the caller resolves it.)
    """
    path = address[len("unix:") :] if address.startswith("unix:") else address
    if not path or address == "unix":
        raise ValueError(f"IPC socket address {address!r} names no path")
    return path


def remote_message(description: str) -> str:
    """The node's own text from a KJ description: drop `remote exception: ` and `std::exception: `."""
    text = description
    if text.startswith(_REMOTE_PREFIX):
        text = text[len(_REMOTE_PREFIX) :]
    if text.startswith(_STD_PREFIX):
        text = text[len(_STD_PREFIX) :]
    return text


def translate_kj_exception(exc: BaseException) -> IpcError:
    """A `capnp.KjException` as the `ipc.errors` type it means."""
    kind = str(getattr(exc, "type", None) or "FAILED")
    description = str(getattr(exc, "description", None) or exc)
    if kind == "DISCONNECTED":
        return NodeDisconnected(f"connection to bitcoin-node lost: {description}")
    return RemoteError(remote_message(description), kind)


@contextlib.contextmanager
def map_exceptions() -> Iterator[None]:
    """Re-raise `capnp.KjException` raised inside the block as `NodeDisconnected` / `RemoteError`."""
    try:
        yield
    except capnp.KjException as exc:
        raise translate_kj_exception(exc) from exc


class Connection:
    """One open socket to the node: its bootstrap capability and a `lost` signal.

    `lost` is set when the peer closes the socket (node stopped or crashed) or after `close()`.
    """

    def __init__(self, socket_path: str, stream: Any, client: Any) -> None:
        self.socket_path = socket_path
        self._stream = stream
        self._client = client
        self.bootstrap: Any = client.bootstrap()
        self.lost = asyncio.Event()
        self._closed = False
        # True when the node closed the socket (it does so only when it shuts down or dies), False when we did.
        self.dropped_by_peer = False
        self._watch = asyncio.ensure_future(self._watch_disconnect(client.on_disconnect()))

    @classmethod
    async def open(cls, socket_path: str) -> Connection:
        """Connect; raises OSError (FileNotFoundError, ConnectionRefusedError, ...) when nothing listens."""
        stream = await open_unix_stream(socket_path)
        client = capnp.TwoPartyClient(stream)
        log.debug("connected to %s", socket_path)
        return cls(socket_path, stream, client)

    @property
    def is_lost(self) -> bool:
        return self.lost.is_set()

    async def _watch_disconnect(self, on_disconnect: Any) -> None:
        try:
            await on_disconnect
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the network was torn down under the promise: same meaning
            log.debug("disconnect watcher ended with %r", exc)
        if not self._closed:
            self.dropped_by_peer = True
            log.warning("IPC socket %s: peer disconnected", self.socket_path)
        self.lost.set()

    async def wait_lost(self) -> None:
        await self.lost.wait()

    def close(self) -> None:
        """Close the socket; calls still pending fail with DISCONNECTED. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.bootstrap = None
        self._watch.cancel()
        try:
            self._client.close()
        finally:
            with contextlib.suppress(Exception):
                self._stream.close()
            self.lost.set()
            log.debug("closed connection to %s", self.socket_path)
