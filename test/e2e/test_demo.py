"""The demo, as a newcomer runs it: `bitcoin-rpc-mp` with no node socket starts the stand-in node in-process and
serves it as a regtest node (cookie in `<datadir>/regtest/`), and `stop` ends the whole process, as with bitcoind;
with -metrics it is scraped too.

The default port (18443) is replaced by a free one so runs can share the machine; the chain's other defaults are
what the test checks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from harness import PYTHON, REPO, _wait_for, env_with_repo, free_port, post, split_response


def call(port: int, method: str, params: str = "[]") -> tuple[int, dict]:
    body = f'{{"jsonrpc":"1.0","id":1,"method":"{method}","params":{params}}}'.encode()
    head, payload = split_response(post(port, body))  # u:p, the demo login
    return int(head.split(b" ")[1]), json.loads(payload)


def scrape(port: int) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    return body.decode()


# The demo runs the built-in stand-in whatever BITCOIN_NODE says.
pytestmark = pytest.mark.standin

def test_demo_serves_regtest_and_stop_ends_the_process(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = env_with_repo()
    env["HOME"] = str(tmp_path)  # the demo's default datadir is ~/.bitcoin
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [PYTHON, "-m", "bitcoin_rpc_mp", f"-rpcport={port}", f"-metrics={metrics_port}"], stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env
    )
    cookie = tmp_path / ".bitcoin" / "regtest" / ".cookie"
    try:
        def ready() -> bool:
            log_text = (tmp_path / "server.log").read_text()
            return "node offers:" in log_text and "serving JSON-RPC" in log_text  # connected, bound, cookie

        _wait_for(ready, 60, "the demo", proc)
        assert cookie.exists() and oct(os.stat(cookie).st_mode & 0o777) == "0o600"
        status, reply = call(port, "getblockchaininfo")
        assert status == 200
        assert (reply["result"]["chain"], reply["result"]["blocks"]) == ("regtest", 210)
        best = reply["result"]["bestblockhash"]
        status, reply = call(port, "getblock", f'["{best}"]')
        assert status == 200 and reply["result"]["height"] == 210 and reply["result"]["confirmations"] == 1
        # -metrics: the two requests, by method and status, and the node calls they made
        metrics = scrape(metrics_port)
        assert 'bitcoin_rpc_mp_requests_total{method="getblockchaininfo",status="200"} 1.0' in metrics
        assert 'bitcoin_rpc_mp_request_duration_seconds_count{method="getblock"} 1.0' in metrics
        assert 'bitcoin_rpc_mp_ipc_connected 1.0' in metrics and 'bitcoin_rpc_mp_ipc_calls_total{interface="Rpc"}' in metrics
        assert call(port, "stop") == (200, {"result": "Bitcoin Core stopping", "error": None, "id": 1})
        assert proc.wait(15) == 0, "stop ends the demo process"
        assert not cookie.exists(), "and removes its cookie"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
