"""rpc_endpoint.py: the HTTP handler's own shortcut, the remembered Authorization value."""

from __future__ import annotations

import base64

from bitcoin_rpc_mp.auth.credentials import Authenticator
from bitcoin_rpc_mp.rpc_endpoint import JsonRpcHttpHandler


def test_the_remembered_header_is_compared_whole() -> None:
    """The handler remembers the last accepted Authorization value; any other value is checked in full."""
    def basic(text: str) -> str:
        return "Basic " + base64.b64encode(text.encode()).decode()

    handler = JsonRpcHttpHandler(Authenticator.from_options(rpcuser="u", rpcpassword="p"), None)  # type: ignore[arg-type]
    assert handler._authenticate(basic("u:p")) == "u"
    assert handler._authenticate(basic("u:p")) == "u"  # remembered
    assert handler._authenticate(basic("u:q")) is None
    assert handler._authenticate(basic("u:p") + "=") is None  # a longer value is not the remembered one
    assert handler._authenticate(basic("u:p")[:-1]) is None
