"""bitcoin_rpc_mp.http.connection: bitcoind's request parsing rules (compat spec §1, §2, §7), one request at a
time, keep-alive and EOF, each rule on its own input."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.http.connection import (
    MAX_BODY_SIZE,
    MAX_HEADERS_SIZE,
    NEED_DATA,
    HttpConnection,
    ProtocolFailure,
    Request,
)
from bitcoin_rpc_mp.http.events import Response

NOW = 0.0
OK = Response(200, (("Content-Type", "application/json"),), b"{}\n")


def feed(data: bytes, **kwargs: int) -> tuple[HttpConnection, Request | ProtocolFailure | None]:
    conn = HttpConnection(**kwargs)
    conn.receive_data(data)
    event = conn.next_event()
    return conn, (None if event is NEED_DATA else event)


def request_of(data: bytes, **kwargs: int) -> Request:
    _, event = feed(data, **kwargs)
    assert isinstance(event, Request), event
    return event


def failure_of(data: bytes, **kwargs: int) -> ProtocolFailure:
    _, event = feed(data, **kwargs)
    assert isinstance(event, ProtocolFailure), event
    return event


def status_of(data: bytes, **kwargs: int) -> int | None:
    """200 for a parsed request, the failure status, or None when more data is needed."""
    _, event = feed(data, **kwargs)
    if event is None:
        return None
    return 200 if isinstance(event, Request) else event.status


# -- request line -------------------------------------------------------------------------------------------


def test_minimal_request() -> None:
    req = request_of(b"GET / HTTP/1.0\r\n\r\n")
    assert (req.method, req.target, req.version, req.headers, req.body) == ("GET", "/", (1, 0), (), b"")


@pytest.mark.parametrize(
    "line",
    [
        b"GET / HTTP/1.",  # 13 chars
        b"GET/HTTP/1.0",
        b"GET / HTTP1.0",  # too short
        b"GET  / HTTP/1.1",  # empty part: four parts
        b"GET / HTTP/1.1 x",
        b"GET\t/\tHTTP/1.1xx",  # tabs do not separate
        b"GET / HTTP/1.1 ",
        b" GET / HTTP/1.1",
        b"GET /\0 HTTP/1.1",
    ],
)
def test_bad_request_line_is_400(line: bytes) -> None:
    failure = failure_of(line + b"\r\n\r\n")
    assert failure.status == 400
    assert failure.version == (1, 1) and failure.headers == ()


def test_shortest_request_line_is_14_bytes_after_cr() -> None:
    assert status_of(b"GET / HTTP/1.0\r\n\r\n") == 200
    assert status_of(b"GET / HTTP/1\r\n\r\n") == 400


@pytest.mark.parametrize("minor", range(10))
def test_versions_1_0_to_1_9_accepted(minor: int) -> None:
    assert request_of(b"POST / HTTP/1.%d\r\n\r\n" % minor).version == (1, minor)


@pytest.mark.parametrize(
    "version",
    [
        b"HTTP/2.0",
        b"HTTP/1.10",
        b"HTTP/1.00",
        b"HTTP/0.9",
        b"HTTP/1.x",
        b"http/1.1",
        b"HTTP/01.1",
        b"HTTP/-1.0",
        b"HTTP/1.1\r",
        b"HTTP/+1.1",
        b"HTTP/1.1.1",
        b"HTTPS/1.1",
    ],
)
def test_other_versions_are_400_answered_as_1_1(version: bytes) -> None:
    conn, failure = feed(b"POST / " + version + b"\r\nHost: x\r\n\r\n")
    assert isinstance(failure, ProtocolFailure) and failure.status == 400
    out = conn.send_response(failure.response, NOW)
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\nCache-Control: no-store\r\n")
    assert conn.must_close


def test_lf_only_line_ends() -> None:
    req = request_of(b"POST /wallet/x HTTP/1.1\nHost: a\nContent-Length: 2\n\n{}")
    assert req.target == "/wallet/x" and req.header("host") == "a" and req.body == b"{}"


def test_method_and_target_are_taken_verbatim() -> None:
    req = request_of(b"post /?x=1%20\xe9 HTTP/1.1\r\n\r\n")
    assert req.method == "post" and req.target.encode("latin-1") == b"/?x=1%20\xe9"


def test_request_line_limit_counts_cr_not_lf() -> None:
    prefix, suffix = b"GET /", b" HTTP/1.1\r"
    fill = MAX_HEADERS_SIZE - len(prefix) - len(suffix)
    at_limit = prefix + b"a" * fill + suffix
    assert len(at_limit) == MAX_HEADERS_SIZE
    assert status_of(at_limit + b"\n\r\n") == 200
    assert status_of(prefix + b"a" * (fill + 1) + suffix + b"\n\r\n") == 400
    # LF-only: the CR is gone, so one more target byte fits
    assert status_of(prefix + b"a" * (fill + 1) + b" HTTP/1.1\n\n") == 200


def test_long_request_line_fails_before_its_lf() -> None:
    assert status_of(b"G" * MAX_HEADERS_SIZE) is None
    assert status_of(b"G" * (MAX_HEADERS_SIZE + 1)) == 400


def test_8000_byte_request_line_and_1000_bytes_of_headers_accepted() -> None:
    target = b"/" + b"x" * (8000 - len(b"POST  HTTP/1.1\r") - 1)
    line = b"POST " + target + b" HTTP/1.1\r\n"
    assert len(line) == 8001
    req = request_of(line + b"X-Pad: " + b"p" * 989 + b"\r\n\r\n")
    assert req.target.encode() == target


def test_empty_line_instead_of_request_is_400() -> None:
    assert status_of(b"\r\n") == 400
    assert status_of(b"\n") == 400


# -- headers ------------------------------------------------------------------------------------------------


def test_headers_in_order_with_duplicates_first_wins() -> None:
    req = request_of(b"GET / HTTP/1.1\r\nA: 1\r\nb: 2\r\na: 3\r\nX-Y:z\r\n\r\n")
    assert req.headers == (("A", "1"), ("b", "2"), ("a", "3"), ("X-Y", "z"))
    assert req.header("a") == "1" and req.header("B") == "2" and req.header("x-y") == "z"
    assert req.header("missing") is None


def test_header_value_is_trimmed_and_may_hold_colons() -> None:
    req = request_of(b"GET / HTTP/1.1\r\nHost: \t 127.0.0.1:8332 \x0b\x0c\t\r\nEmpty:\r\n\r\n")
    assert req.header("Host") == "127.0.0.1:8332" and req.header("empty") == ""


def test_header_bytes_survive_as_latin1() -> None:
    req = request_of(b"GET / HTTP/1.1\r\nX-B: \xff\xe9\x80\r\n\r\n")
    assert req.header("X-B").encode("latin-1") == b"\xff\xe9\x80"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "line",
    [
        b"Host 127.0.0.1",  # no colon
        b": value",  # empty name
        b"key : value",  # whitespace in name
        b" key: value",
        b"ke\ty: value",
        b"ke\x0by: value",
        b"X: foo\rbar",  # bare CR
        b"X: foo\r",  # CR before CRLF
        b"X: foo\0bar",  # NUL
    ],
)
def test_bad_header_line_is_400(line: bytes) -> None:
    failure = failure_of(b"POST / HTTP/1.0\r\nHost: a\r\n" + line + b"\r\n\r\n")
    assert failure.status == 400
    assert failure.version == (1, 0)  # the request line had parsed
    assert failure.headers == ()  # the header block had not


def test_failure_reply_uses_request_version() -> None:
    conn, failure = feed(b"POST / HTTP/1.0\r\nbad\r\n\r\n")
    assert isinstance(failure, ProtocolFailure)
    assert conn.send_response(failure.response, NOW) == (
        b"HTTP/1.0 400 Bad Request\r\nCache-Control: no-store\r\nContent-Type: text/html; charset=ISO-8859-1\r\n\r\n"
    )


def _headers_of_size(total: int, line_end: bytes = b"\r\n") -> bytes:
    """A header block (lines plus the empty line) of exactly `total` bytes."""
    budget = total - len(line_end)  # the final empty line
    lines = []
    while budget > 0:
        size = min(budget, 1000)
        if size < len(b"X:") + len(line_end):
            size = budget
        lines.append(b"X:" + b"v" * (size - 2 - len(line_end)) + line_end)
        budget -= size
    block = b"".join(lines) + line_end
    assert len(block) == total
    return block


@pytest.mark.parametrize("line_end", [b"\r\n", b"\n"])
def test_header_block_limit(line_end: bytes) -> None:
    start = b"GET / HTTP/1.1" + line_end
    assert status_of(start + _headers_of_size(MAX_HEADERS_SIZE, line_end)) == 200
    assert status_of(start + _headers_of_size(MAX_HEADERS_SIZE + 1, line_end)) == 400


def test_header_block_limit_excludes_request_line() -> None:
    line = b"GET /" + b"t" * 8000 + b" HTTP/1.1\r\n"
    assert status_of(line + _headers_of_size(MAX_HEADERS_SIZE)) == 200


def test_single_oversized_header_line_fails_before_its_lf() -> None:
    assert status_of(b"GET / HTTP/1.1\r\nX: " + b"v" * MAX_HEADERS_SIZE) == 400


# -- body: Content-Length -----------------------------------------------------------------------------------


def test_content_length_body_and_leftover() -> None:
    conn, req = feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET")
    assert isinstance(req, Request) and req.body == b"hello"
    assert conn.buffered_bytes == 3


def test_content_length_waits_for_the_whole_body() -> None:
    conn, event = feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel")
    assert event is None
    conn.receive_data(b"lo")
    req = conn.next_event()
    assert isinstance(req, Request) and req.body == b"hello"


def test_identical_content_lengths_allowed() -> None:
    req = request_of(b"POST / HTTP/1.1\r\nContent-Length: 2\r\ncontent-length:  2 \r\n\r\n{}")
    assert req.body == b"{}"


@pytest.mark.parametrize(
    "values",
    [
        [b"1", b"2"],
        [b"8", b"08"],
        [b"eleven"],
        [b"-8"],
        [b"+5"],
        [b"5 5"],
        [b""],
        [b"0x10"],
        [b"1.0"],
        [b"\xb2"],
        [b"18446744073709551616"],
    ],
)
def test_bad_content_length_is_400(values: list[bytes]) -> None:
    head = b"".join(b"Content-Length: " + v + b"\r\n" for v in values)
    failure = failure_of(b"POST / HTTP/1.1\r\nConnection: close\r\n" + head + b"\r\n{}")
    assert failure.status == 400
    assert failure.headers[0] == ("Connection", "close")


def test_no_content_length_means_empty_body() -> None:
    conn, req = feed(b'POST / HTTP/1.1\r\n\r\n{"method":"x"}')
    assert isinstance(req, Request) and req.body == b""
    assert conn.buffered_bytes == len(b'{"method":"x"}')


def test_body_limit_decided_from_content_length_before_any_body() -> None:
    assert status_of(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % MAX_BODY_SIZE) is None
    conn, failure = feed(b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_SIZE + 1))
    assert isinstance(failure, ProtocolFailure) and failure.status == 413
    assert conn.send_response(failure.response, NOW) == (
        b"HTTP/1.0 413 Content too large\r\nCache-Control: no-store\r\n"
        b"Content-Type: text/html; charset=ISO-8859-1\r\n\r\n"
    )
    assert conn.must_close


def test_huge_content_length_is_413_not_400() -> None:
    assert status_of(b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n") == 413


def test_body_exactly_at_limit_accepted() -> None:
    req = request_of(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", max_body_size=10)
    assert req.body == b"0123456789"
    assert status_of(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", max_body_size=10) == 413


# -- body: chunked ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"chunked", b"Chunked", b"CHUNKED", b"  chunked\t"])
def test_chunked_value_is_case_insensitive(value: bytes) -> None:
    req = request_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: " + value + b"\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert req.body == b"{}"


def test_chunked_beats_content_length() -> None:
    req = request_of(
        b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    assert req.body == b"{}"


def test_chunked_ignores_even_a_bad_content_length() -> None:
    req = request_of(b"POST / HTTP/1.1\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert req.body == b""


def test_gzip_chunked_is_framed_by_content_length() -> None:
    _, req = feed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    assert isinstance(req, Request) and req.body == b"2\r\n"


def test_first_transfer_encoding_header_decides() -> None:
    req = request_of(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
    )
    assert req.body == b""


def test_chunk_sizes_hex_with_whitespace_extensions_and_trailers() -> None:
    req = request_of(
        b"POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n"
        b"10;sha256=00ff\n" + b'{"method":"getbl' + b"\n"
        b"   A   ;    compressed\n" + b'ockcount"}' + b"\r\n"
        b"0;why;would;anyone\n"
        b"Expires: Wed, 21 Oct 2026 07:28:00 GMT\n"
        b"\n"
    )
    assert req.body == b'{"method":"getblockcount"}'
    assert req.header("Expires") is None  # trailers are dropped


@pytest.mark.parametrize("size_line", [b"XVI", b"", b"0x10", b"-1", b"+1", b"1 0", b"10000000000000000"])
def test_bad_chunk_size_is_400(size_line: bytes) -> None:
    assert status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n") == 400


def test_chunk_without_terminating_line_end_is_400() -> None:
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}x\r\n0\r\n\r\n"
    assert status_of(data) == 400
    assert status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\r\n0\r\n\r\n") == 400


def test_chunked_waits_for_terminator_and_last_chunk() -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert status_of(head + b"2\r\n{}") is None
    assert status_of(head + b"2\r\n{}\r\n") is None
    assert status_of(head + b"2\r\n{}\r\n0\r\n") is None
    assert status_of(head + b"2\r\n{}\r\n0\r\n\r\n") == 200


def test_bad_trailer_is_400() -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
    assert status_of(head + b"Bad trailer\r\n\r\n") == 400
    assert status_of(head + b"X: " + b"v" * MAX_HEADERS_SIZE + b"\r\n\r\n") == 400


def test_trailer_block_has_its_own_limit() -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + _headers_of_size(8000)[:-2] + b"\r\n"
    assert status_of(head + b"0\r\n" + _headers_of_size(MAX_HEADERS_SIZE)) == 200
    assert status_of(head + b"0\r\n" + _headers_of_size(MAX_HEADERS_SIZE + 1)) == 400


def test_chunk_total_over_limit_is_413_before_the_data() -> None:
    head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert status_of(head + b"6\r\n012345\r\n5\r\n", max_body_size=10) == 413
    assert status_of(head + b"6\r\n012345\r\n4\r\n0123\r\n0\r\n\r\n", max_body_size=10) == 200
    assert status_of(head + b"20000000\r\n") == 413  # 512 MiB at the default limit
    _, failure = feed(head + b"ffffffffffffffff\r\n")
    assert isinstance(failure, ProtocolFailure) and failure.status == 413
    assert failure.headers == (("Transfer-Encoding", "chunked"),)


# -- one request at a time, keep-alive, EOF -----------------------------------------------------------------


def test_next_request_not_parsed_before_reply() -> None:
    conn = HttpConnection()
    conn.receive_data(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGARBAGE\r\n")
    first = conn.next_event()
    assert isinstance(first, Request) and conn.awaiting_response
    assert conn.next_event() is NEED_DATA and conn.next_event() is NEED_DATA
    assert conn.buffered_bytes == len(b"GARBAGE\r\n")
    conn.send_response(OK, NOW)
    assert not conn.awaiting_response and not conn.must_close
    failure = conn.next_event()
    assert isinstance(failure, ProtocolFailure) and failure.status == 400


def test_stray_crlf_after_body_gives_second_reply_400_and_close() -> None:
    conn = HttpConnection()
    conn.receive_data(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}\r\n")
    assert isinstance(conn.next_event(), Request)
    conn.send_response(OK, NOW)
    failure = conn.next_event()
    assert isinstance(failure, ProtocolFailure)
    assert conn.send_response(failure.response, NOW).startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert conn.must_close


def test_pipelined_requests_in_order() -> None:
    conn = HttpConnection()
    conn.receive_data(
        b"POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\naPOST /b HTTP/1.0\r\nConnection: keep-alive\r\n"
    )
    conn.receive_data(b"Content-Length: 1\r\n\r\nbGET /c HTTP/1.1\r\n\r\n")
    seen = []
    while (event := conn.next_event()) is not NEED_DATA:
        assert isinstance(event, Request)
        seen.append((event.target, event.body))
        conn.send_response(OK, NOW)
    assert seen == [("/a", b"a"), ("/b", b"b"), ("/c", b"")]
    assert conn.buffered_bytes == 0 and not conn.must_close


@pytest.mark.parametrize(
    ("head", "close"),
    [
        (b"GET / HTTP/1.1\r\n", False),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n", True),
        (b"GET / HTTP/1.1\r\nConnection: CLOSE\r\n", True),
        (b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n", False),
        (b"GET / HTTP/1.1\r\nConnection: close, foo\r\n", False),
        (b"GET / HTTP/1.5\r\n", False),
        (b"GET / HTTP/1.0\r\n", True),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: close\r\n", True),
    ],
)
def test_keep_alive(head: bytes, close: bool) -> None:
    conn = HttpConnection()
    conn.receive_data(head + b"\r\nGET / HTTP/1.1\r\n\r\n")
    req = conn.next_event()
    assert isinstance(req, Request) and req.keep_alive is not close
    conn.send_response(OK, NOW)
    assert conn.must_close is close
    assert (conn.next_event() is NEED_DATA) is close


def test_closed_connection_drops_further_bytes() -> None:
    conn = HttpConnection()
    conn.receive_data(b"GET / HTTP/1.0\r\n\r\n")
    conn.next_event()
    conn.send_response(OK, NOW)
    conn.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    assert conn.next_event() is NEED_DATA and conn.buffered_bytes == 0


def test_after_a_failure_nothing_more_is_parsed() -> None:
    conn = HttpConnection()
    conn.receive_data(b"BAD\r\nGET / HTTP/1.1\r\n\r\n")
    failure = conn.next_event()
    assert isinstance(failure, ProtocolFailure) and conn.awaiting_response
    assert conn.next_event() is NEED_DATA
    conn.send_response(failure.response, NOW)
    assert conn.must_close and conn.next_event() is NEED_DATA


def test_eof_between_requests() -> None:
    conn = HttpConnection()
    conn.receive_data(b"")
    assert conn.their_eof and conn.next_event() is NEED_DATA


def test_eof_mid_request_gives_need_data() -> None:
    conn = HttpConnection()
    conn.receive_data(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    conn.receive_data(b"")
    assert conn.next_event() is NEED_DATA and conn.their_eof


def test_complete_request_before_eof_is_still_delivered() -> None:
    conn = HttpConnection()
    conn.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    conn.receive_data(b"")
    assert isinstance(conn.next_event(), Request)


def test_data_after_eof_is_a_programming_error() -> None:
    conn = HttpConnection()
    conn.receive_data(b"")
    with pytest.raises(RuntimeError):
        conn.receive_data(b"x")


def test_send_response_needs_a_pending_request() -> None:
    conn = HttpConnection()
    with pytest.raises(RuntimeError):
        conn.send_response(OK, NOW)
    conn.receive_data(b"GET / HTTP/1.1\r\n\r\n")
    conn.next_event()
    conn.send_response(OK, NOW)
    with pytest.raises(RuntimeError):
        conn.send_response(OK, NOW)


def test_reply_echoes_request_version_and_connection_close() -> None:
    conn = HttpConnection()
    conn.receive_data(b"POST / HTTP/1.7\r\nconnection: Close\r\n\r\n")
    conn.next_event()
    out = conn.send_response(Response(404, (("Cache-Control", "no-store"),)), 1795541466.0)
    assert out == (
        b"HTTP/1.7 404 Not Found\r\nCache-Control: no-store\r\nDate: Tue, 24 Nov 2026 17:31:06 GMT\r\n"
        b"Content-Length: 0\r\nContent-Type: text/html; charset=ISO-8859-1\r\nConnection: close\r\n\r\n"
    )


def test_many_small_chunks_parse_in_linear_time() -> None:
    body = b"1\r\nx\r\n" * 200_000
    req = request_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n")
    assert req.body == b"x" * 200_000


def test_only_ordinary_heads_are_remembered_and_at_most_sixteen() -> None:
    """Remembered heads cost memory before authentication: at most 16 per connection, each at most 1 KiB."""
    conn = HttpConnection()
    for i in range(40):
        pad = b"x" * (2000 if i % 2 else 10)
        conn.receive_data(b"POST / HTTP/1.1\r\nX-%d: %s\r\nContent-Length: 0\r\n\r\n" % (i, pad))
        event = conn.next_event()
        assert isinstance(event, Request) and event.header(f"X-{i}") == pad.decode()
        conn.send_response(Response(200), 0.0)
    known = conn._known_heads
    assert 0 < len(known) <= 16
    assert all(len(head) <= 1024 for head in known)
