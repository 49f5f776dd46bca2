"""The package's modules import each other without cycles, and the stand-in's servers never import its node.

Every import counts, including those under ``if TYPE_CHECKING:`` (a cycle there is still two modules that
each need the other). ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bitcoin_rpc_mp"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph(sources: dict[str, tuple[Path, str]]) -> dict[str, set[str]]:
    """module -> modules of ours it imports, for ``sources`` (module name -> (path, text))."""
    known = set(sources)

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, text) in sources.items():
        is_package = path.name == "__init__.py"
        package = module if is_package else module.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                for alias in node.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        targets = {owner(name) for name in found if name.startswith("bitcoin_rpc_mp")}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _package_sources() -> dict[str, tuple[Path, str]]:
    return {_module_name(p): (p, p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_import_cycle() -> None:
    graph = _graph(_package_sources())
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_the_cycle_check_sees_a_cycle_through_type_checking_and_relative_imports() -> None:
    """The check can fail: two modules that import each other, one only for type checking."""
    here = PACKAGE / "standin"
    sources = {
        "bitcoin_rpc_mp.standin.a": (here / "a.py", "from .b import x\n"),
        "bitcoin_rpc_mp.standin.b": (
            here / "b.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bitcoin_rpc_mp.standin import a\n",
        ),
    }
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(_graph(sources)).prepare()


def test_standin_servers_do_not_import_the_node() -> None:
    """Only the stand-in's entry points may import ``standin.node``; servers see it through a protocol."""
    entry_points = {"bitcoin_rpc_mp.standin", "bitcoin_rpc_mp.standin.__main__"}
    graph = _graph(_package_sources())
    offenders = [
        module
        for module, targets in graph.items()
        if module.startswith("bitcoin_rpc_mp.standin")
        and module not in entry_points
        and "bitcoin_rpc_mp.standin.node" in targets
    ]
    assert offenders == []
