"""Which methods we answer natively against the connected node, and how every call is executed.

Owns: the `NodeExecutor` the dispatcher calls for each request (native handler → typed IPC calls, else
`Rpc.executeRpc` pass-through of the original bytes, else bitcoind's -32601), the -28 answer while the node is
unreachable, and the mapping of IPC failures to RPC errors.
Must not import: `http`, capnp.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..ipc import errors as ipc_errors
from ..ipc.client import NodeClient
from ..jsonrpc.dispatch import Outcome
from ..jsonrpc.errors import RpcError, RpcErrorCode
from ..jsonrpc.reader import JsonObject, JsonParseError, JsonValue, read_json
from ..jsonrpc.request import Call
from ..jsonrpc.writer import write_json
from .answer_cache import AnswerCache, cache_key
from .coalesce import Coalescer, eligible
from .native import LONG_METHODS, NATIVE_METHODS, NativeContext, PassThrough

log = logging.getLogger("bitcoin_rpc_mp.handlers")

METHOD_NOT_FOUND = RpcError(RpcErrorCode.RPC_METHOD_NOT_FOUND, "Method not found")


def request_text(raw: bytes) -> str:
    """The request as Cap'n Proto Text for `Rpc.executeRpc`: the original bytes whenever they are UTF-8.

    UniValue also reads a few byte sequences that are not UTF-8 (overlong forms such as C0 80, surrogates
    written as UTF-8); pycapnp cannot send those as Text. Such a body is written again from what it reads as
    (first duplicate key and number text kept), which the node reads as the same value. Raises RpcError if
    even that is not UTF-8 (code points above U+10FFFF, which UniValue accepts).
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return write_json(read_json(raw)).decode("utf-8")
    except (UnicodeDecodeError, JsonParseError):
        raise RpcError(
            RpcErrorCode.RPC_INVALID_REQUEST,
            "request holds text that is not UTF-8 and cannot be passed to bitcoin-node over IPC",
        ) from None


def warmup_error(client: NodeClient) -> RpcError:
    """bitcoind's warm-up code, so `bitcoin-cli -rpcwait` keeps retrying while the node is away."""
    path = client.socket_path
    return RpcError(
        RpcErrorCode.RPC_IN_WARMUP,
        f"bitcoin-node is not reachable at unix:{path}; waiting for it (is it running with -ipcbind=unix:{path}?)",
    )


# Methods that keep a batch from going to the node whole.
_NOT_IN_WHOLE_BATCHES: frozenset[str] = LONG_METHODS | frozenset(
    name for name, native in NATIVE_METHODS.items() if native.local_only
)


def rpc_error_of(exc: ipc_errors.IpcError, client: NodeClient) -> RpcError:
    """The JSON-RPC error a client gets for an IPC failure (the one mapping, for calls and batches alike)."""
    if isinstance(exc, ipc_errors.NodeUnavailable | ipc_errors.NodeDisconnected):
        return warmup_error(client)
    if isinstance(exc, ipc_errors.RemoteError):
        return RpcError(RpcErrorCode.RPC_MISC_ERROR, exc.message)
    if isinstance(exc, ipc_errors.IpcTimeout):
        return RpcError(RpcErrorCode.RPC_MISC_ERROR, str(exc))
    return RpcError(RpcErrorCode.RPC_INTERNAL_ERROR, str(exc))


class NodeExecutor:
    """Executes calls for the dispatcher against whatever node the client is connected to right now."""

    def __init__(
        self,
        client: NodeClient,
        *,
        native: bool | None = None,
        coalescer: Coalescer | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self._client = client
        # True (-ipcnative=1): typed IPC calls wherever they answer exactly; False (-noipcnative): everything the
        # node can run goes through Rpc; None (default): like False on nodes with Rpc (the node then logs and
        # counts each request as bitcoind does: `ThreadRPCServer method=...`, getrpcinfo), like True without Rpc.
        self._native = native
        self._coalescer = coalescer  # combines waiting pass-through requests (handlers/coalesce.py)
        self._cache = cache  # chain-only answers (handlers/answer_cache.py), None when -rpccachesize=0

    async def execute(self, call: Call, raw: bytes, user: str, uri: str) -> Outcome:
        client = self._client
        caps = client.capabilities
        if caps is None:
            return Outcome(error=warmup_error(client))
        native = NATIVE_METHODS.get(call.method)
        if native is not None and "Rpc" in caps.interfaces and not native.local_only:
            # Until the node has finished loading, no typed call may reach it (Chain and Mining methods assert
            # on a chainstate that does not exist yet); Rpc.executeRpc answers bitcoind's own -28 meanwhile.
            if self._native is not True or not client.node_ready:
                native = None
        try:
            if native is not None and native.available(caps):
                ctx = NativeContext(client=client, caps=caps, user=user, uri=uri)
                try:
                    return Outcome(result=await native.run(call.params, ctx))
                except PassThrough:
                    pass
            if "Rpc" in caps.interfaces and (native is None or not native.local_only):
                text = request_text(raw)
                cache = self._cache
                if cache is not None:
                    key = cache_key(call)
                    if key is not None:
                        return Outcome(
                            node_reply=await cache.run(call, key, lambda: self._pass_through(call, text, uri, user))
                        )
                reply = await self._pass_through(call, text, uri, user)
                return Outcome(node_reply=reply.encode("utf-8"))
            return Outcome(error=METHOD_NOT_FOUND)
        except RpcError as exc:
            return Outcome(error=exc)
        except ipc_errors.IpcError as exc:
            return Outcome(error=rpc_error_of(exc, client))
        except Exception as exc:  # a bug of ours: the client still gets a JSON-RPC error, the log the trace
            log.exception("unexpected error while running %s", call.method)
            return Outcome(error=RpcError(RpcErrorCode.RPC_MISC_ERROR, f"internal error in bitcoin-rpc-mp: {exc}"))

    async def _pass_through(self, call: Call, text: str, uri: str, user: str) -> str:
        coalescer = self._coalescer
        if coalescer is not None and eligible(call):
            return await coalescer.execute(call, text, uri, user)
        return await self._client.execute_rpc(text, uri, user, long=call.method in LONG_METHODS)

    async def execute_batch(self, calls: Sequence[JsonValue], raw: bytes, user: str, uri: str) -> bytes | None:
        """Forward a whole batch in one `executeRpc` when the node can run every element itself; None when it
        must run element by element (nothing was sent). Raises RpcError when it was sent and failed: every
        element gets that error, none runs again."""
        caps = self._client.capabilities
        if caps is None or "Rpc" not in caps.interfaces:
            return None
        methods: list[str | None] = []
        for item in calls:
            method = item.get("method") if isinstance(item, JsonObject) else None
            methods.append(method if isinstance(method, str) else None)
        return await self.execute_batch_methods(methods, raw, user, uri)

    async def execute_batch_methods(
        self, methods: Sequence[str | None], raw: bytes, user: str, uri: str
    ) -> bytes | None:
        """`execute_batch` given only each element's method (None: not an object, or no string method)."""
        caps = self._client.capabilities
        if caps is None or "Rpc" not in caps.interfaces:
            return None
        if not _NOT_IN_WHOLE_BATCHES.isdisjoint(methods):
            return None  # a method we answer ourselves, or one that may wait long: element by element
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None  # element by element, each written as UTF-8 where needed
        try:
            reply = await self._client.execute_rpc(text, uri, user)
        except (ipc_errors.NodeUnavailable, ipc_errors.InterfaceMissing):
            return None  # nothing was sent: element by element (each gets -28 while the node is away)
        except ipc_errors.IpcError as exc:
            # Sent, and the node may have run some or all of it (a timeout, a lost connection, an exception
            # in the middle): running the elements again could do twice what must happen once.
            raise rpc_error_of(exc, self._client) from None
        return reply.encode("utf-8")
