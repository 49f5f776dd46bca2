"""Properties of bitcoin_rpc_mp.http.connection.HttpConnection, with hypothesis.

1. Any bytes, fed whole or split at arbitrary points, give the same events, replies and final state.
2. The parser never raises: it yields Requests, then NEED_DATA or a 400/413 ProtocolFailure (see the fuzz
   harness contrib/fuzz/fuzz_http.py, whose `drive` states and checks this).
3. A request rendered from generated valid parts (any line ending, Content-Length or chunked with extensions
   and trailers) parses back to the same method, target, version, headers and body.
4. Limits hold at their exact boundaries: request line, header block, body (Content-Length and chunked).
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bitcoin_rpc_mp.http.connection import MAX_HEADERS_SIZE, HttpConnection, ProtocolFailure, Request


def _load_harness() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "contrib" / "fuzz" / "fuzz_http.py"
    spec = importlib.util.spec_from_file_location("fuzz_http", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_http"] = module
    spec.loader.exec_module(module)
    return module


harness = _load_harness()

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    b"POST / HTTP/1.1",
    b"GET / HTTP/1.0",
    b"PUT /wallet/w HTTP/1.9",
    b"POST / HTTP/2.0",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b" ",
    b":",
    b"Host: 127.0.0.1",
    b"Connection: close",
    b"Connection: keep-alive",
    b"Content-Length: 0",
    b"Content-Length: 3",
    b"Content-Length: 33554433",
    b"Content-Length: x",
    b"Transfer-Encoding: chunked",
    b"3",
    b"0",
    b"a;ext=1",
    b"{}",
    b"abc",
    b"X: y",
]

http_bytes = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=6), max_size=24).map(b"".join)
any_bytes = st.binary(max_size=300) | http_bytes


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@SETTINGS
@given(data=any_bytes, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_split_points_never_change_the_outcome(data: bytes, cuts: list[int]) -> None:
    assert harness.drive(_split(data, cuts)) == harness.drive([data])


@SETTINGS
@given(data=any_bytes)
def test_whole_equals_byte_by_byte_and_never_raises(data: bytes) -> None:
    events, out, must_close, _ = harness.check(data)
    for event in events[:-1]:
        assert isinstance(event, Request)
    if events and isinstance(events[-1], ProtocolFailure):
        assert events[-1].status in (400, 413) and must_close
        assert out.count(b"HTTP/1.") == len(events)


# -- round trip -----------------------------------------------------------------------------------------------

TOKEN = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
VALUE_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
FRAMING = {"content-length", "transfer-encoding"}


@st.composite
def valid_requests(draw: st.DrawFn) -> tuple[bytes, Request]:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    method = draw(st.sampled_from(["POST", "GET", "HEAD", "PUT", "DELETE", "post", "M-SEARCH"]))
    target = "/" + draw(st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=40))
    target += "x" * max(0, 14 - len(f"{method} {target} HTTP/1.0"))
    minor = draw(st.integers(0, 9))
    names = st.text(TOKEN, min_size=1, max_size=12).filter(lambda n: n.lower() not in FRAMING)
    values = st.text(VALUE_CHARS, max_size=30).map(lambda v: v.strip(" \t\x0b\x0c"))
    headers = draw(st.lists(st.tuples(names, values), max_size=8))
    body = draw(st.binary(max_size=200))
    framing = draw(st.sampled_from(["length", "chunked"] + (["none"] if not body else [])))

    head = f"{method} {target} HTTP/1.{minor}".encode("latin-1") + eol
    spacing = draw(st.sampled_from([b"", b" ", b"  \t"]))
    for name, value in headers:
        head += name.encode() + b":" + spacing + value.encode("latin-1") + spacing + eol
    framing_headers: list[tuple[str, str]] = []
    if framing == "length":
        framing_headers = [("Content-Length", str(len(body)))]
        payload = body
    elif framing == "chunked":
        framing_headers = [("Transfer-Encoding", draw(st.sampled_from(["chunked", "Chunked", "CHUNKED"])))]
        cuts = draw(st.lists(st.integers(1, max(1, len(body))), max_size=6))
        payload = b""
        for piece in _split(body, cuts):
            if not piece:
                continue
            size = draw(st.sampled_from(["%x", "%X", "%04x", " %x "])) % len(piece)
            ext = draw(st.sampled_from(["", ";a=b", "; name", ";"]))
            payload += (size + ext).encode() + eol + piece + eol
        payload += b"0" + eol
        trailer_names = st.text(TOKEN, min_size=1, max_size=8)
        for name, value in draw(st.lists(st.tuples(trailer_names, values), max_size=3)):
            payload += name.encode() + b": " + value.encode("latin-1") + eol
        payload += eol
    else:
        payload = b""
    for name, value in framing_headers:
        head += f"{name}: {value}".encode() + eol
    data = head + eol + payload
    expected = Request(method, target, (1, minor), tuple(headers) + tuple(framing_headers), body)
    return data, expected


@SETTINGS
@given(case=valid_requests(), cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=5))
def test_rendered_request_parses_back(case: tuple[bytes, Request], cuts: list[int]) -> None:
    data, expected = case
    events, _, _, buffered = harness.drive(_split(data, cuts))
    assert events == [expected]
    assert buffered == 0


@SETTINGS
@given(first=valid_requests(), second=valid_requests())
def test_pipelined_pair_parses_in_order(first: tuple[bytes, Request], second: tuple[bytes, Request]) -> None:
    events, _, must_close, _ = harness.drive([first[0] + second[0]])
    if first[1].keep_alive:
        assert events == [first[1], second[1]]
    else:
        assert events == [first[1]] and must_close


# -- limits ---------------------------------------------------------------------------------------------------


def _outcome(data: bytes, **kwargs: int) -> int | None:
    conn = HttpConnection(**kwargs)
    conn.receive_data(data)
    event = conn.next_event()
    if isinstance(event, Request):
        return 200
    if isinstance(event, ProtocolFailure):
        return event.status
    return None


@SETTINGS
@example(length=MAX_HEADERS_SIZE, eol=b"\r\n")
@example(length=MAX_HEADERS_SIZE + 1, eol=b"\r\n")
@given(
    length=st.integers(MAX_HEADERS_SIZE - 40, MAX_HEADERS_SIZE + 40), eol=st.sampled_from([b"\r\n", b"\n"])
)
def test_request_line_limit(length: int, eol: bytes) -> None:
    cr = len(eol) - 1  # the CR counts, the LF does not
    target = b"/" + b"t" * (length - cr - len(b"GET / HTTP/1.1"))
    line = b"GET " + target + b" HTTP/1.1"
    assert len(line) + cr == length
    assert _outcome(line + eol + eol) == (200 if length <= MAX_HEADERS_SIZE else 400)


@SETTINGS
@example(sizes=[4000, 4190], eol=b"\r\n")  # exactly 8192 with the empty line
@example(sizes=[4000, 4191], eol=b"\r\n")
@example(sizes=[4000, 4191], eol=b"\n")
@example(sizes=[4000, 4192], eol=b"\n")
@given(
    sizes=st.lists(st.integers(5, 3000), min_size=1, max_size=6),
    eol=st.sampled_from([b"\r\n", b"\n"]),
)
def test_header_block_limit(sizes: list[int], eol: bytes) -> None:
    lines = [b"X:" + b"v" * (size - 2 - len(eol)) + eol for size in sizes]
    total = sum(len(line) for line in lines) + len(eol)
    expected = 200 if total <= MAX_HEADERS_SIZE else 400
    assert _outcome(b"GET / HTTP/1.1" + eol + b"".join(lines) + eol) == expected


@SETTINGS
@example(length=64)
@example(length=65)
@given(length=st.integers(0, 128))
def test_content_length_limit(length: int) -> None:
    data = b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % length + b"b" * length
    assert _outcome(data, max_body_size=64) == (200 if length <= 64 else 413)


@SETTINGS
@example(sizes=[40, 24])
@example(sizes=[40, 25])
@given(sizes=st.lists(st.integers(1, 40), max_size=6))
def test_chunked_limit(sizes: list[int]) -> None:
    body = b"".join(b"%x\r\n" % n + b"c" * n + b"\r\n" for n in sizes)
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
    assert _outcome(data, max_body_size=64) == (200 if sum(sizes) <= 64 else 413)


# -- the whole-head fast path ------------------------------------------------------------------------------------
# HttpConnection parses a head that arrives whole (CRLF only, no stray CR, no NUL, at most 8192 bytes) in one
# step; everything else goes line by line. Both must give the same outcome, at the size limits too.


@pytest.mark.parametrize("extra", range(-6, 7))
@pytest.mark.parametrize("where", ["request_line", "header"])
def test_whole_head_fast_path_matches_line_by_line_at_the_limit(extra: int, where: str) -> None:
    target = MAX_HEADERS_SIZE + extra  # bytes of the head including the final CRLF CRLF
    base_line, base_header = b"POST / HTTP/1.1", b"X: "
    fixed = len(base_line) + 2 + len(base_header) + 2 + 2
    pad = b"a" * (target - fixed)
    if where == "request_line":
        head = b"POST /" + pad + b" HTTP/1.1\r\n" + base_header + b"\r\n\r\n"
    else:
        head = base_line + b"\r\n" + base_header + pad + b"\r\n\r\n"
    data = head + b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
    whole = harness.drive([data])
    assert harness.drive([data[i : i + 7] for i in range(0, len(data), 7)]) == whole
    assert harness.drive([bytes([b]) for b in data]) == whole


@SETTINGS
@given(
    lines=st.lists(
        st.lists(
            st.sampled_from([*FRAGMENTS[7:], b"\t", b"\x0b", b"X Y", b"Name"]) | st.binary(max_size=4),
            max_size=4,
        ).map(b"".join),
        min_size=1,
        max_size=8,
    ),
    first=st.sampled_from(FRAGMENTS[:4]),
)
def test_whole_head_fast_path_matches_line_by_line(lines: list[bytes], first: bytes) -> None:
    data = first + b"\r\n" + b"\r\n".join(lines) + b"\r\n\r\n{}"
    assert harness.drive([bytes([b]) for b in data]) == harness.drive([data])


_POOL_HEADS = [
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n",
    b"POST /wallet/w HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
    b"POST / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
]
_POOL_BODIES = [b"{}", b"[1]", b"2\r\n{}\r\n0\r\n\r\n", b""]


@SETTINGS
@given(
    picks=st.lists(
        st.tuples(st.sampled_from(_POOL_HEADS), st.sampled_from(_POOL_BODIES)), min_size=2, max_size=8
    )
)
def test_repeated_heads_on_one_connection_parse_as_the_first_time(picks: list[tuple[bytes, bytes]]) -> None:
    """Heads already parsed on a connection are remembered; a repeat must give what parsing it again gives."""
    data = b"".join(head + body for head, body in picks)
    assert harness.drive([data]) == harness.drive([bytes([b]) for b in data])
