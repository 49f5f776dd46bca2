"""The exceptions of the IPC client: every failure of a `NodeClient` call is one of these.

Owns: `IpcError` and its four kinds. Keeps "the node is not there" (`NodeUnavailable`), "the connection broke
under a call" (`NodeDisconnected`), "the node answered with an error" (`RemoteError`) and "no answer in time"
(`IpcTimeout`) apart, so callers can map each to the reply it implies without looking at text.

Must not import anything (of ours or capnp): handlers import it without pulling in the transport.
"""

from __future__ import annotations

__all__ = [
    "InterfaceMissing",
    "IpcError",
    "IpcTimeout",
    "NodeDisconnected",
    "NodeUnavailable",
    "RemoteError",
]


class IpcError(Exception):
    """Base class of every error raised by the IPC client."""


class NodeUnavailable(IpcError):
    """The node cannot be reached (nothing listens on the socket, or no reconnect within the allowed time).

    Not raised for a call that was already sent: that is `NodeDisconnected`.
    """

    def __init__(self, socket_path: str, reason: str | None = None) -> None:
        self.socket_path = socket_path
        self.reason = reason
        super().__init__(
            f"cannot reach bitcoin-node at {socket_path}: is it running with -ipcbind=unix:{socket_path}?"
        )


class NodeDisconnected(IpcError):
    """The connection was lost while the call was in flight; the call's outcome on the node is unknown."""


class RemoteError(IpcError):
    """The node answered the call with an exception.

    `message` is the node's own text (without Cap'n Proto's `remote exception: std::exception: ` prefix) and
    `kind` the KJ exception type (`FAILED`, `UNIMPLEMENTED`, `OVERLOADED`, ...).
    """

    def __init__(self, message: str, kind: str = "FAILED") -> None:
        self.message = message
        self.kind = kind
        super().__init__(message)


class IpcTimeout(IpcError):
    """No answer within the configured IPC call timeout; the node may still be working on the call."""


class InterfaceMissing(IpcError):
    """The connected node does not offer the interface a call needs (e.g. Chain on a plain 30.x node).

    Raised before anything is sent; handlers normally avoid it by consulting `NodeCapabilities`.
    """

    def __init__(self, interface: str, variant: str) -> None:
        self.interface = interface
        self.variant = variant
        super().__init__(f"the connected bitcoin-node ({variant}) does not offer the {interface} interface")
