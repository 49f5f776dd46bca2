"""config/argv.py: bitcoind's command-line forms, the seed's aliases and ArgsManager's error texts."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.config.argv import (
    OPTIONS,
    SEED_DEFAULT_SOCKET,
    ConfigError,
    interpret_bool,
    interpret_key,
    parse_argv,
)


@pytest.mark.parametrize(
    ("word", "name", "value"),
    [
        ("-rpcport=8332", "rpcport", "8332"),
        ("--rpcport=8332", "rpcport", "8332"),
        ("-rpcuser=", "rpcuser", ""),
        ("-regtest", "regtest", ""),  # a bare switch is "", which reads as true
        ("-noprinttoconsole", "printtoconsole", False),
        ("--norpcauth", "rpcauth", False),
        ("-norpccookiefile=1", "rpccookiefile", False),
        ("-noprinttoconsole=0", "printtoconsole", True),  # double negative
        ("-rpcpassword=a=b", "rpcpassword", "a=b"),  # split at the first '='
    ],
)
def test_forms(word: str, name: str, value: str | bool) -> None:
    assert parse_argv([word]).options == {name: [value]}


def test_values_keep_their_order_and_repeats() -> None:
    parsed = parse_argv(["-rpcauth=a:s$h", "-norpcauth", "-rpcauth=b:s$h"])
    assert parsed.options["rpcauth"] == ["a:s$h", False, "b:s$h"]


def test_double_negative_warns_like_bitcoind() -> None:
    parsed = parse_argv(["-nodebug=0"])
    assert parsed.warnings == ["Warning: parsed potentially confusing double-negative -debug=0"]


@pytest.mark.parametrize("word", ["-foo", "-foo=bar", "--foo", "-nofoo", "-regtest.rpcport=1", "-", "-=x"])
def test_unknown_or_sectioned_option_is_bitcoinds_error(word: str) -> None:
    if word == "-":
        # a lone dash ends the options, as in ArgsManager
        assert parse_argv([word, "-foo"]).options == {}
        return
    with pytest.raises(ConfigError) as info:
        parse_argv(["-regtest", word])
    assert str(info.value) == f"Error parsing command line arguments: Invalid parameter {word}"


def test_negating_datadir_is_forbidden() -> None:
    with pytest.raises(ConfigError) as info:
        parse_argv(["-nodatadir"])
    assert str(info.value) == (
        "Error parsing command line arguments: Negating of -datadir is meaningless and therefore forbidden"
    )


def test_includeconf_is_refused_on_the_command_line_but_its_negation_is_not() -> None:
    with pytest.raises(ConfigError) as info:
        parse_argv(["-includeconf=x.conf"])
    assert str(info.value) == (
        'Error parsing command line arguments: -includeconf cannot be used from commandline; -includeconf="x.conf"'
    )
    assert parse_argv(["-noincludeconf"]).options == {"includeconf": [False]}


def test_loose_tokens_stop_parsing() -> None:
    parsed = parse_argv(["-regtest", "getblockcount", "-rpcport=1"])
    assert parsed.loose_tokens == ["getblockcount", "-rpcport=1"]
    assert parsed.options == {"regtest": [""]}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--socket", "/x/node.sock"], {"ipcconnect": ["/x/node.sock"]}),
        (["-s", "/x/node.sock"], {"ipcconnect": ["/x/node.sock"]}),
        (["--socket=/x/node.sock"], {"ipcconnect": ["/x/node.sock"]}),
        (["-s"], {"ipcconnect": [SEED_DEFAULT_SOCKET]}),
        (["--socket", "-regtest"], {"ipcconnect": [SEED_DEFAULT_SOCKET], "regtest": [""]}),
        (["--port", "18444"], {"rpcport": ["18444"]}),
        (["-p=18444"], {"rpcport": ["18444"]}),
        (["--address", "127.0.0.2", "-a", "::1"], {"address": ["127.0.0.2", "::1"]}),
        (["-ipcconnect=unix", "-s", "/y"], {"ipcconnect": ["unix", "/y"]}),
    ],
)
def test_seed_aliases(argv: list[str], expected: dict[str, list[str]]) -> None:
    assert parse_argv(argv).options == expected


def test_negated_alias_is_invalid() -> None:
    with pytest.raises(ConfigError, match=r"Invalid parameter -nosocket$"):
        parse_argv(["-nosocket"])


@pytest.mark.parametrize("word", ["-?", "-h", "-help", "--help"])
def test_help_flags(word: str) -> None:
    assert parse_argv([word]).help_requested
    assert not parse_argv(["-regtest"]).help_requested


def test_help_does_not_hide_an_invalid_option() -> None:
    with pytest.raises(ConfigError):
        parse_argv(["-help", "-foo"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("1", True),
        ("0", False),
        ("yes", False),
        ("2", True),
        ("-1", True),
        (" 1", True),
        ("0x1", False),
    ],
)
def test_interpret_bool_is_atoi(text: str, expected: bool) -> None:
    assert interpret_bool(text) is expected


def test_interpret_key() -> None:
    key = interpret_key("regtest.norpcauth")
    assert (key.section, key.name, key.negated) == ("regtest", "rpcauth", True)


def test_every_bitcoind_option_of_the_brief_is_known() -> None:
    names = {
        "ipcconnect", "datadir", "conf", "chain", "regtest", "testnet4", "signet", "testnet", "rpcbind", "rpcport",
        "rpcallowip", "rpcuser", "rpcpassword", "rpcauth", "rpccookiefile", "rpccookieperms", "rpcwhitelist",
        "rpcwhitelistdefault", "rpcthreads", "rpcworkqueue", "rpcservertimeout", "debug", "printtoconsole",
        "help", "h", "?", "ipcthreads", "ipctimeout", "ipcvariant",
    }  # fmt: skip
    assert names <= set(OPTIONS)
