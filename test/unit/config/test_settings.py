"""config/settings.py: merging command line and bitcoin.conf, derived values, and bitcoind's startup errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from confhelp import CWD, HOME, NODE_SOCKET, FakeFiles, build

from bitcoin_rpc_mp.config.addresses import AllowList
from bitcoin_rpc_mp.config.argv import DEBUG_CATEGORIES, ConfigError
from bitcoin_rpc_mp.config.http_options import HttpStartFailure
from bitcoin_rpc_mp.config.ipc_options import default_ipc_threads
from bitcoin_rpc_mp.config.node_target import DemoStandin, NodeSocket
from bitcoin_rpc_mp.ipc.capabilities import VARIANTS

DATADIR = Path(HOME) / ".bitcoin"
REPO = Path(__file__).resolve().parents[3]


def http_failure_of(*argv: str) -> HttpStartFailure:
    """The value bitcoind's HTTP server would refuse to start with (the app reports it at start-up)."""
    failure = build(*argv).http_failure
    assert failure is not None
    return failure


def error_of(*argv: str, conf: str | None = None, files: FakeFiles | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        build(*argv, conf=conf, files=files)
    return str(info.value)


# -- defaults and chains ----------------------------------------------------------------------------------------


def test_defaults() -> None:
    s = build(node=None)
    assert s.chain == "regtest"  # the demo: the stand-in's chain, served as a regtest node would be
    assert s.node == DemoStandin()
    assert s.http.rpcport == 18443 and s.auth.cookiefile == DATADIR / "regtest" / ".cookie"
    s = build()
    assert s.chain == "main"
    assert s.datadir == DATADIR and s.net_datadir == DATADIR
    assert s.conf is None
    assert s.node == NodeSocket(NODE_SOCKET)
    assert s.http.rpcport == 8332
    assert s.http.bind == (("::1", 8332), ("127.0.0.1", 8332))
    assert s.auth.cookiefile == DATADIR / ".cookie" and s.auth.cookie_enabled
    assert s.auth.cookieperms is None and s.auth.cookie_mode == 0o600
    assert (s.http.threads, s.http.workqueue, s.http.servertimeout_s) == (16, 64, 30)
    assert (s.ipc.threads, s.ipc.timeout_s, s.ipc.variant) == (default_ipc_threads(), 900.0, None)
    assert s.auth.whitelistdefault is False
    assert s.log.printtoconsole is True
    assert s.warnings == ()


def test_home_unset_falls_back_to_root() -> None:
    assert build(home="").datadir == Path("/.bitcoin")


@pytest.mark.parametrize(
    ("argv", "chain", "port", "subdir"),
    [
        ((), "main", 8332, ""),
        (("-chain=main",), "main", 8332, ""),
        (("-testnet",), "test", 18332, "testnet3"),
        (("-chain=test",), "test", 18332, "testnet3"),
        (("-testnet4",), "testnet4", 48332, "testnet4"),
        (("-chain=testnet4",), "testnet4", 48332, "testnet4"),
        (("-signet",), "signet", 38332, "signet"),
        (("-regtest",), "regtest", 18443, "regtest"),
        (("-regtest=1",), "regtest", 18443, "regtest"),
        (("-regtest=0",), "main", 8332, ""),
        (("-chain=regtest",), "regtest", 18443, "regtest"),
    ],
)
def test_chain_selection_ports_and_cookie(argv: tuple[str, ...], chain: str, port: int, subdir: str) -> None:
    s = build(*argv)
    assert s.chain == chain
    assert s.http.rpcport == port
    assert s.http.bind == (("::1", port), ("127.0.0.1", port))
    net = DATADIR / subdir if subdir else DATADIR
    assert s.net_datadir == net
    assert s.auth.cookiefile == net / ".cookie"


@pytest.mark.parametrize(
    "argv", [("-regtest", "-testnet"), ("-chain=main", "-signet"), ("-testnet4", "-signet")]
)
def test_at_most_one_chain(argv: tuple[str, ...]) -> None:
    assert error_of(*argv) == (
        "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."
    )


def test_unknown_chain() -> None:
    assert error_of("-chain=testnet3") == (
        "Unknown chain testnet3. Valid values for -chain are: main, test, testnet4, signet, regtest."
    )


def test_regtest_in_conf_and_negated_regtest_on_command_line_is_skipped_like_bitcoind() -> None:
    assert build(conf="regtest=1\n").chain == "regtest"
    # GetChainArg skips negated command-line values, so the config file still decides
    assert build("-noregtest", conf="regtest=1\n").chain == "regtest"


# -- the config file ---------------------------------------------------------------------------------------------


def test_conf_file_is_read_and_recorded() -> None:
    s = build(conf="rpcuser=alice\nrpcpassword=secret\n")
    assert s.conf == DATADIR / "bitcoin.conf"
    assert (s.auth.rpcuser, s.auth.rpcpassword) == ("alice", "secret")
    assert not s.auth.cookie_enabled


def test_command_line_overrides_conf_and_first_conf_value_wins() -> None:
    conf = "rpcuser=first\nrpcuser=second\nrpcthreads=3\n"
    s = build("-rpcuser=cli1", "-rpcuser=cli2", conf=conf)
    assert s.auth.rpcuser == "cli2"  # last on the command line
    assert build(conf=conf).auth.rpcuser == "first"  # first in the file
    assert build(conf=conf).http.threads == 3


def test_network_section_applies_only_to_its_chain() -> None:
    conf = "rpcuser=top\n[regtest]\nrpcport=19000\nrpcuser=reg\n[test]\nrpcport=19001\n"
    reg = build("-regtest", conf=conf)
    assert (reg.http.rpcport, reg.auth.rpcuser) == (19000, "reg")
    test = build("-testnet", conf=conf)
    assert (test.http.rpcport, test.auth.rpcuser) == (19001, "top")
    main = build(conf=conf)
    assert (main.http.rpcport, main.auth.rpcuser) == (8332, "top")


def test_main_section() -> None:
    conf = "[main]\nrpcport=9000\n"
    assert build(conf=conf).http.rpcport == 9000
    assert build("-regtest", conf=conf).http.rpcport == 18443


def test_network_only_options_at_top_level_are_ignored_off_main_with_warning() -> None:
    conf = "regtest=1\nrpcport=19000\nrpcbind=0.0.0.0\nrpcallowip=10.0.0.0/8\n"
    s = build(conf=conf)
    assert s.http.rpcport == 18443
    assert s.http.bind == (("::1", 18443), ("127.0.0.1", 18443))  # -rpcbind=0.0.0.0 did not count
    assert (
        "Config setting for -rpcport only applied on regtest network when in [regtest] section." in s.warnings
    )
    assert (
        "Config setting for -rpcbind only applied on regtest network when in [regtest] section." in s.warnings
    )
    # on main the top level counts
    assert build(conf="rpcport=19000\n").http.rpcport == 19000
    # a command-line value silences the warning
    s2 = build("-rpcport=19002", conf=conf)
    assert s2.http.rpcport == 19002
    assert not any("-rpcport only applied" in w for w in s2.warnings)


def test_norpcauth_drops_config_file_values_but_a_later_value_revives_them() -> None:
    conf = "rpcauth=a:s$h\n"
    assert build(conf=conf).auth.rpcauth == ("a:s$h",)
    assert build("-norpcauth", conf=conf).auth.rpcauth == ()
    assert build("-rpcauth=b:s$h", conf=conf).auth.rpcauth == ("b:s$h", "a:s$h")
    # bitcoind's "zombie" config values: -noX followed by -X brings the file's values back
    assert build("-norpcauth", "-rpcauth=b:s$h", conf=conf).auth.rpcauth == ("b:s$h", "a:s$h")
    assert build("-rpcauth=c:s$h", "-norpcauth", "-rpcauth=b:s$h").auth.rpcauth == ("b:s$h",)


def test_negation_in_the_file_cuts_earlier_file_values() -> None:
    assert build(conf="rpcauth=a:s$h\nnorpcauth=1\nrpcauth=b:s$h\n").auth.rpcauth == ("b:s$h",)
    assert build(conf="[regtest]\nnorpcauth=1\n[main]\n\nrpcauth=a:s$h\n").auth.rpcauth == ("a:s$h",)


def test_noconf_reads_nothing() -> None:
    files = FakeFiles({f"{HOME}/.bitcoin/bitcoin.conf": "regtest=1\n"})
    s = build("-noconf", files=files)
    assert s.chain == "main" and s.conf is None and files.read == []


def test_conf_relative_to_datadir_and_absolute() -> None:
    files = FakeFiles({"/data/other.conf": "regtest=1\n", "/etc/b.conf": "signet=1\n"}, dirs=["/data"])
    assert build("-datadir=/data", "-conf=other.conf", files=files).chain == "regtest"
    assert build("-datadir=/data", "-conf=/etc/b.conf", files=files).chain == "signet"


def test_explicit_conf_must_exist_default_may_not() -> None:
    assert build().conf is None
    assert error_of("-conf=/nope.conf") == (
        'Error reading configuration file: specified config file "/nope.conf" could not be opened.'
    )


def test_conf_that_is_a_directory() -> None:
    files = FakeFiles(dirs=[f"{HOME}/.bitcoin/bitcoin.conf"])
    assert error_of(files=files) == (
        f'Error reading configuration file: Config file "{HOME}/.bitcoin/bitcoin.conf" is a directory.'
    )


def test_conf_parse_error_is_prefixed() -> None:
    assert error_of(conf="oops\n") == "Error reading configuration file: parse error on line 1: oops"


def test_conf_warnings_reach_settings() -> None:
    assert "Section [foo] is not recognized." in build(conf="[foo]\n").warnings


# -- data directory ----------------------------------------------------------------------------------------------


def test_datadir_must_exist() -> None:
    assert error_of("-datadir=/missing") == 'Specified data directory "/missing" does not exist.'


def test_relative_datadir_is_made_absolute_from_cwd() -> None:
    files = FakeFiles(dirs=[f"{CWD}/data"])
    s = build("-datadir=data/", "-regtest", files=files)
    assert s.datadir == Path(CWD) / "data"
    assert s.auth.cookiefile == Path(CWD) / "data" / "regtest" / ".cookie"


def test_datadir_from_conf() -> None:
    files = FakeFiles({f"{HOME}/.bitcoin/bitcoin.conf": "datadir=/elsewhere\n"}, dirs=["/elsewhere"])
    assert build(files=files).datadir == Path("/elsewhere")
    missing = FakeFiles({f"{HOME}/.bitcoin/bitcoin.conf": "datadir=/gone\n"})
    assert error_of(files=missing) == (
        'Error reading configuration file: specified data directory "/gone" does not exist.'
    )


def test_loose_token() -> None:
    assert error_of("-regtest", "getinfo") == (
        "Command line contains unexpected token 'getinfo', see bitcoin-rpc-mp -h for a list of options."
    )


# -- ports and binds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "", "8332x", " 8332", "+-1", "0x10"])
def test_invalid_rpcport(value: str) -> None:
    assert error_of(f"-rpcport={value}") == f"Invalid port specified in -rpcport: '{value}'"


def test_rpcport_edge_values_and_negation() -> None:
    assert build("-rpcport=+8333").http.rpcport == 8333
    assert build("-rpcport=065535").http.rpcport == 65535
    assert build("-port=1234").http.rpcport == 1234  # the seed alias
    assert error_of("-norpcport") == "Invalid port specified in -rpcport: '0'"


def test_rpcbind_ignored_without_rpcallowip() -> None:
    s = build("-rpcbind=0.0.0.0:9999")
    assert s.http.bind == (("::1", 8332), ("127.0.0.1", 8332))
    assert s.warnings == (
        "Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect",
    )


def test_rpcallowip_without_rpcbind() -> None:
    s = build("-rpcallowip=10.0.0.0/8")
    assert s.http.bind == (("::1", 8332), ("127.0.0.1", 8332))
    assert s.warnings == (
        "Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense",
    )


def test_rpcbind_with_rpcallowip() -> None:
    s = build(
        "-regtest",
        "-rpcport=18000",
        "-rpcallowip=10.0.0.0/8",
        "-rpcbind=10.0.0.5",
        "-rpcbind=10.0.0.6:19000",
        "-rpcbind=[fe80::1]:19001",
        "-rpcbind=fe80::2",
        "-rpcbind=[fe80::3]",
    )
    assert s.http.bind == (
        ("10.0.0.5", 18000),
        ("10.0.0.6", 19000),
        ("fe80::1", 19001),
        ("fe80::2", 18000),
        ("fe80::3", 18000),
    )
    assert s.warnings == ()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_binding_every_interface_warns(host: str) -> None:
    s = build("-rpcallowip=0.0.0.0/0", f"-rpcbind={host}")
    assert s.http.bind == ((host, 8332),)
    assert s.warnings == (
        "The RPC server is not safe to expose to untrusted networks such as the public internet",
    )


@pytest.mark.parametrize("value", ["1.2.3.4:0", "1.2.3.4:abc", "host:", "[::1]:70000"])
def test_invalid_rpcbind_port_is_an_error_even_when_ignored(value: str) -> None:
    assert error_of(f"-rpcbind={value}") == f"Invalid port specified in -rpcbind: '{value}'"


def test_rpcport_is_checked_before_rpcbind() -> None:
    assert error_of("-rpcbind=1.2.3.4:0", "-rpcport=0") == "Invalid port specified in -rpcport: '0'"


def test_address_alias_loopback_binds_without_allowip() -> None:
    s = build("--address", "127.0.0.1", "--port", "18555")
    assert s.http.bind == (("127.0.0.1", 18555),)
    assert s.warnings == ()
    assert build("-a", "::1").http.bind == (("::1", 8332),)
    assert build("-a=localhost:7000").http.bind == (("localhost", 7000),)


def test_address_alias_non_loopback_needs_allowip() -> None:
    s = build("--address", "192.168.1.10")
    assert s.http.bind == (("::1", 8332), ("127.0.0.1", 8332))
    assert s.warnings == (
        "Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect",
    )
    allowed = build("--address", "192.168.1.10", "-rpcallowip=192.168.1.0/24")
    assert allowed.http.bind == (("192.168.1.10", 8332),)
    assert allowed.warnings == ()


# -- rpcallowip --------------------------------------------------------------------------------------------------

_ALLOW_HELP = (
    "Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR "
    "(e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if -cjdnsreachable=0."
)


@pytest.mark.parametrize(
    "value",
    [
        "bogus",
        "1.2.3.4/33",
        "1.2.3.4/255.0.255.0",  # holes in the mask
        "1.2.3.4/255.254.255.0",
        "::1/255.255.255.0",  # mask of the other family
        "localhost",  # no name resolution
        "1.2.3.4/+8",
        "",
        "1.2.3.4/",
        "1.2.3.4/256",
        "1.2.3.4/ 8",
        "::1/129",
        "a/b/1.2.3.4",
        "fd6b:88c0:8724::1",  # bitcoind's internal range
        "1.2.3.4\0",
        "*",
    ],
)
def test_invalid_rpcallowip_has_bitcoinds_message(value: str) -> None:
    message = f"Invalid -rpcallowip subnet specification: {value}. {_ALLOW_HELP}"
    failure = http_failure_of(f"-rpcallowip={value}")
    assert failure.log == message
    assert failure.stderr == (message, "Unable to start HTTP server. See debug log for details.")


@pytest.mark.parametrize(
    ("argv", "accepted"),
    [
        ((), True),  # fc00::/8 is RFC4193 unless CJDNS is reachable
        (("-cjdnsreachable",), False),  # then it is CJDNS, where only single addresses exist
        (("-cjdnsreachable=0",), False),  # bitcoind asks IsArgSet, not the value
        (("-cjdnsreachable", "-onlynet=ipv4"), True),  # -onlynet without cjdns makes CJDNS unreachable
        (("-cjdnsreachable", "-onlynet=CJDNS"), False),
    ],
)
def test_rfc4193_allowip_depends_on_cjdnsreachable(argv: tuple[str, ...], accepted: bool) -> None:
    s = build("-rpcallowip=fc00:db8:c0:ff:ee::/80", *argv)
    assert (s.http_failure is None) is accepted
    if accepted:
        assert s.http.allow.allows("fc00:db8:c0:ff:ee::1") and not s.http.allow.allows("fc00:db8:c0:ff:ef::1")
    # the L-bit=1 half of RFC4193 is never CJDNS
    assert build("-rpcallowip=fd00:db8:c0:ff:ee::/80", *argv).http_failure is None


@pytest.mark.parametrize(
    ("host", "values", "allowed"),
    [
        ("127.0.0.1", (), True),
        ("127.5.6.7", (), True),
        ("::1", (), True),
        ("::ffff:127.0.0.1", (), True),
        ("10.0.0.1", (), False),
        ("::2", (), False),
        ("10.0.0.1", ("10.0.0.0/8",), True),
        ("::ffff:10.0.0.1", ("10.0.0.0/8",), True),
        ("10.0.0.1", ("::/0",), False),
        ("2001:db9::1", ("::/0",), True),
        ("fe80::1%eth0", ("fe80::/64",), True),
        ("0.0.0.0", ("0.0.0.0/0",), False),
        ("255.255.255.255", ("0.0.0.0/0",), False),
        ("2001:db8::1", ("::/0",), False),
        ("fd6b:88c0:8724::1", ("::/0",), False),
        ("not an address", ("0.0.0.0/0",), False),
    ],
)
def test_allow_list(host: str, values: tuple[str, ...], allowed: bool) -> None:
    allow = build(*(f"-rpcallowip={v}" for v in values)).http.allow
    assert isinstance(allow, AllowList)
    assert allow.allows(host) is allowed


def test_allow_list_always_starts_with_loopback() -> None:
    assert str(build("-rpcallowip=10.1.0.0/16").http.allow) == "127.0.0.0/8 ::1/128 10.1.0.0/16"


# -- authentication options --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("-regtest", "-rpccookiefile=my.cookie"), DATADIR / "regtest" / "my.cookie"),
        (("-rpccookiefile=sub/c",), DATADIR / "sub" / "c"),
        (("-testnet4", "-rpccookiefile=/abs/c"), Path("/abs/c")),
        (("-signet", "-rpccookiefile="), DATADIR / "signet" / ".cookie"),
        (("-regtest", "-norpccookiefile"), None),
    ],
)
def test_cookie_path(argv: tuple[str, ...], expected: Path | None) -> None:
    s = build(*argv)
    assert s.auth.cookiefile == expected
    assert s.auth.cookie_enabled is (expected is not None)


@pytest.mark.parametrize(("value", "mode"), [("owner", 0o600), ("group", 0o640), ("all", 0o644)])
def test_rpccookieperms(value: str, mode: int) -> None:
    s = build(f"-rpccookieperms={value}")
    assert (s.auth.cookieperms, s.auth.cookie_mode) == (value, mode)


@pytest.mark.parametrize("argv", [("-rpccookieperms=bogus",), ("-rpccookieperms",), ("-norpccookieperms",)])
def test_invalid_rpccookieperms(argv: tuple[str, ...]) -> None:
    shown = {"-rpccookieperms=bogus": "bogus", "-rpccookieperms": "", "-norpccookieperms": "0"}[argv[0]]
    failure = http_failure_of(*argv)
    assert failure.log == f"Invalid -rpccookieperms={shown}; must be one of 'owner', 'group', or 'all'."
    assert failure.stderr == ("Unable to start HTTP server. See debug log for details.",)


def test_rpccookieperms_is_not_read_when_a_password_is_set() -> None:
    s = build("-rpcpassword=pw", "-rpccookieperms=bogus")
    assert s.auth.cookieperms is None and not s.auth.cookie_enabled


def test_rpccookieperms_checked_before_rpcauth() -> None:
    assert http_failure_of("-rpcauth=bogus", "-rpccookieperms=bogus").log.startswith("Invalid -rpccookieperms=bogus")


def test_plaintext_password_warns() -> None:
    s = build("-rpcuser=u", "-rpcpassword=p")
    assert any(w.startswith("The use of rpcuser/rpcpassword is less secure") for w in s.warnings)


@pytest.mark.parametrize("value", ["bogus", "a:b", "a:b$c$d", "a:b:c$d", "", "a$b", "a:"])
def test_invalid_rpcauth(value: str) -> None:
    failure = http_failure_of(f"-rpcauth={value}")
    assert failure == HttpStartFailure("Invalid -rpcauth argument.", ("Unable to start HTTP server. See debug log for details.",))


@pytest.mark.parametrize("value", ["a:b$c", ":b$c", "a:$", "user:" + "0" * 32 + "$" + "f" * 64])
def test_valid_rpcauth(value: str) -> None:
    assert build(f"-rpcauth={value}").auth.rpcauth == (value,)


def test_bare_rpcauth_is_invalid() -> None:
    assert http_failure_of("-rpcauth").log == "Invalid -rpcauth argument."


@pytest.mark.parametrize(
    ("argv", "default"),
    [
        ((), False),
        (("-rpcwhitelist=a:getblockcount",), True),
        (("-rpcwhitelist=a:getblockcount", "-rpcwhitelistdefault=0"), False),
        (("-rpcwhitelistdefault",), True),
        (("-rpcwhitelistdefault=1",), True),
        (("-rpcwhitelist=a", "-norpcwhitelistdefault"), False),
    ],
)
def test_rpcwhitelistdefault(argv: tuple[str, ...], default: bool) -> None:
    assert build(*argv).auth.whitelistdefault is default


def test_whitelist_values_kept_in_order() -> None:
    assert build("-rpcwhitelist=a:x", "-rpcwhitelist=b", conf="rpcwhitelist=c:y\n").auth.whitelist == (
        "a:x",
        "b",
        "c:y",
    )


# -- numbers ---------------------------------------------------------------------------------------------------


def test_thread_and_queue_minimum_is_one_like_bitcoind() -> None:
    s = build("-rpcthreads=0", "-rpcworkqueue=-5", "-rpcservertimeout=0")
    assert (s.http.threads, s.http.workqueue, s.http.servertimeout_s) == (1, 1, 0)
    s = build("-rpcthreads=4", "-rpcworkqueue=2", "-rpcservertimeout=5")
    assert (s.http.threads, s.http.workqueue, s.http.servertimeout_s) == (4, 2, 5)


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("-rpcthreads=abc", "Invalid -rpcthreads=abc; must be an integer."),
        ("-rpcworkqueue=1.5", "Invalid -rpcworkqueue=1.5; must be an integer."),
        ("-rpcservertimeout=-1", "Invalid -rpcservertimeout=-1; must be a number of seconds, 0 or more."),
        ("-ipcthreads=0", "Invalid -ipcthreads=0; must be an integer of at least 1."),
        ("-ipcthreads=x", "Invalid -ipcthreads=x; must be an integer of at least 1."),
        ("-ipctimeout=-1", "Invalid -ipctimeout=-1; must be a number of seconds, 0 or more (0 = no limit)."),
        (
            "-ipctimeout=nan",
            "Invalid -ipctimeout=nan; must be a number of seconds, 0 or more (0 = no limit).",
        ),
        (
            "-ipctimeout=soon",
            "Invalid -ipctimeout=soon; must be a number of seconds, 0 or more (0 = no limit).",
        ),
    ],
)
def test_invalid_numbers(word: str, message: str) -> None:
    assert error_of(word) == message


def test_ipc_numbers() -> None:
    s = build("-ipcthreads=8", "-ipctimeout=2.5")
    assert (s.ipc.threads, s.ipc.timeout_s, s.ipc.call_timeout_s) == (8, 2.5, 2.5)
    assert build("-ipctimeout=0").ipc.call_timeout_s is None


# -- node socket -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "socket_path"),
    [
        (("-regtest", "-ipcconnect=unix"), f"{HOME}/.bitcoin/regtest/node.sock"),
        (("-ipcconnect=unix",), f"{HOME}/.bitcoin/node.sock"),
        (("-signet", "-ipcconnect"), f"{HOME}/.bitcoin/signet/node.sock"),
        (("-regtest", "-ipcconnect=auto"), f"{HOME}/.bitcoin/regtest/node.sock"),
        (("-regtest", "-ipcconnect=unix:/run/n.sock"), "/run/n.sock"),
        (("-regtest", "-ipcconnect=unix:sub/n.sock"), f"{HOME}/.bitcoin/regtest/sub/n.sock"),
        (("-ipcconnect=/tmp/x.sock",), "/tmp/x.sock"),
        (("-ipcconnect=x.sock",), f"{CWD}/x.sock"),
        (("--socket", "rel/x.sock"), f"{CWD}/rel/x.sock"),
        (("-s", "/tmp/bitcoin-ipc.sock"), "/tmp/bitcoin-ipc.sock"),
        (("--socket",), "/tmp/bitcoin-ipc.sock"),
    ],
)
def test_node_socket(argv: tuple[str, ...], socket_path: str) -> None:
    s = build(*argv)
    assert s.node == NodeSocket(socket_path)


def test_demo_serves_the_standins_regtest_chain() -> None:
    assert build(node=None).chain == "regtest"
    assert build("-regtest", node=None).warnings == ()
    # a chain chosen explicitly is served as asked, with a word about it
    s = build("-chain=main", node=None)
    assert (s.chain, s.http.rpcport) == ("main", 8332)
    assert any("stand-in node started instead has a regtest chain" in w for w in s.warnings)
    # a node socket in the file means no demo, so main stays the default
    assert build(conf="ipcconnect=/run/n.sock\n", node=None).chain == "main"


def test_ipcconnect_from_conf() -> None:
    s = build(conf="regtest=1\nipcconnect=unix\n", node=None)
    assert s.node == NodeSocket(f"{HOME}/.bitcoin/regtest/node.sock")


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("-noipcconnect", "Invalid -noipcconnect; bitcoin-rpc-mp serves through the node's IPC socket"),
        ("-ipcconnect=unix:", "Invalid -ipcconnect=unix:; must be 'unix', 'unix:<path>' or the path of"),
        ("-ipcconnect=tcp:127.0.0.1:1", "Invalid -ipcconnect=tcp:127.0.0.1:1; must be 'unix', 'unix:<path>'"),
        ("-ipcconnect=/" + "x" * 107, "the socket path /" + "x" * 107 + " is longer than the 107 bytes"),
    ],
)
def test_invalid_ipcconnect(word: str, message: str) -> None:
    text = error_of(word)
    assert text.startswith(message) or (text.startswith(f"Invalid {word};") and message in text)


def test_longest_socket_path_is_accepted() -> None:
    path = "/" + "x" * 106  # 107 bytes plus the NUL fill sun_path
    assert build(f"-ipcconnect={path}").node == NodeSocket(path)


def test_ipcvariant() -> None:
    assert build("-ipcvariant=auto").ipc.variant is None
    assert build("-ipcvariant=v31").ipc.variant == "v31"
    assert error_of("-ipcvariant=v29") == (
        "Invalid -ipcvariant=v29; must be one of 'auto', 'v30', 'v31', 'v32', 'pr29409', 'pr29409-2026-02', "
        "'pr29409-2025-02'."
    )


def test_ipc_variants_match_the_schema_directories() -> None:
    assert set(VARIANTS) == {
        p.name for p in (REPO / "schemas").iterdir() if p.is_dir() and p.name[0] != "_"
    }


# -- logging -----------------------------------------------------------------------------------------------------


def test_debug_categories() -> None:
    s = build("-debug=http", "-debug=ipc")
    assert s.log.debug == ("http", "ipc")
    assert s.log.debug_enabled("ipc") and not s.log.debug_enabled("rpc")
    assert build("-debug").log.debug_enabled("rpc")
    assert build("-debug=all").log.debug_enabled("rpc")
    assert not build("-debug=http", "-debug=none").log.debug_enabled("http")
    assert not build("-debug=http", "-nodebug").log.debug_enabled("http")


@pytest.mark.parametrize(
    ("argv", "enabled"),
    [
        ((), set()),
        (("-debug",), {"http", "ipc", "rpc"}),
        (("-debug=1",), {"http", "ipc", "rpc"}),
        (("-debug=all",), {"http", "ipc", "rpc"}),
        (("-debug=0",), set()),
        (("-debug=none",), set()),
        (("-nodebug",), set()),
        (("-debug=0", "-debug=http"), {"http"}),  # only what comes before the last 0/none is disregarded
        (("-debug=all", "-debug=none", "-debug=ipc"), {"ipc"}),
        (("-debug=rpc", "-debug=none"), set()),
        (("-debug", "-debugexclude=ipc"), {"http", "rpc"}),
        (("-debug=ipc", "-debugexclude=ipc"), set()),
        (("-debug=1", "-debugexclude=all"), set()),
    ],
)
def test_debug_follows_bitcoinds_rules(argv: tuple[str, ...], enabled: set[str]) -> None:
    settings = build(*argv)
    assert {c for c in DEBUG_CATEGORIES if settings.log.debug_enabled(c)} == enabled


def test_unknown_debug_category_is_a_warning() -> None:
    # a bitcoin.conf shared with the node may name node categories; bitcoind itself would refuse them
    warnings = build("-debug=net", "-debugexclude=mempool").warnings
    assert any("Unsupported logging category -debug=net" in w for w in warnings)
    assert any("Unsupported logging category -debugexclude=mempool" in w for w in warnings)
    assert not any("logging category" in w for w in build("-debug=http", "-debug=0").warnings)
    assert not build("-noprinttoconsole").log.printtoconsole


# -- metrics ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "metrics"),
    [
        ((), None),
        (("-metrics=0",), None),
        (("-nometrics",), None),
        (("-metrics=9332",), ("127.0.0.1", 9332)),
        (("-metrics=0.0.0.0:9332",), ("0.0.0.0", 9332)),
        (("-metrics=[::1]:9332",), ("::1", 9332)),
    ],
)
def test_metrics_is_off_by_default_and_takes_host_and_port(argv: tuple[str, ...], metrics: object) -> None:
    assert build(*argv).metrics == metrics


@pytest.mark.parametrize("value", ["abc", "65536", "localhost:9332", "1.2.3.4", "1.2.3.4:0"])
def test_invalid_metrics(value: str) -> None:
    assert error_of(f"-metrics={value}") == (
        f"Invalid -metrics={value}; must be <port> or <host>:<port> with a numeric host."
    )


def test_rpcmaxbatch_defaults_to_no_limit() -> None:
    assert build().http.maxbatch == 0
    assert build("-rpcmaxbatch=1000").http.maxbatch == 1000
    with pytest.raises(ConfigError, match="rpcmaxbatch"):
        build("-rpcmaxbatch=-1")
