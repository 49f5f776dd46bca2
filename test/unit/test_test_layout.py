"""How the test tree is laid out: no two test files share a basename (pytest imports them by basename in
rootdir mode, and a reader looks for `test_<module>.py`), wherever they are under test/."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TEST_ROOT = Path(__file__).resolve().parents[1]


def duplicate_basenames(paths: list[Path]) -> dict[str, list[str]]:
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        by_name[path.name].append(str(path))
    return {name: sorted(where) for name, where in by_name.items() if len(where) > 1}


def test_no_two_test_files_share_a_basename() -> None:
    assert duplicate_basenames(sorted(TEST_ROOT.rglob("test_*.py"))) == {}


def test_the_check_finds_a_shared_basename() -> None:
    paths = [Path("test/unit/http/test_connection.py"), Path("test/unit/ipc/test_connection.py")]
    assert list(duplicate_basenames(paths)) == ["test_connection.py"]
