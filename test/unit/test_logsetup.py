"""logsetup.py: the -debug categories decide which loggers write DEBUG lines."""

from __future__ import annotations

import logging

import pytest


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
