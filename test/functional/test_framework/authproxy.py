"""A small JSON-RPC client in the manner of Bitcoin Core's AuthServiceProxy (our own code).

Owns: ``AuthServiceProxy`` (attribute access builds calls: ``proxy.getblockhash(0)``; keyword arguments become
named parameters; ``batch(list)`` sends an array; one keep-alive ``http.client`` connection per proxy) and
``JSONRPCException(error, http_status)``. Standard library only.
"""

from __future__ import annotations

import base64
import decimal
import http.client
import itertools
import json
import urllib.parse
from typing import Any

USER_AGENT = "bitcoin-rpc-mp-functional/0.1"
DEFAULT_HTTP_TIMEOUT = 30.0


class JSONRPCException(Exception):
    """An error reply (or an unusable HTTP reply); ``error`` is the JSON-RPC error object."""

    def __init__(self, rpc_error: dict[str, Any], http_status: int | None = None) -> None:
        try:
            errmsg = "{} ({})".format(rpc_error["message"], rpc_error["code"])
        except (KeyError, TypeError):
            errmsg = ""
        super().__init__(errmsg)
        self.error = rpc_error
        self.http_status = http_status


def _json_default(value: object) -> object:
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"{value!r} is not JSON serializable")


class AuthServiceProxy:
    """Calls ``service_url`` (``http://user:pass@host:port/path``) with JSON-RPC ``jsonrpc_version``."""

    _ids = itertools.count(1)

    def __init__(self, service_url: str, service_name: str | None = None, timeout: float = DEFAULT_HTTP_TIMEOUT,
                 connection: http.client.HTTPConnection | None = None, *, jsonrpc_version: str = "2.0") -> None:
        self._service_url = service_url
        self._service_name = service_name
        self._timeout = timeout
        self._jsonrpc_version = jsonrpc_version
        self._url = urllib.parse.urlparse(service_url)
        user = urllib.parse.unquote(self._url.username or "")
        password = urllib.parse.unquote(self._url.password or "")
        self._auth_header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._conn = connection

    # -- call building -------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> AuthServiceProxy:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if self._service_name is not None:
            name = f"{self._service_name}.{name}"
        return AuthServiceProxy(self._service_url, name, self._timeout, self._connection(),
                                jsonrpc_version=self._jsonrpc_version)

    def get_request(self, *args: Any, **argsn: Any) -> dict[str, Any]:
        if args and argsn:
            params: Any = dict(args=list(args), **argsn)
        else:
            params = argsn or list(args)
        request: dict[str, Any] = {"method": self._service_name, "params": params, "id": next(self._ids)}
        if self._jsonrpc_version == "2.0":
            request["jsonrpc"] = "2.0"
        else:
            request["version"] = self._jsonrpc_version
        return request

    def __call__(self, *args: Any, **argsn: Any) -> Any:
        body = json.dumps(self.get_request(*args, **argsn), default=_json_default).encode()
        response, status = self._request(body)
        if response is None:
            raise JSONRPCException({"code": -343, "message": f"empty reply (HTTP {status})"}, status)
        if not isinstance(response, dict):
            raise JSONRPCException({"code": -344, "message": f"unexpected reply {response!r}"}, status)
        if response.get("error") is not None:
            raise JSONRPCException(response["error"], status)
        if "result" not in response:
            raise JSONRPCException({"code": -343, "message": "missing JSON-RPC result"}, status)
        if status != http.HTTPStatus.OK:
            raise JSONRPCException({"code": -342, "message": "non-200 HTTP status code"}, status)
        return response["result"]

    def batch(self, rpc_call_list: list[dict[str, Any]]) -> Any:
        """Send a batch; returns the parsed reply list (each element its own envelope), or None for 204."""
        body = json.dumps(rpc_call_list, default=_json_default).encode()
        response, status = self._request(body)
        if status != http.HTTPStatus.OK and status != http.HTTPStatus.NO_CONTENT:
            raise JSONRPCException({"code": -342, "message": f"batch got HTTP {status}"}, status)
        return response

    # -- transport -------------------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._url.hostname or "127.0.0.1", self._url.port,
                                                    timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def post_raw(self, body: bytes, *, path: str | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """POST ``body`` unchanged; returns (status, headers, body). Retries once if a reused socket died."""
        all_headers = {"Host": self._url.hostname or "", "User-Agent": USER_AGENT,
                       "Authorization": self._auth_header, "Content-type": "application/json"}
        all_headers.update(headers or {})
        target = path if path is not None else (self._url.path or "/")
        for attempt in (0, 1):
            conn = self._connection()
            try:
                conn.request("POST", target, body, all_headers)
                resp = conn.getresponse()
                data = resp.read()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # Keep-alive connection closed by the server while idle: reconnect once, as Core's proxy does.
                conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _request(self, body: bytes) -> tuple[Any, int]:
        status, headers, data = self.post_raw(body)
        if status == http.HTTPStatus.NO_CONTENT:
            return None, status
        content_type = headers.get("content-type", "")
        if content_type != "application/json":
            raise JSONRPCException({"code": -342, "message": f'non-JSON HTTP response with "{status}" from server: '
                                                            f"{data[:200]!r}"}, status)
        return json.loads(data.decode("utf-8"), parse_float=decimal.Decimal), status
