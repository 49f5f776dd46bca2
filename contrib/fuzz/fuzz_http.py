#!/usr/bin/env python3
"""Fuzz harness for bitcoin_rpc_mp.http.connection.HttpConnection (atheris / libFuzzer).

INVARIANT, for every byte string:
  1. the connection yields Requests, then either NEED_DATA or one ProtocolFailure whose status is 400 or 413,
     and never raises;
  2. feeding the bytes one at a time gives exactly the same events, reply bytes and final state as feeding
     them whole (where the stream is split never matters).
Every Request is answered with a fixed reply before the next event is asked for, as a server would.

    python contrib/fuzz/fuzz_http.py -atheris_runs=100000           # N inputs
    python contrib/fuzz/fuzz_http.py -max_total_time=10 CORPUS_DIR  # any libFuzzer flag works

Importable without atheris: `check(data)` asserts the invariant for one input (used by the tests).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if __name__ == "__main__":  # run by libFuzzer: instrument our package (only it, so start-up stays quick)
    import atheris

    with atheris.instrument_imports(include=["bitcoin_rpc_mp"]):
        from bitcoin_rpc_mp.http.connection import NEED_DATA, HttpConnection, ProtocolFailure, Request
        from bitcoin_rpc_mp.http.events import Response
else:  # imported by the tests: no atheris needed
    from bitcoin_rpc_mp.http.connection import NEED_DATA, HttpConnection, ProtocolFailure, Request
    from bitcoin_rpc_mp.http.events import Response

REPLY = Response(200, (("Content-Type", "application/json"),), b"{}\n")
NOW = 1_700_000_000.0
Outcome = tuple[list[object], bytes, bool, int]


def drive(chunks: Iterable[bytes], *, max_body_size: int | None = None) -> Outcome:
    """Feed the non-empty `chunks` one after another and then EOF, draining events after each, as a server loop
    would. Returns (events, all reply bytes, must_close, buffered_bytes)."""
    conn = HttpConnection() if max_body_size is None else HttpConnection(max_body_size=max_body_size)
    events: list[object] = []
    out = bytearray()
    for chunk in [*(c for c in chunks if c), b""]:  # b"" last: the peer's EOF
        conn.receive_data(chunk)
        while True:
            event = conn.next_event()
            if event is NEED_DATA:
                break
            events.append(event)
            if isinstance(event, ProtocolFailure):
                if event.status not in (400, 413):
                    raise AssertionError(f"failure status {event.status}")
                out += conn.send_response(event.response, NOW)
                if not conn.must_close:
                    raise AssertionError("a failure must close the connection")
            elif isinstance(event, Request):
                out += conn.send_response(REPLY, NOW)
            else:
                raise AssertionError(f"unexpected event {event!r}")
    return events, bytes(out), conn.must_close, conn.buffered_bytes


def check(data: bytes) -> Outcome:
    """Assert the invariant for `data`; returns the outcome of feeding it whole."""
    whole = drive([data])
    bytewise = drive(data[i : i + 1] for i in range(len(data)))
    if whole != bytewise:
        raise AssertionError(f"whole vs byte-by-byte differ for {data!r}:\n{whole}\n{bytewise}")
    return whole


def test_one_input(data: bytes) -> None:
    check(data)


def main(argv: list[str]) -> None:
    import atheris

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
