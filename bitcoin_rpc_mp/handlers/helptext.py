"""Help texts of the natively answered methods, in bitcoind's RPCHelpMan layout.

Used only against nodes without `Rpc` (29.x–31.x and the #29409 builds without it): with `Rpc`, argument errors
and `help` are passed through so the node writes its own text. `getblockcount`'s text is the one captured from
a node (compat spec §6 case 25); `initmessage` is this project's own method (the seed's).
"""

from __future__ import annotations

_CURL = (
    "> curl --user myusername --data-binary '{{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"{method}\","
    " \"params\": [{params}]}}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"
)


def _examples(method: str, cli_args: str, params: str) -> str:
    return f"Examples:\n> bitcoin-cli {method} {cli_args}\n" + _CURL.format(method=method, params=params)


HELP: dict[str, str] = {
    "getblockcount": (
        "getblockcount\n\nReturns the height of the most-work fully-validated chain.\n"
        "The genesis block has height 0.\n\nResult:\nn    (numeric) The current block count\n\n"
        + _examples("getblockcount", "", "")
    ),
    "getblockhash": (
        "getblockhash height\n\nReturns hash of block in best-block-chain at height provided.\n\n"
        "Arguments:\n1. height    (numeric, required) The height index\n\n"
        'Result:\n"hex"    (string) The block hash\n\n' + _examples("getblockhash", "1000", "1000")
    ),
    "getbestblockhash": (
        "getbestblockhash\n\nReturns the hash of the best (tip) block in the most-work fully-validated chain.\n\n"
        'Result:\n"hex"    (string) the block hash, hex-encoded\n\n' + _examples("getbestblockhash", "", "")
    ),
    "getblock": (
        'getblock "blockhash" ( verbosity )\n\n'
        "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n"
        "This server answers verbosity 0 natively; other verbosities need a node with the Rpc interface.\n\n"
        "Arguments:\n1. blockhash    (string, required) The block hash\n"
        "2. verbosity    (numeric, optional, default=1) 0 for hex-encoded data\n\n"
        'Result (for verbosity = 0):\n"hex"    (string) A string that is serialized, hex-encoded data for block '
        "'hash'\n\n"
        + _examples(
            "getblock",
            '"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09" 0',
            '"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09", 0',
        )
    ),
    "waitfornewblock": (
        "waitfornewblock ( timeout \"current_tip\" )\n\nWaits for any new block and returns useful info about it.\n\n"
        "Returns the current block on timeout or exit.\n\nMake sure to use no RPC timeout "
        "(bitcoin-cli -rpcclienttimeout=0)\n\n"
        "Arguments:\n1. timeout        (numeric, optional, default=0) Time in milliseconds to wait for a response. "
        "0 indicates no timeout.\n2. current_tip    (string, optional) Method waits for the chain tip to differ "
        "from this.\n\nResult:\n{                       (json object)\n  \"hash\" : \"hex\",         (string) The "
        "blockhash\n  \"height\" : n           (numeric) Block height\n}\n\n"
        + _examples("waitfornewblock", "1000", "1000")
    ),
    "waitforblock": (
        'waitforblock "blockhash" ( timeout )\n\nWaits for a specific new block and returns useful info about it.\n\n'
        "Returns the current block on timeout or exit.\n\nMake sure to use no RPC timeout "
        "(bitcoin-cli -rpcclienttimeout=0)\n\n"
        "Arguments:\n1. blockhash    (string, required) Block hash to wait for.\n2. timeout      (numeric, "
        "optional, default=0) Time in milliseconds to wait for a response. 0 indicates no timeout.\n\n"
        "Result:\n{                       (json object)\n  \"hash\" : \"hex\",         (string) The blockhash\n"
        "  \"height\" : n           (numeric) Block height\n}\n\n"
        + _examples(
            "waitforblock",
            '"0000000000079f8ef3d2c688c244eb7a4570b24c9ed7b4a8c619eb02596f8862" 1000',
            '"0000000000079f8ef3d2c688c244eb7a4570b24c9ed7b4a8c619eb02596f8862", 1000',
        )
    ),
    "waitforblockheight": (
        "waitforblockheight height ( timeout )\n\nWaits for (at least) block height and returns the height and "
        "hash\nof the current tip.\n\nReturns the current block on timeout or exit.\n\nMake sure to use no RPC "
        "timeout (bitcoin-cli -rpcclienttimeout=0)\n\n"
        "Arguments:\n1. height     (numeric, required) Block height to wait for.\n2. timeout    (numeric, "
        "optional, default=0) Time in milliseconds to wait for a response. 0 indicates no timeout.\n\n"
        "Result:\n{                       (json object)\n  \"hash\" : \"hex\",         (string) The blockhash\n"
        "  \"height\" : n           (numeric) Block height\n}\n\n"
        + _examples("waitforblockheight", "100 1000", "100, 1000")
    ),
    "echoipc": (
        'echoipc "arg"\n\nEcho back the input argument, passing it through a spawned process in a multiprocess '
        "build.\nThis command is for testing.\n\nArguments:\n1. arg    (string, required) The string to echo\n\n"
        'Result:\n"str"    (string) The echoed string.\n\n' + _examples("echoipc", '"Hello world"', '"Hello world"')
    ),
    "initmessage": (
        'initmessage "message"\n\nSends a message to bitcoin-node\'s start-up progress display '
        "(Chain.initMessage); the node logs it as \"init message: <message>\".\n\n"
        "Arguments:\n1. message    (string, required) The message to send\n\n"
        'Result:\n"str"    (string) "Message sent successfully"\n\n'
        + _examples("initmessage", '"hello"', '"hello"')
    ),
    "help": (
        'help ( "command" )\n\nList all commands, or get help for a specified command.\n\n'
        "Arguments:\n1. command    (string, optional, default=all commands) The command to get help on\n\n"
        'Result:\n"str"    (string) The help text\n'
    ),
}
