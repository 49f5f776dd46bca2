#!/usr/bin/env python3
"""Check the HTTP layer as bitcoind serves it: keep-alive, pipelining, body limits, idle timeout, framing.

Adapted from: bitcoin:test/functional/interface_http.py (facts only; our own code).

- keep-alive on HTTP/1.1 (default) and HTTP/1.0 (only with ``Connection: keep-alive``), ``Connection: close``,
  HTTP/1.0 replies without Date/Content-Length (compat spec §2);
- pipelining: two requests in one write are answered in order, and the second is parsed only after the first
  reply (a malformed second request does not spoil the first reply; a stray CRLF after a body is a second,
  bad request);
- a request sent in many small TCP writes; a chunked request body;
- request-line limits (a 1000-byte path → 404, a 10000-byte one → 400), GET → 405, unknown path → 404;
- body limit: exactly 32 MiB accepted, one byte more (Content-Length or chunked) → ``413 Content too large``
  and the connection closed;
- idle timeout: ``-rpcservertimeout=1`` closes an idle connection after about a second, but never while a
  request runs.
"""

from __future__ import annotations

import time

from test_framework.framework import BitcoinTestFramework
from test_framework.rawhttp import (
    RawHttpConnection,
    assert_empty_reply,
    assert_json_reply,
    assert_status,
    build_request,
)
from test_framework.util import (
    MAX_BODY_SIZE,
    assert_equal,
    assert_greater_than,
    assert_less_than,
)

GETBLOCKCOUNT = '{"method":"getblockcount","id":1}'


class HTTPBasicsTest(BitcoinTestFramework):
    def set_test_params(self) -> None:
        self.num_blocks = 5
        # the pipelining case uses waitfornewblock as its slow request: typed Mining calls answer it on any node
        # (the stand-in's Rpc does not know it)
        self.server_args = ["-ipcnative=1"]

    def run_test(self) -> None:
        self.reply_body = f'{{"result":{self.num_blocks},"error":null,"id":1}}\n'
        self.test_keep_alive()
        self.test_http10()
        self.test_connection_close()
        self.test_pipelining()
        self.test_small_writes_and_chunked()
        self.test_request_line_and_methods()
        self.test_body_limit()
        self.test_idle_timeout()

    def request(self, conn: RawHttpConnection, body: str = GETBLOCKCOUNT, **kwargs: object) -> None:
        conn.send(build_request("POST", "/", body, auth=self.server.auth(), **kwargs))  # type: ignore[arg-type]

    def test_keep_alive(self) -> None:
        self.log.info("HTTP/1.1: the connection stays open across requests")
        with self.server.raw() as conn:
            for _ in range(3):
                self.request(conn)
                assert_json_reply(conn.read_response(), 200, self.reply_body)
            assert_equal(conn.wait_closed(0.3), False)
            self.request(conn)
            assert_json_reply(conn.read_response(), 200, self.reply_body)

    def test_http10(self) -> None:
        self.log.info("HTTP/1.0 with Connection: keep-alive: kept open, Connection and Content-Length, no Date")
        with self.server.raw() as conn:
            for _ in range(2):
                self.request(conn, version="HTTP/1.0", headers=[("Connection", "keep-alive")])
                resp = conn.read_response()
                assert_status(resp, 200, version="HTTP/1.0")
                assert_equal(resp.headers, [("Content-Type", "application/json"), ("Connection", "keep-alive"),
                                            ("Content-Length", str(len(self.reply_body)))])
                assert_equal(resp.body, self.reply_body.encode())
            assert_equal(conn.wait_closed(0.3), False)

        self.log.info("HTTP/1.0 without keep-alive: only Content-Type, body until the server closes")
        with self.server.raw() as conn:
            self.request(conn, version="HTTP/1.0")
            resp = conn.read_response()
            assert_status(resp, 200, version="HTTP/1.0")
            assert_equal(resp.headers, [("Content-Type", "application/json")])
            assert_equal(resp.body, self.reply_body.encode())
            assert_equal(conn.eof, True)

    def test_connection_close(self) -> None:
        self.log.info("HTTP/1.1 with Connection: close: Connection: close last, then the server closes")
        with self.server.raw() as conn:
            self.request(conn, headers=[("Connection", "close")])
            resp = conn.read_response()
            assert_status(resp, 200)
            assert_equal(resp.header_names(), ["Content-Type", "Date", "Content-Length", "Connection"])
            assert_equal(resp.header("Connection"), "close")
            assert_equal(resp.body, self.reply_body.encode())
            assert_equal(conn.wait_closed(5), True)
            assert_equal(conn.pending(), b"")

    def test_pipelining(self) -> None:
        auth = self.server.auth()
        self.log.info("Pipelining: a slow request and a fast one in one write are answered in order")
        slow = build_request("POST", "/", '{"method":"waitfornewblock","params":[400],"id":"slow"}', auth=auth)
        fast = build_request("POST", "/", '{"method":"getblockcount","id":"fast"}', auth=auth)
        with self.server.raw() as conn:
            started = time.monotonic()
            conn.send(slow + fast)
            first = conn.read_response()
            second = conn.read_response()
            assert_status(first, 200)
            assert_equal(first.json()["id"], "slow")
            assert_equal(first.json()["result"]["height"], self.num_blocks)
            assert_greater_than(first.received_at - started, 0.35)
            assert_json_reply(second, 200, f'{{"result":{self.num_blocks},"error":null,"id":"fast"}}\n')

        self.log.info("Pipelining: a malformed second request does not spoil the first reply")
        with self.server.raw() as conn:
            conn.send(slow + b"POST / HTTP/2.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            first = conn.read_response()
            assert_status(first, 200)
            assert_equal(first.json()["id"], "slow")
            bad = conn.read_response()
            assert_empty_reply(bad, 400, first=[("Cache-Control", "no-store")])
            assert_equal(conn.wait_closed(5), True)

        self.log.info("A stray CRLF after a body is a second (bad) request: 200, then 400 and close")
        with self.server.raw() as conn:
            conn.send(build_request("POST", "/", GETBLOCKCOUNT, auth=auth) + b"\r\n")
            assert_json_reply(conn.read_response(), 200, self.reply_body)
            assert_empty_reply(conn.read_response(), 400, first=[("Cache-Control", "no-store")])
            assert_equal(conn.wait_closed(5), True)

    def test_small_writes_and_chunked(self) -> None:
        self.log.info("A request split across many small TCP writes")
        data = build_request("POST", "/", GETBLOCKCOUNT, auth=self.server.auth())
        with self.server.raw() as conn:
            for i in range(0, len(data), 3):
                conn.send(data[i:i + 3])
                time.sleep(0.002)
            assert_json_reply(conn.read_response(), 200, self.reply_body)

        self.log.info("A chunked request body")
        body = GETBLOCKCOUNT.encode()
        chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
        with self.server.raw() as conn:
            conn.send(build_request("POST", "/", chunked, auth=self.server.auth(), content_length=False,
                                    headers=[("Transfer-Encoding", "chunked")]))
            assert_json_reply(conn.read_response(), 200, self.reply_body)

    def test_request_line_and_methods(self) -> None:
        self.log.info("Request line limits: a 1000-byte path → 404, a 10000-byte path → 400")
        resp = self.server.post("", method="GET", path="/" + "x" * 1000)
        assert_empty_reply(resp, 404, first=[("Cache-Control", "no-store")])
        resp = self.server.post("", method="GET", path="/" + "x" * 10000)
        assert_empty_reply(resp, 400, first=[("Cache-Control", "no-store")])

        self.log.info("GET / → 405 with its text body (no auth needed); DELETE → empty 405")
        resp = self.server.post("", method="GET", auth=None)
        assert_empty_reply(resp, 405, body=b"JSONRPC server handles only POST requests")
        resp = self.server.post("", method="DELETE", auth=None)
        assert_empty_reply(resp, 405, first=[("Cache-Control", "no-store")])

    def test_body_limit(self) -> None:
        auth = self.server.auth()
        self.log.info("A body of exactly 32 MiB is accepted")
        head = b'{"method":"getblockcount","id":1,"pad":"'
        tail = b'"}'
        body = head + b"x" * (MAX_BODY_SIZE - len(head) - len(tail)) + tail
        assert_equal(len(body), MAX_BODY_SIZE)
        with self.server.raw(timeout=60) as conn:
            started = time.monotonic()
            conn.send(build_request("POST", "/", body, auth=auth))
            assert_json_reply(conn.read_response(), 200, self.reply_body)
            self.log.info("  answered in %.2f s", time.monotonic() - started)
            del body

        self.log.info("Content-Length one byte over 32 MiB → 413 Content too large, connection closed")
        with self.server.raw() as conn:
            conn.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_SIZE + 1))
            resp = conn.read_response()
            assert_empty_reply(resp, 413, first=[("Cache-Control", "no-store")])
            assert_equal(conn.wait_closed(5), True)

        self.log.info("A chunked body growing past 32 MiB → 413, connection closed")
        with self.server.raw(timeout=60) as conn:
            conn.send(build_request("POST", "/", b"", auth=auth, content_length=False,
                                    headers=[("Transfer-Encoding", "chunked")]))
            mib = 1024 * 1024
            chunk = b"%x\r\n" % mib + b"x" * mib + b"\r\n"
            for _ in range(MAX_BODY_SIZE // mib):
                conn.send(chunk)
            conn.send(b"1\r\n")
            try:
                resp = conn.read_response_within(1.0)
            except TimeoutError:
                conn.send(b"x\r\n")
                resp = conn.read_response()
            assert_empty_reply(resp, 413, first=[("Cache-Control", "no-store")])
            assert_equal(conn.wait_closed(5), True)

    def test_idle_timeout(self) -> None:
        self.log.info("Idle timeout: restart with -rpcservertimeout=1")
        self.restart_server([*self.server_args, "-rpcservertimeout=1"])
        with self.server.raw() as conn:
            started = time.monotonic()
            assert_equal(conn.wait_closed(5), True)
            elapsed = time.monotonic() - started
            self.log.info("  an idle new connection was closed after %.2f s", elapsed)
            assert_greater_than(elapsed, 0.9)
            assert_less_than(elapsed, 3.0)
            assert_equal(conn.pending(), b"")

        with self.server.raw() as conn:
            self.request(conn)
            assert_json_reply(conn.read_response(), 200, self.reply_body)
            started = time.monotonic()
            assert_equal(conn.wait_closed(5), True)
            elapsed = time.monotonic() - started
            self.log.info("  a connection idle after a reply was closed after %.2f s", elapsed)
            assert_greater_than(elapsed, 0.9)
            assert_less_than(elapsed, 3.0)

        self.log.info("A request running longer than the timeout is not cut off")
        with self.server.raw() as conn:
            started = time.monotonic()
            self.request(conn, '{"method":"waitfornewblock","params":[2200],"id":1}')
            resp = conn.read_response()
            assert_status(resp, 200)
            assert_equal(resp.json()["result"]["height"], self.num_blocks)
            assert_greater_than(time.monotonic() - started, 2.1)


if __name__ == "__main__":
    HTTPBasicsTest().main()
