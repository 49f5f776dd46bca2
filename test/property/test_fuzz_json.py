"""Runs the atheris harness contrib/fuzz/fuzz_json.py for ~10 s in a subprocess (its invariant is stated at the
top of the harness), and its invariant in-process on the seeds."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "contrib" / "fuzz" / "fuzz_json.py"


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_json", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_harness_is_importable_and_holds_on_its_seeds() -> None:
    harness = load_harness()
    for seed in harness.SEEDS:
        harness.check_one_input(seed)
    for junk in (b"", b"\xff", b"[1,", b'"\\ud800"', b"-"):
        harness.check_one_input(junk)


def test_harness_notices_a_broken_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = load_harness()
    monkeypatch.setattr(harness, "write_json", lambda value: b"0")
    with pytest.raises(AssertionError):
        harness.check_one_input(b"[1]")


@pytest.mark.slow
def test_fuzz_for_ten_seconds(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, seed in enumerate(load_harness().SEEDS):
        (corpus / f"seed{index}").write_bytes(seed)
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "-max_total_time=10",
            "-timeout=20",
            "-rss_limit_mb=2048",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Done" in output, output[-4000:]
