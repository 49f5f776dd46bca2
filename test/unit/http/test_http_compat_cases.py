"""Differential test: every captured bitcoind exchange (compat spec §6, acceptance-cases.json) replayed through
HttpConnection + routing + serialize_response must give bitcoind's bytes (status line, headers, body; only the
Date value is masked).

Two kinds of case:
* decided by the HTTP layer (400/413 parse failures, 404/405 from routing): every byte comes from our code and
  no handler may be called;
* decided by JSON-RPC: a fake handler returns the captured status and body with the headers a bitcoind handler
  sets (Content-Type: application/json; WWW-Authenticate for 401; none for 403/204), so what is checked is the
  HTTP layer's part: parsing (incl. the body handed over), framing, header order, Date/Content-Length/Connection.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
import compat_cases as cc

from bitcoin_rpc_mp.http.connection import NEED_DATA, HttpConnection, ProtocolFailure, Request
from bitcoin_rpc_mp.http.events import Response
from bitcoin_rpc_mp.http.routing import route

NOW = 1795541466.0  # any instant: Date is masked
POST_ONLY = b"JSONRPC server handles only POST requests"

SPEC_CASES = cc.load_spec_cases()
ACCEPTANCE_CASES = cc.load_acceptance_cases()


def decided_by_http_layer(head: bytes, body: bytes) -> bool:
    """bitcoind's HTTP layer answers with Cache-Control: no-store (400/404/405/413) or the POST-only 405."""
    return b"\r\nCache-Control: no-store\r\n" in head or body == POST_ONLY


class FakeHandler:
    """Plays the JSON-RPC part: the captured status and body, with the headers bitcoind's handler sets."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body
        self.calls: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.calls.append(request)
        if self.status == 401:
            headers: tuple[tuple[str, str], ...] = (("WWW-Authenticate", 'Basic realm="jsonrpc"'),)
        elif self.status in (204, 403):
            headers = ()
        else:
            headers = (("Content-Type", "application/json"),)
        return Response(self.status, headers, self.body)


def serve(conn: HttpConnection, handler: FakeHandler) -> bytes | None:
    """One step of a server loop: the reply to the next event, or None if the connection has nothing."""
    event = conn.next_event()
    if event is NEED_DATA:
        return None
    if isinstance(event, ProtocolFailure):
        return conn.send_response(event.response, NOW)
    assert isinstance(event, Request)
    response = route(event) or handler(event)
    return conn.send_response(response, NOW)


def expected_close(head: bytes) -> bool:
    if b"\r\nConnection: close\r\n" in head:
        return True
    if head.startswith(b"HTTP/1.0 ") and b"\r\nConnection: keep-alive\r\n" not in head:
        return True
    return head.split(b" ", 2)[1] in (b"400", b"413") and b"\r\nCache-Control: no-store\r\n" in head


@pytest.mark.parametrize("case", SPEC_CASES, ids=lambda c: c.id)
def test_spec_case_bytes(case: cc.SpecCase) -> None:
    handler = FakeHandler(case.status, case.response_body)
    conn = HttpConnection()
    conn.receive_data(case.request)
    out = serve(conn, handler)
    assert out is not None, "a whole request was sent but no event came out"
    assert cc.mask_date(out) == case.response
    assert (not handler.calls) == decided_by_http_layer(case.response_head, case.response_body)
    assert conn.must_close == expected_close(case.response_head)
    if handler.calls:
        request = handler.calls[0]
        if request.header("Transfer-Encoding") is None:
            assert request.body == case.request.split(b"\r\n\r\n", 1)[1]
        assert conn.buffered_bytes == 0


@pytest.mark.parametrize("case", SPEC_CASES, ids=lambda c: c.id)
def test_spec_case_pipelined_twice(case: cc.SpecCase) -> None:
    """The same request sent twice in one write: a kept-alive connection answers both identically and only
    after the first reply was produced; a closing one answers once and ignores the rest."""
    handler = FakeHandler(case.status, case.response_body)
    conn = HttpConnection()
    conn.receive_data(case.request + case.request)
    first = serve(conn, handler)
    assert first is not None and cc.mask_date(first) == case.response
    second = serve(conn, handler)
    if expected_close(case.response_head):
        assert second is None and conn.must_close
    else:
        assert second is not None and cc.mask_date(second) == case.response
        assert serve(conn, handler) is None and conn.buffered_bytes == 0


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in SPEC_CASES
        if decided_by_http_layer(c.response_head, c.response_body) or c.number in (60, 61, 69)
    ],
    ids=lambda c: c.id,
)
def test_spec_case_byte_by_byte(case: cc.SpecCase) -> None:
    handler = FakeHandler(case.status, case.response_body)
    conn = HttpConnection()
    out = None
    for i in range(len(case.request)):
        conn.receive_data(case.request[i : i + 1])
        out = serve(conn, handler)
        if out is not None:
            break
    assert out is not None and cc.mask_date(out) == case.response


def test_chunked_case_body_is_dechunked() -> None:
    (case,) = [c for c in SPEC_CASES if c.name == "chunked"]
    handler = FakeHandler(case.status, case.response_body)
    conn = HttpConnection()
    conn.receive_data(case.request)
    serve(conn, handler)
    assert handler.calls[0].body == b'{"method":"getblockcount","id":1}'


def test_spec_has_all_cases() -> None:
    assert [c.number for c in SPEC_CASES] == list(range(1, 113))


@pytest.mark.parametrize("case", ACCEPTANCE_CASES, ids=lambda c: c.id)
def test_acceptance_case(case: cc.AcceptanceCase) -> None:
    handler = FakeHandler(case.status, case.response_body)
    conn = HttpConnection()
    conn.receive_data(case.request_bytes())
    out = serve(conn, handler)
    assert out is not None
    head, _, body = out.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    assert status_line == case.status_line
    assert [h for h in header_lines if not h.startswith(b"Date: ")] == list(case.response_headers)
    assert any(h.startswith(b"Date: ") for h in header_lines) == case.has_date
    assert body == case.response_body
    if handler.calls:
        assert handler.calls[0].body == case.body


def test_json_copies_match_spec() -> None:
    """The committed copies in test/data are what contrib/tools/extract_cases.py writes from ../shared/spec."""
    from_md = cc.spec_cases_from_markdown()
    shared_acceptance = cc.acceptance_cases_from_shared()
    if from_md is None or shared_acceptance is None:
        pytest.skip(f"no ../shared/spec next to this clone ({cc.SPEC_DIR})")
    import json

    copy = [cc.SpecCase.from_json(o) for o in json.loads(cc.SPEC_CASES_COPY.read_text(encoding="utf-8"))]
    assert copy == from_md
    assert json.loads(cc.ACCEPTANCE_COPY.read_text(encoding="utf-8")) == shared_acceptance


def test_loaders_fall_back_to_the_json_copies(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A clone without ../shared reads test/data's copies, and gets the same cases."""
    monkeypatch.setattr(cc, "SPEC_MD", tmp_path / "absent.md")
    monkeypatch.setattr(cc, "ACCEPTANCE_JSON", tmp_path / "absent.json")
    assert cc.spec_cases_from_markdown() is None
    assert cc.load_spec_cases() == SPEC_CASES
    assert cc.load_acceptance_cases() == ACCEPTANCE_CASES


def test_loaders_skip_when_nothing_is_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SPEC_MD", "ACCEPTANCE_JSON", "SPEC_CASES_COPY", "ACCEPTANCE_COPY"):
        monkeypatch.setattr(cc, name, tmp_path / name)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        cc.load_spec_cases()
    with pytest.raises(pytest.skip.Exception, match="not found"):
        cc.load_acceptance_cases()
