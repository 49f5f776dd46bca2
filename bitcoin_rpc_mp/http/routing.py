"""Method and URI dispatch as bitcoind does it before JSON-RPC (compat spec §2 "Method dispatch" steps 1, 2, 4).

Owns: which requests are refused by method or path. The wallet name of `/wallet/<name>` is the node's business:
the URI is passed to `Rpc.executeRpc` as it came. Pure; imports only `http.events` and `http.errors`.

bitcoind checks, in this order: (1) the method is one it knows, (2) a handler exists for the URI, (3) the work
queue has room (503, the server's business), (4) the JSON-RPC handler accepts only POST. `route_path` is
steps 1-2, `route_method` is step 4, `route` is both with nothing in between.
"""

from __future__ import annotations

from .errors import MethodNotAllowed, NotFound, PostOnly
from .events import Request, Response

KNOWN_METHODS = frozenset({"GET", "POST", "HEAD", "PUT"})  # case-sensitive: "post" is unknown
WALLET_PREFIX = "/wallet/"


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
