"""Native methods against every node variant, native vs pass-through equality, and hostile parameters.

Each variant of the stand-in (v30 … pr29409-2025-02) is put behind our server: the server must detect the
variant's interfaces by itself, answer natively what the variant allows, pass through what only `Rpc` can
answer, and give bitcoind's -32601 for the rest. On a node with both paths the native answer must be byte
identical to the node's own (`-noipcnative` forces the pass-through). Hostile parameters never reach an IPC
call that aborts the node: the stand-in aborts exactly where bitcoin-node does, so a living stand-in after the
run is the proof.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import (
    STANDIN_ONLY,
    RealNode,
    Server,
    Standin,
    post,
    real_node_binary,
    regtest_p2wpkh_address,
    split_response,
    start_backend,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"

EXPECTED_INTERFACES = {
    "v30": {"Echo", "Mining"},
    "v31": {"Echo", "Mining"},
    "v32": {"Echo", "Mining", "Rpc"},
    "pr29409": {"Echo", "Mining", "Rpc", "Chain"},
    "pr29409-2026-02": {"Echo", "Mining", "Chain"},
    "pr29409-2025-02": {"Echo", "Mining", "Chain"},
}


# With BITCOIN_NODE set, the real node joins the variants: its interfaces are whatever it offers. The stand-in's
# variants run in every pass (no real node of most of them exists here); the real-node CI pass deselects them.
VARIANTS = [*(pytest.param(v, marks=STANDIN_ONLY) for v in EXPECTED_INTERFACES),
            *(["real"] if real_node_binary() else [])]
# Native typed calls are what these tests are about: force them (on a node with Rpc the default may be to pass
# every method through Rpc.executeRpc).
NATIVE = ["-rpcuser=u", "-rpcpassword=p", "-ipcnative=1"]


def offered_interfaces(server: Server) -> set[str]:
    line = next(x for x in server.log_text().splitlines() if "node offers:" in x)
    return set(re.search(r"node offers: ([^(]*)", line).group(1).replace(" ", "").split(","))  # type: ignore[union-attr]


def expected_interfaces(variant: str, server: Server) -> set[str]:
    return offered_interfaces(server) if variant == "real" else EXPECTED_INTERFACES[variant]


def rpc(port: int, method: str, params: object = None, *, version: str | None = None) -> tuple[int, dict]:
    request: dict[str, object] = {"method": method, "id": 1}
    if params is not None:
        request["params"] = params
    if version is not None:
        request["jsonrpc"] = version
    head, body = split_response(post(port, json.dumps(request).encode()))
    return int(head.split(b" ")[1]), json.loads(body)


@pytest.fixture(scope="module", params=VARIANTS)
def variant_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Server]]:
    variant = request.param
    base = tmp_path_factory.mktemp(f"variant-{variant}")
    node: Standin | RealNode
    if variant == "real":
        node = start_backend(base / "node.sock", blocks=210)
    else:
        node = Standin(base / "node.sock", blocks=210, variant=variant).start()
    server = Server(base / "data", node.socket_path, NATIVE).start()
    try:
        yield variant, server
    finally:
        server.stop()
        node.stop()


def test_detects_the_variant_and_serves_what_it_can(variant_server: tuple[str, Server]) -> None:
    variant, server = variant_server
    offered = offered_interfaces(server)
    if variant == "real":
        assert {"Echo", "Mining"} <= offered
    else:
        assert offered == EXPECTED_INTERFACES[variant]
    has_rpc, has_chain = "Rpc" in offered, "Chain" in offered
    port = server.port

    assert rpc(port, "getblockcount") == (200, {"result": 210, "error": None, "id": 1})
    status, best = rpc(port, "getbestblockhash")
    assert status == 200 and re.fullmatch("[0-9a-f]{64}", best["result"])
    assert rpc(port, "echoipc", ["hello"]) == (200, {"result": "hello", "error": None, "id": 1})

    status, reply = rpc(port, "getblockhash", [0])
    if has_chain or has_rpc:
        assert (status, reply["result"]) == (200, GENESIS)
        assert rpc(port, "getblockhash", [210])[1]["result"] == best["result"]
    else:
        assert (status, reply["error"]) == (404, {"code": -32601, "message": "Method not found"})

    status, reply = rpc(port, "uptime")
    assert (status == 200) if has_rpc else (status, reply["error"]["code"]) == (404, -32601)

    status, reply = rpc(port, "initmessage", ["hi"])
    if has_chain:
        assert reply["result"] == "Message sent successfully"
    else:
        assert (status, reply["error"]["code"]) == (404, -32601)

    status, reply = rpc(port, "waitforblockheight", [5, 1000])
    assert status == 200 and reply["result"] == {"hash": best["result"], "height": 210}

    if has_rpc and has_chain:
        # the node's own listing, with our initmessage added to its Control section
        status, reply = rpc(port, "help")
        control = reply["result"].split("== Control ==\n")[1].split("\n\n")[0].splitlines()
        assert 'initmessage "message"' in control and control == sorted(control)
        assert "getblockcount" in reply["result"] and "uptime" in control
        assert rpc(port, "help", ["initmessage"])[1]["result"].startswith('initmessage "message"\n')
        assert rpc(port, "help", ["getblockcount"])[1]["result"].startswith("getblockcount\n")
    if not has_rpc:
        assert rpc(port, "help", ["echoipc"])[1]["result"].startswith('echoipc "arg"\n')
        status, reply = rpc(port, "help")
        listed = {line.split(" ")[0] for line in reply["result"].splitlines() if line and not line.startswith("==")}
        # echoipc is a hidden command: answered, but not listed (as in bitcoind)
        expected = {"getblockcount", "getbestblockhash", "waitfornewblock", "waitforblock",
                    "waitforblockheight", "help"}
        if has_chain:
            expected |= {"getblockhash", "getblock", "initmessage"}
        assert listed == expected
        status, reply = rpc(port, "getblockhash", ["x"])
        if has_chain:
            assert (status, reply["error"]["code"]) == (500, -3)


def test_getblock_verbosity_zero_is_the_real_block(variant_server: tuple[str, Server]) -> None:
    import hashlib

    variant, server = variant_server
    interfaces = expected_interfaces(variant, server)
    if not interfaces & {"Chain", "Rpc"}:
        # neither path exists on this node: bitcoind's answer for a method it does not have
        status, reply = rpc(server.port, "getblock", [GENESIS, 0])
        assert (status, reply["error"]) == (404, {"code": -32601, "message": "Method not found"})
        return
    _, reply = rpc(server.port, "getbestblockhash")
    block_hash = reply["result"]
    _, reply = rpc(server.port, "getblock", [block_hash, 0])
    raw = bytes.fromhex(reply["result"])
    assert hashlib.sha256(hashlib.sha256(raw[:80]).digest()).digest()[::-1].hex() == block_hash
    status, reply = rpc(server.port, "getblock", ["00" * 32, 0])
    assert (status, reply["error"]) == (500, {"code": -5, "message": "Block not found"})
    status, reply = rpc(server.port, "getblock", ["abc", 0])
    assert status == 500 and reply["error"]["code"] == -8


# -- native vs pass-through ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def native_and_passthrough(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Standin | RealNode, Server, Server]]:
    base = tmp_path_factory.mktemp("native-vs-passthrough")
    node = start_backend(base / "node.sock", blocks=210)
    native = Server(base / "native", node.socket_path, NATIVE).start()
    passthrough = Server(base / "pass", node.socket_path, ["-rpcuser=u", "-rpcpassword=p", "-noipcnative"]).start()
    try:
        yield node, native, passthrough
    finally:
        native.stop()
        passthrough.stop()
        node.stop()


CORPUS = [
    f'{{"method":"getblockhash","params":[{p}],"id":1}}'
    for p in ("0", "1", "210", "211", "-1", '"x"', "1.0", "1e0", "2147483647", "2147483648", "-2147483649", "null",
              "true", "[]", "{}")
] + [
    '{"method":"getblockhash","params":[],"id":1}',
    '{"method":"getblockhash","params":[1,2],"id":1}',
    '{"method":"getblockhash","params":{"height":5},"id":"a"}',
    '{"method":"getblockhash","params":{"foo":0},"id":1}',
    '{"method":"getblockhash","params":{"height":1,"height":2},"id":1}',
    '{"jsonrpc":"2.0","method":"getblockhash","params":[300],"id":1}',
    '{"jsonrpc":"2.0","method":"getblockhash","params":["x"],"id":1}',
    '{"jsonrpc":"2.0","method":"getblockhash","params":[3]}',
    '{"method":"getblockcount","id":1}',
    '{"method":"getblockcount","params":[1],"id":1}',
    '{"jsonrpc":"2.0","method":"getblockcount","id":1.50}',
    '{"method":"getbestblockhash","id":null}',
    '{"method":"getbestblockhash","params":["x"],"id":1}',
    '[{"method":"getblockhash","params":[1],"id":1},{"method":"getblockcount","id":2},{"jsonrpc":"2.0","method":"getblockhash","params":[-5],"id":3}]',
]


@pytest.mark.parametrize("body", CORPUS)
def test_native_answers_are_byte_identical_to_the_nodes(
    body: str, native_and_passthrough: tuple[Standin | RealNode, Server, Server]
) -> None:
    _, native, passthrough = native_and_passthrough
    ours = post(native.port, body.encode())
    nodes = post(passthrough.port, body.encode())
    strip = re.compile(rb"Date: [^\r]*\r\n")
    assert strip.sub(b"", ours) == strip.sub(b"", nodes)


# -- hostile parameters, concurrent reorgs -------------------------------------------------------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=70),
    st.sampled_from(["0" * 64, "f" * 64, GENESIS, GENESIS + "00", GENESIS[:-2], "zz" * 32, ""]),
)
json_params = st.one_of(
    st.lists(st.one_of(json_scalars, st.lists(json_scalars, max_size=2)), max_size=4),
    st.dictionaries(st.sampled_from(["height", "blockhash", "timeout", "verbosity", "args", "x"]), json_scalars,
                    max_size=3),
)
methods = st.sampled_from(["getblockhash", "getblock", "getblockcount", "getbestblockhash", "waitforblockheight",
                           "waitforblock", "waitfornewblock", "echoipc", "initmessage"])


def _with_short_waits(method: str, params: object) -> object:
    """Waits get a 1 ms timeout so the property run stays fast (a missing timeout would wait forever)."""
    if method.startswith("waitfor"):
        if isinstance(params, list):
            position = 0 if method == "waitfornewblock" else 1
            params = [*([*params, None, None])[:position], 1]
        elif isinstance(params, dict):
            params = {**params, "timeout": 1}
    return params


@pytest.fixture(scope="module", params=[pytest.param("pr29409", marks=STANDIN_ONLY),
                                        pytest.param("pr29409-2025-02", marks=STANDIN_ONLY),
                                        *(["real"] if real_node_binary() else [])])
def hostile_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Standin | RealNode, Server]]:
    base = tmp_path_factory.mktemp(f"hostile-{request.param}")
    node: Standin | RealNode
    if request.param == "real":
        node = start_backend(base / "node.sock", blocks=20)
    else:
        node = Standin(base / "node.sock", blocks=20, variant=request.param).start()
    server = Server(base / "data", node.socket_path, NATIVE).start()
    stop = threading.Event()

    def reorg_loop() -> None:
        """Blocks and reorgs all the time: the stand-in by signals, a real node by its own RPC port."""
        assert node.proc is not None
        address = regtest_p2wpkh_address(bytes(20))
        while not stop.wait(0.05):
            reorg = time.monotonic() % 1 < 0.5
            if isinstance(node, RealNode):
                if reorg:
                    tip = node.rpc("getbestblockhash")["result"]
                    node.rpc("invalidateblock", [tip])
                node.rpc("generatetoaddress", [2 if reorg else 1, address])
            else:
                os.kill(node.proc.pid, signal.SIGUSR2 if reorg else signal.SIGUSR1)

    churn = threading.Thread(target=reorg_loop, daemon=True)
    churn.start()
    try:
        yield node, server
    finally:
        stop.set()
        churn.join()
        server.stop()
        node.stop()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=methods, params=json_params, version=st.sampled_from([None, "2.0"]))
def test_hostile_params_get_bitcoind_errors_and_the_node_lives(
    hostile_target: tuple[Standin | RealNode, Server], method: str, params: object, version: str | None
) -> None:
    node, server = hostile_target
    params = _with_short_waits(method, params)
    status, reply = rpc(server.port, method, params, version=version)
    assert node.proc is not None and node.proc.poll() is None, node.log_text()[-2000:]
    assert status in (200, 404, 500)
    error = reply.get("error")
    if error is not None:
        assert error["code"] in (-1, -3, -5, -8, -32601), reply
        assert isinstance(error["message"], str) and error["message"]
        assert (status == 200) == (version == "2.0")
    else:
        assert status == 200 and "result" in reply


def test_the_node_survived_the_hostile_run(hostile_target: tuple[Standin | RealNode, Server]) -> None:
    node, server = hostile_target
    assert node.proc is not None and node.proc.poll() is None
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/", body=b'{"method":"getblockhash","params":[0],"id":1}',
                 headers={"Authorization": "Basic dTpw"})
    assert json.loads(conn.getresponse().read())["result"] == GENESIS
    assert Path(node.socket_path).exists()


# -- waits through Mining.waitTipChanged -----------------------------------------------------------------------
def test_waits_wake_on_a_new_block_and_never_starve_short_calls(tmp_path: Path) -> None:
    """Eight waitfornewblock calls (more than the 4 node Threads of the short-call pool) are parked on Threads
    of their own: getblockcount keeps answering at once; a mined block wakes every wait with the new tip."""
    node = start_backend(tmp_path / "node.sock", blocks=10)
    server = Server(tmp_path / "data", node.socket_path, NATIVE).start()
    try:
        replies: list[tuple[int, dict]] = []
        waiters = [
            threading.Thread(target=lambda: replies.append(rpc(server.port, "waitfornewblock", [20000])))
            for _ in range(8)
        ]
        for waiter in waiters:
            waiter.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert rpc(server.port, "getblockcount")[1]["result"] == 10
        assert time.monotonic() - started < 0.5, "a short call waited behind the long waits"
        assert not replies, "nothing mined yet: every wait is still waiting"
        node.mine(1)
        for waiter in waiters:
            waiter.join(10)
        assert len(replies) == 8
        _, tip = rpc(server.port, "getbestblockhash")
        assert all(r == (200, {"result": {"hash": tip["result"], "height": 11}, "error": None, "id": 1})
                   for r in replies)
        # a wait with a timeout and no new block returns the unchanged tip after the timeout
        started = time.monotonic()
        status, reply = rpc(server.port, "waitfornewblock", [300])
        assert 0.25 <= time.monotonic() - started < 2
        assert reply["result"] == {"hash": tip["result"], "height": 11}
        status, reply = rpc(server.port, "waitfornewblock", [-1])
        assert (status, reply["error"]) == (500, {"code": -1, "message": "Negative timeout"})
    finally:
        server.stop()
        node.stop()


@STANDIN_ONLY
def test_submitblock_without_rpc_is_method_not_found(tmp_path: Path) -> None:
    """ipc-protocol §11: submitblock is not exact over Mining.submitBlock, so nodes without Rpc get -32601."""
    node = Standin(tmp_path / "node.sock", blocks=1, variant="v31").start()
    server = Server(tmp_path / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p", "-ipcnative=1"]).start()
    try:
        status, reply = rpc(server.port, "submitblock", ["00"])
        assert (status, reply["error"]) == (404, {"code": -32601, "message": "Method not found"})
    finally:
        server.stop()
        node.stop()


# -- the default on a node with Rpc: everything through Rpc.executeRpc -------------------------------------------
def test_by_default_a_node_with_rpc_runs_every_request_itself(tmp_path: Path) -> None:
    """Without -ipcnative=1, a node offering Rpc gets every request through executeRpc, so it logs and counts
    each one as bitcoind does: `help` is the node's own listing (no initmessage of ours added), and methods the
    node lacks get its -32601 even where a typed call could answer (echoipc on the stand-in)."""
    node = Standin(tmp_path / "node.sock", blocks=10, variant="pr29409").start()
    server = Server(tmp_path / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p"]).start()
    native = Server(tmp_path / "native", node.socket_path, ["-rpcuser=u", "-rpcpassword=p", "-ipcnative=1"]).start()
    try:
        status, listing = rpc(server.port, "help")
        assert status == 200 and "getblockcount" in listing["result"]
        assert "initmessage" not in listing["result"]
        assert "initmessage" in rpc(native.port, "help")[1]["result"]
        assert rpc(server.port, "getblockcount") == (200, {"result": 10, "error": None, "id": 1})
        # the stand-in's Rpc does not know echoipc; a typed Echo call does
        assert rpc(server.port, "echoipc", ["x"])[1]["error"]["code"] == -32601
        assert rpc(native.port, "echoipc", ["x"])[1]["result"] == "x"
        # our own method (the node has none by that name) is still answered
        assert rpc(server.port, "initmessage", ["hi"])[1]["result"] == "Message sent successfully"
    finally:
        native.stop()
        server.stop()
        node.stop()
