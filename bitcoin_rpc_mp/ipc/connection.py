"""One socket session with bitcoin-node, and the one place Cap'n Proto exceptions become `ipc.errors`.

Owns: parsing `-ipcconnect`-style addresses (`unix:<path>` or a bare path), opening the Unix socket as a
`capnp.AsyncIoStream` (`open_unix_stream`, see "The read-buffer hazard" below), the `TwoPartyClient` and its
bootstrap capability, noticing promptly
that the peer went away (`TwoPartyClient.on_disconnect()`), closing, and `map_exceptions()`: the single
translation of `capnp.KjException` into `NodeDisconnected` / `RemoteError` used by `handshake.py` and `client.py`
(no other module catches `capnp.KjException`).

The read-buffer hazard (why the socket is not opened with `capnp.AsyncIoStream.create_unix_connection`):
pycapnp 2.2.4's stream protocol answers a transport's `get_buffer()` that arrives while Cap'n Proto has no read
posted by calling `transport.pause_reading()` from inside `get_buffer()`. On uvloop that is libuv's
`uv_read_stop()` inside the stream's allocation callback: it clears the stream's read callback, which libuv
calls right afterwards, so the process dies of SIGSEGV at address 0 (`uv__read`, stream.c). uvloop starts
reading every new connection after `connection_made()`, whatever the protocol asked there, so the hazard is
armed from the moment a socket connects until Cap'n Proto posts its first read; reconnecting at once into a
node that was just SIGKILLed lands there (the dying node's listener still queues our connection, then resets
it). `_StreamProtocol` is pycapnp's protocol with that call moved out of `get_buffer()` to `buffer_updated()`,
where libuv allows it (a `close()` reached from there waits for the next loop turn); the bytes read in between go
to pycapnp's own overflow buffer, which it drains before its next read, exactly as when the pause is honoured at
once.

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


class _InsideGetBuffer:
    """The transport as pycapnp's `get_buffer()` sees it. libuv must not stop reading from inside its buffer
    callback, so `pause_reading()` and `close()` (which pycapnp may reach there: its code, or a garbage collection
    that frees a stream) are only noted, and done by `_StreamProtocol` once that is safe; the rest is the
    transport's own."""

    __slots__ = ("close_requested", "pause_requested", "transport")

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.pause_requested = False
        self.close_requested = False

    def pause_reading(self) -> None:
        self.pause_requested = True

    def close(self) -> None:
        self.close_requested = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


# pycapnp's asyncio stream protocol (a cdef class; Python subclasses may override its `def` methods) and the
# stream's `_post_init(protocol)`: internals of pycapnp 2.2. A pycapnp without them gets its own opener back.
_PycapnpStreamProtocol: Any = getattr(capnp.lib.capnp, "_PyAsyncIoStreamProtocol", None)
_CAN_WRAP = _PycapnpStreamProtocol is not None and hasattr(capnp.AsyncIoStream, "_post_init")
if not _CAN_WRAP:
    _PycapnpStreamProtocol = asyncio.BufferedProtocol


class _StreamProtocol(_PycapnpStreamProtocol):
    """pycapnp's stream protocol without a `pause_reading()` inside `get_buffer()` (module docstring)."""

    transport: Any  # pycapnp's `cdef public object transport`: None until connected and after connection_lost
    _pause_after_read = False

    def get_buffer(self, size_hint: int) -> Any:
        transport = self.transport
        inside = _InsideGetBuffer(transport)
        self.transport = inside
        try:
            buffer = super().get_buffer(size_hint)
        finally:
            self.transport = transport
        self._pause_after_read = inside.pause_requested
        if inside.close_requested and transport is not None:
            asyncio.get_running_loop().call_soon(transport.close)
        return buffer

    def buffer_updated(self, size: int) -> None:
        super().buffer_updated(size)
        if self._pause_after_read:
            self._pause_after_read = False
            if self.transport is not None:
                self.transport.pause_reading()


_warned_unwrapped = False


async def open_unix_stream(socket_path: str) -> Any:
    """A connected `capnp.AsyncIoStream` on `socket_path`, safe on uvloop (module docstring); raises OSError
    (FileNotFoundError, ConnectionRefusedError, ...) when nothing listens. Must run inside `capnp.kj_loop()`."""
    if not _CAN_WRAP:
        global _warned_unwrapped
        if not _warned_unwrapped:
            _warned_unwrapped = True
            log.warning(
                "pycapnp %s lacks the stream internals this version of bitcoin-rpc-mp wraps; using its own "
                "socket opener, which can crash the server under node restarts on uvloop (install pycapnp 2.2)",
                getattr(capnp, "__version__", "?"),
            )
        return await capnp.AsyncIoStream.create_unix_connection(socket_path)
    stream = capnp.AsyncIoStream()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_unix_connection(_StreamProtocol, socket_path)
    try:
        stream._post_init(protocol)
    except BaseException:
        transport.close()
        raise
    return stream


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
