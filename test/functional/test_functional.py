"""pytest entry to the functional scenarios: one test per scenario, each run in a subprocess with a timeout.

A scenario that exits 77 (Bitcoin Core's "skipped", e.g. interface_bitcoin_cli.py without BITCOIN_CLI) is
reported as skipped with its own reason; any other non-zero exit fails the test with the scenario's output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_runner import SCENARIOS, run_scenario

SCENARIO_TIMEOUT_S = 110.0


@pytest.mark.slow
@pytest.mark.timeout(SCENARIO_TIMEOUT_S + 10)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name: str) -> None:
    outcome = run_scenario(name, timeout=SCENARIO_TIMEOUT_S)
    if outcome.status == "Skipped":
        pytest.skip(f"{name}: {outcome.skip_reason or 'skipped'}")
    assert outcome.status == "Passed", f"{name} failed after {outcome.duration:.1f} s:\n{outcome.output}"
