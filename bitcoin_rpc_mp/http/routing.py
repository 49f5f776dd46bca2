"""Method and URI dispatch as bitcoind does it before JSON-RPC (compat spec §2 "Method dispatch" steps 1, 2, 4).

Owns: which requests are refused by method or path, and the wallet name carried by `/wallet/<name>`.
Pure; imports only `http.events` and `http.errors`.

bitcoind checks, in this order: (1) the method is one it knows, (2) a handler exists for the URI, (3) the work
queue has room (503, the server's business), (4) the JSON-RPC handler accepts only POST. `route_path` is
steps 1-2, `route_method` is step 4, `route` is both with nothing in between.
"""

from __future__ import annotations

from .errors import MethodNotAllowed, NotFound, PostOnly
from .events import Request, Response

KNOWN_METHODS = frozenset({"GET", "POST", "HEAD", "PUT"})  # case-sensitive: "post" is unknown
WALLET_PREFIX = "/wallet/"
_HEX = frozenset("0123456789abcdefABCDEF")


def route_path(request: Request) -> Response | None:
    """Steps 1-2: 405 (Cache-Control: no-store) for an unknown method on any path, then 404 for a URI that is
    not exactly "/" and does not start with "/wallet/" (query strings are not stripped). None: go on."""
    if request.method not in KNOWN_METHODS:
        return MethodNotAllowed().response
    if request.target != "/" and not request.target.startswith(WALLET_PREFIX):
        return NotFound().response
    return None


def route_method(request: Request) -> Response | None:
    """Step 4: GET/HEAD/PUT get 405 with the text body and no Cache-Control (HEAD included). None for POST."""
    if request.method != "POST":
        return PostOnly().response
    return None


def route(request: Request) -> Response | None:
    """Steps 1, 2 and 4; None means the request goes on to authentication and JSON-RPC."""
    return route_path(request) or route_method(request)


def url_decode(text: str) -> bytes:
    """bitcoind's UrlDecode on Latin-1 text: `%XX` with two hex digits becomes that byte, anything else
    (a lone `%`, `%4`, `%zz`, `+`) stays as it is."""
    raw = text.encode("latin-1")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == 0x25 and i + 2 < n and chr(raw[i + 1]) in _HEX and chr(raw[i + 2]) in _HEX:
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
            continue
        out.append(c)
        i += 1
    return bytes(out)


def wallet_name(target: str) -> str | None:
    """The URL-decoded rest of a `/wallet/...` target (may be empty, may contain "/"), or None for any other
    target. Bytes that are not UTF-8 survive as surrogate escapes (`errors="surrogateescape"`)."""
    if not target.startswith(WALLET_PREFIX):
        return None
    return url_decode(target[len(WALLET_PREFIX) :]).decode("utf-8", "surrogateescape")
