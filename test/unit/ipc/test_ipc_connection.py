"""ipc/connection.py and ipc/errors.py: addresses, the one KjException translation, the error texts."""

from __future__ import annotations

import capnp
import pytest

from bitcoin_rpc_mp.ipc.connection import (
    map_exceptions,
    parse_socket_address,
    remote_message,
    translate_kj_exception,
)
from bitcoin_rpc_mp.ipc.errors import (
    InterfaceMissing,
    IpcError,
    IpcTimeout,
    NodeDisconnected,
    NodeUnavailable,
    RemoteError,
)


@pytest.mark.parametrize(
    ("address", "path"),
    [
        ("unix:/tmp/node.sock", "/tmp/node.sock"),
        ("/tmp/node.sock", "/tmp/node.sock"),
        ("unix:relative/node.sock", "relative/node.sock"),
        ("node.sock", "node.sock"),
    ],
)
def test_socket_address_forms(address: str, path: str) -> None:
    assert parse_socket_address(address) == path


@pytest.mark.parametrize("address", ["", "unix:", "unix"])
def test_socket_address_without_a_path_is_rejected(address: str) -> None:
    with pytest.raises(ValueError):
        parse_socket_address(address)


def test_remote_message_strips_the_capnp_and_std_prefixes() -> None:
    assert (
        remote_message("remote exception: std::exception: Old mining interface (@2)")
        == "Old mining interface (@2)"
    )
    assert remote_message("remote exception: Method not implemented.; x") == "Method not implemented.; x"
    assert remote_message("plain text") == "plain text"


def test_failed_becomes_remote_error_with_the_nodes_message() -> None:
    exc = capnp.KjException(
        message="remote exception: std::exception: SpanReader::read(): end of data: iostream error",
        type="FAILED",
    )
    err = translate_kj_exception(exc)
    assert isinstance(err, RemoteError)
    assert err.kind == "FAILED"
    assert err.message == str(err) == "SpanReader::read(): end of data: iostream error"


def test_unimplemented_keeps_its_kind() -> None:
    exc = capnp.KjException(
        message="remote exception: Method not implemented.; methodId = 6", type="UNIMPLEMENTED"
    )
    err = translate_kj_exception(exc)
    assert isinstance(err, RemoteError) and err.kind == "UNIMPLEMENTED"


def test_disconnected_becomes_node_disconnected() -> None:
    err = translate_kj_exception(capnp.KjException(message="Peer disconnected.", type="DISCONNECTED"))
    assert isinstance(err, NodeDisconnected)
    assert "Peer disconnected." in str(err)


def test_map_exceptions_chains_the_original() -> None:
    original = capnp.KjException(message="remote exception: std::exception: boom", type="FAILED")
    with pytest.raises(RemoteError) as info:
        with map_exceptions():
            raise original
    assert info.value.__cause__ is original
    with pytest.raises(KeyError):  # anything else passes through untouched
        with map_exceptions():
            raise KeyError("x")


def test_error_family_and_texts() -> None:
    unavailable = NodeUnavailable("/d/node.sock", "Connection refused")
    assert str(unavailable) == (
        "cannot reach bitcoin-node at /d/node.sock: is it running with -ipcbind=unix:/d/node.sock?"
    )
    assert unavailable.reason == "Connection refused"
    for err in (
        unavailable,
        NodeDisconnected("x"),
        RemoteError("m"),
        IpcTimeout("t"),
        InterfaceMissing("Chain", "v30"),
    ):
        assert isinstance(err, IpcError)
    assert "Chain" in str(InterfaceMissing("Chain", "v30"))
