"""Smoke test of contrib/bench: the pieces work and the harness writes what README.md promises.

No timing assertions: only that requests complete, errors are counted, and bench.json has its keys and
positive throughput. The end-to-end run uses 0.5 s cells at one connection (about 10 s in all).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[3] / "contrib" / "bench"


def _load(name: str) -> Any:
    """contrib/bench/<name>.py under a private module name (contrib/ is no package; avoid name clashes)."""
    spec = importlib.util.spec_from_file_location(f"contrib_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class body runs
    spec.loader.exec_module(module)
    return module


loadgen = _load("loadgen")
report = _load("report")


class _CountingServer(asyncio.Protocol):
    """Answers every request; every third one with HTTP 500. Counts what it sent."""

    sent: dict[int, int]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            total = sum(self.sent.values())
            status = 500 if total % 3 == 2 else 200
            self.sent[status] = self.sent.get(status, 0) + 1
            body = b'{"result":1,"error":null,"id":1}\n'
            reason = b"OK" if status == 200 else b"Internal Server Error"
            self.transport.write(
                b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n%s" % (status, reason, len(body), body)
            )


async def test_loadgen_counts_every_answer_and_status_error() -> None:
    sent: dict[int, int] = {}
    protocol = type("Server", (_CountingServer,), {"sent": sent})
    server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await loadgen.run_load(
            f"http://u:p@127.0.0.1:{port}/", [b'{"a":1}', b'{"b":2}'], connections=2, duration_s=0.3
        )
    finally:
        server.close()
        await server.wait_closed()
    assert result.completed > 0
    assert result.completed == sum(sent.values())
    assert result.status_errors == sent.get(500, 0) > 0
    assert len(result.latencies) == result.completed
    summary = result.summary(cpu_s=0.0)
    assert summary["req_per_s"] > 0
    assert summary["p50_ms"] <= summary["p99_ms"] <= summary["max_ms"]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert loadgen.percentile(values, 50.0) == 50.0
    assert loadgen.percentile(values, 99.0) == 99.0
    assert loadgen.percentile([7.0], 99.0) == 7.0


def _cell(target: str, workload: str, concurrency: int, req_per_s: float, items: int = 1) -> dict[str, Any]:
    return {
        "target": target,
        "workload": workload,
        "concurrency": concurrency,
        "req_per_s": req_per_s,
        "items_per_s": req_per_s * items,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "errors": 0,
    }


def test_ratios_pick_the_matching_baselines() -> None:
    cells = [
        _cell("ours", "getblockhash", 16, 900.0),
        _cell("ipc_ceiling", "find", 16, 1000.0),
        _cell("ipc_ceiling", "find", 1, 1200.0),
        _cell("native", "getblockhash", 16, 3000.0),
        _cell("ours", "passthrough", 16, 400.0),
        _cell("ipc_ceiling", "execute", 16, 800.0),
        _cell("ours", "batch", 1, 1.1, items=1000),
        _cell("ipc_ceiling", "execute_batch", 1, 1.0, items=1000),
        _cell("ours", "batch", 16, 1.1, items=1000),
        _cell("ipc_ceiling", "execute_batch", 16, 2.0, items=1000),
    ]
    by_key = {(r["workload"], r["concurrency"]): r for r in report.compute_ratios(cells)}
    assert by_key[("getblockhash", 16)]["vs_ipc_ceiling"] == pytest.approx(900.0 / 1000.0)
    assert by_key[("getblockhash", 16)]["vs_native"] == pytest.approx(900.0 / 3000.0)
    assert by_key[("passthrough", 16)]["vs_ipc_ceiling"] == pytest.approx(400.0 / 800.0)
    assert by_key[("passthrough", 16)]["vs_native"] is None
    # a batch is compared with the better raw way: 1000 single calls at their best concurrency ...
    assert by_key[("batch", 1)]["vs_ipc_ceiling"] == pytest.approx(1100.0 / 1200.0)
    assert by_key[("batch", 1)]["ipc_ceiling_method"] == "find"
    assert by_key[("batch", 1)]["ipc_ceiling_concurrency"] == 1
    # ... or one executeRpc of the whole batch at the same concurrency
    assert by_key[("batch", 16)]["vs_ipc_ceiling"] == pytest.approx(1100.0 / 2000.0)
    assert by_key[("batch", 16)]["ipc_ceiling_method"] == "execute_batch"
    table = report.format_table(cells, report.compute_ratios(cells))
    assert "0.90x" in table and "0.30x" in table
    assert by_key[("getblockhash", 16)]["vs_floor"] is None


def test_floor_ratios_are_against_the_floor_and_the_ceiling() -> None:
    cells = [
        _cell("ours", "getblockhash", 16, 900.0),
        _cell("floor", "getblockhash", 16, 1200.0),
        _cell("ipc_ceiling", "find", 16, 1500.0),
    ]
    (ratio,) = report.compute_ratios(cells)
    assert ratio["vs_ipc_ceiling"] == pytest.approx(900.0 / 1500.0)
    assert ratio["vs_floor"] == pytest.approx(900.0 / 1200.0)
    assert ratio["floor_vs_ipc_ceiling"] == pytest.approx(1200.0 / 1500.0)
    table = report.format_table(cells, [ratio])
    assert "0.75x" in table and "0.80x" in table


@pytest.mark.timeout(60)
def test_harness_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--duration",
            "0.5",
            "--concurrency",
            "1",
            "--loadgen",
            "python",
            "--blocks",
            "20",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "bench.json").read_text())
    assert set(results) >= {"meta", "cells", "ratios"}
    assert results["meta"]["tip_height"] == 20
    seen = {(c["target"], c["workload"]) for c in results["cells"]}
    assert seen == {
        ("ours", "getblockhash"),
        ("ours", "passthrough"),
        ("ours", "batch"),
        ("ipc_ceiling", "find"),
        ("ipc_ceiling", "execute"),
        ("ipc_ceiling", "execute_batch"),
        ("floor", "getblockhash"),
    }
    assert results["meta"]["floor_replies_identical"] is True
    for cell in results["cells"]:
        assert cell["concurrency"] == 1
        assert cell["requests"] > 0 and cell["req_per_s"] > 0, cell
        assert cell["errors"] == 0, cell
        assert cell["p50_ms"] <= cell["p99_ms"]
        if cell["target"] in ("ours", "floor"):
            assert cell["server_cpu_s_per_req"] is not None and cell["server_cpu_s_per_req"] >= 0
            assert cell["server_rss_kib"] > 0
    assert {r["workload"] for r in results["ratios"]} == {"getblockhash", "passthrough", "batch"}
    assert all(r["vs_ipc_ceiling"] > 0 for r in results["ratios"])
    assert "ours / raw IPC loop" in proc.stdout
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "bench.png").stat().st_size > 0
    else:
        assert "no chart" in proc.stdout


@pytest.mark.realnode
@pytest.mark.skipif(
    not os.environ.get("BITCOIN_NODE"), reason="needs a real bitcoin-node (BITCOIN_NODE) with a wallet for --node-bin"
)
def test_harness_on_a_real_node(tmp_path: Path) -> None:
    """--node-bin: the node is started with its own port, the heavy block is built, every cell has bitcoind's
    port next to it, the cached server's replies are the uncached ones, and no table names a ceiling."""
    out = tmp_path / "results"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run.py"),
            "--node-bin",
            os.environ["BITCOIN_NODE"],
            "--block-transactions",
            "30",
            "--duration",
            "0.5",
            "--concurrency",
            "2",
            "--loadgen",
            "python",
            "--workloads",
            "getblockhash,getblock2,mixed",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out / "bench.json").read_text())
    assert results["meta"]["heavy_block"]["block_transactions"] == 31  # 30 spends and the coinbase
    assert results["meta"]["native_replies_identical"] == {"getblockhash": True, "getblock2": True, "mixed": True}
    seen = {(c["target"], c["workload"]) for c in results["cells"]}
    assert seen == {(t, w) for t in ("ours", "ours_cached", "native") for w in ("getblockhash", "getblock2", "mixed")}
    for cell in results["cells"]:
        assert cell["errors"] == 0 and cell["req_per_s"] > 0, cell
        assert cell["node_cpu_s_per_req"] is not None
    assert all(r["vs_native"] > 0 and r["cached_vs_native"] > 0 for r in results["ratios"])
    assert "ceiling" not in proc.stdout


def test_rounds_pair_cells_within_a_round_and_report_the_median() -> None:
    cells = []
    for round_no, (ours, ceiling) in enumerate([(500.0, 1000.0), (900.0, 1000.0), (600.0, 800.0)]):
        for cell in (_cell("ours", "getblockhash", 16, ours), _cell("ipc_ceiling", "find", 16, ceiling)):
            cell["round"] = round_no
            cells.append(cell)
    (ratio,) = report.compute_ratios(cells)
    # per round 0.5, 0.9, 0.75: a ratio never mixes rounds (900/800 or 500/800 would appear otherwise)
    assert ratio["rounds"] == 3
    assert ratio["vs_ipc_ceiling"] == pytest.approx(0.75)
    assert ratio["vs_ipc_ceiling_range"] == pytest.approx([0.5, 0.9])
    table = report.format_table(cells, [ratio])
    assert "0.75x [0.50-0.90]" in table and "median of the rounds" in table
