"""Spawn mode's configuration: where -node comes from, and which words bitcoin-node gets."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.config.argv import ConfigError
from bitcoin_rpc_mp.config.node_target import SpawnedNode, node_arguments, spawn_node
from bitcoin_rpc_mp.config.settings import build_settings


class _NoFiles:
    def is_dir(self, path: object) -> bool:
        return not str(path).endswith(".conf")

    def read_text(self, path: object) -> None:
        return None


def build(*argv: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return build_settings(list(argv), environ={"HOME": "/h", **(env or {})}, cwd="/cwd", files=_NoFiles())


@pytest.mark.parametrize(
    ("argv", "env", "node"),
    [
        ((), {}, None),
        ((), {"BITCOIN_RPC_MP_NODE": "/n/bitcoin-node"}, "/n/bitcoin-node"),
        (("-node=/a/node",), {"BITCOIN_RPC_MP_NODE": "/n/bitcoin-node"}, "/a/node"),  # the command line wins
        (("-nonode",), {"BITCOIN_RPC_MP_NODE": "/n/bitcoin-node"}, None),  # and can turn spawn mode off
        (("-node=/a", "--node=/b"), {}, "/b"),  # the last one counts
        (("-regtest", "word", "-node=/a"), {}, None),  # nothing after the first non-option word is read
    ],
)
def test_where_the_node_comes_from(argv: tuple[str, ...], env: dict[str, str], node: str | None) -> None:
    assert spawn_node(argv, env) == node


def test_relative_node_path_is_taken_from_the_current_directory() -> None:
    assert build("-node=bin/bitcoin-node").node == SpawnedNode("/cwd/bin/bitcoin-node", ())
    assert build("-node=bitcoin-node").node == SpawnedNode("bitcoin-node", ())  # a bare name is looked up in PATH


def test_unknown_options_are_the_nodes_in_spawn_mode_only() -> None:
    with pytest.raises(ConfigError, match="Invalid parameter -txindex"):
        build("-txindex")
    assert build("-node=/n", "-txindex", "-regtest").chain == "regtest"


def test_node_words_drop_the_rpc_servers_and_ours_in_order() -> None:
    words = ["-regtest", "-rpcport=1", "-norpcauth", "-rpcallowip=1.2.3.4", "-txindex", "-ipcthreads=2", "-s",
             "/sock", "--port", "5", "-node=/n", "-nodebuglogfile", "-server=1", "-rpcwhitelistdefault=0",
             "-debug=rpc", "-metrics=9000", "-rpcdoccheck"]  # fmt: skip
    assert node_arguments(words) == ("-regtest", "-txindex", "-nodebuglogfile", "-debug=rpc", "-rpcdoccheck")


def test_ipcconnect_and_node_exclude_each_other() -> None:
    with pytest.raises(ConfigError, match="cannot be used with -node"):
        build("-node=/n", "-ipcconnect=unix:/s")


def test_spawn_mode_leaves_shrinking_the_log_to_the_node() -> None:
    assert build().log.shrinkdebugfile
    assert not build("-node=/n").log.shrinkdebugfile
