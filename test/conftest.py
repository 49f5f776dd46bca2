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


# Where tests meet a node, and so run again in the real-node pass (`./build.sh test-realnode`, which selects
# `-m "not standin"`). Elsewhere a test belongs to that pass only if it is marked `realnode`.
NODE_TEST_DIRS = ("e2e", "functional", "unit/ipc")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parent
    node_dirs = [root / d for d in NODE_TEST_DIRS]
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if item.get_closest_marker("realnode") is None and not any(d in path.parents for d in node_dirs):
            item.add_marker(pytest.mark.standin)


# Tests never write into the package (its modules, the schemas it ships): each run checks the file lists.
PACKAGE_DIRS = [Path(__file__).resolve().parents[1] / d for d in ("bitcoin_rpc_mp", "schemas")]


def _package_files() -> set[Path]:
    return {p for d in PACKAGE_DIRS for p in d.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture(scope="session", autouse=True)
def package_left_alone() -> Iterator[None]:
    before = _package_files()
    yield
    added = sorted(str(p) for p in _package_files() - before)
    assert added == [], f"tests wrote into the package: {added}"
