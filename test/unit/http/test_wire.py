"""bitcoin_rpc_mp.http.wire and .events: response bytes per compat spec §2 "Response serialization", and the
event types' own rules (header lookup, keep-alive, Response validation)."""

from __future__ import annotations

import calendar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitcoin_rpc_mp.http import wire
from bitcoin_rpc_mp.http.events import Request, Response, ascii_lower, checked_headers, wants_keep_alive
from bitcoin_rpc_mp.http.wire import REASONS, ReplyWriter, format_http_date, serialize_response

NOW = float(calendar.timegm((2026, 11, 24, 17, 31, 6, 0, 0, 0)))
DATE = b"Date: Tue, 24 Nov 2026 17:31:06 GMT\r\n"
JSON = (("Content-Type", "application/json"),)
HTML = b"Content-Type: text/html; charset=ISO-8859-1\r\n"


def test_date_is_rfc1123_gmt_whole_seconds() -> None:
    assert format_http_date(NOW) == "Tue, 24 Nov 2026 17:31:06 GMT"
    assert format_http_date(NOW + 0.999) == "Tue, 24 Nov 2026 17:31:06 GMT"
    assert format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert (
        format_http_date(calendar.timegm((2027, 2, 7, 3, 4, 5, 0, 0, 0))) == "Sun, 07 Feb 2027 03:04:05 GMT"
    )


def test_reason_phrases() -> None:
    assert REASONS == {
        200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
        404: "Not Found", 405: "Method Not Allowed", 413: "Content too large", 500: "Internal Server Error",
        503: "Service Unavailable",
    }  # fmt: skip
    for status, reason in REASONS.items():
        assert serialize_response(Response(status), NOW).startswith(
            b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())
        )


def test_http11_json_reply() -> None:
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW)
    assert (
        out
        == b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + DATE + b"Content-Length: 3\r\n\r\n{}\n"
    )


def test_http11_empty_error_gets_length_0_and_default_type() -> None:
    out = serialize_response(Response(404, (("Cache-Control", "no-store"),)), NOW)
    assert (
        out
        == b"HTTP/1.1 404 Not Found\r\nCache-Control: no-store\r\n"
        + DATE
        + b"Content-Length: 0\r\n"
        + HTML
        + b"\r\n"
    )


def test_handler_headers_first_in_their_order() -> None:
    headers = (("WWW-Authenticate", 'Basic realm="jsonrpc"'), ("Cache-Control", "no-store"), ("X-A", "b"))
    out = serialize_response(Response(401, headers), NOW)
    assert out.startswith(
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="jsonrpc"\r\nCache-Control: no-store\r\n'
        b"X-A: b\r\n" + DATE
    )


def test_handler_content_type_is_found_case_insensitively() -> None:
    out = serialize_response(Response(200, (("content-type", "text/plain"),), b"x"), NOW)
    assert b"text/html" not in out and b"content-type: text/plain\r\n" in out


@pytest.mark.parametrize("status", [204, 100, 101, 199])
def test_no_body_statuses(status: int) -> None:
    out = serialize_response(Response(status, JSON, b"dropped"), NOW)
    head = b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "").encode())
    assert out == head + b"Content-Type: application/json\r\n" + DATE + b"\r\n"
    assert serialize_response(Response(204), NOW) == b"HTTP/1.1 204 No Content\r\n" + DATE + b"\r\n"


def test_http10_without_keep_alive_has_only_handler_headers() -> None:
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW, version=(1, 0))
    assert out == b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}\n"
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW, version=(1, 0), connection="foo")
    assert out == b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}\n"


def test_http10_default_content_type_still_applies() -> None:
    out = serialize_response(Response(405, (("Cache-Control", "no-store"),)), NOW, version=(1, 0))
    assert out == b"HTTP/1.0 405 Method Not Allowed\r\nCache-Control: no-store\r\n" + HTML + b"\r\n"


def test_http10_keep_alive() -> None:
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW, version=(1, 0), connection="Keep-Alive")
    assert out == (
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n{}\n"
    )
    out = serialize_response(Response(204), NOW, version=(1, 0), connection="keep-alive")
    assert out == b"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n"


@pytest.mark.parametrize("version", [(1, 0), (1, 1), (1, 9)])
def test_connection_close_is_echoed_last(version: tuple[int, int]) -> None:
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW, version=version, connection="CLOSE")
    head = out.split(b"\r\n\r\n")[0]
    assert head.endswith(b"\r\nConnection: close") and head.count(b"Connection") == 1
    assert out.startswith(b"HTTP/%d.%d 200 OK\r\n" % version)


def test_http1x_minor_versions_are_echoed_and_treated_as_1_1() -> None:
    out = serialize_response(Response(200, JSON, b"{}\n"), NOW, version=(1, 5))
    assert (
        out
        == b"HTTP/1.5 200 OK\r\nContent-Type: application/json\r\n" + DATE + b"Content-Length: 3\r\n\r\n{}\n"
    )


def test_head_keeps_its_body() -> None:
    """bitcoind sends the 405 text even to HEAD (compat spec §2 step 4, case 43): nothing strips it here."""
    body = b"JSONRPC server handles only POST requests"
    assert serialize_response(Response(405, (), body), NOW).endswith(b"\r\n\r\n" + body)


def test_unknown_status_gets_empty_reason() -> None:
    assert serialize_response(Response(418), NOW).startswith(b"HTTP/1.1 418 \r\n")


def test_latin1_header_values_are_written_as_bytes() -> None:
    out = serialize_response(Response(200, (("X-N", "caf\xe9"),), b""), NOW)
    assert b"X-N: caf\xe9\r\n" in out


# -- events ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        (("Content-Length", "3"),),
        (("date", "x"),),
        (("Connection", "close"),),
        (("Transfer-Encoding", "chunked"),),
        (("X", "a\r\nInjected: 1"),),
        (("X Y", "a"),),
        (("X:", "a"),),
        (("", "a"),),
        (("X", "\u20ac"),),
    ],
)
def test_response_rejects_framing_and_invalid_headers(headers: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(ValueError):
        Response(200, headers)


@pytest.mark.parametrize("status", [99, 600, 0, -1])
def test_response_rejects_impossible_status(status: int) -> None:
    with pytest.raises(ValueError):
        Response(status)


def test_ascii_lower_leaves_latin1_letters_alone() -> None:
    assert ascii_lower("Content-LENGTH\xc4") == "content-length\xc4"


def test_request_header_lookup_is_ascii_case_insensitive_first_wins() -> None:
    req = Request("POST", "/", (1, 1), (("X-\xc4", "1"), ("x-\xc4", "2"), ("x-\xe4", "3")), b"")
    assert req.header("X-\xc4") == "1"
    assert req.header("X-\xe4") == "3"  # 'Ä' and 'ä' are different bytes to bitcoind


@pytest.mark.parametrize(
    ("version", "connection", "keep"),
    [
        ((1, 1), None, True),
        ((1, 1), "close", False),
        ((1, 1), "Close", False),
        ((1, 1), "keep-alive", True),
        ((1, 1), "close ", True),  # values arrive trimmed; anything but exactly "close" keeps alive
        ((1, 0), None, False),
        ((1, 0), "keep-alive", True),
        ((1, 0), "KEEP-ALIVE", True),
        ((1, 0), "keep-alive, x", False),
        ((1, 9), None, True),
    ],
)
def test_keep_alive_rule(version: tuple[int, int], connection: str | None, keep: bool) -> None:
    assert wants_keep_alive(version, connection) is keep
    headers = () if connection is None else (("Connection", connection),)
    assert Request("GET", "/", version, headers, b"").keep_alive is keep


# The common case (HTTP/1.1+, no Connection header, a status with a body) is written from cached pieces; it
# must give exactly the bytes of the general path, whatever the handler's headers.
_header_names = st.sampled_from(
    ["Content-Type", "content-type", "X-A", "WWW-Authenticate", "Cache-Control", "X-\xc4"]
)
_header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(sorted(REASONS)),
    minor=st.integers(min_value=0, max_value=9),
    headers=st.lists(st.tuples(_header_names, _header_values), max_size=3).map(tuple),
    body=st.binary(max_size=40),
    tail=st.sampled_from([b"", b"\n", b"xyz"]),
    connection=st.sampled_from([None, None, "close", "keep-alive", "Keep-Alive", "other"]),
    now=st.floats(min_value=0, max_value=4e9),
)
def test_common_case_writes_the_general_paths_bytes(
    status: int,
    minor: int,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    tail: bytes,
    connection: str | None,
    now: float,
) -> None:
    response = Response(status, headers, body, tail=tail)
    general = serialize_response(response, now, version=(1, minor), connection=connection)
    # a tail is written exactly as if it ended the body
    assert general == serialize_response(Response(status, headers, body + tail), now, version=(1, minor), connection=connection)
    assert WRITER.serialize(response, now, version=(1, minor), connection=connection) == general
    # and again, now that the pieces are kept
    assert WRITER.serialize(response, now, version=(1, minor), connection=connection) == general
    # in parts (a large body is written apart from its head and tail): the same bytes
    head, rest, end = WRITER.serialize_parts(response, now, version=(1, minor), connection=connection)
    assert head + rest + end == general and (rest, end) in ((b"", b""), (body, tail))


WRITER = ReplyWriter()  # shared by the examples, as a server shares one: pieces kept from one serve the next


def test_the_writer_keeps_the_date_of_the_current_second_only() -> None:
    writer = ReplyWriter()
    first = writer.serialize(Response(200), NOW)
    assert b"Date: Tue, 24 Nov 2026 17:31:06 GMT\r\n" in first
    assert writer.serialize(Response(200), NOW + 0.5) == first
    assert b"Date: Tue, 24 Nov 2026 17:31:07 GMT\r\n" in writer.serialize(Response(200), NOW + 1)


def test_checked_headers_are_checked_once_when_made() -> None:
    with pytest.raises(ValueError):
        checked_headers(("X", "a\r\nInjected: 1"))
    headers = checked_headers(("Content-Type", "application/json"))
    assert headers == (("Content-Type", "application/json"),)
    assert Response(200, headers).headers is headers


def test_the_hot_path_keeps_no_module_state() -> None:
    """The HTTP and JSON-RPC modules' shortcuts keep what they remember in objects (ReplyWriter, a connection's
    head cache, CheckedHeaders), never in module globals: no `global` statement, no module-level container
    that starts empty to be filled."""
    import ast
    from pathlib import Path

    package = Path(wire.__file__).resolve().parents[1]
    for path in [*(package / "http").glob("*.py"), *(package / "jsonrpc").glob("*.py")]:
        tree = ast.parse(path.read_text())
        assert not any(isinstance(node, ast.Global) for node in ast.walk(tree)), path.name
        for node in tree.body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            empty = isinstance(value, ast.Dict | ast.Set | ast.List) and not (
                value.keys if isinstance(value, ast.Dict) else value.elts
            )
            empty = empty or (isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("set", "dict", "list"))
            assert not empty, f"{path.name}:{node.lineno} fills a module-level container"
