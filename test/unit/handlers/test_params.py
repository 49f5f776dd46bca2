"""handlers/params.py: RPCHelpMan argument handling (compat spec §4 named params; §6 cases 20-26, 93-95)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
import compat_cases as cc

from bitcoin_rpc_mp.handlers.params import (
    RpcArg,
    arg_or_default,
    check_params,
    get_bool,
    get_int,
    get_str,
    named_to_positional,
    univalue_type_name,
    valid_arg_count,
)
from bitcoin_rpc_mp.jsonrpc.envelope import error_reply, result_reply
from bitcoin_rpc_mp.jsonrpc.errors import RpcError, RpcErrorCode
from bitcoin_rpc_mp.jsonrpc.reader import JsonNumber, JsonObject, JsonValue, read_json
from bitcoin_rpc_mp.jsonrpc.request import parse_request
from bitcoin_rpc_mp.jsonrpc.writer import write_json

SPEC = {case.number: case for case in cc.load_spec_cases()}

GETBLOCKHASH = (RpcArg("height", "num"),)
GETBLOCKCOUNT: tuple[RpcArg, ...] = ()
ECHO = tuple(RpcArg(f"arg{i}", "any", optional=True) for i in range(10))


def _help_of_getblockcount() -> str:
    reply = read_json(SPEC[25].response_body)
    assert isinstance(reply, JsonObject)
    error = reply.get("error")
    assert isinstance(error, JsonObject)
    message = error.get("message")
    assert isinstance(message, str) and message.startswith("getblockcount\n")
    return message


HELP = {"getblockhash": 'getblockhash "help"', "getblockcount": _help_of_getblockcount(), "echo": "echo help"}
SPECS = {"getblockhash": GETBLOCKHASH, "getblockcount": GETBLOCKCOUNT, "echo": ECHO}


def run_case(number: int) -> tuple[int, bytes]:
    """Parse the captured request, check its params as bitcoind would, and build the reply (no execution:
    the result is the positional params, as `echo` returns them)."""
    body = SPEC[number].request.partition(b"\r\n\r\n")[2]
    call = parse_request(read_json(body), None)
    try:
        values = check_params(call.method, SPECS[call.method], call.params, HELP[call.method])
    except RpcError as exc:
        status = 200 if call.version == 2 else 500
        return status, error_reply(exc.code, exc.message, call.id_present, call.id, call.version) + b"\n"
    return 200, result_reply(write_json(values), call.id_present, call.id, call.version) + b"\n"


@pytest.mark.parametrize("number", [21, 22, 23, 24, 25, 93, 94, 95])
def test_captured_argument_errors_byte_for_byte(number: int) -> None:
    status, body = run_case(number)
    assert (status, body) == (SPEC[number].status, SPEC[number].response_body)


def test_case_20_named_height() -> None:
    params = read_json(b'{"height":0}')
    assert check_params("getblockhash", GETBLOCKHASH, params, "") == [JsonNumber("0")]


def test_case_26_height_is_an_int32_then_the_handler_decides() -> None:
    (height,) = check_params("getblockhash", GETBLOCKHASH, [JsonNumber("1000")], "")
    assert get_int(height) == 1000


# -- count --------------------------------------------------------------------------------------------------
def test_wrong_count_answers_the_help_text() -> None:
    for params in ([], [JsonNumber("1"), JsonNumber("2")]):
        with pytest.raises(RpcError) as raised:
            check_params("getblockhash", GETBLOCKHASH, params, "HELP")
        assert (raised.value.code, raised.value.message) == (RpcErrorCode.RPC_MISC_ERROR, "HELP")


def test_valid_arg_count_counts_up_to_the_last_required() -> None:
    spec = (
        RpcArg("a", "num"),
        RpcArg("b", "num", optional=True),
        RpcArg("c", "str"),
        RpcArg("d", "any", True),
    )
    assert [valid_arg_count(spec, n) for n in range(6)] == [False, False, False, True, True, False]
    assert valid_arg_count((), 0) and not valid_arg_count((), 1)


def test_null_params_count_as_none() -> None:
    assert check_params("getblockcount", GETBLOCKCOUNT, None, "") == []


# -- types ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "name"),
    [(None, "null"), (True, "bool"), (False, "bool"), ("x", "string"), ([], "array"), (JsonObject(), "object"),
     (JsonNumber("1"), "number"), ({}, "object")],
)  # fmt: skip
def test_univalue_type_names(value: JsonValue, name: str) -> None:
    assert univalue_type_name(value) == name


def test_all_type_mismatches_are_reported_together_in_order() -> None:
    spec = (
        RpcArg("hash", "hex"),
        RpcArg("verbose", "bool", optional=True),
        RpcArg("n", "num", optional=True),
    )
    with pytest.raises(RpcError) as raised:
        check_params("m", spec, [JsonNumber("1"), None, "7"], "")
    assert raised.value.code == RpcErrorCode.RPC_TYPE_ERROR
    assert raised.value.message == (
        "Wrong type passed:\n{\n"
        '    "Position 1 (hash)": "JSON value of type number is not of expected type string",\n'
        '    "Position 3 (n)": "JSON value of type string is not of expected type number"\n'
        "}"
    )


def test_a_required_argument_given_as_null_is_a_type_error() -> None:
    with pytest.raises(RpcError) as raised:
        check_params("getblockhash", GETBLOCKHASH, [None], "")
    assert raised.value.code == RpcErrorCode.RPC_TYPE_ERROR
    assert "JSON value of type null is not of expected type number" in raised.value.message


@pytest.mark.parametrize("kind", ["amount", "range", "num_or_bool", "any"])
def test_unchecked_types(kind: str) -> None:
    spec = (RpcArg("x", kind),)  # type: ignore[arg-type]
    for value in ("s", JsonNumber("1"), True, [], JsonObject()):
        assert check_params("m", spec, [value], "") == [value]


def test_unknown_arg_type_is_refused() -> None:
    with pytest.raises(ValueError):
        RpcArg("x", "float")  # type: ignore[arg-type]


# -- named parameters -------------------------------------------------------------------------------------
def named(spec: tuple[RpcArg, ...], body: bytes) -> list[JsonValue]:
    params = read_json(body)
    assert isinstance(params, JsonObject)
    return named_to_positional(spec, params)


def test_named_holes_between_are_null_trailing_ones_left_out() -> None:
    n = JsonNumber
    assert named(ECHO, b"{}") == []
    assert named(ECHO, b'{"arg1":1}') == [None, n("1")]
    assert named(ECHO, b'{"arg0":0,"arg9":9}') == [n("0"), *[None] * 8, n("9")]
    assert named(ECHO, b'{"arg9":null}') == [None] * 10
    assert named(ECHO, b'{"arg3":3,"arg0":0}') == [n("0"), None, None, n("3")]


def test_args_key_supplies_leading_positions() -> None:
    n = JsonNumber
    assert named(ECHO, b'{"args":[0,1],"arg3":3,"arg5":5}') == [n("0"), n("1"), None, n("3"), None, n("5")]
    assert named(ECHO, b'{"args":[]}') == []
    assert named(ECHO, b'{"args":"not an array"}') == []  # taken out whatever its type


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"args":[0,1],"arg1":1}', "Parameter arg1 specified twice both as positional and named argument"),
        (
            b'{"args":[0,null,2],"arg1":1}',
            "Parameter arg1 specified twice both as positional and named argument",
        ),
        (
            b'{"arg0":"a","args":["x"]}',
            "Parameter arg0 specified twice both as positional and named argument",
        ),
        (b'{"arg0":1,"arg0":2}', "Parameter arg0 specified multiple times"),
        (b'{"args":[],"args":[]}', "Parameter args specified multiple times"),
        (b'{"foo":0}', "Unknown named parameter foo"),
        (b'{"arg0":0,"zzz":1}', "Unknown named parameter zzz"),
        # a duplicate is reported before anything else
        (b'{"foo":0,"arg0":1,"arg0":2}', "Parameter arg0 specified multiple times"),
        # a positional conflict before an unknown name
        (
            b'{"foo":0,"args":[1],"arg0":1}',
            "Parameter arg0 specified twice both as positional and named argument",
        ),
    ],
)
def test_named_parameter_errors(body: bytes, message: str) -> None:
    with pytest.raises(RpcError) as raised:
        named(ECHO, body)
    assert (raised.value.code, raised.value.message) == (RpcErrorCode.RPC_INVALID_PARAMETER, message)


def test_aliases() -> None:
    spec = (RpcArg("blockhash", "hex"), RpcArg("verbosity|verbose", "num_or_bool", optional=True))
    assert named(spec, b'{"blockhash":"00","verbose":true}') == ["00", True]
    assert named(spec, b'{"verbosity":2,"blockhash":"00"}') == ["00", JsonNumber("2")]


def test_named_errors_come_before_the_count_check() -> None:
    with pytest.raises(RpcError) as raised:
        check_params("getblockcount", GETBLOCKCOUNT, read_json(b'{"x":1}'), "HELP")
    assert raised.value.code == RpcErrorCode.RPC_INVALID_PARAMETER


# -- getters ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["0", "-0", "7", "-2147483648", "2147483647"])
def test_get_int_accepts_integer_text_in_range(text: str) -> None:
    assert get_int(JsonNumber(text)) == int(text)


@pytest.mark.parametrize(
    "text", ["1.0", "1e0", "1E+3", "-", "2147483648", "-2147483649", "99999999999999999999", "1" * 5000]
)
def test_get_int_refuses_like_univalue(text: str) -> None:
    with pytest.raises(RpcError) as raised:
        get_int(JsonNumber(text))
    assert (raised.value.code, raised.value.message) == (
        RpcErrorCode.RPC_MISC_ERROR,
        "JSON integer out of range",
    )


def test_get_int_wider_range() -> None:
    assert get_int(JsonNumber("9223372036854775807"), minimum=-(2**63), maximum=2**63 - 1) == 2**63 - 1


@pytest.mark.parametrize(("getter", "value"), [(get_int, "1"), (get_str, JsonNumber("1")), (get_bool, None)])
def test_getters_refuse_other_types(getter: object, value: JsonValue) -> None:
    with pytest.raises(RpcError) as raised:
        getter(value)  # type: ignore[operator]
    assert raised.value.code == RpcErrorCode.RPC_TYPE_ERROR
    assert raised.value.message.startswith("JSON value of type ")


def test_getters_and_defaults() -> None:
    assert get_str("x") == "x" and get_bool(False) is False
    arg = RpcArg("verbosity", "num", optional=True, default=JsonNumber("1"))
    assert arg_or_default([], 0, arg) == JsonNumber("1")
    assert arg_or_default([None], 0, arg) == JsonNumber("1")
    assert arg_or_default([JsonNumber("2")], 0, arg) == JsonNumber("2")
