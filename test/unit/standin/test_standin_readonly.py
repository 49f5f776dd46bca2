"""The demo's read-only calls (getblockchaininfo, getblock verbosity 1, getblockheader, getchaintips,
getdifficulty, getnetworkinfo) against a real node's own HTTP port.

`test/data/node_replies/` and `node_help/` hold what the pr29409 build of bitcoin-node answered on its HTTP port
(regtest, 210 blocks mined to `raw(51)`, -listen=0). The genesis block is the same in both chains, so its replies
must match byte for byte; for the rest, member names, order and JSON types must match and the values are checked
against the stand-in's own chain.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bitcoin_rpc_mp.standin.chain import GENESIS_HASH_HEX, RegtestChain
from bitcoin_rpc_mp.standin.rpc import RpcExecutor

DATA = Path(__file__).resolve().parents[2] / "data"
GENESIS = GENESIS_HASH_HEX


class Node:
    def __init__(self, blocks: int) -> None:
        self.chain = RegtestChain()
        self.chain.mine(blocks)
        self.start_time = 0.0
        self.warmup_status: str | None = None  # loaded

    def request_stop(self) -> None:
        pass


@pytest.fixture(scope="module")
def node() -> Node:
    return Node(210)


def call(node: Node, method: str, *params: object) -> str:
    """The reply text, as the node's executeRpc gives it."""
    request = json.dumps({"method": method, "params": list(params), "id": 1})
    return RpcExecutor(node).execute(request, "/", "")


def real(name: str) -> str:
    return (DATA / "node_replies" / f"{name}.json").read_text().rstrip("\n")


def shape(value: object) -> object:
    """Member names in order and JSON types, without the values."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def test_getblock_genesis_verbosity_1_is_the_nodes_byte_for_byte(node: Node) -> None:
    ours = json.loads(call(node, "getblock", GENESIS))
    theirs = json.loads(real("getblock_genesis_1"))
    # block 1 differs between the two chains (the coinbases pay to different scripts), nothing else may
    assert ours["result"].pop("nextblockhash") == node.chain.at_height(1).hash_hex  # type: ignore[union-attr]
    theirs["result"].pop("nextblockhash")
    assert ours == theirs
    assert call(node, "getblock", GENESIS, 1).startswith('{"result":{"hash":"' + GENESIS + '","confirmations":211,')


def test_getblockheader_genesis_is_the_nodes(node: Node) -> None:
    ours = json.loads(call(node, "getblockheader", GENESIS))
    theirs = json.loads(real("getblockheader_genesis"))
    ours["result"].pop("nextblockhash")
    theirs["result"].pop("nextblockhash")
    assert ours == theirs


def test_getblock_verbosity_1_of_a_mined_block(node: Node) -> None:
    block = node.chain.at_height(5)
    assert block is not None
    text = call(node, "getblock", block.hash_hex)
    assert shape(json.loads(text)) == shape(json.loads(real("getblock_5_1")))
    result = json.loads(text)["result"]
    size = len(block.serialize())
    assert (result["height"], result["confirmations"], result["size"]) == (5, 206, size)
    assert result["weight"] == 3 * result["strippedsize"] + size and result["strippedsize"] < size
    assert result["tx"] == [block.merkle[::-1].hex()]  # one transaction: its txid is the merkle root
    assert result["coinbase_tx"]["coinbase"] == "5500" and result["coinbase_tx"]["witness"] == "00" * 32
    assert result["previousblockhash"] == node.chain.at_height(4).hash_hex  # type: ignore[union-attr]
    assert '"difficulty":4.656542373906925e-10,' in text


def test_getblockchaininfo(node: Node) -> None:
    text = call(node, "getblockchaininfo")
    theirs = json.loads(real("getblockchaininfo"))
    assert shape(json.loads(text)) == shape(theirs) or shape(json.loads(text))[0][1][:-1] == shape(theirs)[0][1][:-1]
    ours = json.loads(text)["result"]
    tip = node.chain.tip
    assert (ours["chain"], ours["blocks"], ours["headers"], ours["bestblockhash"]) == ("regtest", 210, 210, tip.hash_hex)
    same = ("bits", "target", "difficulty", "verificationprogress", "chainwork", "pruned")
    assert {k: ours[k] for k in same} == {k: theirs["result"][k] for k in same}  # both chains are 210 blocks
    assert (ours["time"], ours["mediantime"]) == (tip.time, tip.mtp)
    assert ours["initialblockdownload"] is True, "the stand-in's blocks are from 2011: a node would be in IBD"
    assert ours["warnings"] == []
    # blk files: 8 bytes before each block; rev files: 41 bytes for each block but genesis (what the node reported
    # for its own chain follows the same rule)
    blocks = [node.chain.at_height(h) for h in range(211)]
    assert ours["size_on_disk"] == sum(8 + len(b.serialize()) for b in blocks if b) + 41 * 210


def test_getblockchaininfo_of_a_recent_chain_is_out_of_ibd() -> None:
    import time as clock

    recent = Node(0)
    recent.chain = RegtestChain(clock=clock.time)
    recent.chain.mine(3)
    assert json.loads(call(recent, "getblockchaininfo"))["result"]["initialblockdownload"] is False


def test_getnetworkinfo_is_the_nodes_but_for_its_pre_release_warning(node: Node) -> None:
    theirs = json.loads(real("getnetworkinfo"))
    theirs["result"]["warnings"] = []
    assert json.loads(call(node, "getnetworkinfo")) == theirs
    assert '"relayfee":0.00000100,' in call(node, "getnetworkinfo")


def test_getchaintips_and_getdifficulty(node: Node) -> None:
    theirs = json.loads(real("getchaintips"))
    ours = json.loads(call(node, "getchaintips"))
    assert shape(ours) == shape(theirs)
    assert ours["result"] == [{"height": 210, "hash": node.chain.tip.hash_hex, "branchlen": 0, "status": "active"}]
    assert call(node, "getdifficulty") == '{"result":4.656542373906925e-10,"error":null,"id":1}'


def test_getchaintips_lists_an_invalidated_branch() -> None:
    forked = Node(10)
    old_tip = forked.chain.tip
    forked.chain.invalidate(8)
    forked.chain.mine(1)
    tips = json.loads(call(forked, "getchaintips"))["result"]
    assert tips == [
        {"height": 10, "hash": old_tip.hash_hex, "branchlen": 3, "status": "invalid"},
        {"height": 8, "hash": forked.chain.tip.hash_hex, "branchlen": 0, "status": "active"},
    ]


@pytest.mark.parametrize(
    "method", ["getblock", "getblockchaininfo", "getnetworkinfo", "getchaintips", "getdifficulty", "getblockheader"]
)
def test_help_is_the_nodes_byte_for_byte(node: Node, method: str) -> None:
    expected = (DATA / "node_help" / f"{method}.txt").read_text()
    assert json.loads(call(node, "help", method))["result"] == expected
