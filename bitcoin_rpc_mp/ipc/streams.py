"""pycapnp's asyncio stream, with its read-buffer hazard removed: both ends of the IPC socket open it here.

Owns: `open_unix_stream` (our client's connection to the node) and `create_unix_server` (the stand-in node's
listener), and the protocol class both use instead of pycapnp's own.

The read-buffer hazard (why neither `capnp.AsyncIoStream.create_unix_connection` nor `create_unix_server` is
used): pycapnp 2.2.4's stream protocol answers a transport's `get_buffer()` that arrives while Cap'n Proto has
no read posted by calling `transport.pause_reading()` from inside `get_buffer()`. On uvloop that is libuv's
`uv_read_stop()` inside the stream's allocation callback: it clears the stream's read callback, which libuv
calls right afterwards, so the process dies of SIGSEGV at address 0 (`uv__read`, stream.c). uvloop starts
reading every new connection after `connection_made()`, whatever the protocol asked there, so the hazard is
armed from the moment a socket connects until Cap'n Proto posts its first read:
* client side: reconnecting at once into a node that was just SIGKILLed lands there (the dying node's listener
  still queues our connection, then resets it);
* server side (the stand-in): a connection accepted with bytes (a client's bootstrap) or a reset already queued,
  which is what a client connecting while the stand-in's loop is busy gets; before this module the stand-in
  died of it every time (test/unit/ipc/test_stream_hazard.py).
`_StreamProtocol` is pycapnp's protocol with that call moved out of `get_buffer()` to `buffer_updated()`, where
libuv allows it (a `close()` reached from there waits for the next loop turn); the bytes read in between go to
pycapnp's own overflow buffer, which it drains before its next read, exactly as when the pause is honoured at
once.

Must run inside `capnp.kj_loop()`. Imports nothing of ours: the stand-in may use it without sharing our
client's logic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import capnp

__all__ = ["create_unix_server", "open_unix_stream"]

log = logging.getLogger(__name__)


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


def _warn_unwrapped() -> None:
    global _warned_unwrapped
    if not _warned_unwrapped:
        _warned_unwrapped = True
        log.warning(
            "pycapnp %s lacks the stream internals this version of bitcoin-rpc-mp wraps; using its own "
            "sockets, which can crash the process under node restarts on uvloop (install pycapnp 2.2)",
            getattr(capnp, "__version__", "?"),
        )


async def open_unix_stream(socket_path: str) -> Any:
    """A connected `capnp.AsyncIoStream` on `socket_path`, safe on uvloop (module docstring); raises OSError
    (FileNotFoundError, ConnectionRefusedError, ...) when nothing listens."""
    if not _CAN_WRAP:
        _warn_unwrapped()
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


def _accepted(on_connection: Callable[[Any], Any]) -> Any:
    """The protocol of one accepted connection: `on_connection(stream)` is called from `connection_made()` (a
    coroutine it returns runs as a task, and the socket is closed when that task ends), as pycapnp's server does."""
    stream = capnp.AsyncIoStream()
    protocol = _StreamProtocol(on_connection, stream)
    stream._post_init(protocol)
    return protocol


async def create_unix_server(on_connection: Callable[[Any], Any], socket_path: str) -> asyncio.AbstractServer:
    """Listen on `socket_path`; every connection becomes a `capnp.AsyncIoStream` handed to `on_connection`, safe
    on uvloop (module docstring). Otherwise as `capnp.AsyncIoStream.create_unix_server`."""
    if not _CAN_WRAP:
        _warn_unwrapped()
        server: asyncio.AbstractServer = await capnp.AsyncIoStream.create_unix_server(on_connection, socket_path)
        return server
    loop = asyncio.get_running_loop()
    return await loop.create_unix_server(lambda: _accepted(on_connection), socket_path)
