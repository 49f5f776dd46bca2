"""Fixtures shared by the unit tests: the Cap'n Proto event loop and short socket directories."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import capnp
import pytest


@pytest.fixture
async def kj() -> AsyncIterator[None]:
    """pycapnp's KJ loop inside the test's asyncio loop, for tests that make or serve Cap'n Proto calls."""
    async with capnp.kj_loop():
        yield


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: Unix socket paths must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="rpcmp-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
