"""A real bitcoin-node is never aborted by us while it starts or shuts down (issue: `stop` through us aborted it).

bitcoin-node asserts in every Chain and Mining method that its chainstate exists: it does not while the node
loads, nor after shutdown has freed it — and its IPC listener accepts connections in both windows. Two cycles,
each run `RPCMP_STOP_CYCLES` times (default 10; the closing note's 100-cycle figures come from
`RPCMP_STOP_CYCLES=100`) against the node named by BITCOIN_NODE:

- stop cycle: start the node, serve it for longer than the reconnect back-off's flapping window (1 s, so we
  reconnect at once after a drop), send `stop` through our server: the node must exit 0 with an empty stderr.
- start race: our server (typed calls forced with `-ipcnative=1`, the riskiest mode) is already waiting when
  the node starts, and clients hammer it with getblockcount / getbestblockhash / getblockhash from the moment
  the node process exists; every answer is bitcoind's -28 or the right value, and the node exits 0 on `stop`.

One server instance lives through all cycles, so each cycle is also a node restart it must follow.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Server, exchange, real_node_binary, split_response

CYCLES = int(os.environ.get("RPCMP_STOP_CYCLES", "10"))
# a cycle takes 2-4 s on an idle 2-core machine; leave room for a loaded one
pytestmark = [pytest.mark.realnode, pytest.mark.timeout(60 + 15 * CYCLES)]

if real_node_binary() is None:
    pytest.skip("BITCOIN_NODE is not set: these cycles need a real bitcoin-node", allow_module_level=True)

FLAPPING_WINDOW_S = 1.0  # ipc/reconnect.py: a session at least this old reconnects without back-off


def rpc(port: int, method: str, params: list[object] | None = None) -> tuple[int, dict]:
    body = json.dumps({"method": method, "params": params or [], "id": 1}).encode()
    request = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic dTpw\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    head, payload = split_response(exchange(port, request, timeout=30))
    return int(head.split(b" ")[1]), json.loads(payload)


class Node:
    """bitcoin-node with IPC only (-server=0), as an operator runs it behind us."""

    def __init__(self, binary: str, datadir: Path, socket_path: Path) -> None:
        datadir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [binary, "-regtest", f"-datadir={datadir}", f"-ipcbind=unix:{socket_path}", "-server=0",
             "-listen=0", "-printtoconsole=0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        assert self.proc.stderr is not None
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        return self.proc.returncode, err.decode(errors="replace")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_served(port: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, reply = rpc(port, "getblockcount")
        if status == 200 and reply.get("error") is None:
            return int(reply["result"])
        time.sleep(0.05)
    raise TimeoutError("the node behind our server never became ready")


@pytest.fixture
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    base = Path(tmp_path_factory.mktemp("stopstart"))
    binary = real_node_binary()
    assert binary is not None
    yield binary, base / "node", base / "node.sock"


def test_stop_through_us_never_aborts_the_node(setup: tuple[str, Path, Path], tmp_path: Path) -> None:
    binary, datadir, sock = setup
    server = Server(tmp_path / "rpc", sock, ["-rpcuser=u", "-rpcpassword=p"], wait_for_node=False).start()
    results = []
    try:
        for cycle in range(CYCLES):
            node = Node(binary, datadir, sock)
            try:
                wait_served(server.port)
                time.sleep(FLAPPING_WINDOW_S + 0.2)
                assert rpc(server.port, "stop")[1]["result"] == "Bitcoin Core stopping"
                code, err = node.wait()
            finally:
                node.kill()
            results.append(code)
            assert (code, err) == (0, ""), f"cycle {cycle}: bitcoin-node exited {code}: {err}"
        assert server.proc is not None and server.proc.poll() is None, "our server outlived every node"
        # while no node runs, clients get bitcoind's warm-up code, so bitcoin-cli -rpcwait keeps waiting
        assert rpc(server.port, "getblockcount")[1]["error"]["code"] == -28
    finally:
        server.stop()
    print(f"{CYCLES} stop cycles: exit codes {sorted(set(results))}")


def test_start_race_with_typed_calls_never_aborts_the_node(setup: tuple[str, Path, Path], tmp_path: Path) -> None:
    binary, datadir, sock = setup
    server = Server(
        tmp_path / "rpc",
        sock,
        # the answer cache on too: its Chain.handleNotifications / waitForNotifications / Mining calls must also
        # wait for the node to be ready
        ["-rpcuser=u", "-rpcpassword=p", "-ipcnative=1", "-rpccachesize=16"],
        wait_for_node=False,
    ).start()
    warmups = 0
    try:
        for cycle in range(CYCLES):
            stop_hammer = threading.Event()
            answers: list[tuple[str, int, dict]] = []

            def hammer(stop_hammer: threading.Event, answers: list[tuple[str, int, dict]]) -> None:
                while not stop_hammer.is_set():
                    for method, params in (("getblockcount", []), ("getbestblockhash", []), ("getblockhash", [0])):
                        status, reply = rpc(server.port, method, params)
                        answers.append((method, status, reply))

            workers = [threading.Thread(target=hammer, args=(stop_hammer, answers)) for _ in range(3)]
            for worker in workers:
                worker.start()
            node = Node(binary, datadir, sock)
            try:
                wait_served(server.port)
                stop_hammer.set()
                for worker in workers:
                    worker.join(30)
                assert rpc(server.port, "stop")[1]["result"] == "Bitcoin Core stopping"
                code, err = node.wait()
            finally:
                stop_hammer.set()
                node.kill()
            assert (code, err) == (0, ""), f"cycle {cycle}: bitcoin-node exited {code}: {err}"
            for method, status, reply in answers:
                error = reply.get("error")
                if error is not None:
                    assert error["code"] == -28, (method, status, reply)
                    warmups += 1
                elif method == "getblockhash":
                    assert reply["result"] == "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    finally:
        server.stop()
    print(f"{CYCLES} start races: {warmups} warm-up answers, node exit 0 every time")
