"""Composition-root checks that need no running node."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bitcoin_rpc_mp.app import socket_permission_warnings


def test_world_writable_socket_directory_is_reported(tmp_path: Path) -> None:
    directory = tmp_path / "ipc"
    directory.mkdir()
    os.chmod(directory, 0o777)
    warnings = socket_permission_warnings(f"unix:{directory / 'node.sock'}")
    assert len(warnings) == 1 and "writable by every user" in warnings[0] and str(directory) in warnings[0]


def test_private_or_sticky_directories_are_fine(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert socket_permission_warnings(str(private / "node.sock")) == []
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)  # like /tmp: others can create files but not replace ours
    assert socket_permission_warnings(str(sticky / "node.sock")) == []


def test_tune_gc_freezes_the_start_up_heap_and_raises_the_first_threshold() -> None:
    import gc

    from bitcoin_rpc_mp.app import GC_GEN0_THRESHOLD, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 0
        # cyclic garbage is still collected
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


@pytest.mark.parametrize(
    ("argv", "debug_loggers"),
    [
        (["-debug=0"], set()),
        (["-debug=none"], set()),
        (["-debug=1"], {"bitcoin_rpc_mp.http", "bitcoin_rpc_mp.ipc.client", "bitcoin_rpc_mp.handlers"}),
        (["-debug=http"], {"bitcoin_rpc_mp.http"}),
        (["-debug", "-debugexclude=http"], {"bitcoin_rpc_mp.ipc.client", "bitcoin_rpc_mp.handlers"}),
    ],
)
def test_configure_logging_follows_debug(argv: list[str], debug_loggers: set[str]) -> None:
    from bitcoin_rpc_mp.config.cli import settings_from_argv
    from bitcoin_rpc_mp.logsetup import configure_logging

    names = ["bitcoin_rpc_mp.http", "bitcoin_rpc_mp.ipc.client", "bitcoin_rpc_mp.handlers", "bitcoin_rpc_mp"]
    saved = {name: logging.getLogger(name).level for name in ["", *names]}
    try:
        configure_logging(settings_from_argv(argv, {"HOME": "/nonexistent"}).log)
        assert {n for n in names if logging.getLogger(n).isEnabledFor(logging.DEBUG)} == debug_loggers
        assert all(logging.getLogger(n).isEnabledFor(logging.INFO) for n in names)
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def test_the_remembered_header_is_compared_whole() -> None:
    """The handler remembers the last accepted Authorization value; any other value is checked in full."""
    import base64

    from bitcoin_rpc_mp.auth.credentials import Authenticator
    from bitcoin_rpc_mp.rpc_endpoint import JsonRpcHttpHandler

    def basic(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    handler = JsonRpcHttpHandler(Authenticator.from_options(rpcuser="u", rpcpassword="p"), None)  # type: ignore[arg-type]
    assert handler._authenticate(basic("u:p")) == "u"
    assert handler._authenticate(basic("u:p")) == "u"  # remembered
    assert handler._authenticate(basic("u:q")) is None
    assert handler._authenticate(basic("u:p") + "=") is None  # a longer value is not the remembered one
    assert handler._authenticate(basic("u:p")[:-1]) is None
