"""HTTP Basic credentials: header parsing and the check against rpcuser/rpcpassword, the cookie and -rpcauth.

Owns compat spec §3 "Authentication" as bitcoind's httprpc.cpp does it:
- the header must start with exactly `Basic ` (case-sensitive); the rest is trimmed of " \\f\\n\\r\\t\\v" and
  base64-decoded with DecodeBase64's rules (length a multiple of 4, at most two trailing `=`, standard alphabet
  only, no non-zero bits left over: `decode_base64`), then split at the FIRST colon;
- every credential is stored as (user, salt, HMAC-SHA256(key=salt as ASCII, msg=password) hex), including the
  plain rpcuser/rpcpassword pair and the cookie (random 32-hex-char salt each);
- `Authenticator.check` compares the user and the HMAC in constant time for every entry, with no early exit.

Also the demo's login: with the stand-in node and neither -rpcpassword nor -rpcauth, `u:p` is accepted too (and
a warning says so), so a newcomer can `curl --user u:p` at once; never with a real node.

The 250 ms delay after a failure, and the 401 reply, belong to the HTTP handler. Pure apart from `secrets` (and
the demo login's warning); must not do I/O or import `http`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..config.argv import ConfigError
from ..config.auth_options import rpcauth_fields

__all__ = [
    "COOKIE_USER",
    "DEMO_LOGIN",
    "Authenticator",
    "CredentialEntry",
    "decode_base64",
    "entry_for_password",
    "hmac_hex",
    "parse_basic_header",
    "parse_rpcauth",
]

log = logging.getLogger("bitcoin_rpc_mp.auth")

COOKIE_USER = "__cookie__"
DEMO_LOGIN = ("u", "p")  # the stand-in's demo login (user, password); never with a real node
_BASIC = b"Basic "
_TRIM = b" \f\n\r\t\v"
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: n for n, c in enumerate(_B64_ALPHABET)}


def _utf8(text: str) -> bytes:
    # options come from argv/bitcoin.conf as str; undecodable bytes were kept as surrogates
    return text.encode("utf-8", errors="surrogateescape")


def hmac_hex(salt: str, password: str | bytes) -> str:
    """Lowercase hex of HMAC-SHA256 keyed with the salt string, over the password."""
    message = password if isinstance(password, bytes) else _utf8(password)
    return hmac.new(_utf8(salt), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CredentialEntry:
    """One accepted credential, as bitcoind keeps it in g_rpcauth."""

    user: str
    salt: str
    hmac_hex: str


def entry_for_password(user: str, password: str) -> CredentialEntry:
    """A plain user/password stored the bitcoind way: random 16-byte salt as 32 hex chars, then the HMAC."""
    salt = secrets.token_hex(16)
    return CredentialEntry(user, salt, hmac_hex(salt, password))


def parse_rpcauth(value: str) -> CredentialEntry:
    """`<USER>:<SALT>$<HASH>` (the configuration's shape check); else ValueError(bitcoind's text)."""
    try:
        return CredentialEntry(*rpcauth_fields(value))
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def decode_base64(data: bytes) -> bytes | None:
    """bitcoind's DecodeBase64; None where it fails."""
    if len(data) % 4:
        return None
    if data.endswith(b"="):
        data = data[:-1]
    if data.endswith(b"="):
        data = data[:-1]
    out = bytearray()
    acc = 0
    bits = 0
    for char in data:
        value = _B64_VALUE.get(char)
        if value is None:
            return None
        acc = ((acc << 6) | value) & 0x1FFF
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 6 or (acc << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


def parse_basic_header(value: str | bytes) -> tuple[bytes, bytes] | None:
    """The (user, password) bytes of an Authorization header value, or None when bitcoind would reject it."""
    if isinstance(value, str):
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            return None
    else:
        raw = value
    if not raw.startswith(_BASIC):
        return None
    decoded = decode_base64(raw[len(_BASIC) :].strip(_TRIM))
    if decoded is None:
        return None
    user, colon, password = decoded.partition(b":")
    if not colon:
        return None
    return user, password


class Authenticator:
    """Checks Authorization headers against every configured credential."""

    def __init__(self, entries: Iterable[CredentialEntry]) -> None:
        self.entries: tuple[CredentialEntry, ...] = tuple(entries)
        self._encoded = tuple((_utf8(e.user), _utf8(e.salt), _utf8(e.hmac_hex), e.user) for e in self.entries)

    @classmethod
    def from_options(
        cls,
        *,
        rpcuser: str = "",
        rpcpassword: str = "",
        rpcauth: Sequence[str] = (),
        cookie_password: str | None = None,
        standin: bool = False,
    ) -> Authenticator:
        """InitRPCAuthentication: rpcuser/rpcpassword when a password is set, else the cookie (if one was
        written), then every -rpcauth; last, serving the stand-in node (`standin`) with neither a password nor
        -rpcauth, the demo login. Raises ValueError("Invalid -rpcauth argument.")."""
        entries: list[CredentialEntry] = []
        if rpcpassword:
            entries.append(entry_for_password(rpcuser, rpcpassword))
        elif cookie_password is not None:
            entries.append(entry_for_password(COOKIE_USER, cookie_password))
        entries.extend(parse_rpcauth(value) for value in rpcauth)
        if standin and not rpcpassword and not rpcauth:
            entries.append(entry_for_password(*DEMO_LOGIN))
            log.warning("stand-in mode without -rpcpassword/-rpcauth: also accepting the demo login %s:%s", *DEMO_LOGIN)
        return cls(entries)

    def check(self, header_value: str | bytes | None) -> str | None:
        """The authenticated user name, or None (missing header, bad scheme or base64, no colon, no match)."""
        if header_value is None:
            return None
        credentials = parse_basic_header(header_value)
        if credentials is None:
            return None
        user, password = credentials
        matched: str | None = None
        for entry_user, salt, expected, name in self._encoded:
            user_ok = hmac.compare_digest(entry_user, user)
            computed = hmac.new(salt, password, hashlib.sha256).hexdigest().encode("ascii")
            hash_ok = hmac.compare_digest(computed, expected)
            if user_ok & hash_ok and matched is None:
                matched = name
        return matched
