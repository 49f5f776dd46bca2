"""Ratios, the printed table and the PNG chart of contrib/bench/run.py; pure apart from the chart file.

Owns: turning the list of measured cells (one dict per target x workload x concurrency, as run.py collects
them) into ratios against the two baselines, a plain-text table and a matplotlib chart. Imports nothing of
bitcoin_rpc_mp; matplotlib is imported only inside `write_chart` (it is the optional `bench` extra).

Ratio rules (documented in README.md):
- `getblockhash`: our req/s / the raw IPC ceiling's calls/s of `Chain.findFirstBlockWithTimeAndHeight`
  (ceiling `find`) at the same concurrency;
- `passthrough`: our req/s / the ceiling's calls/s of `Rpc.executeRpc` with the same request text (`execute`)
  at the same concurrency;
- `batch`: our items/s (req/s x batch size) / the better of two raw ways to get the same 1000 answers: one
  `Rpc.executeRpc` of the whole batch (`execute_batch`, same concurrency, items/s) and 1000 single `find` calls
  (the best `find` calls/s over all concurrencies measured);
- against bitcoind's own port: our req/s / bitcoind's req/s for the same workload and concurrency.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Every workload the harness knows, in the order tables and charts list them (run.py takes its choices from here).
WORKLOADS = (
    "getblockhash",
    "getblockcount",
    "getbestblockhash",
    "passthrough",
    "batch",
    "getblock2",
    "getblock0",
    "mixed",
)

__all__ = ["CEILING_METHOD", "RATIO_KEYS", "compute_ratios", "format_markdown", "format_table", "write_chart"]

Cell = dict[str, Any]

# workload -> the ceiling cells it is compared with (and drawn against)
CEILING_METHOD = {"getblockhash": "find", "passthrough": "execute", "batch": "execute_batch"}


def _find(cells: list[Cell], **match: Any) -> Cell | None:
    for cell in cells:
        if all(cell.get(k) == v for k, v in match.items()):
            return cell
    return None


def _ratio(ours: float | None, base: float | None) -> float | None:
    if ours is None or base is None or base <= 0:
        return None
    return ours / base


RATIO_KEYS = ("vs_ipc_ceiling", "vs_native", "cached_vs_native", "vs_floor", "floor_vs_ipc_ceiling")


def _round_ratios(cells: list[Cell]) -> list[dict[str, Any]]:
    """The ratios of one round's cells (see the module docstring)."""
    out: list[dict[str, Any]] = []
    for ours in cells:
        if ours["target"] != "ours":
            continue
        workload, conc = ours["workload"], ours["concurrency"]
        method = CEILING_METHOD.get(workload)
        ceiling = _find(cells, target="ipc_ceiling", workload=method, concurrency=conc) if method else None
        ceiling_value = ceiling["items_per_s"] if ceiling else None
        ceiling_conc = conc if ceiling else None
        if workload == "batch":
            finds = [c for c in cells if c["target"] == "ipc_ceiling" and c["workload"] == "find"]
            best = max(finds, key=lambda c: c["items_per_s"], default=None)
            if best is not None and (ceiling_value is None or best["items_per_s"] > ceiling_value):
                method, ceiling_value, ceiling_conc = "find", best["items_per_s"], best["concurrency"]
        native = _find(cells, target="native", workload=workload, concurrency=conc)
        cached = _find(cells, target="ours_cached", workload=workload, concurrency=conc)
        floor = _find(cells, target="floor", workload=workload, concurrency=conc)
        out.append(
            {
                "workload": workload,
                "concurrency": conc,
                "vs_ipc_ceiling": _ratio(ours["items_per_s"], ceiling_value),
                "ipc_ceiling_method": method,
                "ipc_ceiling_concurrency": ceiling_conc,
                "vs_native": _ratio(ours["req_per_s"], native["req_per_s"] if native else None),
                "cached_vs_native": _ratio(
                    cached["req_per_s"] if cached else None, native["req_per_s"] if native else None
                ),
                "vs_floor": _ratio(ours["req_per_s"], floor["req_per_s"] if floor else None),
                "floor_vs_ipc_ceiling": _ratio(
                    floor["items_per_s"] if floor else None, ceiling_value if workload != "batch" else None
                ),
            }
        )
    return out


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def compute_ratios(cells: list[Cell]) -> list[dict[str, Any]]:
    """One entry per (workload, concurrency) measured on our server, with every ratio (None if not measured).

    Ratios are taken between cells of the same round (`cell["round"]`, 0 when absent); with several rounds each
    ratio is the median over the rounds, and `<ratio>_range` gives [min, max] and `rounds` how many there were.
    """
    rounds = sorted({cell.get("round", 0) for cell in cells})
    per_round = [_round_ratios([c for c in cells if c.get("round", 0) == r]) for r in rounds]
    out: list[dict[str, Any]] = []
    for first in per_round[0] if per_round else []:
        key = (first["workload"], first["concurrency"])
        same = [r for ratios in per_round for r in ratios if (r["workload"], r["concurrency"]) == key]
        entry = dict(first)
        entry["rounds"] = len(same)
        for name in RATIO_KEYS:
            values = [r[name] for r in same if r[name] is not None]
            entry[name] = _median(values) if values else None
            entry[name + "_range"] = [min(values), max(values)] if values else None
        out.append(entry)
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _fmt_ratio(r: dict[str, Any], key: str) -> str:
    value = r.get(key)
    if value is None:
        return "-"
    text = f"{value:.2f}x"
    spread = r.get(key + "_range")
    if r.get("rounds", 1) > 1 and spread:
        text += f" [{spread[0]:.2f}-{spread[1]:.2f}]"
    return text


def format_table(cells: list[Cell], ratios: list[dict[str, Any]]) -> str:
    """The human-readable table run.py prints: every cell, then the ratios."""
    header = (
        f"{'workload':<17}{'conc':>5}  {'target':<12}{'req/s':>10}{'items/s':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'srv CPU us/req':>15}{'node CPU us/req':>16}{'RSS MiB':>9}{'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    order = {"ours": 0, "ours_cached": 1, "floor": 2, "ipc_ceiling": 3, "native": 4}
    for cell in sorted(cells, key=lambda c: (c["workload"], c["concurrency"], order.get(c["target"], 9))):
        srv = cell.get("server_cpu_s_per_req")
        node = cell.get("node_cpu_s_per_req")
        rss = cell.get("server_rss_kib")
        lines.append(
            f"{cell['workload']:<17}{cell['concurrency']:>5}  {cell['target']:<12}"
            f"{_fmt(cell['req_per_s'], '.0f'):>10}{_fmt(cell['items_per_s'], '.0f'):>11}"
            f"{_fmt(cell['p50_ms'], '.2f'):>9}{_fmt(cell['p99_ms'], '.2f'):>9}"
            f"{_fmt(srv * 1e6 if srv is not None else None, '.0f'):>15}"
            f"{_fmt(node * 1e6 if node is not None else None, '.0f'):>16}"
            f"{_fmt(rss / 1024 if rss is not None else None, '.1f'):>9}{cell['errors']:>7}"
        )
    lines.append("")
    lines.append(
        f"{'workload':<17}{'conc':>5}  {'ours / raw IPC loop':>24}{'ours / bitcoind':>24}"
        f"{'cached / bitcoind':>24}{'ours / floor':>24}{'floor / raw loop':>24}"
    )
    several = any(r.get("rounds", 1) > 1 for r in ratios)
    for r in ratios:
        cols = [_fmt_ratio(r, key) for key in RATIO_KEYS]
        lines.append(f"{r['workload']:<17}{r['concurrency']:>5}  " + "".join(f"{c:>24}" for c in cols))
    if several:
        lines.append("(ratios: median of the rounds, [min-max] over them)")
    return "\n".join(lines)


def _median_series(cells: list[Cell]) -> list[Cell]:
    """One point per concurrency: the median throughput and p99 over the rounds, by concurrency."""
    out: list[Cell] = []
    for conc in sorted({c["concurrency"] for c in cells}):
        same = [c for c in cells if c["concurrency"] == conc]
        p99 = [c["p99_ms"] for c in same if c["p99_ms"] is not None]
        out.append(
            {
                "concurrency": conc,
                "items_per_s": _median([c["items_per_s"] for c in same]),
                "p99_ms": _median(p99) if p99 else None,
            }
        )
    return out


def write_chart(cells: list[Cell], path: Path, title: str) -> bool:
    """Throughput (items/s) and p99 latency per concurrency, one row per workload. False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    workloads = [w for w in WORKLOADS if any(c["workload"] == w for c in cells)]
    if not workloads:
        return False
    styles = {
        "ours": ("bitcoin-rpc-mp", "tab:blue", "o"),
        "ours_cached": ("bitcoin-rpc-mp, -rpccachesize", "tab:purple", "D"),
        "ipc_ceiling": ("raw IPC loop", "tab:green", "s"),
        "native": ("bitcoind HTTP", "tab:orange", "^"),
        "floor": ("floor front end (no checks)", "tab:gray", "v"),
    }
    fig, axes = plt.subplots(len(workloads), 2, figsize=(11, 3.4 * len(workloads)), squeeze=False)
    for row, workload in enumerate(workloads):
        method = CEILING_METHOD.get(workload)
        for target, (label, color, marker) in styles.items():
            series_workload = method if target == "ipc_ceiling" else workload
            series = _median_series(
                [c for c in cells if c["target"] == target and c["workload"] == series_workload]
            )
            if not series:
                continue
            xs = [c["concurrency"] for c in series]
            axes[row][0].plot(xs, [c["items_per_s"] for c in series], marker=marker, color=color, label=label)
            p99 = [(c["concurrency"], c["p99_ms"]) for c in series if c["p99_ms"] is not None]
            if p99:
                axes[row][1].plot(
                    [x for x, _ in p99], [y for _, y in p99], marker=marker, color=color, label=label
                )
        unit = "getblockhash answers/s" if workload == "batch" else "req/s"
        axes[row][0].set_title(f"{workload}: throughput")
        axes[row][0].set_ylabel(unit)
        axes[row][1].set_title(f"{workload}: p99 latency")
        axes[row][1].set_ylabel("ms")
        concurrencies = sorted({c["concurrency"] for c in cells})
        for ax in axes[row]:
            ax.set_xscale("log", base=2)
            ax.set_xticks(concurrencies, [str(c) for c in concurrencies])
            ax.minorticks_off()
            ax.set_xlabel("keep-alive connections")
            ax.grid(True, alpha=0.3)
            ax.set_ylim(bottom=0)
            ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _spread(values: list[float], spec: str) -> str:
    if not values:
        return "-"
    text = format(_median(values), spec)
    if len(values) > 1:
        text += f" [{min(values):{spec}}–{max(values):{spec}}]"
    return text


def format_markdown(cells: list[Cell], ratios: list[dict[str, Any]]) -> str:
    """The README's real-node table: per workload and concurrency, req/s of each target as median [min–max]
    over the rounds, the same-round ratios against bitcoind's port, CPU per request and our RSS."""

    def of(target: str, workload: str, conc: int) -> list[Cell]:
        return [
            c
            for c in cells
            if c["target"] == target and c["workload"] == workload and c["concurrency"] == conc
        ]

    def cpu(same: list[Cell], key: str) -> str:
        return _spread([c[key] * 1e6 for c in same if c.get(key) is not None], ".0f")

    def rate(same: list[Cell], spec: str) -> str:
        return _spread([c["req_per_s"] for c in same], spec) if same else "-"

    lines = [
        "| workload | conns | ours req/s | bitcoind's port req/s | ours / bitcoind | cached req/s | cached / bitcoind "
        "| CPU µs/req: our server + node (ours) · node (bitcoind's port) · cached server + node | our RSS MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in ratios:
        workload, conc = r["workload"], r["concurrency"]
        ours, native, cached = (
            of("ours", workload, conc),
            of("native", workload, conc),
            of("ours_cached", workload, conc),
        )
        spec = ".1f" if workload in ("batch", "getblock2") else ".0f"
        budget = f"{cpu(ours, 'server_cpu_s_per_req')} + {cpu(ours, 'node_cpu_s_per_req')} · "
        budget += cpu(native, "node_cpu_s_per_req")
        if cached:
            budget += f" · {cpu(cached, 'server_cpu_s_per_req')} + {cpu(cached, 'node_cpu_s_per_req')}"
        rss = [c["server_rss_kib"] / 1024 for c in [*ours, *cached] if c.get("server_rss_kib")]
        rss_text = f"{min(rss):.0f}–{max(rss):.0f}" if rss else "-"
        name = "batch (1000 × getblockhash)" if workload == "batch" else workload
        lines.append(
            f"| {name} | {conc} | {rate(ours, spec)} | {rate(native, spec)} | {_fmt_ratio(r, 'vs_native')} "
            f"| {rate(cached, spec)} | {_fmt_ratio(r, 'cached_vs_native')} | {budget} | {rss_text} |"
        )
    return "\n".join(lines)
