#!/usr/bin/env python3
"""Check per-user RPC whitelists (-rpcwhitelist, -rpcwhitelistdefault), batches, and the duplicate-key attack.

Adapted from: bitcoin:test/functional/rpc_whitelist.py (facts only; our own code).

- a user's list splits on commas and spaces; a user named twice gets the intersection; ``-rpcwhitelist=USER``
  (no colon) allows nothing; a listed method → 200, any other → ``403 Forbidden`` with an empty body;
- once any whitelist exists, users without one (the cookie user too) get 403 for any body that parses as
  JSON, while an unparsable body still gets the 500 Parse error; ``-rpcwhitelistdefault=0`` lets them in,
  ``-rpcwhitelistdefault=1`` without any list shuts everyone out;
- batches are checked whole before anything runs (one forbidden element → 403; a non-object → 400
  ``Invalid Request object``; an element without a method → 500);
- the security case: with ``-rpcwhitelist=alice:getblockcount`` the body
  ``{"method":"stop","method":"getblockcount","id":1}`` from alice is refused (403) because the node would run
  the first ``method`` (stop), and the node and the server are still running afterwards.
"""

from __future__ import annotations

import time

from test_framework.framework import BitcoinTestFramework
from test_framework.rawhttp import RawResponse, assert_empty_reply, assert_json_reply, assert_status
from test_framework.util import GENESIS_HASH_REGTEST, assert_equal, rpcauth_line

USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw", "dave": "davepw", "eve": "evepw"}
WHITELISTS = [
    "-rpcwhitelist=alice:getblockcount,getbestblockhash",
    "-rpcwhitelist=bob:getblockcount, getblockhash  help",
    "-rpcwhitelist=dave",
    "-rpcwhitelist=eve:getblockcount,getblockhash",
    "-rpcwhitelist=eve:getblockhash,getbestblockhash",
]


class RPCWhitelistTest(BitcoinTestFramework):
    def set_test_params(self) -> None:
        self.num_blocks = 4
        self.setup_server = False

    def run_test(self) -> None:
        self.auth_args = [f"-rpcauth={rpcauth_line(user, pw)}" for user, pw in USERS.items()]
        self.start_server([*self.auth_args, *WHITELISTS], userpass=None, credentials=("alice", "alicepw"))
        self.test_single_calls()
        self.test_default_users()
        self.test_batches()
        self.test_duplicate_method_key()
        self.test_whitelistdefault()

    def post(self, user: str, body: str) -> RawResponse:
        return self.server.post(body, auth=(user, USERS[user]))

    def assert_allowed(self, user: str, method: str, params: str = "[]") -> RawResponse:
        resp = self.post(user, f'{{"method":"{method}","params":{params},"id":1}}')
        if resp.status == 403:
            raise AssertionError(f"{user} was refused {method}")
        return resp

    def assert_forbidden(self, user: str, body: str) -> None:
        assert_empty_reply(self.post(user, body), 403)

    def test_single_calls(self) -> None:
        h = self.num_blocks
        self.log.info("alice: getblockcount and getbestblockhash only")
        assert_json_reply(self.assert_allowed("alice", "getblockcount"), 200, f'{{"result":{h},"error":null,"id":1}}\n')
        assert_status(self.assert_allowed("alice", "getbestblockhash"), 200)
        self.assert_forbidden("alice", '{"method":"getblockhash","params":[0],"id":1}')
        self.assert_forbidden("alice", '{"method":"stop","id":1}')
        self.assert_forbidden("alice", '{"jsonrpc":"2.0","method":"getblockhash","params":[0]}')

        self.log.info("alice: bodies that fail to parse or validate still get their JSON-RPC errors first")
        assert_json_reply(self.post("alice", "{"), 500,
                          '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n')
        assert_json_reply(self.post("alice", '{"id":1}'), 400,
                          '{"result":null,"error":{"code":-32600,"message":"Missing method"},"id":1}\n')

        self.log.info("bob: the list splits on commas and spaces")
        resp = self.assert_allowed("bob", "getblockhash", "[0]")
        assert_equal(resp.json()["result"], GENESIS_HASH_REGTEST)
        self.assert_allowed("bob", "getblockcount")
        self.assert_allowed("bob", "help")
        self.assert_forbidden("bob", '{"method":"getbestblockhash","id":1}')

        self.log.info("eve: named twice → the intersection (getblockhash only)")
        self.assert_allowed("eve", "getblockhash", "[0]")
        self.assert_forbidden("eve", '{"method":"getblockcount","id":1}')
        self.assert_forbidden("eve", '{"method":"getbestblockhash","id":1}')

        self.log.info("dave: -rpcwhitelist=dave (no colon) → nothing allowed")
        self.assert_forbidden("dave", '{"method":"getblockcount","id":1}')
        self.assert_forbidden("dave", '{"method":"help","id":1}')

    def test_default_users(self) -> None:
        self.log.info("carol has no list: with whitelists present the default is deny (403 for valid JSON)")
        for body in ('{"method":"getblockcount","id":1}', "[]", "1", '{"id":1}'):
            self.assert_forbidden("carol", body)
        assert_json_reply(self.post("carol", "{"), 500,
                          '{"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null}\n')

        self.log.info("The cookie user is denied as well")
        assert_empty_reply(self.server.post('{"method":"getblockcount","id":1}', auth=self.server.read_cookie()), 403)

    def test_batches(self) -> None:
        h = self.num_blocks
        self.log.info("alice: a batch of allowed methods runs")
        assert_json_reply(self.post("alice", '[{"method":"getblockcount","id":1},{"method":"getbestblockhash","id":2}]'),
                          200, self.expected_batch(h))
        self.log.info("alice: one forbidden element refuses the whole batch")
        self.assert_forbidden("alice", '[{"method":"getblockcount","id":1},{"method":"getblockhash","params":[0],"id":2}]')
        self.assert_forbidden("alice", '[{"method":"getblockcount","id":1},{"method":"stop","id":2}]')
        self.log.info("alice: a non-object element → 400, an element without method → 500")
        assert_json_reply(self.post("alice", "[1]"), 400,
                          '{"result":null,"error":{"code":-32600,"message":"Invalid Request object"},"id":null}\n')
        assert_json_reply(self.post("alice", '[{"id":1}]'), 500,
                          '{"result":null,"error":{"code":-32700,'
                          '"message":"JSON value of type null is not of expected type string"},"id":null}\n')

    def expected_batch(self, h: int) -> str:
        best = self.post("alice", '{"method":"getbestblockhash","id":2}').json()["result"]
        return f'[{{"result":{h},"error":null,"id":1}},{{"result":"{best}","error":null,"id":2}}]\n'

    def test_duplicate_method_key(self) -> None:
        h = self.num_blocks
        self.log.info("Security: alice sends {\"method\":\"stop\",\"method\":\"getblockcount\"} → 403, node untouched")
        self.assert_forbidden("alice", '{"method":"stop","method":"getblockcount","id":1}')
        self.assert_forbidden("alice", '[{"method":"stop","method":"getblockcount","id":1}]')
        self.assert_forbidden("alice", '{"jsonrpc":"2.0","method":"stop","method":"getblockcount"}')
        time.sleep(0.5)  # a stop that got through would end the node by now
        assert_equal(self.node.running, True)
        assert_equal(self.server.running, True)
        assert_json_reply(self.post("alice", '{"method":"getblockcount","id":1}'), 200,
                          f'{{"result":{h},"error":null,"id":1}}\n')

        self.log.info("The reverse order runs getblockcount (the first key wins), and nothing stops")
        assert_json_reply(self.post("alice", '{"method":"getblockcount","method":"stop","id":1}'), 200,
                          f'{{"result":{h},"error":null,"id":1}}\n')
        time.sleep(0.5)
        assert_equal(self.node.running, True)
        assert_equal(self.server.running, True)
        assert_status(self.post("alice", '{"method":"getblockcount","id":1}'), 200)

    def test_whitelistdefault(self) -> None:
        self.log.info("-rpcwhitelistdefault=0: users without a list may call anything, listed users stay limited")
        self.restart_server([*self.auth_args, *WHITELISTS, "-rpcwhitelistdefault=0"], userpass=None,
                            credentials=("alice", "alicepw"))
        resp = self.assert_allowed("carol", "getblockhash", "[0]")
        assert_equal(resp.json()["result"], GENESIS_HASH_REGTEST)
        self.assert_forbidden("alice", '{"method":"getblockhash","params":[0],"id":1}')

        self.log.info("-rpcwhitelistdefault=1 without any list: everyone is refused")
        self.restart_server([*self.auth_args, "-rpcwhitelistdefault=1"], userpass=None,
                            credentials=("alice", "alicepw"), wait_for_node=False)
        for user in USERS:
            self.assert_forbidden(user, '{"method":"getblockcount","id":1}')


if __name__ == "__main__":
    RPCWhitelistTest().main()
