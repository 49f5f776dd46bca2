"""Imports flow one way (docs/ARCHITECTURE.md): a lower layer never imports a higher one.

Every import of every module of the package is read with `ast` and checked against the forbidden edges.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bitcoin_rpc_mp"

# sub-package -> sub-packages of ours it must not import
FORBIDDEN: dict[str, set[str]] = {
    "ipc": {"http", "jsonrpc", "handlers", "auth", "config", "standin", "app"},
    "http": {"jsonrpc", "handlers", "ipc", "auth", "standin", "app"},
    "jsonrpc": {"http", "handlers", "ipc", "auth", "config", "standin", "app"},
    "auth": {"http", "jsonrpc", "handlers", "ipc", "standin", "app"},
    "config": {"http", "jsonrpc", "handlers", "ipc", "auth", "standin"},
    "handlers": {"http", "standin", "app", "auth", "config"},
    "standin": {"http", "jsonrpc", "handlers", "auth", "config", "app"},
}
# the stand-in may use exactly one module of the IPC package: the schema loader
STANDIN_IPC_ALLOWED = {"bitcoin_rpc_mp.ipc.schemas"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    module_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package_parts = module_parts[:-1]  # for __init__.py too: its package is its directory
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
                if node.module is None:
                    found.update(f"{target}.{alias.name}" for alias in node.names)
                else:
                    found.add(target)
            elif node.module:
                found.add(node.module)
    return {name for name in found if name.startswith("bitcoin_rpc_mp")}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_forbidden_import(path: Path) -> None:
    layer = path.relative_to(PACKAGE).parts[0]
    forbidden = FORBIDDEN.get(layer, set())
    for name in _imports(path):
        parts = name.split(".")
        if len(parts) < 2:
            continue
        target = parts[1]
        if layer == "standin" and target == "ipc":
            assert name in STANDIN_IPC_ALLOWED, f"{path.name}: the stand-in may only import ipc.schemas, not {name}"
            continue
        assert target not in forbidden, f"{path.relative_to(PACKAGE)} imports {name} ({layer} must not use {target})"


def test_the_checker_sees_relative_imports(tmp_path: Path) -> None:
    """A forbidden edge written as a relative import is found (the test above can fail)."""
    fake = PACKAGE / "http" / "_layering_probe.py"
    try:
        fake.write_text("from ..jsonrpc import dispatch\n")
        assert "bitcoin_rpc_mp.jsonrpc" in _imports(fake)
    finally:
        fake.unlink()
