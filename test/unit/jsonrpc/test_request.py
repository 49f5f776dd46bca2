"""jsonrpc/request.py: JSONRPCRequest::parse order and the reused request state of batches (compat spec §4,
§7 items 2-3)."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.jsonrpc.errors import RpcError, RpcErrorCode
from bitcoin_rpc_mp.jsonrpc.reader import JsonNumber, JsonObject, JsonValue, read_json
from bitcoin_rpc_mp.jsonrpc.request import (
    JSONRPC_LEGACY,
    JSONRPC_V2,
    BatchState,
    Call,
    RequestParseError,
    parse_request,
)


def parse(body: bytes, state: BatchState | None = None) -> Call:
    return parse_request(read_json(body), state)


def parse_error(body: bytes, state: BatchState | None = None) -> RequestParseError:
    with pytest.raises(RequestParseError) as raised:
        parse(body, state)
    assert raised.value.code == RpcErrorCode.RPC_INVALID_REQUEST
    return raised.value


def test_legacy_call() -> None:
    call = parse(b'{"method":"getblockhash","params":[1],"id":1.50}')
    assert call == Call("getblockhash", [JsonNumber("1")], True, JsonNumber("1.50"), JSONRPC_LEGACY)
    assert not call.is_notification


def test_v2_call_and_notification() -> None:
    call = parse(b'{"jsonrpc":"2.0","method":"x","id":"a"}')
    assert (call.version, call.id_present, call.id, call.is_notification) == (2, True, "a", False)
    notification = parse(b'{"jsonrpc":"2.0","method":"x"}')
    assert notification.is_notification and not notification.id_present and notification.id is None


def test_v2_with_null_id_is_not_a_notification() -> None:
    call = parse(b'{"jsonrpc":"2.0","method":"x","id":null}')
    assert call.id_present and call.id is None and not call.is_notification


def test_legacy_without_id_is_not_a_notification() -> None:
    call = parse(b'{"method":"x"}')
    assert not call.id_present and call.version == JSONRPC_LEGACY and not call.is_notification


@pytest.mark.parametrize(
    ("body", "version"),
    [
        (b'{"jsonrpc":null,"method":"x"}', JSONRPC_LEGACY),
        (b'{"jsonrpc":"1.0","method":"x"}', JSONRPC_LEGACY),
        (b'{"jsonrpc":"2.0","method":"x"}', JSONRPC_V2),
        (b'{"jsonrpc":"2.0","jsonrpc":"1.1","method":"x"}', JSONRPC_V2),  # first key wins
    ],
)
def test_versions(body: bytes, version: int) -> None:
    assert parse(body).version == version


@pytest.mark.parametrize(
    ("body", "message", "id_present", "request_id", "version"),
    [
        # §6 case 4/39: the version was reset to legacy before the check, so the reply is legacy-shaped
        (
            b'{"jsonrpc":"1.1","method":"x","id":1}',
            "JSON-RPC version not supported",
            True,
            JsonNumber("1"),
            1,
        ),
        (b'{"jsonrpc":"2.1","method":"x"}', "JSON-RPC version not supported", False, None, 1),  # case 99
        (b'{"jsonrpc":2,"method":"x","id":1}', "jsonrpc field must be a string", True, JsonNumber("1"), 1),
        (b'{"jsonrpc":true,"method":"x","id":1}', "jsonrpc field must be a string", True, JsonNumber("1"), 1),
        (b'{"id":1}', "Missing method", True, JsonNumber("1"), 1),  # case 14
        (b'{"jsonrpc":"2.0","id":1}', "Missing method", True, JsonNumber("1"), 2),  # case 15
        (b'{"method":null,"id":1}', "Missing method", True, JsonNumber("1"), 1),
        (b'{"method":1,"id":1}', "Method must be a string", True, JsonNumber("1"), 1),  # case 16
        (b'{"method":["x"],"id":1}', "Method must be a string", True, JsonNumber("1"), 1),
        (
            b'{"method":"x","params":"x","id":1}',
            "Params must be an array or object",
            True,
            JsonNumber("1"),
            1,
        ),
        (b'{"method":"x","params":1,"id":1}', "Params must be an array or object", True, JsonNumber("1"), 1),
        (
            b'{"method":"x","params":true,"id":1}',
            "Params must be an array or object",
            True,
            JsonNumber("1"),
            1,
        ),
        # case 98: a 2.0 notification's parse error still gets a body, without id
        (b'{"jsonrpc":"2.0","method":"x","params":"x"}', "Params must be an array or object", False, None, 2),
    ],
)
def test_parse_errors_carry_the_state_at_the_time(
    body: bytes, message: str, id_present: bool, request_id: JsonValue, version: int
) -> None:
    error = parse_error(body)
    assert error.message == message
    assert (error.id_present, error.id, error.version) == (id_present, request_id, version)
    assert isinstance(error, RpcError)


def test_check_order_jsonrpc_before_method_before_params() -> None:
    assert parse_error(b'{"jsonrpc":5,"params":"x"}').message == "jsonrpc field must be a string"
    assert parse_error(b'{"jsonrpc":"9","params":"x"}').message == "JSON-RPC version not supported"
    assert parse_error(b'{"method":2,"params":"x"}').message == "Method must be a string"


@pytest.mark.parametrize("body", [b'{"method":"x","params":null}', b'{"method":"x"}'])
def test_absent_or_null_params_become_an_empty_array(body: bytes) -> None:
    assert parse(body).params == []


def test_object_params_are_kept() -> None:
    params = parse(b'{"method":"x","params":{"a":1,"a":2}}').params
    assert isinstance(params, JsonObject) and params.keys() == ["a", "a"]


def test_first_duplicate_key_wins_everywhere() -> None:
    call = parse(b'{"method":"getblockcount","method":"nosuch","id":1,"id":2,"params":[],"params":"x"}')
    assert (call.method, call.id, call.params) == ("getblockcount", JsonNumber("1"), [])


def test_id_is_kept_verbatim() -> None:
    call = parse(b'{"method":"x","id":{"a":[1,true,null]}}')
    assert call.id == JsonObject([("a", [JsonNumber("1"), True, None])])


def test_non_object_without_state_is_legacy_with_null_id() -> None:
    for value in (JsonNumber("1"), [], "x", None, True):
        with pytest.raises(RequestParseError) as raised:
            parse_request(value, None)
        error = raised.value
        assert (error.message, error.id_present, error.id, error.version) == (
            "Invalid Request object",
            True,
            None,
            1,
        )


# -- the reused request state of a batch ------------------------------------------------------------------
def run_batch(body: bytes) -> list[Call | RequestParseError]:
    items = read_json(body)
    assert isinstance(items, list)
    state = BatchState()
    results: list[Call | RequestParseError] = []
    for item in items:
        try:
            results.append(parse_request(item, state))
        except RequestParseError as exc:
            results.append(exc)
    return results


def test_non_object_after_a_v2_item_takes_its_id_and_version() -> None:
    # §6 case 34
    first, second = run_batch(b'[{"jsonrpc":"2.0","method":"getblockcount","id":7},1]')
    assert isinstance(first, Call) and isinstance(second, RequestParseError)
    assert (second.message, second.id_present, second.id, second.version) == (
        "Invalid Request object", True, JsonNumber("7"), 2,
    )  # fmt: skip


def test_first_non_object_is_legacy_with_null_id() -> None:
    # §6 cases 35, 100, 101
    (only,) = run_batch(b"[1]")
    assert isinstance(only, RequestParseError) and (only.id_present, only.id, only.version) == (True, None, 1)
    first, second = run_batch(b'[[],{"method":"getblockcount","id":1}]')
    assert isinstance(first, RequestParseError) and first.id is None and first.version == 1
    assert isinstance(second, Call)


def test_non_object_after_a_notification_is_itself_a_notification() -> None:
    # §7 item 2: after a 2.0 notification its error is dropped
    first, second = run_batch(b'[{"jsonrpc":"2.0","method":"x"},"junk"]')
    assert isinstance(first, Call) and first.is_notification
    assert isinstance(second, RequestParseError) and second.is_notification


def test_missing_method_after_v2_item_is_legacy() -> None:
    # §6 case 38: the version is reset for every object
    first, second = run_batch(b'[{"jsonrpc":"2.0","method":"getblockcount","id":5},{"id":6}]')
    assert isinstance(first, Call) and first.version == 2
    assert isinstance(second, RequestParseError)
    assert (second.message, second.id, second.version) == ("Missing method", JsonNumber("6"), 1)


def test_id_of_an_item_without_id_is_cleared() -> None:
    _, second, third = run_batch(b'[{"method":"a","id":1},{"method":"b"},2]')
    assert isinstance(second, Call) and not second.id_present
    assert isinstance(third, RequestParseError) and not third.id_present and third.version == 1
    assert not third.is_notification  # legacy without id still gets a reply


def test_unsupported_version_after_v2_resets_to_legacy() -> None:
    _, second, third = run_batch(b'[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"3.0","method":"b"},0]')
    assert isinstance(second, RequestParseError) and second.version == 1 and not second.id_present
    assert isinstance(third, RequestParseError) and third.version == 1  # not a notification any more
    assert not third.is_notification


def test_batch_state_is_visible() -> None:
    state = BatchState()
    assert (state.id_present, state.id, state.version, state.is_notification) == (True, None, 1, False)
    parse(b'{"jsonrpc":"2.0","method":"x"}', state)
    assert (state.id_present, state.version, state.is_notification) == (False, 2, True)
    assert "version=2" in repr(state)
