"""-rpcwhitelist / -rpcwhitelistdefault: which user may call which method. Pure.

Owns compat spec §3 "Whitelist" (bitcoind's InitRPCAuthentication and HTTPReq_JSONRPC):
- `-rpcwhitelist=USER:m1,m2 m3`: the method list is split on every ',' and every ' ', empty items dropped;
  `-rpcwhitelist=USER` (no colon) gives USER an empty whitelist, or leaves an existing one as it is; a user named
  again gets the intersection of the lists;
- the default is true iff any -rpcwhitelist was given, unless -rpcwhitelistdefault says otherwise.

How the JSON-RPC handler (`jsonrpc.dispatch`) uses it, in bitcoind's order (after auth, after the body parsed as
JSON):
1. `forbids_user(user)` → 403 with an empty body, whatever the (valid JSON) body holds, `1` and `[]` included;
2. single object: parse the request first (its errors win), then `allowed(user, method)` else 403;
3. batch, only when `user_has_whitelist(user)`: element by element, a non-object is the legacy 400 `Invalid
   Request object`, a non-string `method` the 500 JSON type error, and a method not `allowed` 403 for the whole
   batch; all of this before any element runs.
The checks on element shapes need JSON values, so they stay with the dispatcher. Imports nothing of ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

__all__ = ["Whitelist", "parse_whitelists"]

_SEPARATORS = re.compile(r"[, ]")


def parse_whitelists(values: Iterable[str]) -> dict[str, frozenset[str]]:
    """The per-user method sets of the -rpcwhitelist values, in bitcoind's merge order."""
    result: dict[str, frozenset[str]] = {}
    for value in values:
        user, colon, methods = value.partition(":")
        known = user in result
        current = result.setdefault(user, frozenset())
        if not colon:
            continue
        new = frozenset(item for item in _SEPARATORS.split(methods) if item)
        result[user] = new & current if known else new
    return result


class Whitelist:
    """The whitelist decisions for authenticated users."""

    def __init__(self, user_methods: Mapping[str, frozenset[str]], default: bool) -> None:
        self._user_methods = dict(user_methods)
        self.default = default

    @classmethod
    def from_options(cls, rpcwhitelist: Iterable[str], rpcwhitelistdefault: bool | None = None) -> Whitelist:
        """Build from the option values; `rpcwhitelistdefault=None` means "not given" (bitcoind's default)."""
        values = list(rpcwhitelist)
        default = bool(values) if rpcwhitelistdefault is None else rpcwhitelistdefault
        return cls(parse_whitelists(values), default)

    def user_has_whitelist(self, user: str) -> bool:
        return user in self._user_methods

    def forbids_user(self, user: str) -> bool:
        """Step 1: no whitelist of their own while the default applies → 403 for any body that is valid JSON."""
        return self.default and not self.user_has_whitelist(user)

    def allowed(self, user: str, method: str) -> bool:
        """Whether `user` may run `method` (a user without a whitelist: anything, unless the default applies)."""
        methods = self._user_methods.get(user)
        if methods is None:
            return not self.default
        return method in methods
