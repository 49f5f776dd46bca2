"""datadir_lock: bitcoind's directory lock, seen from a second process (POSIX record locks never conflict within
one process), and the claim rules (issue 10 §3). The end-to-end cases are in test/e2e/test_datadir_lock.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bitcoin_rpc_mp.datadir_lock import (
    NODE_LOCK,
    SERVER_LOCK,
    DatadirLocked,
    DatadirNotWritable,
    claim_datadir,
    lock_directory,
    lock_holder,
    probe_directory,
    remember_cookie,
)

TRY_LOCK = """
import sys
from bitcoin_rpc_mp.datadir_lock import DatadirLocked, lock_directory
try:
    lock_directory(sys.argv[1], sys.argv[2])
except DatadirLocked as exc:
    print("locked", exc.holder, exc.message)
else:
    print("free")
"""


def _try_from_other_process(directory: Path, name: str = NODE_LOCK) -> str:
    out = subprocess.run([sys.executable, "-c", TRY_LOCK, str(directory), name], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    return out.stdout.strip()


@pytest.fixture
def netdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "regtest"


def test_lock_excludes_another_process_and_names_the_holder(tmp_path: Path) -> None:
    lock = lock_directory(tmp_path)
    try:
        assert lock_holder(tmp_path) == os.getpid()
        answer = _try_from_other_process(tmp_path)
        assert answer == (f"locked {os.getpid()} Cannot obtain a lock on directory {tmp_path}. "
                          "Bitcoin Core is probably already running.")
    finally:
        lock.release()
    assert lock_holder(tmp_path) is None
    assert _try_from_other_process(tmp_path) == "free"
    assert (tmp_path / NODE_LOCK).exists()  # left in place, as bitcoind leaves it


def test_probe_holds_nothing(tmp_path: Path) -> None:
    probe_directory(tmp_path)
    assert lock_holder(tmp_path) is None


def test_unwritable_directory_gets_bitcoinds_message(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(DatadirNotWritable, match=r"^Cannot write to directory '.*/no/such'; check permissions\.$"):
        lock_directory(missing)


def test_claim_takes_the_node_lock_when_free(netdir: Path) -> None:
    claim = claim_datadir(netdir, node_socket=None)
    try:
        assert claim.lock.path == netdir / NODE_LOCK and claim.shared_with_node is None
        assert _try_from_other_process(netdir).startswith("locked")
    finally:
        claim.release()


HOLD = """
import sys, time
from bitcoin_rpc_mp.datadir_lock import lock_directory
lock = lock_directory(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def held_by_other(netdir: Path) -> Iterator[subprocess.Popen[str]]:
    netdir.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(netdir)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_claim_refuses_a_lock_held_by_a_stranger(netdir: Path, held_by_other: subprocess.Popen[str]) -> None:
    with pytest.raises(DatadirLocked) as info:
        claim_datadir(netdir, node_socket=None)
    assert info.value.holder == held_by_other.pid
    assert f"process {held_by_other.pid}" in info.value.detail


def test_claim_shares_with_the_node_we_spawned(netdir: Path, held_by_other: subprocess.Popen[str]) -> None:
    cookie = netdir / ".cookie"
    claim = claim_datadir(netdir, node_pid=held_by_other.pid, cookie_path=cookie)
    try:
        assert claim.shared_with_node == held_by_other.pid
        assert claim.lock.path == netdir / SERVER_LOCK
        assert _try_from_other_process(netdir, SERVER_LOCK).startswith("locked")
        cookie.write_text("__cookie__:" + "11" * 32)
        remember_cookie(claim, cookie.read_text())
    finally:
        claim.release()
    # a restart after a crash: the cookie left behind is the one our lock file remembers
    claim = claim_datadir(netdir, node_pid=held_by_other.pid, cookie_path=cookie)
    claim.release()
    # a cookie nobody of ours wrote: the node serves RPC itself
    cookie.write_text("__cookie__:" + "22" * 32)
    with pytest.raises(DatadirLocked, match="probably already running") as info:
        claim_datadir(netdir, node_pid=held_by_other.pid, cookie_path=cookie)
    assert "-server=0" in info.value.detail
    assert lock_holder(netdir, SERVER_LOCK) is None  # released on refusal
