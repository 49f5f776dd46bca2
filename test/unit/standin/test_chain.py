"""RegtestChain: the real regtest genesis, genuinely mined blocks, reorgs, per-block times."""

from __future__ import annotations

import hashlib
import struct

import pytest

from bitcoin_rpc_mp.standin.chain import (
    GENESIS_HASH_HEX,
    GENESIS_MERKLE_HEX,
    REGTEST_BITS,
    RegtestChain,
    bits_to_target,
    merkle_root,
)


def dsha(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def test_genesis_is_bitcoins_regtest_genesis() -> None:
    chain = RegtestChain()
    genesis = chain.at_height(0)
    assert genesis is not None
    assert (
        genesis.hash_hex
        == GENESIS_HASH_HEX
        == "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    )
    assert genesis.merkle[::-1].hex() == GENESIS_MERKLE_HEX
    header = genesis.header()
    assert len(header) == 80
    assert dsha(header)[::-1].hex() == GENESIS_HASH_HEX
    assert struct.unpack("<I", header[68:72])[0] == 1296688602
    assert struct.unpack("<I", header[72:76])[0] == 0x207FFFFF
    assert struct.unpack("<I", header[76:80])[0] == 2
    # the coinbase carries the Times headline
    assert b"The Times 03/Jan/2009 Chancellor on brink of second bailout for banks" in genesis.serialize()
    assert len(genesis.serialize()) == 285


def test_mined_blocks_have_valid_proof_of_work_and_links() -> None:
    chain = RegtestChain()
    blocks = chain.mine(20)
    assert chain.height == 20
    target = bits_to_target(REGTEST_BITS)
    prev = chain.at_height(0)
    assert prev is not None
    for h, block in enumerate(blocks, start=1):
        header = block.header()
        assert dsha(header) == block.hash
        assert int.from_bytes(block.hash, "little") <= target
        assert header[4:36] == prev.hash
        assert block.height == h and chain.at_height(h) is block
        assert block.time > prev.time
        assert block.merkle == merkle_root([block.transactions[0].txid])
        prev = block


def test_coinbase_commits_to_height_bip34() -> None:
    chain = RegtestChain()
    chain.mine(20)
    for h in (1, 16, 17, 20):
        block = chain.at_height(h)
        assert block is not None
        script_sig = block.transactions[0].inputs[0][2]
        if h <= 16:
            assert script_sig[0] == 0x50 + h
        else:
            assert script_sig[:2] == bytes([1, h])


def test_serialised_block_parses_back_to_header_and_one_witness_coinbase() -> None:
    chain = RegtestChain()
    block = chain.mine(1)[0]
    raw = block.serialize()
    assert raw[:80] == block.header()
    assert raw[80] == 1  # one transaction
    assert raw[81 + 4 : 81 + 6] == b"\x00\x01"  # segwit marker and flag (witness nonce present)


def test_median_time_past_and_max_time() -> None:
    times = iter([1_700_000_000 + 10 * i for i in range(1, 40)])
    chain = RegtestChain(clock=lambda: next(times))
    chain.mine(15)
    tip = chain.tip
    last11 = sorted(b.time for b in [chain.at_height(h) for h in range(5, 16)] if b is not None)
    assert tip.mtp == last11[5]
    assert tip.max_time == tip.time


def test_hashes_are_deterministic_by_default() -> None:
    a, b = RegtestChain(), RegtestChain()
    a.mine(5)
    b.mine(5)
    assert a.tip.hash == b.tip.hash


def test_reorg_builds_a_different_branch_and_keeps_stale_blocks() -> None:
    chain = RegtestChain()
    old = chain.mine(10)
    chain.invalidate(6)
    assert chain.height == 5
    new = chain.mine(7)
    assert chain.height == 12
    assert chain.at_height(5) is old[4]
    assert new[0].prev_hash == old[4].hash
    assert {b.hash for b in new}.isdisjoint({b.hash for b in old})
    stale = chain.by_hash(old[8].hash)
    assert stale is not None and not chain.in_active_chain(stale)
    assert chain.ancestor(stale, 5) is old[4]
    with pytest.raises(ValueError):
        chain.invalidate(0)


def test_first_block_with_time_and_height_and_balance() -> None:
    chain = RegtestChain()
    chain.mine(210)
    assert chain.first_with_time_and_height(0, -5) is chain.at_height(0)
    assert chain.first_with_time_and_height(0, 7) is chain.at_height(7)
    assert chain.first_with_time_and_height(0, 211) is None
    later = chain.at_height(100)
    assert later is not None
    assert chain.first_with_time_and_height(later.time, 0) is later
    assert chain.mature_balance() == 5500 * 100_000_000


def test_reconsider_of_an_unknown_block_is_refused_and_changes_nothing() -> None:
    chain = RegtestChain()
    chain.mine(3)
    chain.take_events()
    tip = chain.tip
    with pytest.raises(ValueError, match="Block not found"):
        chain.reconsider(b"\x01" * 32)
    assert chain.tip is tip and chain.take_events() == []
