"""Runs the atheris harness contrib/fuzz/fuzz_http.py for ~10 s in a subprocess, seeded with the captured
requests of compat spec §6, and asserts it finished without finding a crash. Also checks the harness's
invariant directly on every captured request (fast, in process)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HARNESS = REPO_ROOT / "contrib" / "fuzz" / "fuzz_http.py"
sys.path.insert(0, str(REPO_ROOT / "test" / "data"))
import compat_cases as cc  # noqa: E402

FUZZ_SECONDS = 10


def _load_harness():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_http", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_http"] = module
    spec.loader.exec_module(module)
    return module


def test_invariant_holds_on_every_captured_request() -> None:
    harness = _load_harness()
    for case in cc.load_spec_cases():
        events, _, _, _ = harness.check(case.request)
        assert events, case.id
        harness.check(case.request + case.request)


@pytest.mark.slow
def test_atheris_finds_no_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for case in cc.load_spec_cases():
        (corpus / f"case{case.number:03d}").write_bytes(case.request)
    proc = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-max_total_time={FUZZ_SECONDS}",
            "-max_len=2048",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-seed=1",
            str(corpus),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS + 60,
    )
    tail = proc.stderr[-3000:]
    assert proc.returncode == 0, tail
    assert "Done" in proc.stderr, tail
    assert not list(tmp_path.glob("crash-*")), tail
