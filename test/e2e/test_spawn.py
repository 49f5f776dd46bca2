"""Spawn mode (`bitcoin-rpc-mp -node=PATH [bitcoind options]`) as a process: a drop-in bitcoind.

Without BITCOIN_NODE the child is a small stand-in for bitcoin-node: a script that records the command line it
was given and runs the stand-in node on the `-ipcbind` socket, or prints an init error and exits 1, as
bitcoin-node does. With BITCOIN_NODE the stop/start cycles run against the real node: every `stop` sent through
us must leave bitcoin-node with exit code 0 (SPAWN_CYCLES sets how many, default 3).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PYTHON, REPO, env_with_repo, free_port, post, real_node_binary, split_response

CYCLES = int(os.environ.get("SPAWN_CYCLES", "3"))  # stop/start cycles against a real node (CI: the default)

FAKE_NODE = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_NODE_RECORD"], "w") as record:
    json.dump({{"argv": args, "pid": os.getpid()}}, record)
if "-fakefail" in args:
    sys.stderr.write("Error: Cannot obtain a lock on directory /x. Bitcoin Core is probably already running.\\n")
    sys.exit(1)
socket_path = [a for a in args if a.startswith("-ipcbind=unix:")][-1].split(":", 1)[1]
os.execv(sys.executable, [sys.executable, "-m", "bitcoin_rpc_mp.standin", "--socket", socket_path, "--blocks", "7"])
"""


class Spawned:
    """bitcoin-rpc-mp in spawn mode, started as the functional framework starts bitcoind."""

    def __init__(self, tmp: Path, node: str, *args: str) -> None:
        self.datadir = tmp / "data"
        self.datadir.mkdir(exist_ok=True)
        self.port = free_port()
        self.record = tmp / "node-argv.json"
        self.stdout = tmp / "stdout"
        self.stderr = tmp / "stderr"
        env = env_with_repo()
        env["FAKE_NODE_RECORD"] = str(self.record)
        cmd = [PYTHON, "-m", "bitcoin_rpc_mp", f"-node={node}", "-regtest", f"-datadir={self.datadir}",
               f"-rpcport={self.port}", "-printtoconsole=0", "-listen=0", *args]  # fmt: skip
        with open(self.stdout, "wb") as out, open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=env)

    def rpc(self, method: str, timeout: float = 30.0) -> dict[str, object]:
        """Call `method` with the cookie, retrying while the port is closed or answers -28 (as -rpcwait)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                cookie = (self.datadir / "regtest" / ".cookie").read_text()
                auth = __import__("base64").b64encode(cookie.encode()).decode()
                body = json.dumps({"method": method, "params": [], "id": 1}).encode()
                reply = json.loads(split_response(post(self.port, body, auth=auth))[1])
                if reply.get("error") is None or reply["error"]["code"] != -28:
                    return dict(reply)
            except (OSError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{method}: no answer; exit {self.proc.poll()}, stderr {self.errors()!r}")
            time.sleep(0.05)

    def wait(self, timeout: float = 60.0) -> int:
        return self.proc.wait(timeout)

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")

    def node_record(self) -> dict[str, object]:
        return dict(json.loads(self.record.read_text()))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def fake_node(short_dir: Path) -> Path:
    path = short_dir / "fake-bitcoin-node"
    path.write_text(FAKE_NODE.format(python=sys.executable))
    path.chmod(0o755)
    return path


@pytest.fixture
def spawned(short_dir: Path) -> Iterator[list[Spawned]]:
    started: list[Spawned] = []
    yield started
    for item in started:
        item.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.standin
def test_stop_through_us_ends_both_with_exit_0_and_empty_stderr(
    fake_node: Path, short_dir: Path, spawned: list[Spawned]
) -> None:
    run = Spawned(short_dir, str(fake_node), "-rpcauth=x:1$2", "-norpcauth", "-rpcthreads=3", "-debug=net",
                  "-ipcthreads=2", "-server=1", "-uacomment=keep")  # fmt: skip
    spawned.append(run)
    assert run.rpc("getblockcount")["result"] == 7
    argv = run.node_record()["argv"]
    assert isinstance(argv, list)
    socket_arg = argv[-1]
    # the operator's words minus the RPC server's and ours, in order; then ours
    assert argv[:-1] == ["-regtest", f"-datadir={run.datadir}", "-printtoconsole=0", "-listen=0", "-debug=net",
                         "-uacomment=keep", "-server=0", "-daemon=0", "-daemonwait=0"]  # fmt: skip
    assert socket_arg.startswith("-ipcbind=unix:") and len(socket_arg.split(":", 1)[1].encode()) <= 107
    socket_dir = Path(socket_arg.split(":", 1)[1]).parent
    assert socket_dir.stat().st_mode & 0o777 == 0o700
    assert run.rpc("stop")["result"] == "Bitcoin Core stopping"
    assert run.wait() == 0
    assert run.errors() == ""
    assert not (run.datadir / "regtest" / ".cookie").exists()
    assert not socket_dir.exists()
    assert "[rpc-mp]" in (run.datadir / "regtest" / "debug.log").read_text()


@pytest.mark.standin
def test_node_init_error_reaches_stderr_unchanged_and_its_exit_code_is_ours(
    fake_node: Path, short_dir: Path, spawned: list[Spawned]
) -> None:
    run = Spawned(short_dir, str(fake_node), "-fakefail")
    spawned.append(run)
    assert run.wait() == 1
    assert run.errors() == "Error: Cannot obtain a lock on directory /x. Bitcoin Core is probably already running.\n"
    assert not (run.datadir / "regtest" / ".cookie").exists()


@pytest.mark.standin
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_both_cleanly(
    fake_node: Path, short_dir: Path, spawned: list[Spawned], sig: signal.Signals
) -> None:
    run = Spawned(short_dir, str(fake_node))
    spawned.append(run)
    run.rpc("getblockcount")
    node_pid = run.node_record()["pid"]
    assert isinstance(node_pid, int)
    run.proc.send_signal(sig)
    assert run.wait() == 0
    assert run.errors() == ""
    assert _wait_gone(node_pid)


@pytest.mark.standin
def test_node_does_not_outlive_us(fake_node: Path, short_dir: Path, spawned: list[Spawned]) -> None:
    run = Spawned(short_dir, str(fake_node))
    spawned.append(run)
    run.rpc("getblockcount")
    node_pid = run.node_record()["pid"]
    assert isinstance(node_pid, int)
    run.proc.kill()
    run.proc.wait()
    assert _wait_gone(node_pid), "the node must get SIGTERM when bitcoin-rpc-mp dies"


@pytest.mark.standin
def test_node_killed_by_a_signal_kills_us_with_the_same_signal(
    fake_node: Path, short_dir: Path, spawned: list[Spawned]
) -> None:
    run = Spawned(short_dir, str(fake_node))
    spawned.append(run)
    run.rpc("getblockcount")
    node_pid = run.node_record()["pid"]
    assert isinstance(node_pid, int)
    os.kill(node_pid, signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    assert not (run.datadir / "regtest" / ".cookie").exists()


@pytest.mark.standin
def test_missing_node_executable_is_an_error_line(short_dir: Path, spawned: list[Spawned]) -> None:
    run = Spawned(short_dir, str(short_dir / "no-such-node"))
    spawned.append(run)
    assert run.wait() == 1
    assert run.errors().startswith(f"Error: Cannot start bitcoin-node {short_dir / 'no-such-node'}: ")
    assert run.errors().count("\n") == 1


@pytest.mark.realnode
@pytest.mark.timeout(60 + 20 * CYCLES)
@pytest.mark.skipif(real_node_binary() is None, reason="needs a real bitcoin-node (set BITCOIN_NODE)")
def test_stop_start_cycles_leave_the_real_node_with_exit_0(short_dir: Path, spawned: list[Spawned]) -> None:
    """SPAWN_CYCLES times: start through us, wait until the node answers, `stop` through us; the node (and so we)
    must exit 0 with nothing on stderr every time, on the same datadir."""
    cycles = CYCLES
    node = real_node_binary()
    assert node is not None
    durations = []
    for cycle in range(cycles):
        started = time.monotonic()
        run = Spawned(short_dir, node)
        spawned.append(run)
        height = run.rpc("getblockcount", timeout=60)
        assert height["result"] == 0, (cycle, height)
        assert run.rpc("stop")["result"] == "Bitcoin Core stopping"
        status = run.wait()
        assert status == 0, f"cycle {cycle}: exit status {status}, stderr {run.errors()!r}"
        assert run.errors() == "", f"cycle {cycle}"
        durations.append(time.monotonic() - started)
        spawned.remove(run)
    print(f"{cycles} cycles, {sum(durations):.1f} s, slowest {max(durations):.2f} s")


@pytest.mark.realnode
@pytest.mark.skipif(real_node_binary() is None, reason="needs a real bitcoin-node (set BITCOIN_NODE)")
def test_one_bitcoin_conf_serves_bitcoind_and_spawn_mode(short_dir: Path, spawned: list[Spawned]) -> None:
    """The README's bitcoin.conf: RPC-server options in it are ours; the node, started with -server=0, ignores
    them (no HTTP server, no cookie, no port of its own), and reads the rest itself."""
    node = real_node_binary()
    assert node is not None
    datadir = short_dir / "data"
    datadir.mkdir()
    port = free_port()
    salt = "a" * 32
    digest = __import__("hmac").new(salt.encode(), b"secret", "sha256").hexdigest()
    (datadir / "bitcoin.conf").write_text(
        "server=1\nrpcallowip=127.0.0.1\nrpcbind=127.0.0.1\nrpcthreads=4\n"
        f"rpcauth=alice:{salt}${digest}\n[regtest]\nrpcport={port}\nrpcbind=127.0.0.1\nprune=0\n"
    )
    cmd = [PYTHON, "-m", "bitcoin_rpc_mp", f"-node={node}", "-regtest", f"-datadir={datadir}", "-printtoconsole=0",
           "-listen=0"]  # fmt: skip
    with open(short_dir / "stderr", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO, env=env_with_repo())
    auth = __import__("base64").b64encode(b"alice:secret").decode()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                body = json.dumps({"method": "getblockcount", "params": [], "id": 1}).encode()
                reply = json.loads(split_response(post(port, body, auth=auth))[1])
                if reply["error"] is None:
                    break
            except (OSError, ValueError):
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (short_dir / "stderr").read_text()
            time.sleep(0.1)
        log = (datadir / "regtest" / "debug.log").read_text()
        node_lines = [line for line in log.splitlines() if "[rpc-mp]" not in line]
        assert any('Config file arg: [regtest] rpcport="' in line for line in node_lines)  # the node read it
        assert not any("Binding RPC on address" in line for line in node_lines)  # and started no HTTP server
        assert not any("Starting HTTP server" in line for line in node_lines)
        body = json.dumps({"method": "stop", "params": [], "id": 1}).encode()
        post(port, body, auth=auth)
        assert proc.wait(60) == 0
        assert (short_dir / "stderr").read_text() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
