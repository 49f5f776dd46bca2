"""Every captured bitcoind exchange (compat spec §6 and acceptance-cases.json) replayed against our server.

Each request's bytes go over a real TCP socket to `bitcoin-rpc-mp` in front of the stand-in node; the status
line, the headers (the `Date` value masked) and the body must equal bitcoind's byte for byte. Where a body
holds chain data the stand-in cannot share with the capture node (block hashes of blocks mined at another
time), 64-hex-digit hashes are compared by shape: both sides' hashes are replaced by a placeholder. The
stand-in is at height 210 like the capture node, so counts and heights compare exactly.
"""

from __future__ import annotations

import base64
import re
import time

import compat_cases
import pytest
from harness import Server, Standin, exchange, split_response

HASH_RE = re.compile(rb"\b[0-9a-f]{64}\b")
GENESIS = b"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"

SPEC_CASES = compat_cases.load_spec_cases()
ACCEPTANCE_CASES = compat_cases.load_acceptance_cases()
DEFAULT_NODE = [c for c in SPEC_CASES if c.setup is None]
WHITELIST_NODE = [c for c in SPEC_CASES if c.setup is not None]


def shape(data: bytes) -> bytes:
    """Block hashes → placeholder, except the genesis hash, which every regtest node shares."""
    return HASH_RE.sub(lambda m: m.group(0) if m.group(0) == GENESIS else b"<HASH>", data)


def assert_same(expected_head: bytes, expected_body: bytes, actual: bytes) -> None:
    head, body = split_response(actual)
    assert compat_cases.mask_date(head) == expected_head
    assert shape(body) == shape(expected_body)


def test_case_counts() -> None:
    assert len(SPEC_CASES) == 112
    assert len(WHITELIST_NODE) == 10
    assert len(ACCEPTANCE_CASES) == 31


@pytest.mark.parametrize("case", DEFAULT_NODE, ids=lambda c: f"{c.number}-{c.name}")
def test_spec_case(case: compat_cases.SpecCase, node_and_server: tuple[Standin, Server]) -> None:
    _, server = node_and_server
    started = time.monotonic()
    actual = exchange(server.port, case.request)
    elapsed = time.monotonic() - started
    assert_same(case.response_head, case.response_body, actual)
    if case.note and "250 ms" in case.note:
        assert elapsed >= 0.24, "wrong credentials are answered after bitcoind's 250 ms delay"


@pytest.mark.parametrize("case", WHITELIST_NODE, ids=lambda c: f"{c.number}-{c.name}")
def test_whitelist_case(case: compat_cases.SpecCase, whitelist_server: tuple[Standin, Server]) -> None:
    _, server = whitelist_server
    request = case.request
    if case.name == "cookie user":
        cookie = (server.datadir / "regtest" / ".cookie").read_bytes()
        request = re.sub(rb"Authorization: Basic [^\r]*", b"Authorization: Basic " + base64.b64encode(cookie), request)
    assert_same(case.response_head, case.response_body, exchange(server.port, request))


@pytest.mark.parametrize("case", ACCEPTANCE_CASES, ids=lambda c: c.name)
def test_acceptance_case(case: compat_cases.AcceptanceCase, node_and_server: tuple[Standin, Server]) -> None:
    _, server = node_and_server
    actual = exchange(server.port, case.request_bytes())
    head, body = split_response(actual)
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    assert lines[0] == case.status_line
    assert [h for h in lines[1:] if not h.startswith(b"Date: ")] == list(case.response_headers)
    assert any(h.startswith(b"Date: ") for h in lines[1:]) == case.has_date
    assert shape(body) == shape(case.response_body)


def test_chain_data_is_real(node_and_server: tuple[Standin, Server]) -> None:
    """Hashes compared by shape above are checked for what they are here: the chain's real block hashes."""
    _, server = node_and_server
    body = b'[{"method":"getblockhash","params":[0],"id":0},{"method":"getblockcount","id":1}]'
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dTpw\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    _, reply = split_response(exchange(server.port, request))
    assert reply == b'[{"result":"' + GENESIS + b'","error":null,"id":0},{"result":210,"error":null,"id":1}]\n'
