"""contrib/rpcauth/rpcauth.py: Bitcoin Core's CLI and output, and lines that our Authenticator accepts."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

from bitcoin_rpc_mp.auth.credentials import Authenticator

SCRIPT = Path(__file__).resolve().parents[3] / "contrib" / "rpcauth" / "rpcauth.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False
    )


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_plain_output_with_given_password() -> None:
    result = run("alice", "s3cret:with:colons")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "String to be appended to bitcoin.conf:"
    match = re.fullmatch(r"rpcauth=alice:([0-9a-f]{32})\$([0-9a-f]{64})", lines[1])
    assert match is not None
    assert lines[2:] == ["Your password:", "s3cret:with:colons"]
    auth = Authenticator.from_options(rpcauth=[lines[1].removeprefix("rpcauth=")])
    assert auth.check(basic("alice", "s3cret:with:colons")) == "alice"
    assert auth.check(basic("alice", "s3cret")) is None


def test_generated_password_and_json() -> None:
    result = run("bob", "-j")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == ["username", "password", "rpcauth"]
    assert out["username"] == "bob"
    assert len(out["password"]) >= 32
    assert re.fullmatch(r"bob:[0-9a-f]{32}\$[0-9a-f]{64}", out["rpcauth"])
    auth = Authenticator.from_options(rpcauth=[out["rpcauth"]])
    assert auth.check(basic("bob", out["password"])) == "bob"


def test_salts_differ_between_runs() -> None:
    first = json.loads(run("c", "pw", "--json").stdout)["rpcauth"]
    second = json.loads(run("c", "pw", "--json").stdout)["rpcauth"]
    assert first != second


def test_username_is_required() -> None:
    result = run()
    assert result.returncode == 2
    assert "username" in result.stderr
