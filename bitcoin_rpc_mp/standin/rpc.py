"""What the stand-in node answers to ``Rpc.executeRpc(request, uri, user)``: bitcoind's ExecuteHTTPRPC.

Owns a small UniValue-style JSON reader (numbers keep their text, duplicate keys kept with the first one
winning on lookup, depth limit 512) and writer (compact, UniValue's string escaping), the request parsing of
``JSONRPCRequest::parse`` (including the batch quirk of reusing the previous element's id and version),
reply envelopes (legacy vs 2.0, notifications answered ``null``), named-argument transformation, argument
count/type checks with bitcoind's messages, and the handful of methods in ``replies.METHODS``.

Deviation, as allowed for a test double: where bitcoin-node would execute whatever *prefix* of an invalid
text UniValue managed to read, this answers ``Top-level object parse error`` unless the text starts with a
complete JSON value (anything after a complete value is ignored, as the node does).

Imports only ``standin.chain`` and ``standin.replies``.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from bitcoin_rpc_mp.standin import replies
from bitcoin_rpc_mp.standin.chain import Block, RegtestChain, compact_size


@dataclass(frozen=True)
class Num:
    """A JSON number as its source text (UniValue keeps and writes the text)."""

    text: str


class Obj:
    """A JSON object: ordered (key, value) pairs, duplicates kept; ``get`` returns the first match."""

    def __init__(self, pairs: list[tuple[str, Json]] | None = None) -> None:
        self.pairs: list[tuple[str, Json]] = list(pairs or [])

    def __iter__(self) -> Iterator[tuple[str, Json]]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def append(self, pair: tuple[str, Json]) -> None:
        self.pairs.append(pair)

    def get(self, key: str) -> Json:
        for k, v in self.pairs:
            if k == key:
                return v
        return None

    def has(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)


Json: TypeAlias = "bool | Num | str | list[Json] | Obj | None"

MAX_DEPTH = 512
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_WS = " \t\n\r"


class JsonSyntaxError(ValueError):
    pass


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WS:
            self.pos += 1

    def value(self, depth: int) -> Json:
        self.skip_ws()
        if self.pos >= len(self.text):
            raise JsonSyntaxError("end of text")
        c = self.text[self.pos]
        if c in "{[":
            if depth >= MAX_DEPTH:
                raise JsonSyntaxError("too deep")
            return self.obj(depth + 1) if c == "{" else self.arr(depth + 1)
        if c == '"':
            return self.string()
        for word, val in (("null", None), ("true", True), ("false", False)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        m = _NUMBER.match(self.text, self.pos)
        if m is None:
            raise JsonSyntaxError("bad value")
        self.pos = m.end()
        return Num(m.group())

    def obj(self, depth: int) -> Obj:
        self.pos += 1
        out = Obj()
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return out
        while True:
            self.skip_ws()
            if not self.text.startswith('"', self.pos):
                raise JsonSyntaxError("key expected")
            key = self.string()
            self.skip_ws()
            if not self.text.startswith(":", self.pos):
                raise JsonSyntaxError("colon expected")
            self.pos += 1
            out.append((key, self.value(depth)))
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return out
            raise JsonSyntaxError("bad object")

    def arr(self, depth: int) -> list[Json]:
        self.pos += 1
        out: list[Json] = []
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return out
        while True:
            out.append(self.value(depth))
            self.skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return out
            raise JsonSyntaxError("bad array")

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise JsonSyntaxError("unterminated string")
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if ord(c) < 0x20:
                raise JsonSyntaxError("control character")
            if "\ud800" <= c <= "\udfff":
                raise JsonSyntaxError("invalid UTF-8")
            if c != "\\":
                out.append(c)
                self.pos += 1
                continue
            esc = text[self.pos + 1 : self.pos + 2]
            simple = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
            if esc in simple:
                out.append(simple[esc])
                self.pos += 2
                continue
            if esc != "u":
                raise JsonSyntaxError("bad escape")
            unit = self._hex4(self.pos + 2)
            self.pos += 6
            if 0xD800 <= unit <= 0xDBFF:
                if text[self.pos : self.pos + 2] != "\\u":
                    raise JsonSyntaxError("lone surrogate")
                low = self._hex4(self.pos + 2)
                if not 0xDC00 <= low <= 0xDFFF:
                    raise JsonSyntaxError("bad surrogate pair")
                self.pos += 6
                out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
            elif 0xDC00 <= unit <= 0xDFFF:
                raise JsonSyntaxError("lone surrogate")
            else:
                out.append(chr(unit))

    def _hex4(self, at: int) -> int:
        digits = self.text[at : at + 4]
        if len(digits) != 4 or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise JsonSyntaxError("bad \\u escape")
        return int(digits, 16)


def read_json(text: str) -> Json:
    """The first complete JSON value of ``text``; what follows it is ignored (as bitcoin-node's executeRpc)."""
    return _Reader(text).value(0)


_ESCAPES = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"}


def write_string(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if o in _ESCAPES:
            out.append(_ESCAPES[o])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def write_json(v: Json, indent: int = 0, level: int = 0) -> str:
    """UniValue's write(): compact for indent 0, else pretty with ``indent`` spaces per level."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Num):
        return v.text
    if isinstance(v, str):
        return write_string(v)
    if isinstance(v, Obj):
        items = [write_string(k) + (": " if indent else ":") + write_json(x, indent, level + 1) for k, x in v]
        opener, closer = "{", "}"
    else:
        items = [write_json(x, indent, level + 1) for x in v]
        opener, closer = "[", "]"
    if not indent:
        return opener + ",".join(items) + closer
    if not items and opener == "[":
        return "[]"
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    return opener + "\n" + ",\n".join(inner + i for i in items) + "\n" + pad + closer


class JsonRpcError(Exception):
    """A JSONRPCError(code, message); plain runtime errors map to -1 and type errors to -3 as in bitcoind."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def value(self) -> Obj:
        return Obj([("code", Num(str(self.code))), ("message", self.message)])


def _type_name(v: Json) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, Num):
        return "number"
    if isinstance(v, str):
        return "string"
    return "object" if isinstance(v, Obj) else "array"


def get_int(v: Json) -> int:
    """UniValue getInt<int>: the number's text must be a plain decimal integer within int32."""
    if not isinstance(v, Num):
        raise JsonRpcError(-3, f"JSON value of type {_type_name(v)} is not of expected type number")
    if not re.fullmatch(r"-?[0-9]+", v.text) or not -(2**31) <= int(v.text) < 2**31:
        raise JsonRpcError(-1, "JSON integer out of range")
    return int(v.text)


def amount(satoshis: int) -> Num:
    sign = "-" if satoshis < 0 else ""
    q, r = divmod(abs(satoshis), 100_000_000)
    return Num(f"{sign}{q}.{r:08d}")


class NodeHooks(Protocol):
    """What executeRpc needs from the stand-in node besides the chain."""

    chain: RegtestChain
    start_time: float
    # bitcoind's RPC warm-up status while the node is still loading ("Loading block index…"), else None
    warmup_status: str | None

    def request_stop(self) -> None: ...


@dataclass
class RequestState:
    """The mutable request state of ExecuteHTTPRPC (reused across batch elements)."""

    id: Json | None = None
    has_id: bool = True  # the default id is null and present
    v2: bool = False
    method: str = ""
    params: Json = None

    def parse(self, value: Json) -> None:
        if not isinstance(value, Obj):
            raise JsonRpcError(-32600, "Invalid Request object")
        self.has_id = value.has("id")
        self.id = value.get("id")
        self.v2 = False
        version = value.get("jsonrpc")
        if version is not None:
            if not isinstance(version, str):
                raise JsonRpcError(-32600, "jsonrpc field must be a string")
            if version == "2.0":
                self.v2 = True
            elif version != "1.0":
                raise JsonRpcError(-32600, "JSON-RPC version not supported")
        method = value.get("method")
        if method is None:
            raise JsonRpcError(-32600, "Missing method")
        if not isinstance(method, str):
            raise JsonRpcError(-32600, "Method must be a string")
        self.method = method
        params = value.get("params")
        if isinstance(params, (list, Obj)):
            self.params = params
        elif params is None:
            self.params = []
        else:
            raise JsonRpcError(-32600, "Params must be an array or object")

    @property
    def notification(self) -> bool:
        return self.v2 and not self.has_id

    def reply(self, result: Json, error: JsonRpcError | None) -> Obj:
        out = Obj()
        if self.v2:
            out.append(("jsonrpc", "2.0"))
        if error is None:
            out.append(("result", result))
            if not self.v2:
                out.append(("error", None))
        else:
            if not self.v2:
                out.append(("result", None))
            out.append(("error", error.value()))
        if self.has_id:
            out.append(("id", self.id))
        return out


def _transform_named(params: Obj, arg_names: tuple[str, ...]) -> list[Json]:
    """bitcoind's transformNamedArguments (no named-only options among the stand-in's methods)."""
    args_in: dict[str, Json] = {}
    for key, value in params:
        if key in args_in:
            raise JsonRpcError(-8, f"Parameter {key} specified multiple times")
        args_in[key] = value
    out: list[Json] = []
    hole = 0
    initial_hole = 0
    initial_param: str | None = None
    for name in arg_names:
        if name in args_in:
            out.extend([None] * hole)
            hole = 0
            if initial_param is None:
                initial_param = name
            out.append(args_in.pop(name))
        else:
            hole += 1
            if not out:
                initial_hole = hole
    positional = args_in.pop("args", None) if "args" in args_in else None
    if isinstance(positional, list):
        if initial_hole < len(positional) and initial_param is not None:
            raise JsonRpcError(
                -8, f"Parameter {initial_param} specified twice both as positional and named argument"
            )
        named = out
        out = list(positional)
        out.extend(named[len(out) :])
    if args_in:
        # bitcoind reports the first leftover in its hash map's order; with one leftover that is exact.
        raise JsonRpcError(-8, f"Unknown named parameter {next(iter(args_in))}")
    return out


Handler = Callable[["RpcExecutor", list[Json], str], Json]


class RpcExecutor:
    def __init__(self, node: NodeHooks) -> None:
        self.node = node
        # The reader and writer recurse per nesting level (2 frames each): 512 levels need headroom.
        if sys.getrecursionlimit() < 5000:
            sys.setrecursionlimit(5000)

    # -- entry point ----------------------------------------------------------------------------------
    def execute(self, request: str, uri: str, user: str = "") -> str:
        try:
            value = read_json(request)
        except JsonSyntaxError:
            value = None
        req = RequestState()
        if isinstance(value, Obj):
            try:
                req.parse(value)
                if not req.v2:
                    reply = req.reply(self._run(req, uri), None)
                else:
                    reply = self._run_caught(req, uri)
                    if req.notification:
                        return "null"
            except JsonRpcError as e:
                reply = req.reply(None, e)
            return write_json(reply)
        if isinstance(value, list):
            replies_: list[Json] = []
            for element in value:
                try:
                    req.parse(element)
                    response = self._run_caught(req, uri)
                except JsonRpcError as e:
                    response = req.reply(None, e)
                if not req.notification:
                    replies_.append(response)
            if not replies_ and value:
                return "null"
            return write_json(replies_)
        return write_json(req.reply(None, JsonRpcError(-32700, "Top-level object parse error")))

    def _run_caught(self, req: RequestState, uri: str) -> Obj:
        try:
            return req.reply(self._run(req, uri), None)
        except JsonRpcError as e:
            return req.reply(None, e)

    def _run(self, req: RequestState, uri: str) -> Json:
        status = self.node.warmup_status
        if status is not None:  # CRPCTable::execute answers -28 before it even looks the method up
            raise JsonRpcError(-28, status)
        method = replies.METHODS.get(req.method)
        handler = _HANDLERS.get(req.method)
        if method is None or handler is None:
            raise JsonRpcError(*replies.METHOD_NOT_FOUND)
        params = req.params
        args = _transform_named(params, method.arg_names) if isinstance(params, Obj) else list(params or [])  # type: ignore[arg-type]
        if not method.required_args <= len(args) <= len(method.args):
            raise JsonRpcError(-1, method.help())
        mismatch = Obj()
        for i, (arg, value) in enumerate(zip(method.args, args, strict=False)):
            if method.name in ("echo", "echojson", "getblockstats") or (arg.optional and value is None):
                continue
            if method.name == "getblock" and arg.name == "verbosity":  # number or bool, as bitcoind
                continue
            expected = {"STR": "string", "STR_HEX": "string", "NUM": "number", "BOOL": "bool"}[arg.type]
            if _type_name(value) != expected:
                mismatch.append(
                    (
                        f"Position {i + 1} ({arg.name})",
                        f"JSON value of type {_type_name(value)} is not of expected type {expected}",
                    )
                )
        if mismatch:
            raise JsonRpcError(-3, "Wrong type passed:\n" + write_json(mismatch, indent=4))
        return handler(self, args, uri)

    # -- methods --------------------------------------------------------------------------------------
    def getblockcount(self, args: list[Json], uri: str) -> Json:
        return Num(str(self.node.chain.height))

    def getbestblockhash(self, args: list[Json], uri: str) -> Json:
        return self.node.chain.tip.hash_hex

    def getblockhash(self, args: list[Json], uri: str) -> Json:
        block = self.node.chain.at_height(get_int(args[0]))
        if block is None:
            raise JsonRpcError(*replies.HEIGHT_OUT_OF_RANGE)
        return block.hash_hex

    def getblock(self, args: list[Json], uri: str) -> Json:
        block_hash = _parse_hash(args[0], "blockhash")
        raw_verbosity = args[1] if len(args) > 1 else None
        if raw_verbosity is None:
            verbosity = 1
        elif isinstance(raw_verbosity, bool):
            verbosity = int(raw_verbosity)
        elif isinstance(raw_verbosity, Num):
            verbosity = get_int(raw_verbosity)
        else:
            raise JsonRpcError(-3, f"JSON value of type {_type_name(raw_verbosity)} is not of expected type number")
        block = self.node.chain.by_hash(block_hash)
        if block is None:
            raise JsonRpcError(*replies.BLOCK_NOT_FOUND)
        if verbosity <= 0:
            return block.serialize().hex()
        if verbosity == 1:
            return block_json(self.node.chain, block)
        raise JsonRpcError(-1, "getblock verbosity >= 2 is not implemented by the stand-in (a test double)")

    def getblockheader(self, args: list[Json], uri: str) -> Json:
        block_hash = _parse_hash(args[0], "hash")
        verbose = True if len(args) < 2 or args[1] is None else args[1]
        block = self.node.chain.by_hash(block_hash)
        if block is None:
            raise JsonRpcError(*replies.BLOCK_NOT_FOUND)
        if verbose is not True:
            return block.header().hex()
        return header_json(self.node.chain, block)

    def echo(self, args: list[Json], uri: str) -> Json:
        return args

    def help(self, args: list[Json], uri: str) -> Json:
        command = args[0] if args and args[0] is not None else ""
        if not isinstance(command, str):
            raise JsonRpcError(-3, f"JSON value of type {_type_name(command)} is not of expected type string")
        return replies.help_overview() if command == "" else replies.help_for(command)

    def uptime(self, args: list[Json], uri: str) -> Json:
        return Num(str(int(time.time()) - int(self.node.start_time)))

    def stop(self, args: list[Json], uri: str) -> Json:
        self.node.request_stop()
        return replies.STOPPING

    def getblockstats(self, args: list[Json], uri: str) -> Json:
        """The few statistics a chain of coinbase-only blocks has, in bitcoind's (alphabetical) key order."""
        target = args[0]
        chain = self.node.chain
        if isinstance(target, str):
            block = chain.by_hash(_parse_hash(target, "hash_or_height"))
            if block is None or not chain.in_active_chain(block):
                raise JsonRpcError(-5, "Block not found")
        elif isinstance(target, Num):
            height = get_int(target)
            if height < 0:
                raise JsonRpcError(-8, f"Target block height {height} is negative")
            if height > chain.height:
                raise JsonRpcError(-8, f"Target block height {height} after current tip {chain.height}")
            found = chain.at_height(height)
            assert found is not None
            block = found
        else:
            raise JsonRpcError(-3, f"JSON value of type {_type_name(target)} is not of expected type number")
        halvings = block.height // REGTEST_HALVING_INTERVAL
        subsidy = 0 if halvings >= 64 else (50 * 100_000_000) >> halvings
        stats: dict[str, Json] = {
            "avgfee": Num("0"),
            "blockhash": block.hash_hex,
            "height": Num(str(block.height)),
            "subsidy": Num(str(subsidy)),
            "time": Num(str(block.time)),
            "totalfee": Num("0"),
            "txs": Num("1"),
        }
        wanted = args[1] if len(args) > 1 and args[1] is not None else None
        if wanted is None:
            return Obj(sorted(stats.items()))
        if not isinstance(wanted, list):
            raise JsonRpcError(-3, f"JSON value of type {_type_name(wanted)} is not of expected type array")
        selected: set[str] = set()
        for stat in wanted:
            if not isinstance(stat, str):
                raise JsonRpcError(-3, f"JSON value of type {_type_name(stat)} is not of expected type string")
            if stat not in stats:
                raise JsonRpcError(-8, f"Invalid selected statistic '{stat}'")
            selected.add(stat)
        return Obj([(name, stats[name]) for name in sorted(selected)])

    def listwallets(self, args: list[Json], uri: str) -> Json:
        return ["w"]

    def getbalance(self, args: list[Json], uri: str) -> Json:
        _wallet_for(uri)
        return amount(self.node.chain.mature_balance())


    # -- the demo's read-only calls (block_json and the like below) ----------------------------------
    def getblockchaininfo(self, args: list[Json], uri: str) -> Json:
        return blockchain_info(self.node.chain, time.time())

    def getchaintips(self, args: list[Json], uri: str) -> Json:
        return chain_tips(self.node.chain)

    def getdifficulty(self, args: list[Json], uri: str) -> Json:
        return Num(_difficulty(self.node.chain.tip.bits))

    def getnetworkinfo(self, args: list[Json], uri: str) -> Json:
        return network_info()


REGTEST_HALVING_INTERVAL = 150
MAX_TIP_AGE_S = 24 * 60 * 60  # bitcoind's DEFAULT_MAX_TIP_AGE: an older tip means initial block download
UNDO_RECORD_SIZE = 8 + 1 + 32  # rev*.dat per coinbase-only block: magic and size, no undo entries, checksum


def _target(bits: int) -> str:
    return f"{(bits & 0x7FFFFF) << (8 * ((bits >> 24) - 3)):064x}"


def _chainwork(block: Block) -> str:
    return f"{2 * (block.height + 1):064x}"  # regtest: each block's proof is 2


def header_json(chain: RegtestChain, block: Block) -> Obj:
    """getblockheader's verbose object (bitcoind's blockheaderToJSON), members in its order."""
    nxt = chain.next_in_active_chain(block)
    confirmations = chain.height - block.height + 1 if chain.in_active_chain(block) else -1
    out = Obj(
        [
            ("hash", block.hash_hex),
            ("confirmations", Num(str(confirmations))),
            ("height", Num(str(block.height))),
            ("version", Num(str(block.version))),
            ("versionHex", f"{block.version:08x}"),
            ("merkleroot", block.merkle[::-1].hex()),
            ("time", Num(str(block.time))),
            ("mediantime", Num(str(block.mtp))),
            ("nonce", Num(str(block.nonce))),
            ("bits", f"{block.bits:08x}"),
            ("target", _target(block.bits)),
            ("difficulty", Num(_difficulty(block.bits))),
            ("chainwork", _chainwork(block)),
            ("nTx", Num(str(len(block.transactions)))),
        ]
    )
    if block.height > 0:
        out.append(("previousblockhash", block.prev_hash[::-1].hex()))
    if nxt is not None:
        out.append(("nextblockhash", nxt.hash_hex))
    return out


def _stripped_size(block: Block) -> int:
    body = b"".join(tx.serialize(with_witness=False) for tx in block.transactions)
    return len(block.header()) + len(compact_size(len(block.transactions))) + len(body)


def block_json(chain: RegtestChain, block: Block) -> Obj:
    """getblock at verbosity 1 (bitcoind's blockToJSON with transaction ids)."""
    out = header_json(chain, block)
    stripped = _stripped_size(block)
    size = len(block.serialize())
    out.append(("strippedsize", Num(str(stripped))))
    out.append(("size", Num(str(size))))
    out.append(("weight", Num(str(3 * stripped + size))))
    coinbase = block.transactions[0]
    _, _, script_sig, sequence = coinbase.inputs[0]
    coinbase_obj = Obj(
        [
            ("version", Num(str(coinbase.version))),
            ("locktime", Num(str(coinbase.lock_time))),
            ("sequence", Num(str(sequence))),
            ("coinbase", script_sig.hex()),
        ]
    )
    if coinbase.witnesses and coinbase.witnesses[0]:
        coinbase_obj.append(("witness", coinbase.witnesses[0][0].hex()))
    out.append(("coinbase_tx", coinbase_obj))
    out.append(("tx", [tx.txid[::-1].hex() for tx in block.transactions]))
    return out


def blockchain_info(chain: RegtestChain, now: float) -> Obj:
    """getblockchaininfo of a regtest node holding `chain`, unpruned, with no warnings."""
    tip = chain.tip
    blocks = [b for b in (chain.at_height(h) for h in range(chain.height + 1)) if b is not None]
    size_on_disk = sum(8 + len(b.serialize()) for b in blocks) + UNDO_RECORD_SIZE * (len(blocks) - 1)
    return Obj(
        [
            ("chain", "regtest"),
            ("blocks", Num(str(chain.height))),
            ("headers", Num(str(chain.height))),
            ("bestblockhash", tip.hash_hex),
            ("bits", f"{tip.bits:08x}"),
            ("target", _target(tip.bits)),
            ("difficulty", Num(_difficulty(tip.bits))),
            ("time", Num(str(tip.time))),
            ("mediantime", Num(str(tip.mtp))),
            ("verificationprogress", Num("1")),  # regtest has no chain tx statistics: all counted as done
            ("initialblockdownload", tip.time < now - MAX_TIP_AGE_S),
            ("chainwork", _chainwork(tip)),
            ("size_on_disk", Num(str(size_on_disk))),
            ("pruned", False),
            ("warnings", []),
        ]
    )


def chain_tips(chain: RegtestChain) -> list[Json]:
    """getchaintips: highest first; blocks of abandoned branches were invalidated (`invalidateblock`)."""
    out: list[Json] = []
    for tip in sorted(chain.tips(), key=lambda b: -b.height):
        fork = tip
        while not chain.in_active_chain(fork):
            parent = chain.by_hash(fork.prev_hash)
            assert parent is not None
            fork = parent
        status = "active" if tip is chain.tip else "invalid"
        out.append(
            Obj(
                [
                    ("height", Num(str(tip.height))),
                    ("hash", tip.hash_hex),
                    ("branchlen", Num(str(tip.height - fork.height))),
                    ("status", status),
                ]
            )
        )
    return out


_LOCAL_SERVICES = (("NETWORK", 1 << 0), ("WITNESS", 1 << 3), ("NETWORK_LIMITED", 1 << 10), ("P2P_V2", 1 << 11))
_RELAY_FEE = amount(100)  # -minrelaytxfee and -incrementalrelayfee defaults: 100 sat/kvB


def network_info() -> Obj:
    """getnetworkinfo of the master build the stand-in stands for, with -listen=0 and no peers."""

    def bucket() -> Obj:
        return Obj([("backlog", Num("0")), ("count_tok", Num("420")), ("size_tok", Num("12000000"))])

    def network(name: str, reachable: bool) -> Obj:
        return Obj(
            [
                ("name", name),
                ("limited", not reachable),
                ("reachable", reachable),
                ("proxy", ""),
                ("proxy_randomize_credentials", False),
            ]
        )

    services = sum(bit for _, bit in _LOCAL_SERVICES)
    return Obj(
        [
            ("version", Num("319900")),
            ("subversion", "/Satoshi:31.99.0/"),
            ("protocolversion", Num("70017")),
            ("localservices", f"{services:016x}"),
            ("localservicesnames", [name for name, _ in _LOCAL_SERVICES]),
            ("localrelay", True),
            ("timeoffset", Num("0")),
            ("tx_send_rate", Num("14")),
            ("inv_buckets", Obj([("inbound", bucket()), ("outbound", bucket())])),
            ("networkactive", True),
            ("connections", Num("0")),
            ("connections_in", Num("0")),
            ("connections_out", Num("0")),
            (
                "networks",
                [network(n, n in ("ipv4", "ipv6")) for n in ("ipv4", "ipv6", "onion", "i2p", "cjdns")],
            ),
            ("relayfee", _RELAY_FEE),
            ("incrementalfee", _RELAY_FEE),
            ("localaddresses", []),
            ("warnings", []),
        ]
    )


def _wallet_for(uri: str) -> str:
    prefix = "/wallet/"
    if uri.startswith(prefix):
        from urllib.parse import unquote

        if unquote(uri[len(prefix) :]) != "w":
            raise JsonRpcError(*replies.WALLET_NOT_FOUND)
    return "w"


def _parse_hash(v: Json, name: str) -> bytes:
    if not isinstance(v, str):
        raise JsonRpcError(-3, f"JSON value of type {_type_name(v)} is not of expected type string")
    if len(v) != 64:
        raise JsonRpcError(-8, f"{name} must be of length 64 (not {len(v)}, for '{v}')")
    if any(c not in "0123456789abcdefABCDEF" for c in v):
        raise JsonRpcError(-8, f"{name} must be hexadecimal string (not '{v}')")
    return bytes.fromhex(v)[::-1]


def _difficulty(bits: int) -> str:
    shift = (bits >> 24) & 0xFF
    diff = 0xFFFF / (bits & 0x00FFFFFF)
    while shift < 29:
        diff *= 256.0
        shift += 1
    while shift > 29:
        diff /= 256.0
        shift -= 1
    return f"{diff:.16g}"


_HANDLERS: dict[str, Handler] = {
    "getblockcount": RpcExecutor.getblockcount,
    "getbestblockhash": RpcExecutor.getbestblockhash,
    "getblockhash": RpcExecutor.getblockhash,
    "getblock": RpcExecutor.getblock,
    "getblockheader": RpcExecutor.getblockheader,
    "echo": RpcExecutor.echo,
    "echojson": RpcExecutor.echo,
    "help": RpcExecutor.help,
    "uptime": RpcExecutor.uptime,
    "stop": RpcExecutor.stop,
    "getblockstats": RpcExecutor.getblockstats,
    "listwallets": RpcExecutor.listwallets,
    "getbalance": RpcExecutor.getbalance,
    "getblockchaininfo": RpcExecutor.getblockchaininfo,
    "getchaintips": RpcExecutor.getchaintips,
    "getdifficulty": RpcExecutor.getdifficulty,
    "getnetworkinfo": RpcExecutor.getnetworkinfo,
}
