"""config/chainparams.py: per-chain RPC ports, data sub-directories and cookie paths (compat spec §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bitcoin_rpc_mp.config.chainparams import CHAIN_NAMES, chain_params, default_cookie_path, net_datadir


@pytest.mark.parametrize(
    ("chain", "port", "cookie"),
    [
        ("main", 8332, "/d/.cookie"),
        ("test", 18332, "/d/testnet3/.cookie"),
        ("testnet4", 48332, "/d/testnet4/.cookie"),
        ("signet", 38332, "/d/signet/.cookie"),
        ("regtest", 18443, "/d/regtest/.cookie"),
    ],
)
def test_chain(chain: str, port: int, cookie: str) -> None:
    assert chain_params(chain).rpcport == port
    assert default_cookie_path(Path("/d"), chain) == Path(cookie)
    assert net_datadir(Path("/d"), chain) == Path(cookie).parent


def test_names_and_unknown() -> None:
    assert CHAIN_NAMES == ("main", "test", "testnet4", "signet", "regtest")
    with pytest.raises(KeyError):
        chain_params("testnet3")
