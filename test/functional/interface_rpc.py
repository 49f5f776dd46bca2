#!/usr/bin/env python3
"""Check the JSON-RPC layer as bitcoind serves it: envelopes, HTTP statuses, batches, parse errors, work queue.

Adapted from: bitcoin:test/functional/interface_rpc.py (facts only; our own code).

- JSON-RPC 2.0 versus legacy (1.0/absent) envelopes and the HTTP status of each, byte for byte
  (compat spec §4: parse-stage errors of a 2.0 request → 400 with a 2.0 body, execution errors → 200);
- notifications (2.0 without ``id`` → 204), legacy requests without ``id`` (reply without ``id`` key);
- method-not-found (404 legacy, 200 in 2.0; case-sensitive), duplicate keys (first wins);
- parse errors (``{``, empty body, trailing bytes) and top-level scalars;
- batches: mixed valid/invalid, notifications, empty ``[]``, a non-object element reusing the previous id;
- work-queue overflow: ``-rpcthreads=1 -rpcworkqueue=1`` with a slow node → some ``503 Work queue depth
  exceeded`` and the connection that got it stays usable.
"""

from __future__ import annotations

import json
import threading

from test_framework.framework import BitcoinTestFramework
from test_framework.rawhttp import (
    HTML_CONTENT_TYPE,
    RawHttpConnection,
    RawResponse,
    assert_json_reply,
    assert_no_content,
    assert_status,
    build_request,
)
from test_framework.util import (
    GENESIS_HASH_REGTEST,
    assert_equal,
    assert_greater_than_or_equal,
    assert_raises_rpc_error,
)

NOT_FOUND = '"error":{"code":-32601,"message":"Method not found"}'


class RPCInterfaceTest(BitcoinTestFramework):
    def set_test_params(self) -> None:
        self.num_blocks = 12

    def run_test(self) -> None:
        self.height = self.num_blocks
        self.test_plain_calls()
        self.test_envelopes()
        self.test_request_validation()
        self.test_parse_errors()
        self.test_batches()
        self.test_work_queue_exceeded()

    def post(self, body: str | bytes) -> RawResponse:
        return self.server.post(body)

    def test_plain_calls(self) -> None:
        self.log.info("Plain calls through the framework's client (JSON-RPC 2.0 and legacy)")
        rpc = self.rpc
        assert_equal(rpc.getblockcount(), self.height)
        assert_equal(rpc.getblockhash(0), GENESIS_HASH_REGTEST)
        assert_equal(rpc.getblockhash(height=0), GENESIS_HASH_REGTEST)
        assert_equal(rpc.getbestblockhash(), rpc.getblockhash(self.height))
        assert_raises_rpc_error(-32601, "Method not found", rpc.nosuchmethod)
        assert_raises_rpc_error(-8, "Block height out of range", rpc.getblockhash, -1)
        assert_raises_rpc_error(-8, "Block height out of range", rpc.getblockhash, self.height + 1)
        legacy = self.server.proxy(jsonrpc_version="1.0")
        assert_equal(legacy.getblockcount(), self.height)
        assert_raises_rpc_error(-8, "Block height out of range", legacy.getblockhash, -1)

    def test_envelopes(self) -> None:
        h = self.height
        self.log.info("Legacy and 2.0 success envelopes, id handling")
        assert_json_reply(self.post('{"method":"getblockcount","id":1}'), 200,
                          f'{{"result":{h},"error":null,"id":1}}\n')
        assert_json_reply(self.post('{"jsonrpc":"2.0","method":"getblockcount","id":1}'), 200,
                          f'{{"jsonrpc":"2.0","result":{h},"id":1}}\n')
        assert_json_reply(self.post('{"jsonrpc":"1.0","method":"getblockcount","id":"a"}'), 200,
                          f'{{"result":{h},"error":null,"id":"a"}}\n')
        assert_json_reply(self.post('{"jsonrpc":null,"method":"getblockcount","id":[1,{"x":1.50}]}'), 200,
                          f'{{"result":{h},"error":null,"id":[1,{{"x":1.50}}]}}\n')
        self.log.info("Legacy request without id: a full reply without an id key (not a notification)")
        assert_json_reply(self.post('{"method":"getblockcount"}'), 200, f'{{"result":{h},"error":null}}\n')
        assert_json_reply(self.post('{"method":"nosuch"}'), 404, '{"result":null,' + NOT_FOUND + "}\n")
        self.log.info("2.0 with id null is answered; 2.0 without id is a notification (204, even on error)")
        assert_json_reply(self.post('{"jsonrpc":"2.0","method":"getblockcount","id":null}'), 200,
                          f'{{"jsonrpc":"2.0","result":{h},"id":null}}\n')
        assert_no_content(self.post('{"jsonrpc":"2.0","method":"getblockcount"}'))
        assert_no_content(self.post('{"jsonrpc":"2.0","method":"nosuch"}'))
        assert_no_content(self.post('{"jsonrpc":"2.0","method":"getblockhash","params":[-1]}'))

        self.log.info("Method not found: 404 in legacy, 200 in 2.0; names are case-sensitive")
        assert_json_reply(self.post('{"method":"nosuch","id":1}'), 404, '{"result":null,' + NOT_FOUND + ',"id":1}\n')
        assert_json_reply(self.post('{"method":"GetBlockCount","id":1}'), 404,
                          '{"result":null,' + NOT_FOUND + ',"id":1}\n')
        assert_json_reply(self.post('{"jsonrpc":"2.0","method":"nosuch","id":1}'), 200,
                          '{"jsonrpc":"2.0",' + NOT_FOUND + ',"id":1}\n')

        self.log.info("Execution errors: legacy → 500, 2.0 → 200")
        out_of_range = '"error":{"code":-8,"message":"Block height out of range"}'
        assert_json_reply(self.post('{"method":"getblockhash","params":[-1],"id":1}'), 500,
                          '{"result":null,' + out_of_range + ',"id":1}\n')
        assert_json_reply(self.post('{"jsonrpc":"2.0","method":"getblockhash","params":[-1],"id":1}'), 200,
                          '{"jsonrpc":"2.0",' + out_of_range + ',"id":1}\n')
        assert_json_reply(self.post('{"method":"getblockhash","params":{"height":0},"id":1}'), 200,
                          f'{{"result":"{GENESIS_HASH_REGTEST}","error":null,"id":1}}\n')
        assert_json_reply(self.post('{"method":"getblockhash","params":{"foo":0},"id":1}'), 500,
                          '{"result":null,"error":{"code":-8,"message":"Unknown named parameter foo"},"id":1}\n')

        self.log.info("Duplicate keys: the first occurrence wins")
        assert_json_reply(self.post('{"method":"getblockcount","method":"nosuch","id":1,"id":2}'), 200,
                          f'{{"result":{h},"error":null,"id":1}}\n')

    def test_request_validation(self) -> None:
        self.log.info("Request-object errors: 400 in both versions, 2.0 keeps its envelope shape")

        def err(code: int, message: str) -> str:
            return json.dumps({"code": code, "message": message}, separators=(",", ":"))

        assert_json_reply(self.post('{"id":1}'), 400, '{"result":null,"error":' + err(-32600, "Missing method")
                          + ',"id":1}\n')
        assert_json_reply(self.post('{"jsonrpc":"2.0","id":1}'), 400,
                          '{"jsonrpc":"2.0","error":' + err(-32600, "Missing method") + ',"id":1}\n')
        assert_json_reply(self.post('{"method":1,"id":1}'), 400,
                          '{"result":null,"error":' + err(-32600, "Method must be a string") + ',"id":1}\n')
        assert_json_reply(self.post('{"method":"getblockcount","params":"x","id":1}'), 400,
                          '{"result":null,"error":' + err(-32600, "Params must be an array or object") + ',"id":1}\n')
        assert_json_reply(self.post('{"jsonrpc":"2.0","method":"getblockcount","params":"x"}'), 400,
                          '{"jsonrpc":"2.0","error":' + err(-32600, "Params must be an array or object") + "}\n")
        assert_json_reply(self.post('{"jsonrpc":"1.1","method":"getblockcount","id":1}'), 400,
                          '{"result":null,"error":' + err(-32600, "JSON-RPC version not supported") + ',"id":1}\n')
        assert_json_reply(self.post('{"jsonrpc":2,"method":"getblockcount","id":1}'), 400,
                          '{"result":null,"error":' + err(-32600, "jsonrpc field must be a string") + ',"id":1}\n')

    def test_parse_errors(self) -> None:
        self.log.info("Parse errors and top-level scalars → 500 with id null")
        parse_error = '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n'
        top_level = '{"result":null,"error":{"code":-32700,"message":"Top-level object parse error"},"id":null}\n'
        for body in ("{", "", '{"method":"getblockcount","id":1}x', '{"method":"getblockcount",}', "[1,]",
                     '{"method":"getblockcount","id":01}', "\x00"):
            assert_json_reply(self.post(body), 500, parse_error)
        for body in ("1", '"x"', "null", "true"):
            assert_json_reply(self.post(body), 500, top_level)

    def test_batches(self) -> None:
        h = self.height
        self.log.info("Batch with valid and invalid, legacy and 2.0 elements: 200, replies in request order")
        batch = ('[{"method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"getblockcount","id":2},'
                 '{"jsonrpc":"2.0","method":"nosuch","id":3},{"method":"nosuch","id":4},'
                 '{"method":"getblockhash","params":[-1],"id":5},{"id":6},'
                 '{"jsonrpc":"2.0","method":"getblockhash","params":[0],"id":7}]')
        assert_json_reply(self.post(batch), 200, (
            f'[{{"result":{h},"error":null,"id":1}},{{"jsonrpc":"2.0","result":{h},"id":2}},'
            '{"jsonrpc":"2.0",' + NOT_FOUND + ',"id":3},{"result":null,' + NOT_FOUND + ',"id":4},'
            '{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":5},'
            '{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":6},'
            f'{{"jsonrpc":"2.0","result":"{GENESIS_HASH_REGTEST}","id":7}}]\n'))

        self.log.info("Through the client: many elements come back in order")
        calls = [{"jsonrpc": "2.0", "method": "getblockhash", "params": [i % (h + 1)], "id": i} for i in range(40)]
        replies = self.rpc.batch(calls)
        assert_equal([r["id"] for r in replies], list(range(40)))
        assert_equal(replies[0]["result"], GENESIS_HASH_REGTEST)
        assert_equal(len({r["result"] for r in replies}), h + 1)

        self.log.info("Empty batch → 200 []; notification-only batch → 204; notifications leave no entry")
        assert_json_reply(self.post("[]"), 200, "[]\n")
        assert_no_content(self.post('[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"nosuch"}]'))
        assert_json_reply(
            self.post('[{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"getblockcount","id":"a"}]'),
            200, f'[{{"jsonrpc":"2.0","result":{h},"id":"a"}}]\n')
        assert_json_reply(self.post('[{"method":"getblockcount"}]'), 200, f'[{{"result":{h},"error":null}}]\n')

        self.log.info("A non-object element takes the previous element's id and version")
        invalid = '"error":{"code":-32600,"message":"Invalid Request object"}'
        assert_json_reply(self.post('[{"jsonrpc":"2.0","method":"getblockcount","id":7},1]'), 200,
                          f'[{{"jsonrpc":"2.0","result":{h},"id":7}},{{"jsonrpc":"2.0",' + invalid + ',"id":7}]\n')
        assert_json_reply(self.post("[1]"), 200, '[{"result":null,' + invalid + ',"id":null}]\n')
        assert_json_reply(self.post("[[]]"), 200, '[{"result":null,' + invalid + ',"id":null}]\n')

    def slow_request(self) -> bytes:
        if self.node.is_standin:
            return b'{"method":"getblockcount","id":1}'
        return b'{"method":"waitfornewblock","params":[500],"id":1}'

    def test_work_queue_exceeded(self) -> None:
        self.log.info("Work queue: -rpcthreads=1 -rpcworkqueue=1 and a node that takes 150 ms per call")
        self.server.stop()
        if self.node.is_standin:
            self.node.stop()
            self.node.start(["--delay-ms", "150"])
        self.start_server(["-rpcthreads=1", "-rpcworkqueue=1"])

        count = 8
        conns = [self.server.raw(timeout=30) for _ in range(count)]
        request = build_request("POST", "/", self.slow_request(), auth=self.server.auth())
        barrier = threading.Barrier(count)
        results: list[RawResponse | BaseException | None] = [None] * count

        def fire(i: int) -> None:
            try:
                barrier.wait()
                conns[i].send(request)
                results[i] = conns[i].read_response()
            except BaseException as exc:
                results[i] = exc

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for r in results:
            if not isinstance(r, RawResponse):
                raise AssertionError(f"a concurrent request got no reply: {r!r}")
        replies = [r for r in results if isinstance(r, RawResponse)]
        statuses = sorted(r.status for r in replies)
        self.log.info("statuses of %d concurrent requests: %s", count, statuses)
        rejected = [i for i, r in enumerate(replies) if r.status == 503]
        assert_greater_than_or_equal(len(rejected), 1)
        assert_greater_than_or_equal(statuses.count(200), 1)
        assert_equal(set(statuses) <= {200, 503}, True)
        for i in rejected:
            resp = replies[i]
            assert_status(resp, 503)
            assert_equal(resp.headers, [("Cache-Control", "no-store"), ("Date", resp.header("Date")),
                                        ("Content-Length", "25"), ("Content-Type", HTML_CONTENT_TYPE)])
            assert_equal(resp.body, b"Work queue depth exceeded")

        self.log.info("The connection that got a 503 stays open and serves the next request")
        conn: RawHttpConnection = conns[rejected[0]]
        conn.send(request)
        again = conn.read_response()
        assert_status(again, 200)
        assert_equal(again.json()["error"], None)
        for c in conns:
            c.close()


if __name__ == "__main__":
    RPCInterfaceTest().main()
