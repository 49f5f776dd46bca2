#!/usr/bin/env python3
"""Check that an unchanged ``bitcoin-cli`` works against our server (runs when BITCOIN_CLI names one).

Adapted from: bitcoin:test/functional/interface_bitcoin_cli.py (facts only; our own code).

- plain calls (``getblockcount``, ``getblockhash 0``), ``-named``, ``-stdin``, ``-rpcwallet`` (the
  ``/wallet/<name>`` endpoint), ``-getinfo`` (a JSON-RPC 2.0 batch with ids 0-3);
- authentication with ``-rpcuser/-rpcpassword`` and with the cookie through ``-datadir``;
- errors as bitcoin-cli prints them: an RPC error (``error code: -8``), method not found, wrong password
  (``Authorization failed``), no server (``Could not connect to the server``);
- ``-rpcwait`` waits through a node restart (the server answers -28 meanwhile, which bitcoin-cli retries).

Without ``BITCOIN_CLI`` the scenario reports itself skipped with that reason.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from test_framework.framework import BitcoinTestFramework
from test_framework.util import (
    GENESIS_HASH_REGTEST,
    SkipTest,
    assert_equal,
    assert_in,
    get_free_port,
    rpcauth_line,
)


class TestBitcoinCli(BitcoinTestFramework):
    def set_test_params(self) -> None:
        self.num_blocks = 7
        # -rpcauth instead of -rpcpassword, so the server also writes a cookie.
        self.server_userpass = None
        self.server_args = [f"-rpcauth={rpcauth_line('u', 'p')}"]
        self.cli_path = os.environ.get("BITCOIN_CLI", "")

    def skip_test_if_missing_module(self) -> None:
        if not self.cli_path:
            raise SkipTest("BITCOIN_CLI is not set (it names the bitcoin-cli binary to test with)")
        if not (Path(self.cli_path).is_file() and os.access(self.cli_path, os.X_OK)):
            raise SkipTest(f"BITCOIN_CLI={self.cli_path} is not an executable file")

    def start_server(self, extra_args: list[str] | None = None, **kwargs: object) -> None:
        kwargs.setdefault("credentials", ("u", "p"))
        super().start_server(extra_args, **kwargs)

    def cli(self, *args: str, auth: str = "userpass", stdin: str | None = None, port: int | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = [self.cli_path, "-regtest", f"-datadir={self.server.datadir}", "-rpcconnect=127.0.0.1",
                f"-rpcport={port or self.server.port}"]
        if auth == "userpass":
            argv += ["-rpcuser=u", "-rpcpassword=p"]
        elif auth == "wrong":
            argv += ["-rpcuser=u", "-rpcpassword=wrong"]
        argv += list(args)
        self.log.debug("bitcoin-cli %s", " ".join(args))
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)

    def ok(self, *args: str, **kwargs: object) -> str:
        proc = self.cli(*args, **kwargs)  # type: ignore[arg-type]
        if proc.returncode != 0:
            raise AssertionError(f"bitcoin-cli {args} failed ({proc.returncode}): {proc.stderr}")
        return proc.stdout.strip()

    def fails(self, expected: str, *args: str, code: int | None = None, **kwargs: object) -> None:
        """bitcoin-cli prints ``expected`` on stderr and exits with the RPC error's ``abs(code)`` (the OS keeps
        the low 8 bits), or 1 when no RPC error came back (``code`` None: no connection, refused login)."""
        proc = self.cli(*args, **kwargs)  # type: ignore[arg-type]
        assert_equal(proc.returncode, 1 if code is None else abs(code) % 256)
        assert_in(expected, proc.stderr)

    def run_test(self) -> None:
        h = self.num_blocks
        self.log.info("Plain calls")
        assert_equal(self.ok("getblockcount"), str(h))
        assert_equal(self.ok("getblockhash", "0"), GENESIS_HASH_REGTEST)
        assert_equal(self.ok("getbestblockhash"), self.ok("getblockhash", str(h)))

        self.log.info("-named and -stdin")
        assert_equal(self.ok("-named", "getblockhash", "height=0"), GENESIS_HASH_REGTEST)
        assert_equal(self.ok("-stdin", "getblockhash", stdin="0\n"), GENESIS_HASH_REGTEST)

        self.log.info("Cookie authentication through -datadir")
        assert_equal(self.ok("getblockcount", auth="cookie"), str(h))

        self.log.info("-rpcwallet uses the /wallet/<name> endpoint")
        self.node.ensure_wallet("w")
        assert_equal(self.ok("-rpcwallet=w", "getbalance"), "0.00000000")  # no coinbase is mature at height 7
        self.fails("Requested wallet does not exist or is not loaded", "-rpcwallet=nosuch", "getbalance", code=-18)

        self.log.info("-getinfo (a 2.0 batch with ids 0-3)")
        proc = self.cli("-getinfo")
        assert_equal(proc.returncode, 0)
        assert_in(f"Blocks: {h}", proc.stdout)
        assert_in("Chain: regtest", proc.stdout)

        self.log.info("Errors as bitcoin-cli reports them")
        self.fails("error code: -8\nerror message:\nBlock height out of range", "getblockhash", "-1", code=-8)
        self.fails("error code: -32601\nerror message:\nMethod not found", "nosuchmethod", code=-32601)
        self.fails("Authorization failed: Incorrect rpcuser or rpcpassword", "getblockcount", auth="wrong")
        self.fails("Could not connect to the server", "getblockcount", port=get_free_port())

        self.log.info("-rpcwait waits through a node restart (-28 meanwhile)")
        self.node.kill()
        waiter = subprocess.Popen(
            [self.cli_path, "-regtest", f"-datadir={self.server.datadir}", "-rpcconnect=127.0.0.1",
             f"-rpcport={self.server.port}", "-rpcuser=u", "-rpcpassword=p", "-rpcwait", "-rpcwaittimeout=30",
             "getblockcount"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert_equal(waiter.poll(), None)
        self.node.start([])
        out, _err = waiter.communicate(timeout=40)
        assert_equal((waiter.returncode, out.strip()), (0, str(h)))


if __name__ == "__main__":
    TestBitcoinCli().main()
