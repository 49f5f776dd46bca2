"""bitcoind-style RPC argument checks for our native methods (RPCHelpMan + transformNamedArguments).

Owns: named → positional parameters, the argument-count check (-1 with the method's help text), the type check
(-3 `Wrong type passed:` with UniValue's 4-space pretty object) and UniValue's getInt/get_str conversions.
Must not import: `ipc`, `http`, asyncio.

Order, as bitcoind runs it: a params object is first turned into positions (rpc/server.cpp
transformNamedArguments: duplicate keys, holes filled with null, the `args` key, unknown names), then
RPCHelpMan::HandleRequest checks the count (too many, or a required one missing → -1 with the help text) and
the JSON type of every position, reporting all mismatches at once. Integer conversion happens later, in the
handler, as UniValue's getInt<int>: only integer text in range (`1.0` and `1e0` are not integers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..jsonrpc.errors import RpcError, RpcErrorCode
from ..jsonrpc.reader import JsonNumber, JsonObject, JsonValue, univalue_type_name
from ..jsonrpc.writer import quote_string

ArgType = Literal["num", "str", "hex", "bool", "obj", "arr", "amount", "range", "num_or_bool", "any"]

# RPCArg::Type → the UniValue type RPCArg::MatchesType insists on (None: checked by the handler itself).
_EXPECTED_TYPE: dict[str, str | None] = {
    "num": "number",
    "str": "string",
    "hex": "string",
    "bool": "bool",
    "obj": "object",
    "arr": "array",
    "amount": None,  # number or string, checked by AmountFromValue
    "range": None,  # number or array, checked by ParseRange
    "num_or_bool": None,  # e.g. getblock verbosity: skip_type_check
    "any": None,
}


@dataclass(frozen=True)
class RpcArg:
    """One declared argument. `name` may list aliases as bitcoind does (`"verbosity|verbose"`)."""

    name: str
    type: ArgType
    optional: bool = False
    default: JsonValue = None

    def __post_init__(self) -> None:
        if self.type not in _EXPECTED_TYPE:
            raise ValueError(f"unknown RpcArg type {self.type!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.name.split("|"))


def check_params(
    method_name: str, args_spec: Sequence[RpcArg], params: JsonValue, help_text: str
) -> list[JsonValue]:
    """The positional arguments bitcoind's handler for `method_name` would see, after its checks.

    Returns the positions as sent (not padded; trailing holes of named calls are not filled, as in bitcoind).
    Raises `RpcError` -8 (named parameter problems), -1 (wrong count; message = `help_text`) or -3 (types).
    """
    del method_name  # part of the signature for callers' logs; bitcoind's messages do not name the method
    if isinstance(params, JsonObject):
        values = named_to_positional(args_spec, params)
    elif isinstance(params, list):
        values = list(params)
    elif params is None:
        values = []
    else:
        raise RpcError(RpcErrorCode.RPC_INVALID_REQUEST, "Params must be an array or object")

    if not valid_arg_count(args_spec, len(values)):
        raise RpcError(RpcErrorCode.RPC_MISC_ERROR, help_text)

    mismatches: list[tuple[str, str]] = []
    for position, arg in enumerate(args_spec):
        value = values[position] if position < len(values) else None
        expected = _EXPECTED_TYPE[arg.type]
        if expected is None or (arg.optional and value is None):
            continue
        actual = univalue_type_name(value)
        if actual != expected:
            mismatches.append(
                (
                    f"Position {position + 1} ({arg.name})",
                    f"JSON value of type {actual} is not of expected type {expected}",
                )
            )
    if mismatches:
        raise RpcError(RpcErrorCode.RPC_TYPE_ERROR, "Wrong type passed:\n" + _pretty_object(mismatches))
    return values


def valid_arg_count(args_spec: Sequence[RpcArg], count: int) -> bool:
    """RPCHelpMan::IsValidNumArgs: every argument up to the last required one, and no more than declared."""
    required = 0
    for position in range(len(args_spec), 0, -1):
        if not args_spec[position - 1].optional:
            required = position
            break
    return required <= count <= len(args_spec)


def named_to_positional(args_spec: Sequence[RpcArg], params: JsonObject) -> list[JsonValue]:
    """transformNamedArguments for methods without named-only options."""
    given: dict[str, JsonValue] = {}
    for key, value in params.items():
        if key in given:
            raise RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, f"Parameter {key} specified multiple times")
        given[key] = value

    out: list[JsonValue] = []
    hole = 0
    initial_hole_size = 0
    initial_param: str | None = None
    for arg in args_spec:
        found = next((name for name in arg.names if name in given), None)
        if found is not None:
            out.extend([None] * hole)  # holes between given arguments become null; trailing ones stay open
            hole = 0
            if initial_param is None:
                initial_param = arg.name
            out.append(given.pop(found))
        else:
            hole += 1
            if not out:
                initial_hole_size = hole

    # `args` is taken out whatever its type; only an array supplies leading positions.
    has_args = "args" in given
    positional = given.pop("args", None)
    if has_args and isinstance(positional, list):
        if initial_param is not None and initial_hole_size < len(positional):
            raise RpcError(
                RpcErrorCode.RPC_INVALID_PARAMETER,
                f"Parameter {initial_param} specified twice both as positional and named argument",
            )
        out = list(positional) + out[len(positional) :]

    if given:
        # bitcoind names the first key of its hash map; we name the first in request order (the same
        # whenever exactly one name is unknown).
        unknown = next(iter(given))
        raise RpcError(RpcErrorCode.RPC_INVALID_PARAMETER, f"Unknown named parameter {unknown}")
    return out


def _pretty_object(pairs: list[tuple[str, str]]) -> str:
    """UniValue::write(4) of an object of strings."""
    members = ",\n".join(f"    {quote_string(key)}: {quote_string(value)}" for key, value in pairs)
    return "{\n" + members + "\n}"


# -- UniValue getters, as handlers use them ------------------------------------------------------------------

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _type_error(value: JsonValue, expected: str) -> RpcError:
    # UniValue::checkType throws UniValue::type_error, which CRPCTable::execute turns into -3.
    return RpcError(
        RpcErrorCode.RPC_TYPE_ERROR,
        f"JSON value of type {univalue_type_name(value)} is not of expected type {expected}",
    )


def get_int(value: JsonValue, *, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> int:
    """UniValue::getInt<int> (int32 by default): the whole text must be an integer in range."""
    if not isinstance(value, JsonNumber):
        raise _type_error(value, "number")
    text = value.text
    digits = text[1:] if text.startswith("-") else text
    # (more than 40 digits cannot be in any range asked for here, and int() of a huge text is slow)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 40:
        raise RpcError(RpcErrorCode.RPC_MISC_ERROR, "JSON integer out of range")
    number = int(text)
    if not minimum <= number <= maximum:
        raise RpcError(RpcErrorCode.RPC_MISC_ERROR, "JSON integer out of range")
    return number


def get_str(value: JsonValue) -> str:
    """UniValue::get_str."""
    if not isinstance(value, str):
        raise _type_error(value, "string")
    return value


def get_bool(value: JsonValue) -> bool:
    """UniValue::get_bool."""
    if value is not True and value is not False:
        raise _type_error(value, "bool")
    return value


def arg_or_default(values: Sequence[JsonValue], position: int, arg: RpcArg) -> JsonValue:
    """The value at `position`, or the argument's default when absent or null (RPCHelpMan::Arg)."""
    value = values[position] if position < len(values) else None
    return arg.default if value is None else value
