"""End-to-end fuzzing: random and mutated HTTP requests against the running server.

Invariant: for any bytes a client sends (then half-closes its side), the server either writes well-framed HTTP
responses and closes, or closes without a byte; it never hangs, never crashes, and keeps serving everybody
else. Seeds are the captured requests of compat spec §6, mutated by hypothesis (byte flips, insertions,
deletions, truncation, duplication).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import compat_cases
import pytest
from harness import RealNode, Server, Standin, post, split_response, start_backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SEEDS = [c.request for c in compat_cases.load_spec_cases() if len(c.request) < 2000]
STATUS_LINE = re.compile(rb"HTTP/1\.[0-9] [1-5][0-9][0-9] [^\r\n]*\r\n")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Standin | RealNode, Server]]:
    base: Path = tmp_path_factory.mktemp("fuzz")
    node = start_backend(base / "node.sock", blocks=5)
    server = Server(base / "data", node.socket_path, ["-rpcuser=u", "-rpcpassword=p"]).start()
    try:
        yield node, server
    finally:
        server.stop()
        node.stop()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif op == "truncate":
            del data[at:]
        else:
            data += data[at:]
    return bytes(data)


def check_responses(raw: bytes) -> None:
    """Every response in `raw` has a status line and a header block; lengths frame what follows."""
    while raw:
        assert STATUS_LINE.match(raw), raw[:200]
        head, sep, rest = raw.partition(b"\r\n\r\n")
        assert sep, raw[:200]
        match = re.search(rb"\r\nContent-Length: ([0-9]+)\r\n", head + b"\r\n")
        if match is None:
            raw = b"" if b" 204 " not in head.split(b"\r\n")[0] else rest
            continue
        length = int(match.group(1))
        assert len(rest) >= length
        raw = rest[length:]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=st.one_of(mutated(), st.binary(max_size=300)))
def test_any_bytes_get_http_or_a_close(target: tuple[Standin | RealNode, Server], request: bytes) -> None:
    node, server = target
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may close first (e.g. a 400 then close): that is fine
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    check_responses(received)
    assert server.proc is not None and server.proc.poll() is None
    assert node.proc is not None and node.proc.poll() is None


def test_server_still_serves_after_the_fuzz_run(target: tuple[Standin | RealNode, Server]) -> None:
    _, server = target
    _, body = split_response(post(server.port, b'{"method":"getblockcount","id":1}'))
    assert body == b'{"result":5,"error":null,"id":1}\n'
