"""A real regtest block chain for the stand-in node: genesis, mined blocks, reorgs. Pure: no capnp, no I/O.

Owns block construction (Bitcoin's serialisation, double-SHA256 headers, merkle roots, a BIP34 coinbase
with a segwit commitment, a proof-of-work nonce search against regtest's ``0x207fffff`` target) and the
block index the stand-in answers Chain/Mining calls from: active chain by height, every known block by
hash (blocks of an abandoned branch stay known, outside the active chain, as in bitcoin-node), and per
block time, max time and median time past.

Hashes are kept in Bitcoin Core's internal byte order (the order on the IPC wire); RPC hex is the
reverse. Must not import anything of ours.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

REGTEST_BITS = 0x207FFFFF
GENESIS_TIME = 1296688602
GENESIS_NONCE = 2
GENESIS_HASH_HEX = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
GENESIS_MERKLE_HEX = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
COIN = 100_000_000
HALVING_INTERVAL = 150  # regtest
COINBASE_MATURITY = 100

_GENESIS_HEADLINE = b"The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"
_GENESIS_PUBKEY = bytes.fromhex(
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6"
    "49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
)
# Coinbase outputs of mined blocks pay to a fixed P2WPKH script (key hash of no known key).
_MINER_SCRIPT = bytes.fromhex("0014") + hashlib.sha256(b"bitcoin-rpc-mp standin").digest()[:20]
_WITNESS_COMMITMENT_HEADER = bytes.fromhex("aa21a9ed")


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def push_data(data: bytes) -> bytes:
    """Script push of ``data`` (minimal for the sizes used here)."""
    n = len(data)
    if n < 0x4C:
        return bytes([n]) + data
    if n <= 0xFF:
        return b"\x4c" + bytes([n]) + data
    return b"\x4d" + struct.pack("<H", n) + data


def script_num(n: int) -> bytes:
    """CScriptNum encoding (little-endian, sign bit in the top byte)."""
    if n == 0:
        return b""
    neg = n < 0
    v = abs(n)
    out = bytearray()
    while v:
        out.append(v & 0xFF)
        v >>= 8
    if out[-1] & 0x80:
        out.append(0x80 if neg else 0x00)
    elif neg:
        out[-1] |= 0x80
    return bytes(out)


def push_int(n: int) -> bytes:
    """``CScript() << n`` for an integer: OP_0, OP_1..OP_16, OP_1NEGATE, else a CScriptNum push."""
    if n == 0:
        return b"\x00"
    if n == -1 or 1 <= n <= 16:
        return bytes([n + 0x50])
    return push_data(script_num(n))


def bits_to_target(bits: int) -> int:
    exponent = bits >> 24
    mantissa = bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def merkle_root(hashes: list[bytes]) -> bytes:
    """Bitcoin's merkle root of internal-order hashes (odd levels duplicate their last entry)."""
    if not hashes:
        return b"\x00" * 32
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@dataclass(frozen=True)
class Transaction:
    version: int
    inputs: tuple[tuple[bytes, int, bytes, int], ...]  # (prev txid, prev index, scriptSig, sequence)
    outputs: tuple[tuple[int, bytes], ...]  # (value in satoshis, scriptPubKey)
    lock_time: int = 0
    witnesses: tuple[tuple[bytes, ...], ...] = ()  # one stack per input, or () for none

    def serialize(self, *, with_witness: bool = True) -> bytes:
        has_witness = with_witness and any(self.witnesses)
        out = bytearray(struct.pack("<i", self.version))
        if has_witness:
            out += b"\x00\x01"
        out += compact_size(len(self.inputs))
        for prev_txid, prev_index, script_sig, sequence in self.inputs:
            out += prev_txid + struct.pack("<I", prev_index)
            out += compact_size(len(script_sig)) + script_sig
            out += struct.pack("<I", sequence)
        out += compact_size(len(self.outputs))
        for value, script in self.outputs:
            out += struct.pack("<q", value) + compact_size(len(script)) + script
        if has_witness:
            for stack in self.witnesses:
                out += compact_size(len(stack))
                for item in stack:
                    out += compact_size(len(item)) + item
        out += struct.pack("<I", self.lock_time)
        return bytes(out)

    @property
    def txid(self) -> bytes:
        return sha256d(self.serialize(with_witness=False))


@dataclass(frozen=True)
class Block:
    """One block with the index data the stand-in answers from."""

    version: int
    prev_hash: bytes
    merkle: bytes
    time: int
    bits: int
    nonce: int
    transactions: tuple[Transaction, ...]
    height: int
    max_time: int  # nTimeMax: the highest time of this block and its ancestors
    mtp: int  # median time past of this block (itself and up to 10 ancestors)
    hash: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", sha256d(self.header()))

    def header(self) -> bytes:
        return (
            struct.pack("<i", self.version)
            + self.prev_hash
            + self.merkle
            + struct.pack("<III", self.time, self.bits, self.nonce)
        )

    def serialize(self) -> bytes:
        """The block as bitcoin-node stores and sends it (transactions with witness)."""
        body = b"".join(tx.serialize() for tx in self.transactions)
        return self.header() + compact_size(len(self.transactions)) + body

    @property
    def hash_hex(self) -> str:
        return self.hash[::-1].hex()


def genesis_coinbase() -> Transaction:
    script_sig = push_data(struct.pack("<I", 486604799)) + push_data(b"\x04") + push_data(_GENESIS_HEADLINE)
    script_pubkey = push_data(_GENESIS_PUBKEY) + b"\xac"
    return Transaction(
        version=1,
        inputs=((b"\x00" * 32, 0xFFFFFFFF, script_sig, 0xFFFFFFFF),),
        outputs=((50 * COIN, script_pubkey),),
    )


def block_subsidy(height: int) -> int:
    halvings = height // HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def mined_coinbase(height: int, tag: bytes = b"") -> Transaction:
    """A BIP34 coinbase (``<height> OP_0 [tag]``) paying the subsidy, with a segwit commitment."""
    script_sig = push_int(height) + b"\x00" + (push_data(tag) if tag else b"")
    witness_nonce = b"\x00" * 32
    # The only transaction is the coinbase, whose wtxid counts as zero: the witness root is 32 zero bytes.
    commitment = sha256d(b"\x00" * 32 + witness_nonce)
    commitment_script = b"\x6a" + push_data(_WITNESS_COMMITMENT_HEADER + commitment)
    return Transaction(
        version=2,
        inputs=((b"\x00" * 32, 0xFFFFFFFF, script_sig, 0xFFFFFFFF),),
        outputs=((block_subsidy(height), _MINER_SCRIPT), (0, commitment_script)),
        witnesses=((witness_nonce,),),
    )


def check_proof_of_work(block: Block) -> bool:
    return int.from_bytes(block.hash, "little") <= bits_to_target(block.bits)


# What a chain change tells bitcoin-node's ChainNotifications, in order: ("connected", block),
# ("disconnected", block), ("tip", None) where the node signals updatedBlockTip.
ChainEvent = tuple[str, "Block | None"]


class RegtestChain:
    """Active chain plus every block ever known. Not thread-safe: used from one event loop.

    Chain selection as bitcoin-node's: the active chain ends at the valid block with the most work (regtest:
    the greatest height), ties going to the block received first. Every change records the notifications the
    node would send (`take_events`): each block disconnected, then blocks connected in steps that end at the
    first block with more work than the step's starting tip, with ``tip`` after each step; blocks
    disconnected by `invalidate` itself get no ``tip`` (measured on the pr29409 node).

    ``clock`` gives the wall-clock seconds used as the lower bound of new block times (each block's time
    is at least its parent's time + 1, so times strictly increase). The default is deterministic
    (genesis time + 600 s per height), so two chains built alike have the same hashes.
    """

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._active: list[Block] = []
        self._by_hash: dict[bytes, Block] = {}
        self._branch = 0  # bumped by invalidate(), tags the coinbase of later blocks so hashes differ
        self._invalid: set[bytes] = set()  # blocks invalidated (their descendants are invalid too)
        self._received: dict[bytes, int] = {}  # hash -> order of arrival (bitcoin-node's nSequenceId)
        self._data_pos: dict[bytes, int] = {}  # hash -> offset of the block in a blk00000.dat-like file
        self._file_end = 0
        self._events: list[ChainEvent] = []
        genesis = self._make_genesis()
        self._store(genesis)
        self._active.append(genesis)

    # -- queries -------------------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return len(self._active) - 1

    @property
    def tip(self) -> Block:
        return self._active[-1]

    def at_height(self, height: int) -> Block | None:
        if 0 <= height < len(self._active):
            return self._active[height]
        return None

    def by_hash(self, block_hash: bytes) -> Block | None:
        return self._by_hash.get(block_hash)

    def in_active_chain(self, block: Block) -> bool:
        return self.at_height(block.height) is block

    def next_in_active_chain(self, block: Block) -> Block | None:
        if not self.in_active_chain(block):
            return None
        return self.at_height(block.height + 1)

    def ancestor(self, block: Block, height: int) -> Block | None:
        if height < 0 or height > block.height:
            return None
        cur = block
        while cur.height > height:
            parent = self._by_hash.get(cur.prev_hash)
            assert parent is not None
            cur = parent
        return cur

    def first_with_time_and_height(self, min_time: int, min_height: int) -> Block | None:
        """First active block with max_time >= min_time and height >= min_height (as FindEarliestAtLeast)."""
        for block in self._active[max(min_height, 0) :]:
            if block.max_time >= min_time:
                return block
        return None

    def locator(self, block: Block) -> list[bytes]:
        """Block locator hashes (dense for 10 steps, then doubling), ending at genesis."""
        hashes: list[bytes] = []
        step = 1
        cur: Block | None = block
        while cur is not None:
            hashes.append(cur.hash)
            if cur.height == 0:
                break
            target = max(cur.height - step, 0)
            cur = self.ancestor(cur, target)
            if len(hashes) > 10:
                step *= 2
        return hashes

    def tips(self) -> list[Block]:
        """Every known block that no known block builds on: the active tip and the tips of abandoned
        branches."""
        parents = {block.prev_hash for block in self._by_hash.values()}
        return [block for block in self._by_hash.values() if block.hash not in parents]

    def data_pos(self, block: Block) -> int:
        """Where ``block`` starts in the block file (after its 8-byte magic and size), as BlockInfo.dataPos."""
        return self._data_pos[block.hash]

    def is_valid(self, block: Block) -> bool:
        """Neither ``block`` nor an ancestor of it was invalidated."""
        cur: Block | None = block
        while cur is not None:
            if cur.hash in self._invalid:
                return False
            cur = self._by_hash.get(cur.prev_hash)
        return True

    def take_events(self) -> list[ChainEvent]:
        """The notifications of every change since the last call (see the class docstring)."""
        events, self._events = self._events, []
        return events

    def mature_balance(self) -> int:
        """Sum of subsidies of coinbases at heights 1..tip-100 (a wallet owning every mined coinbase)."""
        return sum(block_subsidy(h) for h in range(1, self.height - COINBASE_MATURITY + 1))

    # -- changes -------------------------------------------------------------------------------------
    def mine(self, n: int = 1) -> list[Block]:
        """Mine ``n`` blocks on the tip, with genuine proof of work; returns them."""
        mined = []
        for _ in range(n):
            block = self._mine_one()
            self._store(block)
            self._connect(block)
            self._events.append(("tip", None))
            mined.append(block)
        return mined

    def invalidate(self, height: int) -> None:
        """As ``invalidateblock`` of the active block at ``height`` (>= 1): the blocks from the tip down to it
        are disconnected, then the best valid chain is activated (the tip is ``height - 1`` unless another
        valid branch has more work).

        The dropped blocks stay known (outside the active chain); blocks mined afterwards form a new
        branch with different hashes.
        """
        if not 1 <= height <= self.height:
            raise ValueError(f"cannot invalidate height {height} (tip {self.height})")
        self._invalid.add(self._active[height].hash)
        while self.height >= height:
            self._disconnect()
        self._branch += 1
        self._activate_best()

    def reconsider(self, block_hash: bytes) -> None:
        """As ``reconsiderblock``: the block, its ancestors and its descendants are valid again; the best valid
        chain is activated."""
        block = self._by_hash.get(block_hash)
        if block is None:
            raise ValueError("Block not found")
        for invalid in list(self._invalid):
            other = self._by_hash[invalid]
            if self.ancestor(block, other.height) is other or self.ancestor(other, block.height) is block:
                self._invalid.discard(invalid)
        self._activate_best()

    # -- internals -----------------------------------------------------------------------------------
    def _store(self, block: Block) -> None:
        self._by_hash[block.hash] = block
        self._received[block.hash] = len(self._received)
        self._data_pos[block.hash] = self._file_end + 8
        self._file_end += 8 + len(block.serialize())

    def _connect(self, block: Block) -> None:
        assert block.height == len(self._active) and block.prev_hash == self.tip.hash
        self._active.append(block)
        self._events.append(("connected", block))

    def _disconnect(self) -> None:
        self._events.append(("disconnected", self._active.pop()))

    def _best(self) -> Block:
        valid: set[bytes] = set()
        for block in sorted(self._by_hash.values(), key=lambda b: b.height):  # parents before children
            if block.hash not in self._invalid and (block.height == 0 or block.prev_hash in valid):
                valid.add(block.hash)
        return max((self._by_hash[h] for h in valid), key=lambda b: (b.height, -self._received[b.hash]))

    def _activate_best(self) -> None:
        """bitcoin-node's ActivateBestChain: steps of disconnect-to-fork then connect, each step ending once
        the tip has more work than at its start."""
        while (best := self._best()) is not self.tip:
            start = self.tip
            fork = self.ancestor(best, min(best.height, start.height))
            while fork is not None and not self.in_active_chain(fork):
                fork = self._by_hash.get(fork.prev_hash)
            assert fork is not None  # genesis is common to every branch
            while self.tip is not fork:
                self._disconnect()
            path: list[Block] = []
            cur: Block | None = best
            while cur is not None and cur is not fork:
                path.append(cur)
                cur = self._by_hash.get(cur.prev_hash)
            for block in reversed(path):
                self._connect(block)
                if block.height > start.height:
                    break
            self._events.append(("tip", None))

    def _make_genesis(self) -> Block:
        coinbase = genesis_coinbase()
        block = Block(
            version=1,
            prev_hash=b"\x00" * 32,
            merkle=merkle_root([coinbase.txid]),
            time=GENESIS_TIME,
            bits=REGTEST_BITS,
            nonce=GENESIS_NONCE,
            transactions=(coinbase,),
            height=0,
            max_time=GENESIS_TIME,
            mtp=GENESIS_TIME,
        )
        assert block.merkle[::-1].hex() == GENESIS_MERKLE_HEX
        assert block.hash_hex == GENESIS_HASH_HEX
        return block

    def _mine_one(self) -> Block:
        parent = self.tip
        height = parent.height + 1
        wall = int(self._clock()) if self._clock is not None else GENESIS_TIME + 600 * height
        block_time = max(wall, parent.mtp + 1, parent.time + 1)
        tag = b"" if self._branch == 0 else b"branch" + str(self._branch).encode()
        coinbase = mined_coinbase(height, tag)
        times = [block_time] + [b.time for b in self._active[max(0, height - 10) :]]
        mtp = sorted(times)[len(times) // 2]
        target = bits_to_target(REGTEST_BITS)
        merkle = merkle_root([coinbase.txid])
        prefix = (
            struct.pack("<i", 0x20000000)
            + parent.hash
            + merkle
            + struct.pack("<II", block_time, REGTEST_BITS)
        )
        nonce = 0
        while int.from_bytes(sha256d(prefix + struct.pack("<I", nonce)), "little") > target:
            nonce += 1
        return Block(
            version=0x20000000,
            prev_hash=parent.hash,
            merkle=merkle,
            time=block_time,
            bits=REGTEST_BITS,
            nonce=nonce,
            transactions=(coinbase,),
            height=height,
            max_time=max(parent.max_time, block_time),
            mtp=mtp,
        )
