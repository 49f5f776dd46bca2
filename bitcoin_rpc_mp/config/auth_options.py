"""Who may call: the authentication options as InitRPCAuthentication resolves them, and the whitelist options.

Owns -rpcuser/-rpcpassword (and bitcoind's plain-text warning), the -rpcauth shape check with bitcoind's text
(`rpcauth_fields`; `auth.credentials` uses it), the cookie's path and -rpccookieperms' modes (`COOKIE_PERMS`;
`auth.cookie` writes the file), and -rpcwhitelist/-rpcwhitelistdefault's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .argv import ConfigError
from .chainparams import default_cookie_path, net_datadir
from .http_options import HttpStartFailure
from .merge import ArgStore, abs_path

__all__ = [
    "COOKIE_PERMS",
    "DEFAULT_COOKIE_MODE",
    "AuthSettings",
    "auth_settings",
    "rpcauth_fields",
]

COOKIE_PERMS: dict[str, int] = {"owner": 0o600, "group": 0o640, "all": 0o644}
DEFAULT_COOKIE_MODE = COOKIE_PERMS["owner"]  # bitcoind applies none and relies on its umask 077
_WARN_PLAINTEXT = (
    "The use of rpcuser/rpcpassword is less secure, because credentials are configured in plain text. It is "
    "recommended that locally-run instances switch to cookie-based auth, or otherwise to use hashed rpcauth "
    "credentials. See contrib/rpcauth for more information."
)


@dataclass(frozen=True)
class AuthSettings:
    """The authentication and whitelist options."""

    rpcuser: str
    rpcpassword: str
    rpcauth: tuple[str, ...]  # `<USER>:<SALT>$<HASH>` values, in the order given
    cookiefile: Path | None  # -rpccookiefile, absolute; None after -norpccookiefile
    cookieperms: str | None  # -rpccookieperms: "owner" | "group" | "all" | None (not given)
    cookie_mode: int  # the file mode the cookie is created with
    whitelist: tuple[str, ...]  # -rpcwhitelist
    whitelistdefault: bool  # -rpcwhitelistdefault, resolved: the value given, else "any -rpcwhitelist given"

    @property
    def cookie_enabled(self) -> bool:
        """bitcoind writes a cookie iff -rpcpassword is empty and -norpccookiefile was not given."""
        return self.rpcpassword == "" and self.cookiefile is not None


def rpcauth_fields(value: str) -> tuple[str, str, str]:
    """An -rpcauth value `<USER>:<SALT>$<HASH>` as (user, salt, hash): exactly one `:`, and exactly one `$`
    after it. Raises ConfigError with bitcoind's text otherwise (the one check; `auth.credentials` uses it)."""
    fields = value.split(":")
    salt_hash = fields[-1].split("$")
    if len(fields) != 2 or len(salt_hash) != 2:
        raise ConfigError("Invalid -rpcauth argument.")
    return fields[0], salt_hash[0], salt_hash[1]


def auth_settings(
    store: ArgStore, datadir: Path, chain: str, warnings: list[str]
) -> tuple[AuthSettings, HttpStartFailure | None]:
    """InitRPCAuthentication's reading of the options, and the first value with which bitcoind's HTTP server
    would not start (an invalid -rpccookieperms, then an -rpcauth of the wrong shape)."""
    rpcuser = store.get_arg("rpcuser") or ""
    rpcpassword = store.get_arg("rpcpassword") or ""
    cookieperms = store.get_arg("rpccookieperms")
    cookie_mode = DEFAULT_COOKIE_MODE
    failure: HttpStartFailure | None = None
    if rpcpassword == "":
        if cookieperms is not None:
            if cookieperms not in COOKIE_PERMS:
                failure = HttpStartFailure(
                    f"Invalid -rpccookieperms={cookieperms}; must be one of 'owner', 'group', or 'all'."
                )
            cookie_mode = COOKIE_PERMS.get(cookieperms, DEFAULT_COOKIE_MODE)
    else:
        warnings.append(_WARN_PLAINTEXT)
        if cookieperms not in COOKIE_PERMS:
            cookieperms = None  # not looked at when no cookie is written
    rpcauth = tuple(store.get_list("rpcauth"))
    for value in rpcauth:
        try:
            rpcauth_fields(value)
        except ConfigError as exc:
            failure = failure or HttpStartFailure(str(exc))
            break
    cookiefile: Path | None = None
    if not store.is_negated("rpccookiefile"):
        cookie_arg = store.get_arg("rpccookiefile")
        cookiefile = (
            abs_path(cookie_arg, net_datadir(datadir, chain)) if cookie_arg else default_cookie_path(datadir, chain)
        )
    whitelist = tuple(store.get_list("rpcwhitelist"))
    whitelistdefault = store.get_bool("rpcwhitelistdefault", bool(whitelist))
    settings = AuthSettings(
        rpcuser, rpcpassword, rpcauth, cookiefile, cookieperms, cookie_mode, whitelist, whitelistdefault
    )
    return settings, failure
