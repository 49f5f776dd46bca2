"""Runs one HTTP body as bitcoind's JSON-RPC handler does, and decides the HTTP status.

Owns: the order of checks of bitcoind's HTTP JSON-RPC handler after authentication (read the body, whitelist,
single request or batch), executing each call natively or through the node, and the status of spec §4/§8.
The node is reached only through an `Executor` (see `handlers.executor`), so this module knows no IPC.
Must not import: `http`, capnp, `ipc` internals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .envelope import (
    batch_reply,
    error_code_of_reply,
    error_reply,
    legacy_http_status,
    parse_error_reply,
    result_reply,
    rpc_error_reply,
    top_level_error_reply,
)
from .errors import RpcError, RpcErrorCode
from .reader import (
    JsonObject,
    JsonParseError,
    JsonValue,
    read_batch_methods,
    read_json,
    read_json_spans,
    univalue_type_name,
)
from .request import BatchState, Call, RequestParseError, parse_request


@dataclass(slots=True)  # not frozen: one per request, and a frozen __init__ costs three times as much
class RpcReply:
    """What the HTTP layer sends: a status and a JSON body (None → empty body, e.g. 204 and 403)."""

    status: int
    body: bytes | None
    method: str = ""  # the request's method, BATCH for a batch, "" when none was read (for metrics and logs)


@dataclass(slots=True)  # not frozen: one per call (see RpcReply)
class Outcome:
    """The result of executing one call: exactly one of `result` (our own JSON text), `error`, or
    `node_reply` (a whole reply envelope written by the node, passed through untouched)."""

    result: bytes | None = None
    error: RpcError | None = None
    node_reply: bytes | None = None


class Executor(Protocol):
    async def execute(self, call: Call, raw: bytes, user: str, uri: str) -> Outcome: ...

    async def execute_batch(
        self, calls: Sequence[JsonValue], raw: bytes, user: str, uri: str
    ) -> bytes | None:
        """Run a whole batch in one go (the node's own batch handling) and return its reply text, or None
        when the batch must be run element by element here (nothing was run). Raises RpcError when the batch
        was sent and failed (the node may have run part of it): each element is answered with that error and
        none is run again."""
        ...


class MethodPolicy(Protocol):
    """Which user may call which method (`auth.whitelist.Whitelist`; the rules are there, not here)."""

    def forbids_user(self, user: str) -> bool: ...

    def user_has_whitelist(self, user: str) -> bool: ...

    def allowed(self, user: str, method: str) -> bool: ...


BATCH = "[batch]"  # `method` of a batch's reply: no RPC method has this name

# Bodies at least this large are read in a worker thread: reading takes about 20 µs per KiB of CPU, and a
# 32 MiB body read on the event loop would stall every other client (bitcoind reads in one of 16 threads).
# The reader is pure (the C JSON scanner and regular expressions), so threads are safe; the GIL is handed
# back every few milliseconds, so others are served meanwhile.
READ_IN_THREAD_BYTES = 256 * 1024
BATCH_YIELD_EVERY = 32  # elements run between two turns of the event loop, so a huge batch cannot starve others

FORBIDDEN = RpcReply(403, None)
BATCH_NO_CONTENT = RpcReply(204, None, BATCH)


class Dispatcher:
    def __init__(self, executor: Executor, policy: MethodPolicy, *, max_batch: int = 0) -> None:
        self._executor = executor
        self._policy = policy
        self._max_batch = max_batch  # -rpcmaxbatch; 0 = none, as bitcoind

    async def handle(self, body: bytes, user: str, uri: str) -> RpcReply:
        policy = self._policy
        if body.startswith(b"[") and not policy.forbids_user(user) and not policy.user_has_whitelist(user):
            # A batch the node can run whole needs only each element's method here (spec order is unchanged:
            # the body reads, no whitelist applies); anything else takes the full path below.
            methods = read_batch_methods(body)
            if methods is not None and self._max_batch and len(methods) > self._max_batch:
                return RpcReply(400, self._batch_too_large(len(methods)), BATCH)
            if methods is not None:
                by_methods = getattr(self._executor, "execute_batch_methods", None)
                try:
                    if by_methods is not None:
                        whole = await by_methods(methods, body, user, uri)
                    else:
                        items = [None if m is None else JsonObject([("method", m)]) for m in methods]
                        whole = await self._executor.execute_batch(items, body, user, uri)
                except RpcError as exc:
                    batch = read_json(body)
                    assert isinstance(batch, list)
                    return await self._elements(batch, body, user, uri, failed=exc)
                if whole is not None:
                    return BATCH_NO_CONTENT if whole == b"null" else RpcReply(200, whole, BATCH)
        try:
            if len(body) >= READ_IN_THREAD_BYTES:
                value = await asyncio.to_thread(read_json, body)
            else:
                value = read_json(body)
        except JsonParseError:
            return RpcReply(500, parse_error_reply())

        if policy.forbids_user(user):
            return FORBIDDEN

        if isinstance(value, JsonObject):
            try:
                call = parse_request(value, None)
            except RequestParseError as exc:
                return RpcReply(legacy_http_status(exc.code), rpc_error_reply(exc, exc.id_present, exc.id, exc.version))
            if not policy.allowed(user, call.method):
                return RpcReply(403, None, call.method)
            return await self._single(call, body, user, uri)

        if isinstance(value, list):
            if policy.user_has_whitelist(user):
                refused = self._check_batch_whitelist(value, user)
                if refused is not None:
                    return refused
            if self._max_batch and len(value) > self._max_batch:
                return RpcReply(400, self._batch_too_large(len(value)), BATCH)
            return await self._batch(value, body, user, uri)

        return RpcReply(500, top_level_error_reply())

    # -- single request ---------------------------------------------------------------------------------
    async def _single(self, call: Call, raw: bytes, user: str, uri: str) -> RpcReply:
        outcome = await self._executor.execute(call, raw, user, uri)
        if outcome.node_reply is not None:
            reply = outcome.node_reply
            if reply == b"null":
                return RpcReply(204, None, call.method)
            if call.version == 2:
                return RpcReply(200, reply, call.method)
            code = error_code_of_reply(reply)
            return RpcReply(200 if code is None else legacy_http_status(code), reply, call.method)
        if call.is_notification:
            return RpcReply(204, None, call.method)
        if outcome.error is not None:
            envelope = rpc_error_reply(outcome.error, call.id_present, call.id, call.version)
            status = 200 if call.version == 2 else legacy_http_status(outcome.error.code)
            return RpcReply(status, envelope, call.method)
        assert outcome.result is not None
        return RpcReply(200, result_reply(outcome.result, call.id_present, call.id, call.version), call.method)

    # -- batches ----------------------------------------------------------------------------------------
    def _batch_too_large(self, size: int) -> bytes:
        message = (
            f"Batch of {size} requests is larger than -rpcmaxbatch={self._max_batch}; "
            "split it into smaller batches"
        )
        return error_reply(RpcErrorCode.RPC_INVALID_REQUEST, message, True, None, 1)

    def _check_batch_whitelist(self, items: list[JsonValue], user: str) -> RpcReply | None:
        """A whitelisted user's batch is checked whole before anything runs (spec §3): element by element, the
        first failing check (shape, then the policy) decides the reply, as bitcoind's loop does."""
        for item in items:
            if not isinstance(item, JsonObject):
                return RpcReply(
                    400,
                    error_reply(RpcErrorCode.RPC_INVALID_REQUEST, "Invalid Request object", True, None, 1),
                )
            method = item.get("method")
            if not isinstance(method, str):
                message = f"JSON value of type {univalue_type_name(method)} is not of expected type string"
                return RpcReply(500, error_reply(RpcErrorCode.RPC_PARSE_ERROR, message, True, None, 1))
            if not self._policy.allowed(user, method):
                return FORBIDDEN
        return None

    async def _batch(self, items: list[JsonValue], raw: bytes, user: str, uri: str) -> RpcReply:
        try:
            whole = await self._executor.execute_batch(items, raw, user, uri)
        except RpcError as exc:
            return await self._elements(items, raw, user, uri, failed=exc)
        if whole is not None:
            return BATCH_NO_CONTENT if whole == b"null" else RpcReply(200, whole, BATCH)
        return await self._elements(items, raw, user, uri)

    async def _elements(
        self, items: list[JsonValue], raw: bytes, user: str, uri: str, failed: RpcError | None = None
    ) -> RpcReply:
        """Element by element, replies in request order. With `failed` (a batch sent whole that failed, which
        the node may have run in part) nothing runs: every valid call is answered with that error."""
        spans: list[tuple[int, int]] = []
        if failed is None:
            # Each element's original bytes are needed (to pass one through unchanged). Finding them costs a
            # second, slower read, so it is done only here, not for batches the node runs whole.
            if len(raw) >= READ_IN_THREAD_BYTES:
                _, found = await asyncio.to_thread(read_json_spans, raw)
            else:
                _, found = read_json_spans(raw)
            assert found is not None and len(found) == len(items)
            spans = found
        state = BatchState()
        parts: list[bytes] = []
        for n, item in enumerate(items):
            if n and not n % BATCH_YIELD_EVERY:
                await asyncio.sleep(0)
            try:
                call = parse_request(item, state)
            except RequestParseError as exc:
                if not exc.is_notification:
                    parts.append(rpc_error_reply(exc, exc.id_present, exc.id, exc.version))
                continue
            if failed is not None:
                outcome = Outcome(error=failed)
            else:
                start, end = spans[n]
                outcome = await self._executor.execute(call, raw[start:end], user, uri)
            if outcome.node_reply is not None:
                if outcome.node_reply != b"null":
                    parts.append(outcome.node_reply)
                continue
            if call.is_notification:
                continue
            if outcome.error is not None:
                parts.append(rpc_error_reply(outcome.error, call.id_present, call.id, call.version))
            else:
                assert outcome.result is not None
                parts.append(result_reply(outcome.result, call.id_present, call.id, call.version))
        if not parts and items:
            return BATCH_NO_CONTENT
        return RpcReply(200, batch_reply(parts), BATCH)
