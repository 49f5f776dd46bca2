"""The answer cache on the stand-in: it follows the tip by the mechanism the node's variant offers.

A Chain variant (pr29409) tells the cache of every block through `Chain.handleNotifications`; a variant without
Chain (v32) is watched with `Mining.waitTipChanged`. Either way a cached `getblockcount` is stored, served again,
and emptied as soon as a block is mined. The real node's reorgs are `test_cache_reorg.py`'s.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from harness import Server, Standin, post, split_response

pytestmark = pytest.mark.standin


def count(port: int) -> int:
    _, body = split_response(post(port, b'{"method":"getblockcount","id":1}'))
    reply = json.loads(body)
    assert reply["error"] is None, reply
    return int(reply["result"])


def cache_line(server: Server) -> str:
    lines = [line for line in server.log_text().splitlines() if "rpc cache: " in line and " hits" in line]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(
    ("variant", "mechanism"),
    [("pr29409", "Chain notifications"), ("v32", "Mining.waitTipChanged (no Chain interface)")],
)
def test_a_mined_block_empties_the_cache_by_the_variants_mechanism(
    tmp_path: Path, variant: str, mechanism: str
) -> None:
    node = Standin(tmp_path / "node.sock", blocks=5, variant=variant).start()
    server = Server(tmp_path / "rpc", node.socket_path, ["-rpcuser=u", "-rpcpassword=p", "-rpccachesize=4"]).start()
    try:
        deadline = time.monotonic() + 10
        while f"following the node's tip through {mechanism}" not in server.log_text():
            assert time.monotonic() < deadline, server.log_text()[-2000:]
            time.sleep(0.02)
        assert [count(server.port) for _ in range(4)] == [5, 5, 5, 5]
        node.mine(1)
        deadline = time.monotonic() + 10
        while count(server.port) != 6:  # the hit check reads the tip: never 5 once the node has mined
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        server.stop()
        node.stop()
    line = cache_line(server)
    match = re.search(r"(\d+) hits, \d+ misses, (\d+) stored, \d+ evicted, (\d+) emptied", line)
    assert match is not None, server.log_text()[-2000:]
    hits, stored, emptied = map(int, match.groups())
    assert stored >= 1 and hits >= 2 and emptied >= 1, line
