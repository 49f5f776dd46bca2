"""Imports flow one way (docs/ARCHITECTURE.md): a lower layer never imports a higher one.

Every import of every module of the package is read with `ast` and checked against the forbidden edges:
`import`, `from … import` (relative too), and imports by name (`importlib.import_module("…")`, `__import__`),
which the checker must see as well.
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
    "config": {"http", "jsonrpc", "handlers", "ipc", "auth", "standin", "app"},
    "handlers": {"http", "standin", "app", "auth", "config"},
    "standin": {"http", "jsonrpc", "handlers", "auth", "config", "app"},
    # the process's knobs and its exit, beside `app` (which wires the sub-packages): none of them
    "runtime": {"http", "jsonrpc", "handlers", "ipc", "auth", "config", "standin", "app"},
    # a leaf every layer may use: it imports nothing of ours
    "aioloop": {"http", "jsonrpc", "handlers", "ipc", "auth", "config", "standin", "app", "runtime"},
}
# pure modules a layer may use although their layer is forbidden to it: the stand-in loads the schemas and
# listens through the hazard-free stream (and uses nothing else of the IPC package, so the double cannot agree
# with our client by sharing its logic); config checks -ipcvariant against the variant names
ALLOWED: dict[str, set[str]] = {
    "standin": {"bitcoin_rpc_mp.ipc.schemas", "bitcoin_rpc_mp.ipc.streams"},
    "config": {"bitcoin_rpc_mp.ipc.capabilities"},
}
_BY_NAME = {"import_module", "__import__"}


def _imports(path: Path, text: str | None = None) -> set[str]:
    """The modules of ours that `path` imports (`text`: its source, when it is not on disk)."""
    source = path.read_text() if text is None else text
    tree = ast.parse(source, filename=str(path))
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
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            first = node.args[0]
            if name in _BY_NAME and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return {name for name in found if name.startswith("bitcoin_rpc_mp")}


def _modules() -> list[Path]:
    """Every module of the package; a top-level module is a layer of its own (`runtime.py` is `runtime`)."""
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_forbidden_import(path: Path) -> None:
    layer = path.relative_to(PACKAGE).with_suffix("").parts[0]
    forbidden = FORBIDDEN.get(layer, set())
    for name in _imports(path):
        parts = name.split(".")
        if len(parts) < 2:
            continue
        target = parts[1]
        if name in ALLOWED.get(layer, set()):
            continue
        assert target not in forbidden, f"{path.relative_to(PACKAGE)} imports {name} ({layer} must not use {target})"


@pytest.mark.parametrize(
    "text",
    [
        "from ..jsonrpc import dispatch\n",
        "from bitcoin_rpc_mp.jsonrpc import dispatch\n",
        "import bitcoin_rpc_mp.jsonrpc.dispatch\n",
        "import importlib\nimportlib.import_module('bitcoin_rpc_mp.jsonrpc.dispatch')\n",
        "from importlib import import_module\nimport_module('bitcoin_rpc_mp.jsonrpc.dispatch')\n",
        "__import__('bitcoin_rpc_mp.jsonrpc.dispatch')\n",
    ],
)
def test_the_checker_sees_every_kind_of_import(text: str) -> None:
    """A forbidden edge is found however it is written (the test above can fail); nothing is written."""
    probe = PACKAGE / "http" / "_layering_probe.py"  # only its name is used, to place it in `http`
    assert any(name.startswith("bitcoin_rpc_mp.jsonrpc") for name in _imports(probe, text))


def test_top_level_modules_are_checked_too() -> None:
    """`runtime.py` sits beside `app.py`; its forbidden edges are checked like a sub-package's."""
    assert "runtime" in FORBIDDEN and PACKAGE / "runtime.py" in _modules()
