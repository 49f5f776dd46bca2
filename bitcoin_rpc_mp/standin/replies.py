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
        type_name = {"STR": "string", "STR_HEX": "string", "NUM": "numeric", "BOOL": "boolean", "ARR": "json array"}[
            self.type
        ]
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
        if self.type in simple:
            out.append((pad + key + simple[self.type] + sep, desc % kinds[self.type]))
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
            last_left, last_right = out[-1]
            out[-1] = (last_left[:-1], last_right)  # no comma after the last member
            out.append((pad + "}" + sep, ""))
        else:  # pragma: no cover - only the types above are declared here
            raise ValueError(self.type)


def _render_sections(sections: list[tuple[str, str]]) -> str:
    width = max((len(left) for left, _ in sections), default=0) + 4
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

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
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
                Arg("verbosity", "NUM", "default=1", "0 for hex-encoded data, 1 for a JSON object, 2 for JSON "
                    "object with transaction data, and 3 for JSON object with transaction data including prevout "
                    "information for inputs"),
            ),
            results=(
                Result("STR_HEX", cond="for verbosity = 0",
                       description="A string that is serialized, hex-encoded data for block 'hash'"),
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
            results=(Result("OBJ", description="The stand-in computes avgfee, blockhash, height, subsidy, "
                            "time, totalfee and txs only"),),
            examples=_cli_rpc("getblockstats", '1000 \'["minfeerate","avgfeerate"]\'',
                              '1000, ["minfeerate","avgfeerate"]'),
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
