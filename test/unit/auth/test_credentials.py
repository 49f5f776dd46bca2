"""auth/credentials.py: Basic header parsing and HMAC checks as bitcoind's httprpc.cpp does them (compat §3)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitcoin_rpc_mp.auth import credentials
from bitcoin_rpc_mp.auth.credentials import (
    COOKIE_USER,
    Authenticator,
    CredentialEntry,
    decode_base64,
    entry_for_password,
    hmac_hex,
    parse_basic_header,
    parse_rpcauth,
)
from bitcoin_rpc_mp.config.settings import build_settings

# the node of compat §6 cases 54-59 runs with -rpcuser=u -rpcpassword=p
UP = Authenticator.from_options(rpcuser="u", rpcpassword="p")


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


# -- DecodeBase64 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        (b"", b""),
        (b"dTpw", b"u:p"),
        (b"YQ==", b"a"),
        (b"YWI=", b"ab"),
        (b"YWJj", b"abc"),
        (b"+/+/", b"\xfb\xff\xbf"),
    ],
)
def test_decode_base64_valid(text: bytes, decoded: bytes) -> None:
    assert decode_base64(text) == decoded


@pytest.mark.parametrize(
    "text",
    [
        b"YQ=",  # length not a multiple of 4
        b"YQ",
        b"Y===",  # at most two '=' are stripped
        b"YR==",  # non-zero bits left over
        b"YWJ=",
        b"YQ==YQ==",  # '=' inside
        b"!!!!",
        b"dT w",
        b"-_-_",  # url-safe alphabet is not accepted
        b"====",
    ],
)
def test_decode_base64_invalid(text: bytes) -> None:
    assert decode_base64(text) is None


@given(st.binary(max_size=40))
def test_decode_base64_round_trips_canonical_encodings(data: bytes) -> None:
    assert decode_base64(base64.b64encode(data)) == data


# -- the header --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic dTpw", (b"u", b"p")),
        ("Basic    dTpw   ", (b"u", b"p")),  # case 58: the rest is trimmed
        ("Basic \tdTpw\r\n\x0b\x0c", (b"u", b"p")),
        ("Basic dXA=", None),  # case 59: no colon
        ("basic dTpw", None),  # case 57: the scheme is case-sensitive
        ("Basic !!!", None),  # case 56: bad base64
        ("Basic", None),
        ("Bearer dTpw", None),
        (" Basic dTpw", None),
        ("Basic " + base64.b64encode(b"u:p:q").decode(), (b"u", b"p:q")),  # split at the FIRST colon
        ("Basic " + base64.b64encode(b":").decode(), (b"", b"")),
        ("Basic Og==", (b"", b"")),
        ("Basic dTpwé", None),
    ],
)
def test_parse_basic_header(header: str, expected: tuple[bytes, bytes] | None) -> None:
    assert parse_basic_header(header) == expected


# -- compat §6 cases 54-59 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "header", "user"),
    [
        (54, None, None),
        (55, "Basic dTp4", None),
        (56, "Basic !!!", None),
        (57, "basic dTpw", None),
        (58, "Basic    dTpw   ", "u"),
        (59, "Basic dXA=", None),
    ],
)
def test_compat_cases_54_to_59(case: int, header: str | None, user: str | None) -> None:
    assert UP.check(header) == user


def test_bytes_header_and_non_latin1() -> None:
    assert UP.check(b"Basic dTpw") == "u"
    assert UP.check("Basic dTpw\u2028") is None


# -- entries -----------------------------------------------------------------------------------------------------


def test_hmac_is_keyed_with_the_salt_text() -> None:
    expected = hmac.new(b"0123", b"pw", hashlib.sha256).hexdigest()
    assert hmac_hex("0123", "pw") == expected
    assert hmac_hex("0123", b"pw") == expected


def test_plain_passwords_get_a_fresh_32_hex_salt() -> None:
    a, b = entry_for_password("u", "p"), entry_for_password("u", "p")
    assert len(a.salt) == 32 and int(a.salt, 16) >= 0
    assert a.salt != b.salt
    assert a.hmac_hex == hmac_hex(a.salt, "p")


@pytest.mark.parametrize(
    ("value", "entry"),
    [
        ("a:s$h", CredentialEntry("a", "s", "h")),
        (":s$h", CredentialEntry("", "s", "h")),
        ("a:$", CredentialEntry("a", "", "")),
    ],
)
def test_parse_rpcauth(value: str, entry: CredentialEntry) -> None:
    assert parse_rpcauth(value) == entry


@pytest.mark.parametrize("value", ["", "a", "a:b", "a:b$c$d", "a:b:c$d", "a$b:c", "a:"])
def test_parse_rpcauth_invalid(value: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid -rpcauth argument\.$"):
        parse_rpcauth(value)


def rpcauth_for(user: str, password: str, salt: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90") -> str:
    return f"{user}:{salt}${hmac_hex(salt, password)}"


def test_from_options_password_replaces_the_cookie() -> None:
    auth = Authenticator.from_options(rpcuser="u", rpcpassword="p", cookie_password="c" * 64)
    assert [e.user for e in auth.entries] == ["u"]
    assert auth.check(basic(f"{COOKIE_USER}:{'c' * 64}")) is None


def test_from_options_cookie_and_rpcauth_coexist() -> None:
    auth = Authenticator.from_options(
        rpcuser="ignored", cookie_password="ab" * 32, rpcauth=[rpcauth_for("a", "pa"), rpcauth_for("b", "pb")]
    )
    assert [e.user for e in auth.entries] == [COOKIE_USER, "a", "b"]
    assert auth.check(basic(f"__cookie__:{'ab' * 32}")) == COOKIE_USER
    assert auth.check(basic("a:pa")) == "a"
    assert auth.check(basic("b:pb")) == "b"
    assert auth.check(basic("a:pb")) is None
    assert auth.check(basic("ignored:")) is None  # rpcuser without rpcpassword is not a credential


def test_the_stand_in_alone_also_accepts_the_demo_login(caplog: pytest.LogCaptureFixture) -> None:
    cookie = "cd" * 32
    with caplog.at_level(logging.WARNING):
        auth = Authenticator.from_options(cookie_password=cookie, standin=True)
    assert auth.check(basic("u:p")) == "u" and auth.check(basic(f"{COOKIE_USER}:{cookie}")) == COOKIE_USER
    assert [r.getMessage() for r in caplog.records] == [
        "stand-in mode without -rpcpassword/-rpcauth: also accepting the demo login u:p"
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"cookie_password": "cd" * 32},  # a real node: never
        {"rpcuser": "alice", "rpcpassword": "secret", "standin": True},  # the operator chose a password
        {"rpcauth": [rpcauth_for("a", "pa")], "cookie_password": "cd" * 32, "standin": True},
    ],
)
def test_no_demo_login_otherwise(options: dict[str, Any]) -> None:
    assert Authenticator.from_options(**options).check(basic("u:p")) is None


def test_password_without_user() -> None:
    # bitcoind stores ("", salt, hash) when only -rpcpassword is set
    auth = Authenticator.from_options(rpcpassword="secret")
    assert auth.check(basic(":secret")) == ""
    assert auth.check(basic("u:secret")) is None


def test_no_credentials_accepts_nothing() -> None:
    auth = Authenticator.from_options()
    assert auth.entries == ()
    assert auth.check(basic(":")) is None


def test_password_may_hold_colons_and_any_bytes() -> None:
    auth = Authenticator.from_options(rpcuser="u", rpcpassword="p:ä:x")
    assert auth.check(basic("u:p:ä:x")) == "u"
    assert auth.check(basic("u:p:a:x")) is None


def test_invalid_rpcauth_raises() -> None:
    with pytest.raises(ValueError, match=r"^Invalid -rpcauth argument\.$"):
        Authenticator.from_options(rpcauth=["bogus"])


def test_every_entry_is_compared_even_after_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = Authenticator.from_options(rpcuser="u", rpcpassword="p", rpcauth=[rpcauth_for("a", "x")] * 3)
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", counting)
    assert auth.check("Basic dTpw") == "u"  # the first entry matches
    assert len(calls) == 2 * 4  # user and hash of all four entries
    calls.clear()
    assert auth.check("Basic dTp4") is None
    assert len(calls) == 2 * 4


class _NoFiles:
    def is_dir(self, path: object) -> bool:
        return False

    def read_text(self, path: object) -> None:
        return None


@settings(deadline=None)  # build_settings under a loaded machine can take longer than the default 200 ms
@given(st.text(alphabet=":$a", max_size=6))
def test_settings_and_authenticator_agree_on_rpcauth_syntax(value: str) -> None:
    """config validates -rpcauth at startup without importing auth: both must accept the same values."""
    try:
        parse_rpcauth(value)
        parsed = True
    except ValueError:
        parsed = False
    settings = build_settings([f"-rpcauth={value}"], environ={"HOME": "/h"}, cwd="/", files=_NoFiles())
    accepted = settings.http_failure is None
    assert parsed is accepted
