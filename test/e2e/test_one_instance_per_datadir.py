"""One server per datadir (issue 10 §3), with real processes: the datadir lock against a second instance of ours,
against a node that holds the datadir (a real bitcoin-node when BITCOIN_NODE is set, else a process that locks
it as bitcoind does), the shared layout (node -server=0 and this server on one datadir), and a start that fails
to bind. In every refused or failed start, a cookie we did not write stays byte for byte and inode for inode.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import PYTHON, REPO, Server, Standin, free_port, post, real_node_binary

LOCKED = "Error: Cannot obtain a lock on directory {}. Bitcoin Core is probably already running."

# Locks <datadir>/.lock as bitcoind does (fcntl F_SETLK, F_WRLCK), writes a cookie, then becomes the stand-in
# node (exec keeps the process and its record lock), so the lock holder also listens on the IPC socket.
HOLDER = r"""
import fcntl, os, sys
netdir, cookie, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
fd = os.open(os.path.join(netdir, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.set_inheritable(fd, True)
if cookie != "-":
    with open(cookie, "w") as f:
        f.write("__cookie__:" + "ab" * 32)
print("locked", flush=True)
if argv:
    os.execv(sys.executable, [sys.executable, *argv])
sys.stdin.read()
"""


def _server_cmd(datadir: Path, port: int, ipcconnect: str, *extra: str) -> list[str]:
    return [PYTHON, "-m", "bitcoin_rpc_mp", "-regtest", f"-datadir={datadir}", f"-ipcconnect={ipcconnect}",
            f"-rpcport={port}", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", *extra]


def _run_refused(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


def _fingerprint(path: Path) -> tuple[bytes, int, int]:
    st = path.stat()
    return path.read_bytes(), st.st_ino, st.st_mtime_ns


def _cookie_auth(cookie: Path) -> str:
    import base64

    return base64.b64encode(cookie.read_bytes()).decode()


@pytest.fixture
def standin(short_dir: Path) -> Iterator[Standin]:
    node = Standin(short_dir / "node.sock", blocks=5).start()
    yield node
    node.stop()


@pytest.mark.standin
def test_second_instance_is_refused_and_leaves_the_first_cookie(short_dir: Path, standin: Standin) -> None:
    first = Server(short_dir / "data", standin.socket_path, args=["-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1"])
    first.start()
    try:
        netdir = first.datadir / "regtest"
        cookie = netdir / ".cookie"
        before = _fingerprint(cookie)
        for port in (free_port(), first.port):  # another port, and the same (taken) port
            result = _run_refused(_server_cmd(first.datadir, port, f"unix:{standin.socket_path}"))
            assert result.returncode == 1, result.stderr
            assert result.stderr.splitlines()[0] == LOCKED.format(netdir), result.stderr
            assert f"process {first.proc.pid}" in result.stderr  # type: ignore[union-attr]
            assert _fingerprint(cookie) == before
        reply = post(first.port, b'{"method":"getblockcount","id":1}', auth=_cookie_auth(cookie))
        assert reply.startswith(b"HTTP/1.1 200") and b'"result":5' in reply
    finally:
        assert first.stop() == 0
    assert not (first.datadir / "regtest" / ".cookie").exists()  # ours, removed at exit
    # the lock died with the first server: the datadir is free again
    again = Server(first.datadir, standin.socket_path).start()
    assert again.stop() == 0


@pytest.mark.standin
def test_failed_bind_never_touches_an_existing_cookie(short_dir: Path, standin: Standin) -> None:
    datadir = short_dir / "data"
    netdir = datadir / "regtest"
    netdir.mkdir(parents=True)
    cookie = netdir / ".cookie"
    cookie.write_text("__cookie__:" + "cd" * 32)  # e.g. left by a bitcoind that was killed
    before = _fingerprint(cookie)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run_refused(_server_cmd(datadir, port, f"unix:{standin.socket_path}"))
    assert result.returncode == 1
    # bitcoind's error box on stderr, the reason in the log (-printtoconsole: stdout, and debug.log)
    assert result.stderr == "Error: Unable to start HTTP server. See debug log for details.\n"
    assert "address already in use" in result.stdout.lower()
    assert _fingerprint(cookie) == before


def _holder(netdir: Path, cookie: Path | None, *then: str) -> subprocess.Popen[str]:
    netdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([PYTHON, "-c", HOLDER, str(netdir), str(cookie) if cookie else "-", *then],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _real_node(datadir: Path, socket_path: Path, server: int) -> subprocess.Popen[bytes]:
    binary = real_node_binary()
    assert binary is not None
    datadir.mkdir(parents=True, exist_ok=True)
    cmd = [binary, "-regtest", f"-datadir={datadir}", f"-ipcbind=unix:{socket_path}", "-listen=0",
           f"-server={server}", f"-rpcport={free_port()}", "-printtoconsole=0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    ready = (datadir / "regtest" / ".cookie") if server else socket_path
    while not ready.exists():
        assert proc.poll() is None, f"bitcoin-node exited with {proc.returncode}"
        assert time.monotonic() < deadline, "bitcoin-node did not start"
        time.sleep(0.05)
    return proc


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.mark.standin
def test_a_node_serving_rpc_on_the_datadir_is_left_alone(short_dir: Path, standin: Standin) -> None:
    """bitcoind (-server=1) owns the datadir: we refuse with its message and leave its cookie."""
    datadir = short_dir / "data"
    netdir = datadir / "regtest"
    cookie = netdir / ".cookie"
    if real_node_binary():
        holder: subprocess.Popen[bytes] | subprocess.Popen[str] = _real_node(datadir, short_dir / "n.sock", 1)
    else:
        holder = _holder(netdir, cookie)
    try:
        before = _fingerprint(cookie)
        # our own socket points elsewhere (the stand-in) or at that very node: refused either way
        targets = [f"unix:{standin.socket_path}"] + (["unix:" + str(short_dir / "n.sock")] if real_node_binary() else [])
        for target in targets:
            result = _run_refused(_server_cmd(datadir, free_port(), target))
            assert result.returncode == 1, result.stderr
            assert result.stderr.splitlines()[0] == LOCKED.format(netdir), result.stderr
            assert _fingerprint(cookie) == before
        assert holder.poll() is None
    finally:
        _stop(holder)


def test_shared_datadir_with_the_node_we_serve(short_dir: Path) -> None:
    """`bitcoin-node -ipcbind=unix -server=0` and `bitcoin-rpc-mp -ipcconnect=unix` on one datadir: allowed,
    and a second server on that datadir is still refused."""
    datadir = short_dir / "data"
    netdir = datadir / "regtest"
    sock = netdir / "node.sock"
    if real_node_binary():
        node: subprocess.Popen[bytes] | subprocess.Popen[str] = _real_node(datadir, sock, 0)
    else:
        node = _holder(netdir, None, "-m", "bitcoin_rpc_mp.standin", "--socket", str(sock), "--blocks", "3")
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert time.monotonic() < deadline and node.poll() is None
            time.sleep(0.05)
    try:
        port = free_port()
        log = open(short_dir / "server.log", "wb")
        server = subprocess.Popen(_server_cmd(datadir, port, "unix"), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            cookie = netdir / ".cookie"
            deadline = time.monotonic() + 30
            while not cookie.exists():
                assert server.poll() is None, (short_dir / "server.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            second = _run_refused(_server_cmd(datadir, free_port(), "unix"))
            assert second.returncode == 1
            assert second.stderr.splitlines()[0] == LOCKED.format(netdir)
            assert "another bitcoin-rpc-mp" in second.stderr
            deadline = time.monotonic() + 30
            while b'"result":' not in (reply := post(port, b'{"method":"getblockcount","id":1}',
                                                     auth=_cookie_auth(cookie))):
                assert time.monotonic() < deadline, reply
                time.sleep(0.1)
            # killed: the cookie stays behind, and the next start knows it is ours to replace
            server.kill()
            server.wait()
            assert cookie.exists()
            again = subprocess.Popen(_server_cmd(datadir, port, "unix"), stdout=log, stderr=subprocess.STDOUT,
                                     cwd=REPO)
            try:
                deadline = time.monotonic() + 30
                while b'"result":' not in (reply := _try_post(port, cookie)):
                    assert again.poll() is None, (short_dir / "server.log").read_text()
                    assert time.monotonic() < deadline, reply
                    time.sleep(0.1)
            finally:
                assert _stop(again) == 0
            assert not cookie.exists()
        finally:
            _stop(server)
            log.close()
        assert node.poll() is None
    finally:
        _stop(node)


def _try_post(port: int, cookie: Path) -> bytes:
    try:
        return post(port, b'{"method":"getblockcount","id":1}', auth=_cookie_auth(cookie))
    except OSError:
        return b""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
