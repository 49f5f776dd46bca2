"""config/ipc_options.py: -ipcthreads' default follows the CPUs this process may use (2 to 4)."""

from __future__ import annotations

import os

import pytest
from confhelp import build

from bitcoin_rpc_mp.config import ipc_options
from bitcoin_rpc_mp.config.ipc_options import default_ipc_threads


@pytest.mark.parametrize(("cpus", "threads"), [(1, 2), (2, 2), (3, 3), (4, 4), (64, 4)])
def test_the_default_is_the_cpus_available_from_2_to_4(
    cpus: int, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert default_ipc_threads() == threads


def test_without_affinity_the_cpu_count_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert default_ipc_threads() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert default_ipc_threads() == 2


def test_it_is_what_a_server_without_ipcthreads_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ipc_options, "default_ipc_threads", lambda: 3)
    assert build().ipc.threads == 3
    assert build("-ipcthreads=7").ipc.threads == 7
