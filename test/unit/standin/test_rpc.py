"""executeRpc replies of the stand-in compared with bitcoind's captured bodies (compat spec §6, height 210).

Bodies are the spec's minus the trailing newline (the node's executeRpc returns UniValue's text without it);
HTTP-only outcomes map as the IPC spec §10 says: 204 replies come back as ``null``.
"""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.standin import replies
from bitcoin_rpc_mp.standin.chain import RegtestChain
from bitcoin_rpc_mp.standin.rpc import RpcExecutor, read_json, write_json

GETBLOCKCOUNT_HELP = (
    "getblockcount\n\nReturns the height of the most-work fully-validated chain.\nThe genesis block has height 0.\n"
    "\nResult:\nn    (numeric) The current block count\n\nExamples:\n> bitcoin-cli getblockcount \n"
    '> curl --user myusername --data-binary \'{"jsonrpc": "2.0", "id": "curltest", "method": '
    '"getblockcount", "params": []}\' -H \'content-type: application/json\' http://127.0.0.1:8332/\n'
)
GETBLOCKHASH_HELP = (
    "getblockhash height\n\nReturns hash of block in best-block-chain at height provided.\n\nArguments:\n"
    '1. height    (numeric, required) The height index\n\nResult:\n"hex"    (string) The block hash\n\n'
    'Examples:\n> bitcoin-cli getblockhash 1000\n> curl --user myusername --data-binary \'{"jsonrpc": "2.0", '
    '"id": "curltest", "method": "getblockhash", "params": [1000]}\' -H \'content-type: application/json\' '
    "http://127.0.0.1:8332/\n"
)
GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
NOT_FOUND = '{"code":-32601,"message":"Method not found"}'

# (spec case, request, uri, expected reply text)
CASES: list[tuple[str, str, str, str]] = [
    ("1", '{"method":"getblockcount","id":1}', "/", '{"result":210,"error":null,"id":1}'),
    ("2", '{"jsonrpc":"2.0","method":"getblockcount","id":1}', "/", '{"jsonrpc":"2.0","result":210,"id":1}'),
    ("3", '{"jsonrpc":"1.0","method":"getblockcount","id":1}', "/", '{"result":210,"error":null,"id":1}'),
    (
        "4",
        '{"jsonrpc":"1.1","method":"getblockcount","id":1}',
        "/",
        '{"result":null,"error":{"code":-32600,"message":"JSON-RPC version not supported"},"id":1}',
    ),
    (
        "5",
        '{"jsonrpc":2,"method":"getblockcount","id":1}',
        "/",
        '{"result":null,"error":{"code":-32600,"message":"jsonrpc field must be a string"},"id":1}',
    ),
    ("6", '{"jsonrpc":null,"method":"getblockcount","id":1}', "/", '{"result":210,"error":null,"id":1}'),
    ("7", '{"method":"nosuch","id":1}', "/", '{"result":null,"error":' + NOT_FOUND + ',"id":1}'),
    (
        "8",
        '{"jsonrpc":"2.0","method":"nosuch","id":1}',
        "/",
        '{"jsonrpc":"2.0","error":' + NOT_FOUND + ',"id":1}',
    ),
    ("9", '{"jsonrpc":"2.0","method":"getblockcount"}', "/", "null"),
    ("10", '{"jsonrpc":"2.0","method":"nosuch"}', "/", "null"),
    (
        "11",
        '{"jsonrpc":"2.0","method":"getblockcount","id":null}',
        "/",
        '{"jsonrpc":"2.0","result":210,"id":null}',
    ),
    ("12", '{"method":"getblockcount"}', "/", '{"result":210,"error":null}'),
    ("13", '{"method":"nosuch"}', "/", '{"result":null,"error":' + NOT_FOUND + "}"),
    ("14", '{"id":1}', "/", '{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":1}'),
    (
        "15",
        '{"jsonrpc":"2.0","id":1}',
        "/",
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Missing method"},"id":1}',
    ),
    (
        "16",
        '{"method":1,"id":1}',
        "/",
        '{"result":null,"error":{"code":-32600,"message":"Method must be a string"},"id":1}',
    ),
    (
        "17",
        '{"method":"getblockcount","params":"x","id":1}',
        "/",
        '{"result":null,"error":{"code":-32600,"message":"Params must be an array or object"},"id":1}',
    ),
    ("18", '{"method":"getblockcount","params":null,"id":1}', "/", '{"result":210,"error":null,"id":1}'),
    ("19", '{"method":"getblockcount","params":{},"id":1}', "/", '{"result":210,"error":null,"id":1}'),
    (
        "20",
        '{"method":"getblockhash","params":{"height":0},"id":1}',
        "/",
        '{"result":"' + GENESIS + '","error":null,"id":1}',
    ),
    (
        "21",
        '{"method":"getblockhash","params":{"foo":0},"id":1}',
        "/",
        '{"result":null,"error":{"code":-8,"message":"Unknown named parameter foo"},"id":1}',
    ),
    (
        "22",
        '{"jsonrpc":"2.0","method":"getblockhash","params":{"foo":0},"id":1}',
        "/",
        '{"jsonrpc":"2.0","error":{"code":-8,"message":"Unknown named parameter foo"},"id":1}',
    ),
    (
        "23",
        '{"method":"getblockhash","params":{"height":0,"height":1},"id":1}',
        "/",
        '{"result":null,"error":{"code":-8,"message":"Parameter height specified multiple times"},"id":1}',
    ),
    (
        "24",
        '{"method":"getblockhash","params":["x"],"id":1}',
        "/",
        '{"result":null,"error":{"code":-3,"message":"Wrong type passed:\\n{\\n    \\"Position 1 (height)\\": '
        '\\"JSON value of type string is not of expected type number\\"\\n}"},"id":1}',
    ),
    (
        "26",
        '{"method":"getblockhash","params":[1000],"id":1}',
        "/",
        '{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}',
    ),
    (
        "29",
        "1",
        "/",
        '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}',
    ),
    (
        "30",
        '"x"',
        "/",
        '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}',
    ),
    (
        "31",
        "null",
        "/",
        '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}',
    ),
    ("32", "[]", "/", "[]"),
    (
        "33",
        '[{"method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"getblockcount","id":2},'
        '{"jsonrpc":"2.0","method":"nosuch","id":3},{"method":"nosuch","id":4}]',
        "/",
        '[{"result":210,"error":null,"id":1},{"jsonrpc":"2.0","result":210,"id":2},{"jsonrpc":"2.0","error":'
        + NOT_FOUND
        + ',"id":3},{"result":null,"error":'
        + NOT_FOUND
        + ',"id":4}]',
    ),
    (
        "34",
        '[{"jsonrpc":"2.0","method":"getblockcount","id":7},1]',
        "/",
        '[{"jsonrpc":"2.0","result":210,"id":7},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request object"},"id":7}]',
    ),
    (
        "35",
        "[1]",
        "/",
        '[{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}]',
    ),
    ("36", '[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"nosuch"}]', "/", "null"),
    (
        "37",
        '[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"getblockcount","id":"a"}]',
        "/",
        '[{"jsonrpc":"2.0","result":210,"id":"a"}]',
    ),
    (
        "38",
        '[{"jsonrpc":"2.0","method":"getblockcount","id":5},{"id":6}]',
        "/",
        '[{"jsonrpc":"2.0","result":210,"id":5},{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":6}]',
    ),
    (
        "39",
        '[{"jsonrpc":"3.0","method":"getblockcount","id":1}]',
        "/",
        '[{"result":null,"error":{"code":-32600,"message":"JSON-RPC version not supported"},"id":1}]',
    ),
    ("40", '[{"method":"getblockcount"}]', "/", '[{"result":210,"error":null}]'),
    (
        "49",
        '{"method":"getbalance","id":1}',
        "/wallet/",
        '{"result":null,"error":{"code":-18,"message":"Requested wallet does not exist or is not loaded"},"id":1}',
    ),
    (
        "50",
        '{"method":"getbalance","id":1}',
        "/wallet/nosuch",
        '{"result":null,"error":{"code":-18,"message":"Requested wallet does not exist or is not loaded"},"id":1}',
    ),
    ("51", '{"method":"getblockcount","id":1}', "/wallet/nosuch", '{"result":210,"error":null,"id":1}'),
    ("52", '{"method":"listwallets","id":1}', "/wallet/w", '{"result":["w"],"error":null,"id":1}'),
    ("53", '{"method":"getbalance","id":1}', "/", '{"result":5500.00000000,"error":null,"id":1}'),
    (
        "71",
        '{"method":"echo","params":["\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\"\\\\/\\u007f\\u0080\\u00e9'
        '\\u20ac\\ud83d\\ude00"],"id":1}',
        "/",
        '{"result":["\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\"\\\\/\\u007f\u0080\u00e9\u20ac\U0001f600"],'
        '"error":null,"id":1}',
    ),
    ("72", '{"method":"echo","params":["\u00e9"],"id":1}', "/", '{"result":["\u00e9"],"error":null,"id":1}'),
    (
        "73",
        '{"method":"echo","params":[1.50,-0,1e3,1E+3,0.0,-1.25e-10,12345678901234567890123],"id":1}',
        "/",
        '{"result":[1.50,-0,1e3,1E+3,0.0,-1.25e-10,12345678901234567890123],"error":null,"id":1}',
    ),
    ("74", '{"method":"getblockcount","id":1.50}', "/", '{"result":210,"error":null,"id":1.50}'),
    (
        "75",
        '{"method":"getblockcount","id":{"a":[1,true,null]}}',
        "/",
        '{"result":210,"error":null,"id":{"a":[1,true,null]}}',
    ),
    (
        "76",
        '{"method":"getblockcount","id":"a\\"/\\u00e9"}',
        "/",
        '{"result":210,"error":null,"id":"a\\"/\u00e9"}',
    ),
    (
        "77",
        '{ "method" : "echo" , "params" : [ { "a" : 1 , "b" : [ ] } , { } ] , "id" : 1 }',
        "/",
        '{"result":[{"a":1,"b":[]},{}],"error":null,"id":1}',
    ),
    (
        "89",
        '{"method":"getblockcount","method":"nosuch","id":1,"id":2}',
        "/",
        '{"result":210,"error":null,"id":1}',
    ),
    (
        "90",
        '{"method":"echo","params":' + "[" * 511 + "]" * 511 + ',"id":1}',
        "/",
        '{"result":' + "[" * 511 + "]" * 511 + ',"error":null,"id":1}',
    ),
    ("92", '{"method":"echo","params":["\\u00C9"],"id":1}', "/", '{"result":["\u00c9"],"error":null,"id":1}'),
    (
        "93",
        '{"jsonrpc":"2.0","method":"getblockhash","params":["x"],"id":1}',
        "/",
        '{"jsonrpc":"2.0","error":{"code":-3,"message":"Wrong type passed:\\n{\\n    \\"Position 1 (height)\\": '
        '\\"JSON value of type string is not of expected type number\\"\\n}"},"id":1}',
    ),
    (
        "94",
        '{"jsonrpc":"2.0","method":"echo","params":{"arg0":"a","args":["x"]},"id":1}',
        "/",
        '{"jsonrpc":"2.0","error":{"code":-8,"message":"Parameter arg0 specified twice both as positional and named '
        'argument"},"id":1}',
    ),
    (
        "95",
        '{"method":"echo","params":{"arg1":"b"},"id":1}',
        "/",
        '{"result":[null,"b"],"error":null,"id":1}',
    ),
    (
        "96",
        '{"method":"echojson","params":[1,"x",{"k":null}],"id":1}',
        "/",
        '{"result":[1,"x",{"k":null}],"error":null,"id":1}',
    ),
    ("97", '{"method":"GetBlockCount","id":1}', "/", '{"result":null,"error":' + NOT_FOUND + ',"id":1}'),
    (
        "98",
        '{"jsonrpc":"2.0","method":"getblockcount","params":"x"}',
        "/",
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Params must be an array or object"}}',
    ),
    (
        "99",
        '{"jsonrpc":"2.1","method":"getblockcount"}',
        "/",
        '{"result":null,"error":{"code":-32600,"message":"JSON-RPC version not supported"}}',
    ),
    (
        "100",
        '[[],{"method":"getblockcount","id":1}]',
        "/",
        '[{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null},{"result":210,"error":null,"id":1}]',
    ),
    (
        "101",
        "[[]]",
        "/",
        '[{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}]',
    ),
    (
        "102",
        '{"method":"help","params":["getblockcount"],"id":1}',
        "/",
        '{"result":' + write_json(GETBLOCKCOUNT_HELP) + ',"error":null,"id":1}',
    ),
    # IPC spec §10: what the node itself answers through executeRpc
    ("ipc-trailing", '{"method":"getblockcount","id":1}{}', "/", '{"result":210,"error":null,"id":1}'),
    (
        "ipc-empty",
        "",
        "/",
        '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}',
    ),
    (
        "ipc-notjson",
        "not json",
        "/",
        '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}',
    ),
]


class Hooks:
    def __init__(self, blocks: int) -> None:
        self.chain = RegtestChain()
        self.chain.mine(blocks)
        self.start_time = 0.0
        self.stops = 0
        self.warmup_status: str | None = None

    def request_stop(self) -> None:
        self.stops += 1


@pytest.fixture(scope="module")
def executor() -> RpcExecutor:
    return RpcExecutor(Hooks(210))


@pytest.mark.parametrize(("case", "request_text", "uri", "expected"), CASES, ids=[c[0] for c in CASES])
def test_spec_case(executor: RpcExecutor, case: str, request_text: str, uri: str, expected: str) -> None:
    assert executor.execute(request_text, uri, "") == expected


def test_help_texts_of_spec_error_cases(executor: RpcExecutor) -> None:
    # case 25: too many params -> -1 with the full help; acceptance "legacy missing param" for getblockhash
    assert executor.execute('{"method":"getblockcount","params":[1],"id":1}', "/", "") == (
        '{"result":null,"error":{"code":-1,"message":' + write_json(GETBLOCKCOUNT_HELP) + '},"id":1}'
    )
    assert executor.execute('{"id":1,"method":"getblockhash","params":[]}', "/", "") == (
        '{"result":null,"error":{"code":-1,"message":' + write_json(GETBLOCKHASH_HELP) + '},"id":1}'
    )


@pytest.mark.parametrize("height", ["1.0", "1e0", "2147483648", "-2147483649"])
def test_getblockhash_non_integer_is_json_integer_out_of_range(executor: RpcExecutor, height: str) -> None:
    reply = executor.execute('{"method":"getblockhash","params":[' + height + '],"id":1}', "/", "")
    assert reply == '{"result":null,"error":{"code":-1,"message":"JSON integer out of range"},"id":1}'


def test_getblockhash_heights(executor: RpcExecutor) -> None:
    chain = executor.node.chain
    for h in (0, 1, 105, 210):
        block = chain.at_height(h)
        assert block is not None
        assert executor.execute(f'{{"method":"getblockhash","params":[{h}],"id":1}}', "/", "") == (
            f'{{"result":"{block.hash_hex}","error":null,"id":1}}'
        )
    assert '"code":-8' in executor.execute('{"method":"getblockhash","params":[-1],"id":1}', "/", "")
    assert '"code":-8' in executor.execute('{"method":"getblockhash","params":[211],"id":1}', "/", "")


def test_getbestblockhash_and_getblockheader(executor: RpcExecutor) -> None:
    chain = executor.node.chain
    tip = chain.tip
    assert executor.execute('{"method":"getbestblockhash","id":1}', "/", "") == (
        f'{{"result":"{tip.hash_hex}","error":null,"id":1}}'
    )
    block = chain.at_height(5)
    assert block is not None
    raw = read_json(
        executor.execute(f'{{"method":"getblockheader","params":["{block.hash_hex}",false]}}', "/", "")
    )
    assert write_json(raw) == f'{{"result":"{block.header().hex()}","error":null}}'
    verbose = executor.execute(f'{{"method":"getblockheader","params":["{block.hash_hex}"],"id":1}}', "/", "")
    assert verbose.startswith(f'{{"result":{{"hash":"{block.hash_hex}","confirmations":206,"height":5,')
    assert '"difficulty":4.656542373906925e-10,' in verbose
    assert '"chainwork":"' + f"{12:064x}" + '"' in verbose
    assert f'"previousblockhash":"{block.prev_hash[::-1].hex()}"' in verbose
    assert '"nextblockhash":"' in verbose
    missing = executor.execute('{"method":"getblockheader","params":["' + "00" * 32 + '"],"id":1}', "/", "")
    assert missing == '{"result":null,"error":{"code":-5,"message":"Block not found"},"id":1}'
    short = executor.execute('{"method":"getblockheader","params":["abcd"],"id":1}', "/", "")
    assert short == (
        '{"result":null,"error":{"code":-8,"message":"hash must be of length 64 (not 4, for \'abcd\')"},"id":1}'
    )


def test_help_overview_lists_categories_and_hides_echo(executor: RpcExecutor) -> None:
    reply = read_json(executor.execute('{"method":"help","id":1}', "/", ""))
    text = replies.help_overview()
    assert write_json(reply) == '{"result":' + write_json(text) + ',"error":null,"id":1}'
    assert text.startswith(
        '== Blockchain ==\ngetbestblockhash\ngetblock "blockhash" ( verbosity )\ngetblockchaininfo\ngetblockcount\n'
        "getblockhash height\n"
    )
    assert '\n\n== Control ==\nhelp ( "command" )\nstop\nuptime\n\n== Network ==\ngetnetworkinfo\n\n== Wallet ==\n' in text
    assert "echo" not in text
    assert executor.execute('{"method":"help","params":["nosuch"],"id":1}', "/", "") == (
        '{"result":"help: unknown command: nosuch","error":null,"id":1}'
    )


def test_stop_answers_then_requests_shutdown() -> None:
    hooks = Hooks(0)
    ex = RpcExecutor(hooks)
    assert (
        ex.execute('{"method":"stop","id":1}', "/", "")
        == '{"result":"Bitcoin Core stopping","error":null,"id":1}'
    )
    assert hooks.stops == 1


def test_uptime_is_seconds_since_start() -> None:
    hooks = Hooks(0)
    import time

    hooks.start_time = time.time() - 42
    reply = RpcExecutor(hooks).execute('{"method":"uptime","id":1}', "/", "")
    assert reply in ('{"result":42,"error":null,"id":1}', '{"result":43,"error":null,"id":1}')


def test_balance_follows_maturity() -> None:
    hooks = Hooks(101)
    ex = RpcExecutor(hooks)
    assert (
        ex.execute('{"method":"getbalance","id":1}', "/wallet/w", "")
        == '{"result":50.00000000,"error":null,"id":1}'
    )
    hooks.chain.mine(1)
    assert (
        ex.execute('{"method":"getbalance","id":1}', "/", "") == '{"result":100.00000000,"error":null,"id":1}'
    )


def test_depth_limit_513_is_a_parse_failure(executor: RpcExecutor) -> None:
    reply = executor.execute('{"method":"echo","params":' + "[" * 512 + "]" * 512 + ',"id":1}', "/", "")
    assert (
        reply == '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}'
    )


def test_getblockstats_subsidy_halves_every_150_regtest_blocks() -> None:
    from bitcoin_rpc_mp.standin.node import StandinNode

    rpc = StandinNode(blocks=210).rpc
    body = '{"id":1,"method":"getblockstats","params":[%s,["subsidy","height"]]}'
    assert rpc.execute(body % "149", "/") == '{"result":{"height":149,"subsidy":5000000000},"error":null,"id":1}'
    assert rpc.execute(body % "150", "/") == '{"result":{"height":150,"subsidy":2500000000},"error":null,"id":1}'
    assert rpc.execute(body % "211", "/") == (
        '{"result":null,"error":{"code":-8,"message":"Target block height 211 after current tip 210"},"id":1}'
    )
    assert rpc.execute('{"id":1,"method":"getblockstats","params":[1,["nope"]]}', "/") == (
        '{"result":null,"error":{"code":-8,"message":"Invalid selected statistic \'nope\'"},"id":1}'
    )


def test_warmup_answers_minus_28_for_every_method_then_serves() -> None:
    """CRPCTable::execute: during warm-up every method, known or not, gets -28 with the status text; parse
    errors and invalid requests still come first."""
    hooks = Hooks(3)
    hooks.warmup_status = "Loading block index…"
    ex = RpcExecutor(hooks)
    warm = '"error":{"code":-28,"message":"Loading block index…"}'
    assert ex.execute('{"method":"getblockcount","id":1}', "/", "") == '{"result":null,' + warm + ',"id":1}'
    assert ex.execute('{"method":"nosuch","id":1}', "/", "") == '{"result":null,' + warm + ',"id":1}'
    assert ex.execute('{"jsonrpc":"2.0","method":"getblockcount","id":1}', "/", "") == (
        '{"jsonrpc":"2.0",' + warm + ',"id":1}')
    assert ex.execute('[{"method":"getblockcount","id":1}]', "/", "") == '[{"result":null,' + warm + ',"id":1}]'
    assert ex.execute('{"id":1}', "/", "") == (
        '{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":1}')
    assert ex.execute('{"method":"stop","id":1}', "/", "") == '{"result":null,' + warm + ',"id":1}'
    assert hooks.stops == 0, "stop is refused during warm-up too"
    hooks.warmup_status = None
    assert ex.execute('{"method":"getblockcount","id":1}', "/", "") == '{"result":3,"error":null,"id":1}'
