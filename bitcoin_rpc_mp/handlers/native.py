"""Methods answered natively, through typed IPC calls, with bitcoind's results and errors.

Owns: each native method's arguments, its IPC calls and its reply (ipc-protocol.md §11). Arguments are checked
here before any IPC call: no client input reaches a call that can abort the node (heights are never sent to
`Chain.getBlockHash`; hashes are length-checked). When a node offers `Rpc`, a request whose arguments are not
valid is passed through instead, so the node itself writes bitcoind's exact error and help text.
Must not import: `http`, capnp.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..ipc.capabilities import NodeCapabilities
from ..ipc.client import NodeClient
from ..jsonrpc.errors import RpcError, RpcErrorCode
from ..jsonrpc.reader import JsonObject, JsonValue, read_json
from ..jsonrpc.writer import write_json
from . import helptext
from .params import RpcArg, check_params, get_int

MAX_WAIT_MS = 1.7976931348623157e308  # "no limit": the node caps it at 100 years


class PassThrough(Exception):
    """The native path declines this request; forward it to the node unchanged."""


@dataclass(slots=True)  # not frozen: one per call, and a frozen __init__ costs three times as much
class NativeContext:
    client: NodeClient
    caps: NodeCapabilities
    user: str
    uri: str


Parser = Callable[[list[JsonValue]], object]
Runner = Callable[[object, NativeContext], Awaitable[bytes]]


@dataclass(frozen=True)
class NativeMethod:
    name: str
    category: str
    needs: frozenset[str]
    args: tuple[RpcArg, ...]
    parse: Parser
    execute: Runner
    local_only: bool = False  # a method of ours that the node does not have

    def available(self, caps: NodeCapabilities) -> bool:
        return self.needs <= caps.interfaces

    @property
    def help(self) -> str:
        return helptext.HELP[self.name]

    async def run(self, params: JsonValue, ctx: NativeContext) -> bytes:
        try:
            values = check_params(self.name, self.args, params, self.help)
            parsed = self.parse(values)
        except RpcError:
            if "Rpc" in ctx.caps.interfaces and not self.local_only:
                raise PassThrough from None
            raise
        return await self.execute(parsed, ctx)


# -- argument conversion (UniValue's getInt<int> is params.get_int; ParseHashV is here) -----------------------
def parse_hash(value: JsonValue, name: str) -> bytes:
    """RPC hex (display order) → 32 bytes in the node's internal order."""
    assert isinstance(value, str)
    if len(value) != 64:
        raise RpcError(
            RpcErrorCode.RPC_INVALID_PARAMETER,
            f"{name} must be of length 64 (not {len(value)}, for '{value}')",
        )
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise RpcError(
            RpcErrorCode.RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{value}')"
        ) from None
    return raw[::-1]


def hash_hex(internal: bytes) -> str:
    return internal[::-1].hex()


def json_str(text: str) -> bytes:
    return write_json(text)


def block_ref_json(block_hash: bytes, height: int) -> bytes:
    return b'{"hash":"' + hash_hex(block_hash).encode() + b'","height":' + str(height).encode() + b"}"


def out_of_range() -> RpcError:
    return RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, "Block height out of range")


# -- blockchain --------------------------------------------------------------------------------------------
async def _getblockhash(height: object, ctx: NativeContext) -> bytes:
    assert isinstance(height, int)
    if height < 0:
        raise out_of_range()
    # One call under the node's lock on the active chain: race-free against reorgs, cannot abort the node.
    found = await ctx.client.find_block_hash_at_height(height)
    if found is None:
        raise out_of_range()
    return b'"' + hash_hex(found).encode() + b'"'


async def _getblockcount(_: object, ctx: NativeContext) -> bytes:
    if "Chain" in ctx.caps.interfaces:
        height = await ctx.client.get_height()
    else:
        tip = await ctx.client.get_tip()
        height = None if tip is None else tip[1]
    return str(-1 if height is None else height).encode()


async def _getbestblockhash(_: object, ctx: NativeContext) -> bytes:
    tip = await ctx.client.get_tip()
    if tip is None:
        raise RpcError(RpcErrorCode.RPC_IN_WARMUP, "Loading block index…")
    return b'"' + hash_hex(tip[0]).encode() + b'"'


def _parse_getblock(values: list[JsonValue]) -> object:
    block_hash = parse_hash(values[0], "blockhash")
    verbosity_value = values[1] if len(values) > 1 else None
    if verbosity_value is None:
        verbosity = 1
    elif isinstance(verbosity_value, bool):
        verbosity = int(verbosity_value)
    else:
        verbosity = get_int(verbosity_value)
    return (block_hash, verbosity)


async def _getblock(parsed: object, ctx: NativeContext) -> bytes:
    assert isinstance(parsed, tuple)
    block_hash, verbosity = parsed
    if verbosity != 0:
        if "Rpc" in ctx.caps.interfaces:
            raise PassThrough
        raise RpcError(RpcErrorCode.RPC_METHOD_NOT_FOUND, "Method not found")
    data = await ctx.client.find_block_data(block_hash)
    if data is None:
        raise RpcError(RpcErrorCode.RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
    if len(data) <= 81 and data[:80] == bytes(80):
        raise RpcError(RpcErrorCode.RPC_MISC_ERROR, "Block not available (not fully downloaded)")
    return b'"' + data.hex().encode() + b'"'


# -- waits (Mining.waitTipChanged; timeouts in milliseconds) ---------------------------------------------------
def _parse_timeout(value: JsonValue) -> float:
    return float(0 if value is None else get_int(value))


def _check_timeout(timeout_ms: float) -> None:
    """Raised by the method itself, not by argument parsing: our text is bitcoind's, no pass-through."""
    if timeout_ms < 0:
        raise RpcError(RpcErrorCode.RPC_MISC_ERROR, "Negative timeout")


def _parse_waitfornewblock(values: list[JsonValue]) -> object:
    timeout = _parse_timeout(values[0] if values else None)
    current = values[1] if len(values) > 1 else None
    return (timeout, None if current is None else parse_hash(current, "current_tip"))


async def _current_tip(ctx: NativeContext) -> tuple[bytes, int]:
    tip = await ctx.client.get_tip()
    if tip is None:
        raise RpcError(RpcErrorCode.RPC_IN_WARMUP, "Loading block index…")
    return tip


async def _waitfornewblock(parsed: object, ctx: NativeContext) -> bytes:
    assert isinstance(parsed, tuple)
    timeout_ms, current = parsed
    _check_timeout(timeout_ms)
    tip = await _current_tip(ctx)
    wait_from = current if current is not None else tip[0]
    changed = await ctx.client.wait_tip_changed(wait_from, timeout_ms or MAX_WAIT_MS)
    block = changed if changed is not None else tip
    return block_ref_json(*block)


async def _wait_until(ctx: NativeContext, timeout_ms: float, done: Callable[[tuple[bytes, int]], bool]) -> bytes:
    _check_timeout(timeout_ms)
    tip = await _current_tip(ctx)
    deadline = None if timeout_ms == 0 else time.monotonic() + timeout_ms / 1000
    while not done(tip):
        remaining = MAX_WAIT_MS if deadline is None else (deadline - time.monotonic()) * 1000
        if remaining <= 0:
            break
        changed = await ctx.client.wait_tip_changed(tip[0], remaining)
        if changed is None:  # node shutting down or interrupted
            break
        tip = changed
    return block_ref_json(*tip)


def _parse_waitforblock(values: list[JsonValue]) -> object:
    target = parse_hash(values[0], "blockhash")
    return (target, _parse_timeout(values[1] if len(values) > 1 else None))


async def _waitforblock(parsed: object, ctx: NativeContext) -> bytes:
    assert isinstance(parsed, tuple)
    target, timeout_ms = parsed
    return await _wait_until(ctx, timeout_ms, lambda tip: tip[0] == target)


def _parse_waitforblockheight(values: list[JsonValue]) -> object:
    return (get_int(values[0]), _parse_timeout(values[1] if len(values) > 1 else None))


async def _waitforblockheight(parsed: object, ctx: NativeContext) -> bytes:
    assert isinstance(parsed, tuple)
    height, timeout_ms = parsed
    return await _wait_until(ctx, timeout_ms, lambda tip: tip[1] >= height)


# -- control -----------------------------------------------------------------------------------------------
async def _echoipc(text: object, ctx: NativeContext) -> bytes:
    assert isinstance(text, str)
    return json_str(await ctx.client.echo(text))


async def _initmessage(text: object, ctx: NativeContext) -> bytes:
    assert isinstance(text, str)
    await ctx.client.init_message(text)
    return b'"Message sent successfully"'


def _parse_help(values: list[JsonValue]) -> object:
    return values[0] if values else None


def _overview_line(method: NativeMethod) -> str:
    return method.help.split("\n", 1)[0]


def _overview(methods: list[NativeMethod]) -> str:
    """bitcoind's `help` listing: sections by category (sorted), one synopsis line per command (sorted),
    hidden commands left out."""
    by_category: dict[str, list[NativeMethod]] = {}
    for method in sorted(methods, key=lambda m: m.name):
        if method.category != "Hidden":
            by_category.setdefault(method.category, []).append(method)
    return "\n\n".join(
        "\n".join([f"== {category} ==", *(_overview_line(m) for m in by_category[category])])
        for category in sorted(by_category)
    )


def add_to_overview(node_help: str, methods: list[NativeMethod]) -> str:
    """The node's own listing with our methods (which the node does not know) put in their sections."""
    sections = {}
    for block in node_help.split("\n\n"):
        header, _, body = block.partition("\n")
        sections[header] = [line for line in body.split("\n") if line]
    for method in methods:
        lines = sections.setdefault(f"== {method.category} ==", [])
        lines.append(_overview_line(method))
        lines.sort()
    return "\n\n".join("\n".join([header, *lines]) for header, lines in sorted(sections.items()))


async def _help(command: object, ctx: NativeContext) -> bytes:
    available = [m for m in NATIVE_METHODS.values() if m.available(ctx.caps)]
    if "Rpc" in ctx.caps.interfaces:
        # The node's help is exact for everything it runs; only our own methods are added or answered here.
        ours = {m.name: m for m in available if m.local_only}
        if command is None:
            reply = await ctx.client.execute_rpc('{"method":"help","params":[],"id":1}', ctx.uri, ctx.user)
            node_reply = read_json(reply.encode("utf-8"))
            node_help = node_reply.get("result") if isinstance(node_reply, JsonObject) else None
            if not isinstance(node_help, str):
                raise PassThrough
            return json_str(add_to_overview(node_help, list(ours.values())))
        if isinstance(command, str) and command in ours:
            return json_str(ours[command].help)
        raise PassThrough
    if command is None:
        return json_str(_overview(available))
    for method in available:
        if method.name == command:
            return json_str(method.help)
    raise RpcError(RpcErrorCode.RPC_MISC_ERROR, f"help: unknown command: {command}")


def _no_args(values: list[JsonValue]) -> object:
    return None


def _first(values: list[JsonValue]) -> object:
    return values[0]


def _first_int(values: list[JsonValue]) -> object:
    return get_int(values[0])


CHAIN = frozenset({"Chain"})
MINING = frozenset({"Mining"})
ECHO = frozenset({"Echo"})

_METHODS = (
    NativeMethod("getblockhash", "Blockchain", CHAIN, (RpcArg("height", "num"),), _first_int, _getblockhash),
    NativeMethod("getblockcount", "Blockchain", MINING, (), _no_args, _getblockcount),
    NativeMethod("getbestblockhash", "Blockchain", MINING, (), _no_args, _getbestblockhash),
    NativeMethod(
        "getblock",
        "Blockchain",
        CHAIN,
        (RpcArg("blockhash", "hex"), RpcArg("verbosity", "num_or_bool", optional=True)),
        _parse_getblock,
        _getblock,
    ),
    NativeMethod(
        "waitfornewblock",
        "Blockchain",
        MINING,
        (RpcArg("timeout", "num", optional=True), RpcArg("current_tip", "hex", optional=True)),
        _parse_waitfornewblock,
        _waitfornewblock,
    ),
    NativeMethod(
        "waitforblock",
        "Blockchain",
        MINING,
        (RpcArg("blockhash", "hex"), RpcArg("timeout", "num", optional=True)),
        _parse_waitforblock,
        _waitforblock,
    ),
    NativeMethod(
        "waitforblockheight",
        "Blockchain",
        MINING,
        (RpcArg("height", "num"), RpcArg("timeout", "num", optional=True)),
        _parse_waitforblockheight,
        _waitforblockheight,
    ),
    NativeMethod("echoipc", "Hidden", ECHO, (RpcArg("arg", "str"),), _first, _echoipc),
    NativeMethod("initmessage", "Control", CHAIN, (RpcArg("message", "str"),), _first, _initmessage, local_only=True),
)

# `help` is ours only on nodes without Rpc (with Rpc the node's own help is exact and complete).
_HELP = NativeMethod(
    "help", "Control", frozenset(), (RpcArg("command", "str", optional=True),), _parse_help, _help
)
NATIVE_METHODS: dict[str, NativeMethod] = {m.name: m for m in (*_METHODS, _HELP)}

# The one list of RPCs that may hold a node Thread for a long time (waits, mining, chain scans, rescans): they
# run on a node Thread of their own with no call timeout, and a batch holding one is run element by element.
LONG_METHODS: frozenset[str] = frozenset(
    {
        # waits
        "waitfornewblock",
        "waitforblock",
        "waitforblockheight",
        # mining
        "generate",
        "generateblock",
        "generatetoaddress",
        "generatetodescriptor",
        "getblocktemplate",
        # scans of the chain or the UTXO set
        "scantxoutset",
        "scanblocks",
        "gettxoutsetinfo",
        "dumptxoutset",
        "loadtxoutset",
        "verifychain",
        "pruneblockchain",
        "gettxspendingprevout",
        # wallet rescans
        "rescanblockchain",
        "importdescriptors",
        "importmulti",
    }
)
