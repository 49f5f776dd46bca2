"""The node's life cycle seen through our server: absent at start, stopped through us, hung.

Figures (time to first answer after the socket appears, time to a timeout error) are printed so a run shows
them; the assertions hold the limits the issue sets (service within 1 s of the node being ready, an error
reply instead of a hang). The first two run on the stand-in and, with BITCOIN_NODE, on that real node.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from harness import STANDIN_ONLY, Server, Standin, backend, post, split_response


def call(port: int, body: bytes) -> tuple[int, dict]:
    head, payload = split_response(post(port, body))
    return int(head.split(b" ")[1]), json.loads(payload)


GETBLOCKCOUNT = b'{"method":"getblockcount","id":1}'


def wait_for_status(port: int, status: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if call(port, GETBLOCKCOUNT)[0] == status:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"no HTTP {status} within {timeout} s")


def test_node_absent_at_start_answers_warmup_then_serves(tmp_path: Path) -> None:
    socket_path = tmp_path / "node.sock"
    server = Server(tmp_path / "data", socket_path, ["-rpcuser=u", "-rpcpassword=p"], wait_for_node=False).start()
    node = backend(socket_path, blocks=3)
    try:
        status, reply = call(server.port, GETBLOCKCOUNT)
        assert status == 500 and reply["error"]["code"] == -28
        assert str(socket_path) in reply["error"]["message"]
        status, reply = call(server.port, b'{"jsonrpc":"2.0","method":"getblockcount","id":1}')
        assert status == 200 and reply["error"]["code"] == -28, "2.0 errors are HTTP 200"
        time.sleep(2.5)  # let the reconnect back-off reach its cap
        # The stand-in is ready when its socket appears; start() returns once a real node has loaded its
        # chainstate and mined (our server is connected to it all along: the node's warm-up must not harm it).
        node.start()
        ready = time.monotonic()
        wait_for_status(server.port, 200, 5)
        recovered = time.monotonic() - ready
        print(f"service resumed {recovered:.3f} s after the node was ready")
        assert recovered < 1.0
        assert call(server.port, GETBLOCKCOUNT)[1]["result"] == 3
        assert node.proc is not None and node.proc.poll() is None, "the node lives through our connecting early"
    finally:
        server.stop()
        node.stop()


def test_warmup_is_answered_with_minus_28_and_the_node_survives_it(tmp_path: Path) -> None:
    """A node's socket accepts before its chainstate is loaded (bitcoin-node: ~0.5 s here; the stand-in with
    --warmup-ms). Our server, connected from the first moment, answers -28 until the node serves (bitcoind's
    warm-up code, which bitcoin-cli -rpcwait waits through), never another error, and the node lives."""
    socket_path = tmp_path / "node.sock"
    server = Server(tmp_path / "data", socket_path, ["-rpcuser=u", "-rpcpassword=p"], wait_for_node=False).start()
    node = backend(socket_path, blocks=3)
    if isinstance(node, Standin):
        node.extra = ["--warmup-ms", "1500"]
    replies: list[tuple[float, int, dict]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            status, reply = call(server.port, GETBLOCKCOUNT)
            replies.append((time.monotonic(), status, reply))
            if status == 200:
                return
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    try:
        poller.start()
        node.start()
        deadline = time.monotonic() + 30
        while poller.is_alive() and time.monotonic() < deadline:
            assert node.proc is not None
            assert node.proc.poll() is None, f"the node died during its warm-up:\n{node.log_text()[-2000:]}"
            poller.join(0.1)
        assert replies and replies[-1][1] == 200, f"no answer after the node's warm-up: {replies[-3:]}"
        before = [(status, reply["error"]["code"]) for _, status, reply in replies[:-1]]
        assert set(before) <= {(500, -28)}, f"only warm-up replies before the first answer: {set(before)}"
        if isinstance(node, Standin):
            warm = [r for _, _, r in replies if r.get("error") and r["error"]["message"] == "Loading block index…"]
            print(f"{len(warm)} replies carried the node's own warm-up status")
        assert node.proc is not None and node.proc.poll() is None, "the node lives through its warm-up"
        wait_for_status(server.port, 200, 5)
        assert call(server.port, GETBLOCKCOUNT)[1]["result"] == 3
    finally:
        done.set()
        poller.join(10)
        server.stop()
        node.stop()


def test_stop_through_us_stops_the_node_and_the_server_stays(tmp_path: Path) -> None:
    node = backend(tmp_path / "node.sock", blocks=1).start()
    server = Server(tmp_path / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p"]).start()
    try:
        assert call(server.port, b'{"method":"stop","id":1}') == (
            200,
            {"result": "Bitcoin Core stopping", "error": None, "id": 1},
        )
        assert node.proc is not None
        assert node.proc.wait(30) == 0, "the node shuts down cleanly (no abort on a call during its shutdown)"
        assert server.proc is not None and server.proc.poll() is None, "the server keeps running"
        status, reply = call(server.port, GETBLOCKCOUNT)
        assert (status, reply["error"]["code"]) == (500, -28)
        node.start()
        wait_for_status(server.port, 200, 5)
    finally:
        server.stop()
        node.stop()


@STANDIN_ONLY
def test_hung_node_call_times_out_while_other_calls_flow(tmp_path: Path) -> None:
    """Stand-in only: it needs a node whose executeRpc never answers while typed calls do (fault injection).
    executeRpc never answers (a hung node); -ipctimeout=1 turns it into an error reply while typed calls
    on other node Threads keep answering."""
    node = Standin(tmp_path / "node.sock", blocks=5, extra=["--method-delay-ms", "executeRpc=600000"]).start()
    # -ipcvariant skips detection, whose first probe is an executeRpc (which this node never answers)
    server = Server(
        tmp_path / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p", "-ipctimeout=1", "-ipcvariant=pr29409", "-ipcnative=1"]
    ).start()
    results: dict[str, tuple[float, tuple[int, dict]]] = {}

    def slow() -> None:
        started = time.monotonic()
        outcome = call(server.port, b'{"method":"uptime","id":1}')
        results["slow"] = (time.monotonic() - started, outcome)

    try:
        worker = threading.Thread(target=slow)
        worker.start()
        time.sleep(0.1)
        started = time.monotonic()
        fast = call(server.port, b'{"method":"getblockhash","params":[0],"id":2}')
        fast_s = time.monotonic() - started
        worker.join(10)
        elapsed, (status, reply) = results["slow"]
        print(f"hung call answered after {elapsed:.3f} s; a typed call meanwhile took {fast_s * 1000:.1f} ms")
        assert fast[0] == 200 and fast_s < 0.5
        assert status == 500 and reply["error"]["code"] == -1
        assert "1" in reply["error"]["message"] and "bitcoin-node" in reply["error"]["message"]
        assert 0.9 <= elapsed < 3
    finally:
        server.stop()
        node.stop()
