"""bitcoin_rpc_mp.http.routing and .errors: method/URI dispatch (compat spec §2 steps 1, 2, 4) and the reply
each HttpError implies."""

from __future__ import annotations

import pytest

from bitcoin_rpc_mp.http import errors
from bitcoin_rpc_mp.http.events import Request, Response
from bitcoin_rpc_mp.http.routing import route, route_method, route_path

NO_STORE = (("Cache-Control", "no-store"),)
POST_ONLY = Response(405, (), b"JSONRPC server handles only POST requests")


def req(method: str, target: str) -> Request:
    return Request(method, target, (1, 1), (), b"")


@pytest.mark.parametrize("method", ["DELETE", "OPTIONS", "post", "get", "Post", "PATCH", "", "CONNECT"])
@pytest.mark.parametrize("target", ["/", "/foo", "/wallet/w", "*"])
def test_unknown_method_is_405_no_store_before_uri(method: str, target: str) -> None:
    assert route(req(method, target)) == Response(405, NO_STORE, b"")
    assert route_path(req(method, target)) == Response(405, NO_STORE, b"")


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "PUT"])
@pytest.mark.parametrize("target", ["/foo", "/?x=1", "/wallet", "//", "", "/Wallet/w", "wallet/w", "/ "])
def test_unknown_uri_is_404_no_store(method: str, target: str) -> None:
    assert route(req(method, target)) == Response(404, NO_STORE, b"")


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
@pytest.mark.parametrize("target", ["/", "/wallet/", "/wallet/w"])
def test_get_head_put_on_valid_uri_is_post_only_405(method: str, target: str) -> None:
    assert route(req(method, target)) == POST_ONLY
    assert route_path(req(method, target)) is None
    assert route_method(req(method, target)) == POST_ONLY


@pytest.mark.parametrize("target", ["/", "/wallet/", "/wallet/w", "/wallet/a/b?x=1", "/wallet/%zz"])
def test_post_on_valid_uri_goes_on(target: str) -> None:
    assert route(req("POST", target)) is None


@pytest.mark.parametrize(
    ("error", "response"),
    [
        (errors.BadRequest, Response(400, NO_STORE, b"")),
        (errors.Unauthorized, Response(401, (("WWW-Authenticate", 'Basic realm="jsonrpc"'),), b"")),
        (errors.Forbidden, Response(403, (), b"")),
        (errors.NotFound, Response(404, NO_STORE, b"")),
        (errors.MethodNotAllowed, Response(405, NO_STORE, b"")),
        (errors.PostOnly, POST_ONLY),
        (errors.PayloadTooLarge, Response(413, NO_STORE, b"")),
        (errors.ServiceUnavailable, Response(503, NO_STORE, b"Work queue depth exceeded")),
    ],
)
def test_each_error_implies_its_reply(error: type[errors.HttpError], response: Response) -> None:
    exc = error("why")
    assert isinstance(exc, errors.HttpError) and exc.status == response.status
    assert exc.response == response and exc.detail == "why"
    with pytest.raises(errors.HttpError):
        raise exc


def test_post_only_is_a_method_not_allowed() -> None:
    assert issubclass(errors.PostOnly, errors.MethodNotAllowed)
