"""auth/whitelist.py: -rpcwhitelist parsing and the decisions of compat §3 "Whitelist" (cases 103-112)."""

from __future__ import annotations

import base64

import pytest

from bitcoin_rpc_mp.auth.credentials import COOKIE_USER, Authenticator, hmac_hex
from bitcoin_rpc_mp.auth.whitelist import Whitelist, parse_whitelists


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a:getblockcount,getbestblockhash"], {"a": {"getblockcount", "getbestblockhash"}}),
        (["a:x, y  z,,w"], {"a": {"x", "y", "z", "w"}}),  # every ',' and ' ' separates; empties dropped
        (["a"], {"a": set()}),  # no colon: an empty whitelist
        (["a:"], {"a": set()}),
        (["a:x,y", "a:y,z"], {"a": {"y"}}),  # named twice: intersection
        (["a:x,y", "a"], {"a": {"x", "y"}}),  # a bare name leaves an existing list alone
        (["a", "a:x"], {"a": set()}),  # … but intersects with the empty one made first
        (["a:x", "b:y"], {"a": {"x"}, "b": {"y"}}),
        ([":x"], {"": {"x"}}),
        (["a:x:y"], {"a": {"x:y"}}),  # only the first colon separates the user
    ],
)
def test_parse(values: list[str], expected: dict[str, set[str]]) -> None:
    assert parse_whitelists(values) == {user: frozenset(methods) for user, methods in expected.items()}


@pytest.mark.parametrize(
    ("values", "explicit", "default"),
    [([], None, False), (["a:x"], None, True), (["a:x"], False, False), ([], True, True)],
)
def test_default(values: list[str], explicit: bool | None, default: bool) -> None:
    assert Whitelist.from_options(values, explicit).default is default


def test_no_whitelist_at_all_allows_everything() -> None:
    wl = Whitelist.from_options([])
    assert not wl.forbids_user("anyone")
    assert wl.allowed("anyone", "stop")
    assert not wl.user_has_whitelist("anyone")


def test_default_forced_on_without_lists_forbids_everyone() -> None:
    wl = Whitelist.from_options([], True)
    assert wl.forbids_user("u")
    assert not wl.allowed("u", "getblockcount")


def test_default_off_leaves_unlisted_users_free() -> None:
    wl = Whitelist.from_options(["a:getblockcount"], False)
    assert not wl.forbids_user("b") and wl.allowed("b", "stop")
    assert wl.allowed("a", "getblockcount") and not wl.allowed("a", "stop")


def test_method_names_are_case_sensitive() -> None:
    wl = Whitelist.from_options(["a:getblockcount"])
    assert not wl.allowed("a", "GetBlockCount")


# -- compat §6 cases 103-112 -------------------------------------------------------------------------------------
# node: -rpcauth=a:… (pw pa), -rpcauth=b:… (pw pb), -rpcwhitelist=a:getblockcount,getbestblockhash, cookie on

COOKIE = "4953fa766d375b0c15cd4b8cd67313169232530b9b4f9ecb84a42c4990906d16"
AUTH = Authenticator.from_options(
    rpcauth=[f"a:00ff${hmac_hex('00ff', 'pa')}", f"b:11ee${hmac_hex('11ee', 'pb')}"], cookie_password=COOKIE
)
WL = Whitelist.from_options(["a:getblockcount,getbestblockhash"])
HEADER_A = "Basic YTpwYQ=="
HEADER_B = "Basic YjpwYg=="
HEADER_COOKIE = "Basic " + base64.b64encode(f"__cookie__:{COOKIE}".encode()).decode()


def test_the_spec_headers_authenticate() -> None:
    assert AUTH.check(HEADER_A) == "a"
    assert AUTH.check(HEADER_B) == "b"
    # case 112's header, verbatim
    assert HEADER_COOKIE == (
        "Basic X19jb29raWVfXzo0OTUzZmE3NjZkMzc1YjBjMTVjZDRiOGNkNjczMTMxNjkyMzI1MzBiOWI0ZjllY2I4NGE0MmM0OTkwOTA2ZDE2"
    )
    assert AUTH.check(HEADER_COOKIE) == COOKIE_USER


def test_case_103_a_allowed() -> None:
    user = AUTH.check(HEADER_A)
    assert user is not None and not WL.forbids_user(user) and WL.allowed(user, "getblockcount")


def test_case_104_a_forbidden_method() -> None:
    assert not WL.allowed("a", "getblockhash")


def test_cases_105_106_b_has_no_whitelist_so_any_valid_json_is_forbidden() -> None:
    user = AUTH.check(HEADER_B)
    assert user == "b" and WL.forbids_user(user)
    # 106 (invalid JSON → 500 Parse error) never reaches the whitelist: only the dispatcher's order decides it


def test_case_107_the_methods_of_the_batch() -> None:
    # refusing the whole batch for one method is the dispatcher's (test_dispatch.py); the decision per method:
    assert WL.allowed("a", "getblockcount") and WL.allowed("a", "getbestblockhash")
    assert not WL.allowed("a", "getblockhash")


def test_cases_108_to_111_batch_shape_checks_apply_because_a_has_a_whitelist() -> None:
    assert WL.user_has_whitelist("a") and not WL.forbids_user("a")
    assert not WL.user_has_whitelist("b")


def test_case_112_cookie_user_is_forbidden_too() -> None:
    assert WL.forbids_user(COOKIE_USER)
