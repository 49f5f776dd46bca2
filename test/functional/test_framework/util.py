"""Assertions, waits, free ports and credential helpers for the functional scenarios.

Owns: ``assert_equal`` and friends, ``assert_raises_rpc_error(code, message, fun, *args)``, ``wait_until``,
``get_free_port``, ``rpcauth_line`` and ``basic_auth``. Imports only the standard library and
``test_framework.authproxy`` (for ``JSONRPCException``); never ``bitcoin_rpc_mp``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from test_framework.authproxy import JSONRPCException

# Facts that carry over from Bitcoin Core (regtest chain parameters).
GENESIS_HASH_REGTEST = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
MAX_BODY_SIZE = 32 * 1024 * 1024
# Bitcoin Core's test_runner convention: 77 means "skipped".
TEST_EXIT_PASSED = 0
TEST_EXIT_FAILED = 1
TEST_EXIT_SKIPPED = 77

ROOT = Path(__file__).resolve().parents[3]


class SkipTest(Exception):
    """Raised by a scenario (or its ``skip_test_if_missing_module``) to report itself skipped with a reason."""


def assert_equal(thing1: object, thing2: object, *args: object) -> None:
    if thing1 != thing2 or any(thing1 != arg for arg in args):
        raise AssertionError("not({})".format(" == ".join(repr(arg) for arg in (thing1, thing2, *args))))


def assert_not_equal(thing1: object, thing2: object) -> None:
    if thing1 == thing2:
        raise AssertionError(f"{thing1!r} == {thing2!r}")


def assert_greater_than(thing1: Any, thing2: Any) -> None:
    if thing1 <= thing2:
        raise AssertionError(f"{thing1!r} <= {thing2!r}")


def assert_greater_than_or_equal(thing1: Any, thing2: Any) -> None:
    if thing1 < thing2:
        raise AssertionError(f"{thing1!r} < {thing2!r}")


def assert_less_than(thing1: Any, thing2: Any) -> None:
    if thing1 >= thing2:
        raise AssertionError(f"{thing1!r} >= {thing2!r}")


def assert_in(item: object, container: Any) -> None:
    if item not in container:
        raise AssertionError(f"{item!r} not in {container!r}")


def assert_raises_rpc_error(code: int | None, message: str | None, fun: Callable[..., Any], *args: Any,
                            **kwds: Any) -> None:
    """Run ``fun(*args, **kwds)`` and check it raises ``JSONRPCException`` with this code and message.

    ``message`` must be a substring of the error message (as in Bitcoin Core); ``None`` skips that check.
    """
    try:
        fun(*args, **kwds)
    except JSONRPCException as exc:
        if code is not None and code != exc.error.get("code"):
            raise AssertionError(f"Unexpected JSONRPC error code {exc.error.get('code')} (expected {code}): "
                                 f"{exc.error}") from exc
        if message is not None and message not in str(exc.error.get("message", "")):
            raise AssertionError(f"Expected substring not found in error message:\nsubstring: {message!r}\n"
                                 f"error message: {exc.error.get('message')!r}") from exc
        return
    except Exception as exc:
        raise AssertionError(f"Unexpected exception raised: {type(exc).__name__}: {exc}") from exc
    raise AssertionError("No exception raised")


def wait_until(predicate: Callable[[], object], *, timeout: float = 30.0, check_interval: float = 0.02,
               timeout_factor: float = 1.0, what: str | None = None) -> None:
    """Poll ``predicate`` until it returns a true value; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout * timeout_factor
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"wait_until timed out after {timeout * timeout_factor:.1f} s: "
                                 f"{what or getattr(predicate, '__name__', 'predicate')}")
        time.sleep(check_interval)


def get_free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_answers(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def rpcauth_line(user: str, password: str, salt: str | None = None) -> str:
    """The ``-rpcauth`` value for ``user``/``password``: ``user:salt$hmac_sha256(salt, password)``."""
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return f"{user}:{salt}${digest}"


def basic_auth(user: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic auth."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
