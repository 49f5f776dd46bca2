#!/usr/bin/env python3
"""Run the functional scenarios: ``test/functional/test_runner.py [names] [--jobs N]``.

Each scenario runs in its own subprocess (``--jobs`` of them at a time); the summary table lists status and
duration, and the output of every failed scenario is printed. Exit status: 0 if nothing failed (skips are
fine), 1 otherwise. ``SCENARIOS`` is also what ``test_functional.py`` parametrises pytest over.
(This file matches pytest's ``test_*.py`` pattern but defines no tests; keep it free of side effects.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXIT_SKIPPED = 77

# Ordered longest first, as Bitcoin Core's BASE_SCRIPTS are, so parallel runs finish early.
SCENARIOS: tuple[str, ...] = (
    "interface_ipc_lifecycle.py",
    "interface_http.py",
    "rpc_users.py",
    "interface_rpc.py",
    "rpc_whitelist.py",
    "interface_bitcoin_cli.py",
)
DEFAULT_TIMEOUT_S = 170.0


@dataclass
class Outcome:
    name: str
    status: str  # "Passed", "Failed", "Skipped"
    duration: float
    output: str
    skip_reason: str = ""


def skip_reason(output: str) -> str:
    for line in reversed(output.splitlines()):
        if "Test Skipped:" in line:
            return line.split("Test Skipped:", 1)[1].strip()
    return ""


def run_scenario(name: str, *, timeout: float = DEFAULT_TIMEOUT_S, extra_args: list[str] | None = None) -> Outcome:
    """Run one scenario in a subprocess and classify its exit status."""
    script = HERE / name
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(script), *(extra_args or [])], capture_output=True, text=True,
                              timeout=timeout, cwd=str(HERE.parents[1]), check=False)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return Outcome(name, "Failed", time.monotonic() - started, out + f"\n[timed out after {timeout:.0f} s]")
    duration = time.monotonic() - started
    output = proc.stdout + proc.stderr
    if proc.returncode == 0:
        return Outcome(name, "Passed", duration, output)
    if proc.returncode == EXIT_SKIPPED:
        return Outcome(name, "Skipped", duration, output, skip_reason(output))
    return Outcome(name, "Failed", duration, output + f"\n[exit status {proc.returncode}]")


def resolve(names: list[str]) -> list[str]:
    if not names:
        return list(SCENARIOS)
    chosen = []
    for name in names:
        base = Path(name).name
        if not base.endswith(".py"):
            base += ".py"
        if not (HERE / base).exists():
            raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        chosen.append(base)
    return chosen


def print_summary(outcomes: list[Outcome], total: float) -> None:
    width = max(len(o.name) for o in outcomes) + 2
    print(f"\n{'TEST':<{width}} | {'STATUS':<8} | DURATION")
    print(f"{'-' * width}-+-{'-' * 8}-+-{'-' * 10}")
    for o in outcomes:
        note = f"  ({o.skip_reason})" if o.skip_reason else ""
        print(f"{o.name:<{width}} | {o.status:<8} | {o.duration:7.1f} s{note}")
    passed = sum(o.status == "Passed" for o in outcomes)
    print(f"\nALL | {passed} passed, {sum(o.status == 'Skipped' for o in outcomes)} skipped, "
          f"{sum(o.status == 'Failed' for o in outcomes)} failed | {total:.1f} s (accumulated "
          f"{sum(o.duration for o in outcomes):.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="scenarios run in parallel")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="per scenario, seconds")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every scenario's output")
    args = parser.parse_args(argv)
    names = resolve(args.names)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_scenario, name, timeout=args.timeout) for name in names]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            print(f"{outcome.status:<7} {outcome.name} ({outcome.duration:.1f} s)", flush=True)
            if outcome.status == "Failed" or args.verbose:
                print(outcome.output, flush=True)
    print_summary(outcomes, time.monotonic() - started)
    return 1 if any(o.status == "Failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
