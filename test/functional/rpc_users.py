#!/usr/bin/env python3
"""Check RPC authentication: -rpcauth, -rpcuser/-rpcpassword, the cookie file and its permissions.

Adapted from: bitcoin:test/functional/rpc_users.py (facts only; our own code).

- ``-rpcauth`` lines made by ``contrib/rpcauth/rpcauth.py`` (random password, given password containing ``:``,
  ``-j`` JSON output), one of them read from ``bitcoin.conf``; ``-rpcuser``/``-rpcpassword`` with non-ASCII text;
- wrong credentials (wrong password, wrong user, ``basic`` in lower case, no colon, bad base64) → 401 after
  about 250 ms; a missing Authorization header → 401 at once; both with ``WWW-Authenticate: Basic
  realm="jsonrpc"``;
- the cookie: only without ``-rpcpassword``; ``<datadir>/regtest/.cookie`` holds ``__cookie__:<64 hex>`` (no
  newline), mode 0600, removed when the server exits cleanly on SIGTERM; ``-rpccookieperms=group|all|owner``
  → 0640/0644/0600, an invalid value is a start-up error; ``-rpccookiefile`` and ``-norpccookiefile``;
- invalid ``-rpcauth`` values are start-up errors.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

from test_framework.framework import BitcoinTestFramework
from test_framework.rawhttp import RawResponse, assert_empty_reply, assert_status
from test_framework.util import (
    ROOT,
    assert_equal,
    assert_greater_than_or_equal,
    assert_less_than,
    basic_auth,
    file_mode,
)

RPCAUTH = ROOT / "contrib" / "rpcauth" / "rpcauth.py"
UNAUTHORIZED_FIRST = [("WWW-Authenticate", 'Basic realm="jsonrpc"')]
COOKIE_RE = re.compile(r"__cookie__:[0-9a-f]{64}")


def run_rpcauth(*args: str) -> str:
    if not RPCAUTH.exists():
        raise AssertionError(f"{RPCAUTH} is missing")
    proc = subprocess.run([sys.executable, str(RPCAUTH), *args], capture_output=True, text=True, timeout=30,
                          check=False)
    if proc.returncode != 0:
        raise AssertionError(f"rpcauth.py {args} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def rpcauth_text(*args: str) -> tuple[str, str]:
    """(rpcauth value, password) from rpcauth.py's text output."""
    lines = run_rpcauth(*args).splitlines()
    assert_equal(lines[0], "String to be appended to bitcoin.conf:")
    assert_equal(lines[2], "Your password:")
    assert lines[1].startswith("rpcauth="), lines
    return lines[1].removeprefix("rpcauth="), lines[3]


class HTTPBasicsTest(BitcoinTestFramework):
    def set_test_params(self) -> None:
        self.num_blocks = 3
        self.setup_server = False

    def run_test(self) -> None:
        self.test_rpcauth_and_rpcuser()
        self.test_cookie()
        self.test_cookie_options()
        self.test_invalid_options()

    def call(self, user: str, password: str) -> RawResponse:
        return self.server.post('{"method":"getblockcount","id":1}', auth=(user, password))

    def assert_authorized(self, user: str, password: str) -> None:
        resp = self.call(user, password)
        assert_status(resp, 200)
        assert_equal(resp.json()["result"], self.num_blocks)

    def assert_refused(self, user: str, password: str) -> None:
        started = time.monotonic()
        resp = self.call(user, password)
        elapsed = time.monotonic() - started
        assert_empty_reply(resp, 401, first=UNAUTHORIZED_FIRST)
        assert_greater_than_or_equal(elapsed, 0.24)

    def refused_with_header(self, header: str | None) -> float:
        started = time.monotonic()
        resp = self.server.post('{"method":"getblockcount","id":1}', auth=header)
        elapsed = time.monotonic() - started
        assert_empty_reply(resp, 401, first=UNAUTHORIZED_FIRST)
        return elapsed

    def test_rpcauth_and_rpcuser(self) -> None:
        self.log.info("Make -rpcauth values with contrib/rpcauth/rpcauth.py")
        self.rt, self.rt_password = rpcauth_text("rt")
        rt2, rt2_password = rpcauth_text("rt2", "pass:with:colons")
        assert_equal(rt2_password, "pass:with:colons")
        alice = json.loads(run_rpcauth("alice", "-j"))
        assert_equal(sorted(alice), ["password", "rpcauth", "username"])
        assert_equal(alice["username"], "alice")
        conf_auth, conf_password = rpcauth_text("confuser", "confpw")
        assert_equal(conf_password, "confpw")
        for value in (self.rt, rt2, alice["rpcauth"], conf_auth):
            assert re.fullmatch(r"[^:]+:[0-9a-f]{32}\$[0-9a-f]{64}", value), value

        self.log.info("Start with three -rpcauth options, one rpcauth line in bitcoin.conf and -rpcuser/-rpcpassword")
        (self.server.datadir / "bitcoin.conf").write_text(f"rpcauth={conf_auth}\n")
        user, password = "rpcuser💻", "rpcpassword🔑"
        self.start_server([f"-rpcauth={self.rt}", f"-rpcauth={rt2}", f"-rpcauth={alice['rpcauth']}"],
                          userpass=(user, password))

        self.log.info("Every configured user gets in")
        self.assert_authorized("rt", self.rt_password)
        self.assert_authorized("rt2", "pass:with:colons")
        self.assert_authorized("alice", alice["password"])
        self.assert_authorized("confuser", "confpw")
        self.assert_authorized(user, password)

        self.log.info("Wrong credentials → 401 after about 250 ms")
        self.assert_refused("rt", self.rt_password + "x")
        self.assert_refused("rt", "")
        self.assert_refused("rt2", "pass")
        self.assert_refused("rtwrong", self.rt_password)
        self.assert_refused("alice", self.rt_password)
        self.assert_refused(user, "rpcpassword")
        self.assert_refused("__cookie__", "0" * 64)
        lower_scheme = basic_auth("rt", self.rt_password).replace("Basic ", "basic ")
        for header in (lower_scheme, "Basic cnQ=", "Basic %%%", "Bearer abc"):
            assert_greater_than_or_equal(self.refused_with_header(header), 0.24)

        self.log.info("A missing Authorization header → 401 at once")
        assert_less_than(min(self.refused_with_header(None) for _ in range(3)), 0.2)

        self.log.info("With a non-empty -rpcpassword there is no cookie")
        assert_equal(self.server.cookie_path.exists(), False)
        assert_equal(self.server.stop(), 0)

    def check_cookie(self, mode: int) -> tuple[str, str]:
        path = self.server.cookie_path
        text = path.read_bytes()
        assert_equal(len(text), 75)
        assert COOKIE_RE.fullmatch(text.decode()), text
        assert_equal(oct(file_mode(path)), oct(mode))
        return self.server.read_cookie()

    def test_cookie(self) -> None:
        self.log.info("No -rpcpassword: a cookie in <datadir>/regtest/.cookie, mode 0600, no newline")
        self.start_server([f"-rpcauth={self.rt}"], userpass=None, credentials=("rt", self.rt_password))
        user, password = self.check_cookie(0o600)
        self.assert_authorized(user, password)
        self.assert_authorized("rt", self.rt_password)
        self.assert_refused(user, password[:-1] + ("0" if password[-1] != "0" else "1"))
        assert_equal(list(self.server.chain_dir.glob(".cookie.tmp")), [])

        self.log.info("A clean exit on SIGTERM removes the cookie")
        self.server.signal(signal.SIGTERM)
        assert self.server.process is not None
        assert_equal(self.server.process.wait(15), 0)
        assert_equal(self.server.cookie_path.exists(), False)

        self.log.info("A restart writes a new cookie; the old one no longer works")
        self.start_server([f"-rpcauth={self.rt}"], userpass=None, credentials=("rt", self.rt_password))
        new_user, new_password = self.check_cookie(0o600)
        assert new_password != password
        self.assert_refused(user, password)
        self.assert_authorized(new_user, new_password)

        self.log.info("-rpcuser with an empty -rpcpassword still makes a cookie")
        self.restart_server(["-rpcuser=u", "-rpcpassword="], userpass=None, credentials=None)
        self.assert_authorized(*self.check_cookie(0o600))
        self.server.stop()

    def test_cookie_options(self) -> None:
        for perms, mode in (("owner", 0o600), ("group", 0o640), ("all", 0o644)):
            self.log.info("-rpccookieperms=%s → %s", perms, oct(mode))
            self.start_server([f"-rpccookieperms={perms}"], userpass=None, credentials=None)
            self.assert_authorized(*self.check_cookie(mode))
            assert_equal(self.server.stop(), 0)
            assert_equal(self.server.cookie_path.exists(), False)

        self.log.info("-rpccookiefile=custom.cookie (relative to the chain directory)")
        custom = self.server.chain_dir / "custom.cookie"
        self.start_server(["-rpccookiefile=custom.cookie", f"-rpcauth={self.rt}"], userpass=None,
                          credentials=("rt", self.rt_password))
        user, _, password = custom.read_text().partition(":")
        assert_equal(user, "__cookie__")
        self.assert_authorized(user, password)
        assert_equal(self.server.cookie_path.exists(), False)
        assert_equal(self.server.stop(), 0)
        assert_equal(custom.exists(), False)

        self.log.info("-norpccookiefile: no cookie at all")
        self.start_server(["-norpccookiefile", f"-rpcauth={self.rt}"], userpass=None,
                          credentials=("rt", self.rt_password))
        assert_equal(self.server.cookie_path.exists(), False)
        self.assert_authorized("rt", self.rt_password)
        self.server.stop()

    def test_invalid_options(self) -> None:
        self.log.info("Invalid -rpccookieperms and -rpcauth values stop the start-up")
        self.server.assert_start_raises_init_error(
            ["-rpccookieperms=foo"], "Invalid -rpccookieperms=foo; must be one of 'owner', 'group', or 'all'.",
            userpass=None)
        for value in ("foo", "foo:bar", "foo:bar:baz$qux", "foo$bar:baz", "foo:bar$baz$qux"):
            self.server.assert_start_raises_init_error([f"-rpcauth={value}"], "Invalid -rpcauth argument.")


if __name__ == "__main__":
    HTTPBasicsTest().main()
