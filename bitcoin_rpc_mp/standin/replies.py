"""bitcoind's help text for the few RPC methods the stand-in node answers through ``Rpc.executeRpc``.

Owns the method table's documentation: each method's name, category, arguments, result description and
examples, as Bitcoin Core declares them (facts read from src/rpc/blockchain.cpp, server.cpp, node.cpp and
src/wallet/rpc/), and a renderer that lays them out the way bitcoind's RPC help does (one-line summary,
description, ``Arguments:`` / ``Result:`` / ``Examples:`` sections with their column padding). The texts for
getblockcount and getblockhash are checked byte for byte against captured replies in the tests.

Pure data and string formatting; imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PACKAGE_NAME = "Bitcoin Core"
CURRENCY_UNIT = "BTC"
UNIX_EPOCH_TIME = "UNIX epoch time"


@dataclass(frozen=True)
class Arg:
    name: str
    type: str  # "STR", "STR_HEX", "NUM", "BOOL", "ARR"
    fallback: str  # "required", "omitted", or "default=<text>"
    description: str = ""
    hidden: bool = False

    @property
    def optional(self) -> bool:
        return self.fallback != "required"

    def oneline(self) -> str:
        return f'"{self.name}"' if self.type in ("STR", "STR_HEX") else self.name

    def describe(self) -> str:
        type_name = {
            "STR": "string",
            "STR_HEX": "string",
            "NUM": "numeric",
            "BOOL": "boolean",
            "ARR": "json array",
        }[self.type]
        if self.fallback == "required":
            extra = ", required"
        elif self.fallback == "omitted":
            extra = ", optional"
        else:
            extra = ", optional, " + self.fallback
        return f"({type_name}{extra})" + (" " + self.description if self.description else "")


@dataclass(frozen=True)
class Result:
    """One documented result; ``type`` as RPCResult::Type, ``inner`` for objects and arrays."""

    type: str
    key: str = ""
    description: str = ""
    optional: bool = False
    inner: tuple[Result, ...] = ()
    cond: str = ""

    def sections(self, out: list[tuple[str, str]], outer: str = "", indent: int = 0) -> None:
        pad = " " * indent
        sep = "," if outer else ""
        key = f'"{self.key}" : ' if outer == "obj" else ""
        desc = (
            "(%s"
            + (", optional" if self.optional else "")
            + ")"
            + (" " + self.description if self.description else "")
        )
        simple = {
            "STR": '"str"',
            "STR_HEX": '"hex"',
            "NUM": "n",
            "STR_AMOUNT": "n",
            "NUM_TIME": "xxx",
            "BOOL": "true|false",
        }
        kinds = {
            "STR": "string",
            "STR_HEX": "string",
            "NUM": "numeric",
            "STR_AMOUNT": "numeric",
            "NUM_TIME": "numeric",
            "BOOL": "boolean",
        }
        if self.type == "ELISION":  # "...": more members described elsewhere
            out.append((pad + "..." + sep, self.description))
        elif self.type in simple:
            lines = (desc % kinds[self.type]).split("\n")
            out.append((pad + key + simple[self.type] + sep, lines[0]))
            out.extend(("", line) for line in lines[1:])  # a description's further lines, in its column
        elif self.type == "ARR":
            out.append((pad + key + "[", desc % "json array"))
            for r in self.inner:
                r.sections(out, "arr", indent + 2)
            out.append((pad + "  ...", ""))
            out.append((pad + "]" + sep, ""))
        elif self.type == "OBJ":
            out.append((pad + key + "{", desc % "json object"))
            for r in self.inner:
                r.sections(out, "obj", indent + 2)
            last = max(i for i, (left, _) in enumerate(out) if left)  # past a description's further lines
            out[last] = (_NoComma(out[last][0][:-1]), out[last][1])  # no comma after the last member
            out.append((pad + "}" + sep, ""))
        elif self.type == "OBJ_DYN":  # keys chosen at run time: one member shown, then "..."
            out.append((pad + key + "{", desc % "json object"))
            for r in self.inner:
                r.sections(out, "obj", indent + 2)
            out.append((pad + "  ...", ""))
            out.append((pad + "}" + sep, ""))
        else:  # pragma: no cover - only the types above are declared here
            raise ValueError(self.type)


class _NoComma(str):
    """The line of an object's last member, its comma dropped: bitcoind sized the column with the comma."""

    __slots__ = ()


def _render_sections(sections: list[tuple[str, str]]) -> str:
    width = max((len(left) + isinstance(left, _NoComma) for left, _ in sections), default=0) + 4
    lines = []
    for left, right in sections:
        lines.append(left if not right else left.ljust(width) + right)
    return "".join(line + "\n" for line in lines)


def example_cli(method: str, args: str) -> str:
    return f"> bitcoin-cli {method} {args}\n"


def example_rpc(method: str, args: str) -> str:
    return (
        '> curl --user myusername --data-binary \'{"jsonrpc": "2.0", "id": "curltest", '
        f'"method": "{method}", "params": [{args}]}}\' -H \'content-type: application/json\' '
        "http://127.0.0.1:8332/\n"
    )


@dataclass(frozen=True)
class Method:
    name: str
    category: str
    description: str
    args: tuple[Arg, ...] = ()
    results: tuple[Result, ...] = ()
    examples: str = ""
    arg_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "arg_names", tuple(a.name for a in self.args))

    @property
    def required_args(self) -> int:
        required = [i + 1 for i, a in enumerate(self.args) if not a.optional]
        return max(required, default=0)

    def help(self) -> str:
        """The text bitcoind returns for ``help <name>`` (and in -1 errors for a wrong argument count)."""
        out = self.name
        was_optional = False
        for arg in self.args:
            if arg.hidden:
                break
            out += " "
            if arg.optional:
                if not was_optional:
                    out += "( "
                was_optional = True
            else:
                if was_optional:
                    out += ") "
                was_optional = False
            out += arg.oneline()
        if was_optional:
            out += " )"
        out += "\n\n" + self.description.strip(" \f\n\r\t\v") + "\n"
        arg_sections = [(f"{i + 1}. {a.name}", a.describe()) for i, a in enumerate(self.args) if not a.hidden]
        if arg_sections:
            out += "\nArguments:\n" + _render_sections(arg_sections)
        for result in self.results:
            if result.type == "ANY":
                continue
            out += "\nResult:\n" if not result.cond else f"\nResult ({result.cond}):\n"
            secs: list[tuple[str, str]] = []
            result.sections(secs)
            out += _render_sections(secs)
        if self.examples:
            out += "\nExamples:\n" + self.examples
        return out


def _cli_rpc(name: str, args: str = "", rpc_args: str | None = None) -> str:
    return example_cli(name, args) + example_rpc(name, args if rpc_args is None else rpc_args)


_ECHO_DESCRIPTION = (
    "Simply echo back the input arguments. This command is for testing.\n"
    "\nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n"
    "\nThe difference between echo and echojson is that echojson has argument conversion enabled in the "
    "client-side table in bitcoin-cli and the GUI. There is no server-side difference."
)
_ECHO_ARGS = tuple(Arg(f"arg{i}", "STR", "omitted") for i in range(10))
_HASH_EXAMPLE = '"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"'


# -- the read-only calls the demo answers besides the above (getblock verbosity 1, getblockchaininfo, …) --------
def _hex(key: str, description: str, optional: bool = False) -> Result:
    return Result("STR_HEX", key, description, optional=optional)


def _num(key: str, description: str, optional: bool = False) -> Result:
    return Result("NUM", key, description, optional=optional)


def _str(key: str, description: str, optional: bool = False) -> Result:
    return Result("STR", key, description, optional=optional)


def _bool(key: str, description: str, optional: bool = False) -> Result:
    return Result("BOOL", key, description, optional=optional)


def _etc(description: str) -> Result:
    """`...`: members described elsewhere."""
    return Result("ELISION", description=description)


def _obj(key: str, *inner: Result) -> Result:
    return Result("OBJ", key, inner=inner)


def _arr(key: str, *inner: Result) -> Result:
    return Result("ARR", key, inner=inner)


_WARNINGS = Result(
    "ARR",
    "warnings",
    "any network and blockchain warnings (run with `-deprecatedrpc=warnings` to return the latest warning as a "
    "single string)",
    inner=(_str("", "warning"),),
)
_SCRIPT_TYPES = (
    "nonstandard, anchor, pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, "
    "witness_v0_keyhash, witness_v1_taproot, witness_unknown"
)
_GETBLOCK_VERBOSE_RESULTS = (
    Result(
        "OBJ",
        cond="for verbosity = 1",
        inner=(
            _hex("hash", "the block hash (same as provided)"),
            _num("confirmations", "The number of confirmations, or -1 if the block is not on the main chain"),
            _num("size", "The block size"),
            _num("strippedsize", "The block size excluding witness data"),
            _num("weight", "The block weight as defined in BIP 141"),
            Result(
                "OBJ",
                "coinbase_tx",
                "Coinbase transaction metadata",
                inner=(
                    _num("version", "The coinbase transaction version"),
                    _num("locktime", "The coinbase transaction's locktime (nLockTime)"),
                    _num("sequence", "The coinbase input's sequence number (nSequence)"),
                    _hex("coinbase", "The coinbase input's script"),
                    _hex(
                        "witness",
                        "The coinbase input's first (and only) witness stack element, if present",
                        True,
                    ),
                ),
            ),
            _num("height", "The block height or index"),
            _num("version", "The block version"),
            _hex("versionHex", "The block version formatted in hexadecimal"),
            _hex("merkleroot", "The merkle root"),
            Result("ARR", "tx", "The transaction ids", inner=(_hex("", "The transaction id"),)),
            Result("NUM_TIME", "time", "The block time expressed in " + UNIX_EPOCH_TIME),
            Result("NUM_TIME", "mediantime", "The median block time expressed in " + UNIX_EPOCH_TIME),
            _num("nonce", "The nonce"),
            _hex("bits", "nBits: compact representation of the block difficulty target"),
            _hex("target", "The difficulty target"),
            _num("difficulty", "The difficulty"),
            _hex(
                "chainwork",
                "Expected number of hashes required to produce the chain up to this block (in hex)",
            ),
            _num("nTx", "The number of transactions in the block"),
            _hex("previousblockhash", "The hash of the previous block (if available)", True),
            _hex("nextblockhash", "The hash of the next block (if available)", True),
        ),
    ),
    Result(
        "OBJ",
        cond="for verbosity = 2",
        inner=(
            _etc("Same output as verbosity = 1"),
            _arr(
                "tx",
                _obj(
                    "",
                    _etc(
                        'The transactions in the format of the getrawtransaction RPC. Different from verbosity = 1 "tx" result'
                    ),
                    _num(
                        "fee",
                        f"The transaction fee in {CURRENCY_UNIT}, omitted if block undo data is not available",
                        True,
                    ),
                ),
            ),
        ),
    ),
    Result(
        "OBJ",
        cond="for verbosity = 3",
        inner=(
            _etc("Same output as verbosity = 2"),
            _arr(
                "tx",
                _obj(
                    "",
                    _arr(
                        "vin",
                        _obj(
                            "",
                            _etc("The same output as verbosity = 2"),
                            Result(
                                "OBJ",
                                "prevout",
                                "(Only if undo information is available)",
                                optional=True,
                                inner=(
                                    _bool("generated", "Coinbase or not"),
                                    _num("height", "The height of the prevout"),
                                    Result("STR_AMOUNT", "value", "The value in " + CURRENCY_UNIT),
                                    _obj(
                                        "scriptPubKey",
                                        _str("asm", "Disassembly of the output script"),
                                        _str("desc", "Inferred descriptor for the output"),
                                        _hex("hex", "The raw output script bytes, hex-encoded"),
                                        _str(
                                            "address",
                                            "The Bitcoin address (only if a well-defined address exists)",
                                            True,
                                        ),
                                        _str("type", f"The type (one of: {_SCRIPT_TYPES})"),
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
)

_NETWORK_NAMES = "ipv4, ipv6, onion, i2p, cjdns"
_CHAIN_TIP_STATUS = (
    'status of the chain, "active" for the main chain\n'
    "Possible values for status:\n"
    '1.  "invalid"               This branch contains at least one invalid block\n'
    '2.  "headers-only"          Not all blocks for this branch are available, but the headers are valid\n'
    '3.  "valid-headers"         All blocks are available for this branch, but they were never fully validated\n'
    '4.  "valid-fork"            This branch is not part of the active chain, but is fully validated\n'
    '5.  "active"                This is the tip of the active main chain, which is certainly valid'
)


def _no_args(name: str, category: str, description: str, result: Result) -> Method:
    """A method without arguments, with bitcoind's two examples."""
    return Method(name, category, description, results=(result,), examples=_cli_rpc(name))


_READONLY_METHODS = (
    _no_args(
        "getblockchaininfo",
        "blockchain",
        "Returns an object containing various state info regarding blockchain processing.\n",
        _obj(
            "",
            _str("chain", "current network name (main, test, testnet4, signet, regtest)"),
            _num(
                "blocks", "the height of the most-work fully-validated chain. The genesis block has height 0"
            ),
            _num("headers", "the current number of headers we have validated"),
            _str("bestblockhash", "the hash of the currently best block"),
            _hex("bits", "nBits: compact representation of the block difficulty target"),
            _hex("target", "the difficulty target"),
            _num("difficulty", "the current difficulty"),
            Result("NUM_TIME", "time", "the block time expressed in " + UNIX_EPOCH_TIME),
            Result("NUM_TIME", "mediantime", "the median block time expressed in " + UNIX_EPOCH_TIME),
            _num("verificationprogress", "estimate of verification progress [0..1]"),
            _bool(
                "initialblockdownload",
                "(debug information) estimate of whether this node is in Initial Block Download mode",
            ),
            Result(
                "OBJ",
                "backgroundvalidation",
                "state info regarding background validation process",
                optional=True,
                inner=(
                    _num(
                        "snapshotheight",
                        "the height of the snapshot block. Background validation verifies the chain from "
                        "genesis up to this height",
                    ),
                    _num(
                        "blocks",
                        "the height of the most-work background fully-validated chain. The genesis block "
                        "has height 0",
                    ),
                    _str("bestblockhash", "the hash of the currently best block validated in the background"),
                    Result("NUM_TIME", "mediantime", "the median block time expressed in " + UNIX_EPOCH_TIME),
                    _num("verificationprogress", "estimate of background verification progress [0..1]"),
                    _hex("chainwork", "total amount of work in background validated chain, in hexadecimal"),
                ),
            ),
            _hex("chainwork", "total amount of work in active chain, in hexadecimal"),
            _num("size_on_disk", "the estimated size of the block and undo files on disk"),
            _bool("pruned", "if the blocks are subject to pruning"),
            _num(
                "pruneheight",
                "the first block unpruned, all previous blocks were pruned (only present if pruning is "
                "enabled)",
                True,
            ),
            _bool(
                "automatic_pruning",
                "whether automatic pruning is enabled (only present if pruning is enabled)",
                True,
            ),
            _num(
                "prune_target_size",
                "the target size used by pruning (only present if automatic pruning is enabled)",
                True,
            ),
            _hex(
                "signet_challenge",
                "the block challenge (aka. block script), in hexadecimal (only present if the current "
                "network is a signet)",
                True,
            ),
            _WARNINGS,
        ),
    ),
    _no_args(
        "getchaintips",
        "blockchain",
        "Return information about all known tips in the block tree, including the main chain as well as orphaned "
        "branches.\n",
        _arr(
            "",
            _obj(
                "",
                _num("height", "height of the chain tip"),
                _hex("hash", "block hash of the tip"),
                _num(
                    "branchlen",
                    "zero for main chain, otherwise length of branch connecting the tip to the main chain",
                ),
                _str("status", _CHAIN_TIP_STATUS),
            ),
        ),
    ),
    _no_args(
        "getdifficulty",
        "blockchain",
        "\nReturns the proof-of-work difficulty as a multiple of the minimum difficulty.\n",
        Result("NUM", description="the proof-of-work difficulty as a multiple of the minimum difficulty."),
    ),
    _no_args(
        "getnetworkinfo",
        "network",
        "Returns an object containing various state info regarding P2P networking.\n",
        _obj(
            "",
            _num("version", "the server version"),
            _str("subversion", "the server subversion string"),
            _num("protocolversion", "the protocol version"),
            _hex("localservices", "the services we offer to the network"),
            Result(
                "ARR",
                "localservicesnames",
                "the services we offer to the network, in human-readable form",
                inner=(_str("SERVICE_NAME", "the service name"),),
            ),
            _bool("localrelay", "true if transaction relay is requested from peers"),
            _num("timeoffset", "the time offset"),
            _num(
                "tx_send_rate",
                "configured target for maximum number of transactions per second to send to inbound peers",
            ),
            Result(
                "OBJ_DYN",
                "inv_buckets",
                inner=(
                    Result(
                        "OBJ",
                        "inbound/outbound",
                        "connection direction",
                        inner=(
                            _num("backlog", "number of queued txs to announce"),
                            _num("count_tok", "tokens available to be consumed per-transaction"),
                            _num("size_tok", "tokens available to be consumed per-byte"),
                        ),
                    ),
                ),
            ),
            _num("connections", "the total number of connections"),
            _num("connections_in", "the number of inbound connections"),
            _num("connections_out", "the number of outbound connections"),
            _bool("networkactive", "whether p2p networking is enabled"),
            Result(
                "ARR",
                "networks",
                "information per network",
                inner=(
                    _obj(
                        "",
                        _str("name", f"network ({_NETWORK_NAMES})"),
                        _bool("limited", "is the network limited using -onlynet?"),
                        _bool("reachable", "is the network reachable?"),
                        _str(
                            "proxy",
                            '("host:port") the proxy that is used for this network, or empty if none',
                        ),
                        _bool("proxy_randomize_credentials", "Whether randomized credentials are used"),
                    ),
                ),
            ),
            _num("relayfee", "minimum relay fee rate for transactions in " + CURRENCY_UNIT + "/kvB"),
            _num(
                "incrementalfee",
                "minimum fee rate increment for mempool limiting or replacement in " + CURRENCY_UNIT + "/kvB",
            ),
            Result(
                "ARR",
                "localaddresses",
                "list of local addresses",
                inner=(
                    _obj(
                        "",
                        _str("address", "network address"),
                        _num("port", "network port"),
                        _num("score", "relative score"),
                    ),
                ),
            ),
            _WARNINGS,
        ),
    ),
)

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        *_READONLY_METHODS,
        Method(
            "getbestblockhash",
            "blockchain",
            "\nReturns the hash of the best (tip) block in the most-work fully-validated chain.\n",
            results=(Result("STR_HEX", description="the block hash, hex-encoded"),),
            examples=_cli_rpc("getbestblockhash"),
        ),
        Method(
            "getblockcount",
            "blockchain",
            "\nReturns the height of the most-work fully-validated chain.\nThe genesis block has height 0.\n",
            results=(Result("NUM", description="The current block count"),),
            examples=_cli_rpc("getblockcount"),
        ),
        Method(
            "getblockhash",
            "blockchain",
            "\nReturns hash of block in best-block-chain at height provided.\n",
            args=(Arg("height", "NUM", "required", "The height index"),),
            results=(Result("STR_HEX", description="The block hash"),),
            examples=_cli_rpc("getblockhash", "1000"),
        ),
        Method(
            "getblock",
            "blockchain",
            "\nIf verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n"
            "If verbosity is 1, returns an Object with information about block <hash>.\n"
            "If verbosity is 2, returns an Object with information about block <hash> and information about "
            "each transaction.\nIf verbosity is 3, returns an Object with information about block <hash> and "
            "information about each transaction, including prevout information for inputs (only for unpruned "
            "blocks in the current best chain).\n",
            args=(
                Arg("blockhash", "STR_HEX", "required", "The block hash"),
                Arg(
                    "verbosity",
                    "NUM",
                    "default=1",
                    "0 for hex-encoded data, 1 for a JSON object, 2 for JSON "
                    "object with transaction data, and 3 for JSON object with transaction data including prevout "
                    "information for inputs",
                ),
            ),
            results=(
                Result(
                    "STR_HEX",
                    cond="for verbosity = 0",
                    description="A string that is serialized, hex-encoded data for block 'hash'",
                ),
                *_GETBLOCK_VERBOSE_RESULTS,
            ),
            examples=_cli_rpc("getblock", _HASH_EXAMPLE),
        ),
        Method(
            "getblockheader",
            "blockchain",
            "\nIf verbose is false, returns a string that is serialized, hex-encoded data for blockheader "
            "'hash'.\nIf verbose is true, returns an Object with information about blockheader <hash>.\n",
            args=(
                Arg("blockhash", "STR_HEX", "required", "The block hash"),
                Arg(
                    "verbose",
                    "BOOL",
                    "default=true",
                    "true for a json object, false for the hex-encoded data",
                ),
            ),
            results=(
                Result(
                    "OBJ",
                    cond="for verbose = true",
                    inner=(
                        Result("STR_HEX", "hash", "the block hash (same as provided)"),
                        Result(
                            "NUM",
                            "confirmations",
                            "The number of confirmations, or -1 if the block is not on the main chain",
                        ),
                        Result("NUM", "height", "The block height or index"),
                        Result("NUM", "version", "The block version"),
                        Result("STR_HEX", "versionHex", "The block version formatted in hexadecimal"),
                        Result("STR_HEX", "merkleroot", "The merkle root"),
                        Result("NUM_TIME", "time", "The block time expressed in " + UNIX_EPOCH_TIME),
                        Result(
                            "NUM_TIME", "mediantime", "The median block time expressed in " + UNIX_EPOCH_TIME
                        ),
                        Result("NUM", "nonce", "The nonce"),
                        Result(
                            "STR_HEX", "bits", "nBits: compact representation of the block difficulty target"
                        ),
                        Result("STR_HEX", "target", "The difficulty target"),
                        Result("NUM", "difficulty", "The difficulty"),
                        Result(
                            "STR_HEX",
                            "chainwork",
                            "Expected number of hashes required to produce the current chain",
                        ),
                        Result("NUM", "nTx", "The number of transactions in the block"),
                        Result(
                            "STR_HEX",
                            "previousblockhash",
                            "The hash of the previous block (if available)",
                            optional=True,
                        ),
                        Result(
                            "STR_HEX",
                            "nextblockhash",
                            "The hash of the next block (if available)",
                            optional=True,
                        ),
                    ),
                ),
                Result(
                    "STR_HEX",
                    cond="for verbose=false",
                    description="A string that is serialized, hex-encoded data for block 'hash'",
                ),
            ),
            examples=_cli_rpc("getblockheader", _HASH_EXAMPLE),
        ),
        Method(
            "help",
            "control",
            "\nList all commands, or get help for a specified command.\n",
            args=(Arg("command", "STR", "default=all commands", "The command to get help on"),),
            results=(Result("STR", description="The help text"), Result("ANY")),
        ),
        Method(
            "stop",
            "control",
            "\nRequest a graceful shutdown of " + PACKAGE_NAME + ".",
            args=(Arg("wait", "NUM", "omitted", "how long to wait in ms", hidden=True),),
            results=(Result("STR", description="A string with the content '" + PACKAGE_NAME + " stopping'"),),
        ),
        Method(
            "uptime",
            "control",
            "\nReturns the total uptime of the server.\n",
            results=(Result("NUM", description="The number of seconds that the server has been running"),),
            examples=_cli_rpc("uptime"),
        ),
        Method("echo", "hidden", _ECHO_DESCRIPTION, args=_ECHO_ARGS, results=(Result("ANY"),)),
        Method("echojson", "hidden", _ECHO_DESCRIPTION, args=_ECHO_ARGS, results=(Result("ANY"),)),
        Method(
            "getbalance",
            "wallet",
            "\nReturns the total available balance.\n"
            "The available balance is what the wallet considers currently spendable, and is\n"
            "thus affected by options which limit spendability such as -spendzeroconfchange.\n",
            args=(
                Arg(
                    "dummy",
                    "STR",
                    "omitted",
                    'Remains for backward compatibility. Must be excluded or set to "*".',
                ),
                Arg(
                    "minconf",
                    "NUM",
                    "default=0",
                    "Only include transactions confirmed at least this many times.",
                ),
                Arg(
                    "include_watchonly",
                    "BOOL",
                    "default=true for watch-only wallets, otherwise false",
                    "Also include balance in watch-only addresses (see 'importaddress')",
                ),
                Arg(
                    "avoid_reuse",
                    "BOOL",
                    "default=true",
                    "(only available if avoid_reuse wallet flag is set) Do not include balance in dirty outputs; "
                    "addresses are considered dirty if they have previously been used in a transaction.",
                ),
            ),
            results=(
                Result(
                    "STR_AMOUNT",
                    "amount",
                    "The total amount in " + CURRENCY_UNIT + " received for this wallet.",
                ),
            ),
            examples="\nThe total amount in the wallet with 0 or more confirmations\n"
            + example_cli("getbalance", "")
            + "\nThe total amount in the wallet with at least 6 confirmations\n"
            + example_cli("getbalance", '"*" 6')
            + "\nAs a JSON-RPC call\n"
            + example_rpc("getbalance", '"*", 6'),
        ),
        Method(
            "getblockstats",
            "blockchain",
            "\nCompute per block statistics for a given window. All amounts are in satoshis.\n"
            "It won't work for some heights with pruning.\n",
            args=(
                Arg("hash_or_height", "NUM", "required", "The block hash or height of the target block"),
                Arg("stats", "ARR", "default=all values", "Values to plot (see result below)"),
            ),
            results=(
                Result(
                    "OBJ",
                    description="The stand-in computes avgfee, blockhash, height, subsidy, "
                    "time, totalfee and txs only",
                ),
            ),
            examples=_cli_rpc(
                "getblockstats", '1000 \'["minfeerate","avgfeerate"]\'', '1000, ["minfeerate","avgfeerate"]'
            ),
        ),
        Method(
            "listwallets",
            "wallet",
            "Returns a list of currently loaded wallets.\n"
            'For full information on the wallet, use "getwalletinfo"\n',
            results=(Result("ARR", inner=(Result("STR", "walletname", "the wallet name"),)),),
            examples=_cli_rpc("listwallets"),
        ),
    )
}

WALLET_METHODS = frozenset(
    m.name for m in METHODS.values() if m.category == "wallet" and m.name != "listwallets"
)


def help_overview() -> str:
    """``help`` without arguments: first lines grouped by category, hidden methods left out."""
    out = ""
    category = ""
    for method in sorted(METHODS.values(), key=lambda m: m.category + m.name):
        if method.category == "hidden":
            continue
        if method.category != category:
            if category:
                out += "\n"
            category = method.category
            out += "== " + category[:1].upper() + category[1:] + " ==\n"
        out += method.help().split("\n", 1)[0] + "\n"
    return out[:-1]


def help_for(command: str) -> str:
    method = METHODS.get(command)
    if method is None:
        return f"help: unknown command: {command}"
    # bitcoind appends a newline to each help text and then drops the last character of the whole reply.
    return method.help()


# Error messages (code, text) as bitcoind words them.
WALLET_NOT_FOUND = (-18, "Requested wallet does not exist or is not loaded")
METHOD_NOT_FOUND = (-32601, "Method not found")
HEIGHT_OUT_OF_RANGE = (-8, "Block height out of range")
BLOCK_NOT_FOUND = (-5, "Block not found")
STOPPING = PACKAGE_NAME + " stopping"
