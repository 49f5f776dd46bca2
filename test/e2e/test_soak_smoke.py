"""contrib/soak/soak.py, briefly: 20 s of mixed load with hostile bursts, node SIGKILLs and `stop`s through the
server (and reorgs, on a real node) must end with no lost request, no crash and a report with its chart. The
node is the real bitcoin-node when BITCOIN_NODE is set, else the stand-in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import REPO, real_node_binary

SOAK = REPO / "contrib" / "soak" / "soak.py"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_soak_smoke(short_dir: Path) -> None:
    node = real_node_binary() or "standin"
    out = short_dir / "report"
    result = subprocess.run(
        [sys.executable, str(SOAK), "--node-bin", node, "--seconds", "20", "--hostile-every", "5",
         "--reorg-every", "6", "--kill-every", "6", "--graceful-stops", "--out", str(out),
         "--workdir", str(short_dir / "w")],
        capture_output=True, text=True, timeout=170, cwd=REPO, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text())
    summary = report["summary"]
    assert summary["verdict"] == "PASS"
    assert summary["requests_answered"] > 100
    assert summary["hostile_rounds"] >= 2 and not summary["hostile_failures"]
    assert summary["node_kills"] >= 2  # one SIGKILL, one `stop` through the server
    assert not summary["lost"] and not summary["crashes"]
    assert len(report["samples"]) >= 15
    assert (out / "soak.png").stat().st_size > 10_000
