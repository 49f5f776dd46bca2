"""The answer cache under reorgs, on a real bitcoin-node: no client reads an answer the node would no longer give.

Clients hammer the cached methods through our server (`-rpccachesize`, coalescing on, two IPC threads so
requests wait and get combined) while this test changes the chain through the node's own RPC port: it mines,
invalidates blocks (the tip goes back), mines a competing branch, reconsiders (the old branch wins again), and
repeats. After every change it reads the whole active chain from the node's own port.

Chain state k is possibly active from the moment change k starts until change k+1 has ended. An answer is
correct if it matches some state that was possibly active while its request was in flight; an answer given
after change k+1 ended must therefore never come from state k or earlier (a stale cache entry).
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import RealNode, Server, real_node_binary

pytestmark = pytest.mark.skipif(
    real_node_binary() is None,
    reason="needs a real bitcoin-node (BITCOIN_NODE): the stand-in cannot mine, invalidateblock or "
    "reconsiderblock through RPC",
)

AUTH = "Basic " + base64.b64encode(b"u:p").decode()


@dataclass
class State:
    start: float  # the change that made this state began
    end_next: float  # the change that replaced it had ended (inf for the last state)
    hashes: list[str]  # active chain, index = height

    @property
    def height(self) -> int:
        return len(self.hashes) - 1


def node_batch(node: RealNode, calls: list[tuple[str, list[object]]]) -> list[dict]:
    conn = http.client.HTTPConnection("127.0.0.1", node.rpcport, timeout=60)
    body = json.dumps([{"method": m, "params": p, "id": i} for i, (m, p) in enumerate(calls)])
    conn.request("POST", "/", body, {"Authorization": AUTH})
    replies = json.loads(conn.getresponse().read())
    conn.close()
    return list(replies)


def active_chain(node: RealNode) -> list[str]:
    height = node.rpc("getblockcount")["result"]
    replies = node_batch(node, [("getblockhash", [h]) for h in range(height + 1)])
    hashes = [r["result"] for r in replies]
    assert node.rpc("getblockcount")["result"] == height, "only this test changes the chain"
    return hashes


def check(answer: tuple[float, float, str, list[object], dict], states: list[State], heights: dict[str, int]) -> bool:
    """Whether `answer` matches a state possibly active while its request was in flight."""
    sent, received, method, params, reply = answer
    for state in states:
        if state.end_next < sent or state.start > received:
            continue
        result, error = reply.get("result"), reply.get("error")
        if method == "getblockcount":
            ok = result == state.height
        elif method == "getbestblockhash":
            ok = result == state.hashes[-1]
        elif method == "getblockhash":
            height = params[0]
            assert isinstance(height, int)
            ok = result == state.hashes[height] if height <= state.height else error is not None and error["code"] == -8
        else:  # getblockheader / getblock of a block known to the test: confirmations follow the active chain
            block_hash = params[0]
            assert isinstance(block_hash, str) and isinstance(result, dict)
            height = heights[block_hash]
            on_chain = height <= state.height and state.hashes[height] == block_hash
            expected = state.height - height + 1 if on_chain else -1
            nxt = state.hashes[height + 1] if on_chain and height < state.height else None
            ok = result["confirmations"] == expected and result.get("nextblockhash") == nxt
        if ok:
            return True
    return False


def test_cached_answers_follow_every_reorg(tmp_path: Path) -> None:
    binary = real_node_binary()
    assert binary is not None
    node = RealNode(binary, tmp_path / "node.sock", blocks=110).start()
    server = Server(
        tmp_path / "data",
        node.socket_path,
        ["-rpcuser=u", "-rpcpassword=p", "-rpccachesize=8", "-ipccoalesce=1", "-ipcthreads=2", "-noipcnative"],
    )
    try:
        server.start()
        states: list[State] = []
        between: list[State] = []  # chains passed through during a change
        heights: dict[str, int] = {}
        lock = threading.Lock()

        def record(start: float) -> None:
            ended = time.monotonic()  # the change that started at `start` has ended
            hashes = active_chain(node)
            with lock:
                if states:
                    states[-1].end_next = ended
                    # While a change runs the node passes through every chain between the old and the new one
                    # (blocks are disconnected down to the fork point, then connected one by one): each of those
                    # was possibly active during the change.
                    old = states[-1].hashes
                    fork = 0
                    while fork < min(len(old), len(hashes)) and old[fork] == hashes[fork]:
                        fork += 1
                    for chain in (old, hashes):
                        for length in range(fork, len(chain)):
                            between.append(State(start, ended, chain[:length]))
                for h, block_hash in enumerate(hashes):
                    heights[block_hash] = h
                states.append(State(start, float("inf"), hashes))

        record(time.monotonic())
        answers: list[tuple[float, float, str, list[object], dict]] = []
        stop = threading.Event()

        def client(seed: int) -> None:
            rng = random.Random(seed)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            mine: list[tuple[float, float, str, list[object], dict]] = []
            while not stop.is_set():
                with lock:
                    tip = states[-1].height
                    known = list(heights)
                kind = rng.randrange(5)
                params: list[object]
                if kind == 0:
                    method, params = "getblockcount", []
                elif kind == 1:
                    method, params = "getbestblockhash", []
                elif kind == 2:
                    method, params = "getblockhash", [rng.randrange(max(0, tip - 8), tip + 3)]
                elif kind == 3:
                    method, params = "getblockheader", [rng.choice(known[-40:])]
                else:
                    method, params = "getblock", [rng.choice(known[-40:]), 1]
                body = json.dumps({"jsonrpc": "1.0", "id": rng.randrange(1000), "method": method, "params": params})
                sent = time.monotonic()
                conn.request("POST", "/", body, {"Authorization": AUTH})
                reply = json.loads(conn.getresponse().read())
                mine.append((sent, time.monotonic(), method, params, reply))
            conn.close()
            with lock:
                answers.extend(mine)

        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(6)]
        for thread in threads:
            thread.start()
        try:
            address = node.rpc("getnewaddress", [], "/wallet/w")["result"]
            for _ in range(4):
                for _ in range(2):  # mine on the active chain
                    start = time.monotonic()
                    node.rpc("generatetoaddress", [1, address])
                    record(start)
                    time.sleep(0.3)
                tip_hashes = states[-1].hashes
                fork_point = tip_hashes[-3]  # the last three blocks go
                start = time.monotonic()
                assert node.rpc("invalidateblock", [fork_point]).get("error") is None
                record(start)
                time.sleep(0.3)
                start = time.monotonic()  # a competing branch of two blocks (less work than the three gone)
                branch_address = node.rpc("getnewaddress", [], "/wallet/w")["result"]
                node.rpc("generatetoaddress", [2, branch_address])
                record(start)
                time.sleep(0.3)
                start = time.monotonic()  # the old branch has more work: it becomes active again
                assert node.rpc("reconsiderblock", [fork_point]).get("error") is None
                record(start)
                assert states[-1].hashes == tip_hashes, "reconsiderblock brought the first branch back"
                time.sleep(0.3)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        log_text = server.log_text()
    finally:
        server.stop()
        node.stop()
    log_text = server.log_text()
    assert len(states) == 1 + 4 * 5
    assert len(answers) > 500, f"only {len(answers)} answers"
    wrong = [a for a in answers if not check(a, states + between, heights)]
    timeline = [(round(st.start, 4), round(st.end_next, 4), st.height, st.hashes[-1][:8]) for st in states]
    assert not wrong, f"{timeline} {len(wrong)} of {len(answers)} answers match no chain state of their time, e.g. {wrong[:3]}"
    stats = [line for line in log_text.splitlines() if "rpc cache:" in line]
    assert stats, log_text[-3000:]
    hits = int(stats[-1].split("rpc cache: ")[1].split(" hits")[0])
    assert hits > 100, stats[-1]
    assert "emptied on a new tip" in stats[-1] and " 0 emptied" not in stats[-1], stats[-1]
    # Chain nodes (pr29409) tell the cache of every block through Chain.handleNotifications; others are watched
    # with Mining.waitTipChanged.
    offers = [line for line in log_text.splitlines() if "node offers:" in line]
    assert offers, log_text[-3000:]
    follows = "Chain notifications" if "Chain" in offers[0].split("node offers:")[1] else "Mining.waitTipChanged"
    assert f"rpc cache: following the node's tip through {follows}" in log_text, log_text[-3000:]
