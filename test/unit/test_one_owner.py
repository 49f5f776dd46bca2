"""Each fact of the package has one owner: these tests fail when a second copy of one appears.

A copy that drifts is a bug waiting (the list of long-running RPCs once existed twice, and the copy that was used
had lost six names). Two kinds of checks:
- any collection of four or more strings written out in one module and again, whole or in part, in another (a
  list of methods, variants, chains …); mappings and `__all__` are left out: a mapping keyed by an owned list
  says something new about each key, and its own test compares the keys with the owner;
- named facts that are not lists (a reply, a message, a mode, a type) written in exactly one place, and rules
  read only through their owner's interface.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bitcoin_rpc_mp"


def _sources() -> dict[str, ast.Module]:
    return {
        str(p.relative_to(PACKAGE)): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))
    }


SOURCES = _sources()


def _all_names(tree: ast.Module) -> set[int]:
    """ids of the `__all__ = [...]` lists of a module."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    }


def string_collections(tree: ast.Module) -> Iterator[tuple[int, frozenset[str | bytes]]]:
    """(line, strings) of every tuple/list/set display made of four or more string constants only."""
    skip = _all_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set) or id(node) in skip:
            continue
        values = [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str | bytes)
        ]
        if len(values) >= 4 and len(values) == len(node.elts):
            yield node.lineno, frozenset(values)


def repeated_collections(sources: dict[str, ast.Module]) -> list[str]:
    found = [
        (f"{name}:{line}", values)
        for name, tree in sources.items()
        for line, values in string_collections(tree)
    ]
    return [
        f"{a} and {b} both list {sorted(map(str, va & vb))}"
        for (a, va), (b, vb) in itertools.combinations(found, 2)
        if a.partition(":")[0] != b.partition(":")[0] and (va <= vb or vb <= va)
    ]


def test_no_list_of_names_is_written_in_two_modules() -> None:
    assert repeated_collections(SOURCES) == []


def test_the_list_check_finds_a_second_copy() -> None:
    """The check above can fail: a partial copy of the long-running RPCs in another module is found."""
    copy = ast.parse('LONG = frozenset({"waitfornewblock", "waitforblock", "scanblocks", "verifychain"})\n')
    found = repeated_collections({**SOURCES, "ipc/copy.py": copy})
    assert any("ipc/copy.py" in row and "handlers/native.py" in row for row in found)


def constants(tree: ast.Module) -> Iterator[object]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            yield node.value


@pytest.mark.parametrize(
    ("value", "owner"),
    [
        ("Invalid -rpcauth argument.", "config/auth_options.py"),  # the -rpcauth shape check
        (b"Work queue depth exceeded", "http/errors.py"),  # the 503 reply
        ('Basic realm="jsonrpc"', "http/errors.py"),  # the 401 reply
        (0o640, "config/auth_options.py"),  # the -rpccookieperms modes
        ("gettxspendingprevout", "handlers/native.py"),  # the long-running RPCs
    ],
)
def test_a_fact_is_written_in_one_module(value: object, owner: str) -> None:
    holders = [
        name
        for name, tree in SOURCES.items()
        if any(type(c) is type(value) and c == value for c in constants(tree))
    ]
    assert holders == [owner]


def _source_text(name: str) -> str:
    return (PACKAGE / name).read_text()


def test_the_handler_type_is_declared_once() -> None:
    declared = [
        name for name in SOURCES if "Callable[[Request, str], Awaitable[Response]]" in _source_text(name)
    ]
    assert declared == ["http/protocol.py"]


def test_the_batch_array_is_written_by_the_envelope_only() -> None:
    writers = [name for name in SOURCES if 'b",".join(' in _source_text(name) and name.startswith("jsonrpc/")]
    assert writers == ["jsonrpc/envelope.py"]


def _attributes(tree: ast.Module) -> set[str]:
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def test_the_dispatcher_asks_the_whitelist_and_keeps_no_rules_of_its_own() -> None:
    used = _attributes(SOURCES["jsonrpc/dispatch.py"])
    assert "default" not in used  # the whitelist default is read by auth/whitelist.py alone
    assert {"forbids_user", "allowed", "user_has_whitelist"} <= used


def _reads_debug_values(tree: ast.Module) -> bool:
    """`<something>.debug` other than a logger's `log.debug(...)`."""
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "debug"
        and not (isinstance(node.value, ast.Name) and node.value.id in ("log", "logger", "logging"))
        for node in ast.walk(tree)
    )


def test_debug_values_are_read_through_debug_enabled_only() -> None:
    """`-debug=0` once switched logging on because a caller tested the raw values for truthiness."""
    readers = [
        name for name, tree in SOURCES.items() if _reads_debug_values(tree) and not name.startswith("config/")
    ]
    assert readers == []
    assert _reads_debug_values(ast.parse("level = DEBUG if settings.debug else INFO\n"))


def test_a_class_name_means_one_thing() -> None:
    """`Connection`, `RpcError`, `JsonParseError`, `WorkQueueFull`, `Whitelist` and `Request` once each named two
    different classes (the stand-in's and ours, the HTTP error and the queue's exception)."""
    defined: dict[str, list[str]] = {}
    for name, tree in SOURCES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                defined.setdefault(node.name, []).append(name)
    assert {cls: modules for cls, modules in defined.items() if len(modules) > 1} == {}
