"""Fuzz harness for the UniValue-faithful JSON reader and writer (bitcoin_rpc_mp/jsonrpc/reader.py, writer.py).

Invariant, for ANY input bytes:
  1. `read_json` either returns a value or raises `JsonParseError` (nothing else), and `read_json_spans`,
     the fast path and the reference parser all agree: the same value and spans, or all reject;
  2. an accepted value writes to JSON that reads back to the same value and writes to the same bytes again
     (write is a fixed point of read∘write);
  3. for a top-level array, every span slices out text that reads as that element;
  4. `parse_request` on the value (and on each batch element, sharing one BatchState) either returns a Call or
     raises RequestParseError.
Any other exception or a failed assertion is a finding.

Run: .venv/bin/python contrib/fuzz/fuzz_json.py [libFuzzer options, e.g. -max_total_time=60 corpus_dir]
Importable without atheris: `check_one_input(data)` is the invariant, usable from tests.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from bitcoin_rpc_mp.jsonrpc.reader import (
    JsonObject,
    JsonParseError,
    JsonValue,
    _read_fast,
    _read_reference,
    read_json,
    read_json_spans,
)
from bitcoin_rpc_mp.jsonrpc.request import BatchState, RequestParseError, parse_request
from bitcoin_rpc_mp.jsonrpc.writer import write_json, write_json_reference

SEEDS: tuple[bytes, ...] = (
    b'{"jsonrpc":"2.0","method":"getblockhash","params":[1],"id":1}',
    b'[{"method":"getblockcount","id":1},{"jsonrpc":"2.0","method":"x"},1,[]]',
    b'{"method":"echo","params":["\\u0000\\b\\ud83d\\ude00\\/","\xc3\xa9"],"id":1.50}',
    b'"\\ud800a\\udc00\xc0\x80\xed\xa0\xbd\xed\xb8\x80\xf7\xbf\xbf\xbf"',
    b"[1.50,-0,1E+3,-1.25e-10,12345678901234567890123,true,false,null]",
    b'{"a":1,"a":{"b":[]}} \t\r\n',
    b"-",
    b"[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
)


def _shape(value: JsonValue) -> bytes:
    """Bytes that tell values apart by type and content (the reference writer, which copes with any depth)."""
    return write_json_reference(value)


def check_one_input(data: bytes) -> None:
    try:
        value = read_json(data)
    except JsonParseError:
        value_ok = False
    else:
        value_ok = True

    try:
        reference, reference_spans = _read_reference(data, True)
    except JsonParseError:
        assert not value_ok, "read_json accepted what the reference parser rejects"
        assert _read_fast(data, True) is None, "fast path accepted what the reference parser rejects"
        spans_rejected = False
        try:
            read_json_spans(data)
        except JsonParseError:
            spans_rejected = True
        assert spans_rejected, "read_json_spans accepted what the reference parser rejects"
        return

    assert value_ok, "read_json rejected what the reference parser accepts"
    spans_value, spans = read_json_spans(data)
    written = write_json(value)
    assert written == _shape(reference) == _shape(spans_value), "paths disagree on the value"
    assert written == write_json_reference(value), "writer fast path differs from the reference writer"
    assert spans == reference_spans, "paths disagree on the spans"

    again = read_json(written)
    assert write_json(again) == written, "write(read(write(x))) != write(x)"

    if isinstance(value, list):
        assert spans is not None and len(spans) == len(value)
        state = BatchState()
        for item, (start, end) in zip(value, spans, strict=True):
            assert _shape(read_json(data[start:end])) == _shape(item), (
                "span does not slice back to its element"
            )
            try:
                parse_request(item, state)
            except RequestParseError:
                pass
    else:
        assert spans is None
        if isinstance(value, JsonObject):
            try:
                parse_request(value, None)
            except RequestParseError:
                pass


def _reimport_instrumented(atheris: Any) -> None:
    """Import the package again with coverage instrumentation and point this module's names at it
    (instrumenting only our code: `atheris.instrument_all()` takes seconds over the whole interpreter)."""
    for name in [name for name in sys.modules if name.split(".")[0] == "bitcoin_rpc_mp"]:
        del sys.modules[name]
    with atheris.instrument_imports(include=["bitcoin_rpc_mp"]):
        reader = importlib.import_module("bitcoin_rpc_mp.jsonrpc.reader")
        request = importlib.import_module("bitcoin_rpc_mp.jsonrpc.request")
        writer = importlib.import_module("bitcoin_rpc_mp.jsonrpc.writer")
    names = globals()
    for module, attributes in (
        (
            reader,
            ("JsonObject", "JsonParseError", "_read_fast", "_read_reference", "read_json", "read_json_spans"),
        ),
        (request, ("BatchState", "RequestParseError", "parse_request")),
        (writer, ("write_json", "write_json_reference")),
    ):
        for attribute in attributes:
            names[attribute] = getattr(module, attribute)


def main(argv: list[str]) -> None:
    import tempfile

    import atheris

    if not any(not arg.startswith("-") for arg in argv[1:]):
        # No corpus directory given: start from the seeds rather than from nothing.
        corpus = tempfile.mkdtemp(prefix="fuzz_json_")
        for index, seed in enumerate(SEEDS):
            with open(f"{corpus}/seed{index}", "wb") as handle:
                handle.write(seed)
        argv = [*argv, corpus]
    _reimport_instrumented(atheris)
    atheris.Setup(argv, check_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
