"""config/cli.py: `Error: …` plus exit 1 for bad configuration, -help, and the hand-over to `app.run`.

The exit-code tests run the console-script entry `bitcoin_rpc_mp.app:main` in a subprocess, exactly as the
installed `bitcoin-rpc-mp` script calls it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bitcoin_rpc_mp.config import cli
from bitcoin_rpc_mp.config.argv import OPTIONS
from bitcoin_rpc_mp.config.node_target import DemoStandin
from bitcoin_rpc_mp.config.settings import Settings

ENTRY = "import sys; from bitcoin_rpc_mp.app import main; sys.exit(main())"
REPO = Path(__file__).resolve().parents[3]


def run_entry(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (("-rpcport=abc",), "Error: Invalid port specified in -rpcport: 'abc'"),
        (("-regtest", "--port", "0"), "Error: Invalid port specified in -rpcport: '0'"),
        (("-foo",), "Error: Error parsing command line arguments: Invalid parameter -foo"),
        (("-rpcthreads=many",), "Error: Invalid -rpcthreads=many; must be an integer."),
        (("-regtest", "-testnet4"), "Error: Invalid combination of -regtest, -signet, -testnet, -testnet4 and "
         "-chain. Can use at most one."),
    ],
)  # fmt: skip
def test_bad_configuration_exits_1_with_one_line(tmp_path: Path, argv: tuple[str, ...], line: str) -> None:
    result = run_entry(*argv, home=tmp_path)
    assert result.returncode == 1
    assert result.stderr == line + "\n"
    assert result.stdout == ""
    # nothing was written: no cookie, no data directory
    assert list(tmp_path.iterdir()) == []


ALLOWIP_BOGUS = (
    "Error: Invalid -rpcallowip subnet specification: bogus. Valid values are a single IP (e.g. 1.2.3.4), a "
    "network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all ipv4 (0.0.0.0/0), or all "
    "ipv6 (::/0). RFC4193 is allowed only if -cjdnsreachable=0."
)
HTTP_FAILED = "Error: Unable to start HTTP server. See debug log for details."


@pytest.mark.parametrize(
    ("argv", "stderr", "logged"),
    [
        (("-rpcallowip=bogus",), [ALLOWIP_BOGUS, HTTP_FAILED], ALLOWIP_BOGUS.removeprefix("Error: ")),
        (("-rpccookieperms=world",), [HTTP_FAILED],
         "[error] Invalid -rpccookieperms=world; must be one of 'owner', 'group', or 'all'."),
        (("-rpcauth=nope",), [HTTP_FAILED], "Invalid -rpcauth argument."),
        (("-rpcauth",), [HTTP_FAILED], "Invalid -rpcauth argument."),
        (("-rpcauth=u:1$2", "-rpcauth="), [HTTP_FAILED], "Invalid -rpcauth argument."),
    ],
)  # fmt: skip
def test_values_the_http_server_refuses_print_bitcoinds_lines_and_log_the_reason(
    tmp_path: Path, argv: tuple[str, ...], stderr: list[str], logged: str
) -> None:
    """bitcoind reports these while starting its HTTP server: the reason goes to debug.log, stderr gets the
    error box (`Unable to start HTTP server. See debug log for details.`), exit code 1, no cookie."""
    result = run_entry(f"-datadir={tmp_path}", "-regtest", "-printtoconsole=0", *argv, home=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "".join(line + "\n" for line in stderr)
    assert result.stdout == ""
    assert logged in (tmp_path / "regtest" / "debug.log").read_text()
    assert not (tmp_path / "regtest" / ".cookie").exists()


def test_help_exits_0_and_lists_every_option(tmp_path: Path) -> None:
    result = run_entry("-help", home=tmp_path)
    assert result.returncode == 0, result.stderr
    for spec in OPTIONS.values():
        if not spec.hidden:
            assert spec.name in result.stdout
            if spec.name not in ("?", "version"):
                assert "default" in spec.help, spec.name
    for default in ("8332", "18443", "48332", "38332", "18332", "16", "64", "30", "/tmp/bitcoin-ipc.sock"):
        assert default in result.stdout
    assert result.stderr == ""


def test_version(tmp_path: Path) -> None:
    result = run_entry("-version", home=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("bitcoin-rpc-mp version v")


def _fake_app(result: object) -> tuple[list[Settings], Callable[[Settings], object]]:
    calls: list[Settings] = []

    def run(settings: Settings) -> object:
        calls.append(settings)
        return result

    return calls, run


def test_valid_settings_go_to_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    calls, run = _fake_app(3)
    assert cli.main(run, ["-regtest", "-rpcport=18999"]) == 3  # type: ignore[arg-type]
    assert len(calls) == 1
    assert calls[0].chain == "regtest" and calls[0].http.rpcport == 18999
    assert calls[0].node == DemoStandin()


def test_run_returning_none_means_exit_0(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(_fake_app(None)[1], ["-regtest"]) == 0  # type: ignore[arg-type]


def test_errors_never_reach_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    calls, run = _fake_app(0)
    err = io.StringIO()
    assert cli.main(run, ["-rpcport=abc"], stderr=err) == 1  # type: ignore[arg-type]
    assert calls == []
    assert err.getvalue() == "Error: Invalid port specified in -rpcport: 'abc'\n"


def test_settings_from_argv_reads_the_real_conf(tmp_path: Path) -> None:
    datadir = tmp_path / "data"
    datadir.mkdir()
    (datadir / "bitcoin.conf").write_text("regtest=1\n[regtest]\nrpcport=18777\nrpcuser=u\nrpcpassword=p\n")
    s = cli.settings_from_argv([f"-datadir={datadir}"], {"HOME": str(tmp_path)})
    assert (s.chain, s.http.rpcport, s.auth.rpcuser, s.conf) == ("regtest", 18777, "u", datadir / "bitcoin.conf")
    assert not s.auth.cookie_enabled


def test_unwritable_cookie_is_bitcoinds_http_start_error_without_a_traceback(tmp_path: Path) -> None:
    """bitcoind: a cookie that cannot be written stops the HTTP server's start (`Error: Unable to start HTTP
    server. See debug log for details.`, exit 1), the reason in debug.log; here `.cookie.tmp` is a directory."""
    import socket

    (tmp_path / "regtest" / ".cookie.tmp").mkdir(parents=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_entry(f"-datadir={tmp_path}", "-regtest", "-printtoconsole=0", f"-rpcport={port}",
                       "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", home=tmp_path)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == HTTP_FAILED + "\n"
    assert "Unable to open cookie authentication file" in (tmp_path / "regtest" / "debug.log").read_text()
    assert not (tmp_path / "regtest" / ".cookie").exists()
