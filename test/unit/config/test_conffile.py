"""config/conffile.py: bitcoin.conf syntax as bitcoind's GetConfigOptions/ReadConfigStream read it."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.config.argv import ConfigError
from bitcoin_rpc_mp.config.conffile import parse_conf


def test_sections_comments_and_trimming() -> None:
    conf = parse_conf(
        "# a comment\n"
        "regtest=1\n"
        "  rpcuser = alice  # trailing comment\n"
        "\t\r\n"
        "[regtest]\n"
        "rpcport=18999\r\n"
        "[test]\n"
        "rpcport=1\n"
    )
    assert conf.sections == {
        "": {"regtest": ["1"], "rpcuser": ["alice"]},
        "regtest": {"rpcport": ["18999"]},
        "test": {"rpcport": ["1"]},
    }
    assert conf.warnings == []


def test_top_level_section_prefix_and_negation() -> None:
    conf = parse_conf("regtest.rpcport=1\nnorpcauth=1\nnodebug=0\nrpcauth=a:b$c\nrpcauth=d:e$f\n")
    assert conf.values("regtest", "rpcport") == ["1"]
    assert conf.values("", "rpcauth") == [False, "a:b$c", "d:e$f"]
    assert conf.values("", "debug") == [True]
    assert "double-negative -debug=0" in conf.warnings[0]


def test_keys_of_the_node_and_our_aliases_are_ignored() -> None:
    conf = parse_conf("txindex=1\nserver=1\n[main]\nprune=550\nsocket=/x\naddress=1.2.3.4\nport=1\n")
    assert conf.sections == {}


def test_unknown_section_warns() -> None:
    conf = parse_conf("[mainnet]\nrpcport=1\n[regtest]\n")
    assert conf.warnings == ["Section [mainnet] is not recognized."]
    assert conf.values("mainnet", "rpcport") == ["1"]  # stored, but no chain reads that section


def test_includeconf_is_ignored_with_a_warning() -> None:
    conf = parse_conf("includeconf=other.conf\n")
    assert conf.sections == {}
    assert conf.warnings == ["Ignoring includeconf=other.conf: bitcoin-rpc-mp does not read included files"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("\n-rpcport=1\n", "parse error on line 2: -rpcport=1, options in configuration file must be specified without leading -"),
        ("regtest\n", "parse error on line 1: regtest"),
        ("# x\nnorpcauth\n", "parse error on line 2: norpcauth, if you intended to specify a negated option, use norpcauth=1 instead"),
        ("rpcpassword=a#b\n", "parse error on line 1, using # in rpcpassword can be ambiguous and should be avoided"),
        ("conf=other.conf\n", "conf cannot be set in the configuration file; use includeconf= if you want to include additional config files"),
        ("nodatadir=1\n", "Negating of -datadir is meaningless and therefore forbidden"),
    ],
)  # fmt: skip
def test_errors_have_bitcoinds_text(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_conf(text)
    assert str(info.value) == message


def test_hash_in_other_values_cuts_the_value() -> None:
    conf = parse_conf("rpcuser=ab#cd\n")
    assert conf.values("", "rpcuser") == ["ab"]
