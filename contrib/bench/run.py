"""Benchmark of bitcoin-rpc-mp against two baselines measured in the same run (see contrib/bench/README.md).

Owns the whole run: start the stand-in node (unless `--node-socket` names a node), start our server
(`bitcoin-rpc-mp` as a subprocess), drive it from outside its process (wrk with a generated Lua script if `wrk`
is installed, else contrib/bench/loadgen.py in a process of its own) for each workload x concurrency cell,
read the server's CPU time and RSS from /proc around each cell, measure the raw IPC ceiling
(contrib/bench/ipc_ceiling.py, its own process) and, with `--native-url`, bitcoind's own HTTP port; then print
a table with ratios and write bench.json and bench.png into `--out`.

Workloads:
- `getblockhash`: `getblockhash h`, h cycling over 0..tip — our native path, one
  `Chain.findFirstBlockWithTimeAndHeight` call per request;
- `passthrough`: `getblockcount` by default (`--passthrough-method`), sent to a second server started with
  `-noipcnative`, where every method the node can run is one `Rpc.executeRpc` call (the first server answers
  `getblockcount` natively);
- `batch`: one JSON array of 1000 `getblockhash` requests per HTTP request.

    python contrib/bench/run.py                       # stand-in node, ~2 min
    python contrib/bench/run.py --node-socket /path/node.sock --native-url http://u:p@127.0.0.1:18443/

The server, the stand-in and the IPC ceiling run in their own processes; of bitcoin_rpc_mp itself this imports only
the -ipcthreads default, so that the ceiling gets as many Threads as our server.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import WORKLOADS, compute_ratios, format_table, write_chart  # noqa: E402

from bitcoin_rpc_mp.config.ipc_options import default_ipc_threads  # noqa: E402

__all__ = ["main"]

# need the chain --node-bin builds (a block with ~2000 transactions, a wallet): real node only
HEAVY_WORKLOADS = ("getblock2", "getblock0", "mixed")
DEFAULT_WORKLOADS = ("getblockhash", "passthrough", "batch")
NODE_BIN_WORKLOADS = (
    "getblockhash",
    "getblockcount",
    "getbestblockhash",
    "batch",
    "getblock2",
    "getblock0",
    "mixed",
)
# with --node-bin, these are also measured on a second server of ours with the answer cache on
CACHED_WORKLOADS = ("getblockhash", "getblock2", "getblock0", "mixed")
# workload -> the raw IPC loop measured next to it: the IPC call our server makes for that request
CEILING_FOR = {"getblockhash": "find", "passthrough": "execute", "batch": "execute_batch"}
# workloads the floor front end (floor_server.py) can answer
FLOOR_WORKLOADS = ("getblockhash",)
DEFAULT_CONCURRENCY = (1, 16, 64)
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------------------------
# processes and /proc


def _rate_fields(result: dict[str, Any], items: int) -> dict[str, Any]:
    """Throughput, latency and error fields shared by our cells and the ceiling's."""
    return {
        "items_per_request": items,
        "duration_s": result["duration_s"],
        "req_per_s": result["req_per_s"],
        "items_per_s": result["req_per_s"] * items,
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "mean_ms": result["mean_ms"],
        "max_ms": result["max_ms"],
        "errors": sum(result["errors"].values()),
        "error_detail": result["errors"],
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a live process, from /proc/<pid>/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kib(pid: int, key: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Managed:
    name: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Processes:
    items: list[Managed] = field(default_factory=list)

    def start(self, name: str, argv: list[str], log_path: Path) -> Managed:
        with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        managed = Managed(name, proc, log_path)
        self.items.append(managed)
        return managed

    def stop_all(self) -> None:
        for managed in reversed(self.items):
            if managed.proc.poll() is None:
                managed.proc.send_signal(signal.SIGTERM)
                try:
                    managed.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    managed.proc.kill()
                    managed.proc.wait()
        self.items.clear()


def fail(message: str, *managed: Managed) -> NoReturn:
    for m in managed:
        sys.stderr.write(f"--- last lines of the {m.name} log ({m.log_path}) ---\n{m.tail()}\n")
    raise SystemExit(f"bench: {message}")


def wait_for_socket(path: str, managed: Managed | None, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if managed is not None and managed.proc.poll() is not None:
            fail(f"the stand-in node exited with {managed.proc.returncode}", managed)
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
            return
        time.sleep(0.05)
    fail(f"nothing accepts connections on {path} after {timeout_s:.0f} s", *([managed] if managed else []))


def server_command() -> list[str]:
    """Our console script next to this interpreter, else the same entry point through `python -c`."""
    script = Path(sys.executable).parent / "bitcoin-rpc-mp"
    if script.is_file():
        return [str(script)]
    found = shutil.which("bitcoin-rpc-mp")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from bitcoin_rpc_mp.app import main; sys.exit(main())"]


# ---------------------------------------------------------------------------------------------------------------
# HTTP


@dataclass(frozen=True)
class Target:
    name: str  # "ours", "floor" or "native"
    url: str
    pid: int | None = None  # the process whose CPU and RSS a cell reads (None: --native-pid, if given)

    @property
    def parts(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.url)


def post(url: str, body: str, timeout_s: float = 30.0) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or "127.0.0.1"
    if parts.port:
        netloc += f":{parts.port}"
    plain = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))
    request = urllib.request.Request(plain, data=body.encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if parts.username is not None:
        userpass = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(userpass.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def rpc(url: str, method: str, params: list[Any], timeout_s: float = 30.0) -> Any:
    status, body = post(
        url,
        json.dumps({"jsonrpc": "1.0", "id": "bench", "method": method, "params": params}),
        timeout_s=timeout_s,
    )
    reply = json.loads(body)
    if status != 200 or reply.get("error"):
        raise RuntimeError(f"{method} on {url}: HTTP {status} {body[:200]!r}")
    return reply["result"]


def wait_for_http(url: str, managed: Managed, timeout_s: float = 30.0) -> int:
    """Poll `getblockcount` until the server answers; returns the tip height."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if managed.proc.poll() is not None:
            fail(f"our server exited with {managed.proc.returncode}", managed)
        try:
            return int(rpc(url, "getblockcount", []))
        except (OSError, RuntimeError, ValueError) as exc:
            last = exc
        time.sleep(0.1)
    fail(f"our server did not answer getblockcount within {timeout_s:.0f} s ({last})", managed)
    raise AssertionError("unreachable")


def rpc_batch(url: str, calls: list[tuple[str, list[Any]]], timeout_s: float = 600.0) -> list[Any]:
    """Results of a JSON-RPC batch, in order; raises on any error."""
    body = json.dumps(
        [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    )
    status, raw = post(url, body, timeout_s=timeout_s)
    replies = json.loads(raw)
    if status != 200 or not isinstance(replies, list) or any(r.get("error") for r in replies):
        raise RuntimeError(f"batch on {url}: HTTP {status} {raw[:300]!r}")
    by_id = {r["id"]: r["result"] for r in replies}
    return [by_id[i] for i in range(len(calls))]


def start_real_node(procs: Processes, args: argparse.Namespace, workdir: Path) -> tuple[Managed, str, str]:
    """bitcoin-node on regtest with its IPC socket AND its own HTTP port (the baseline); (process, socket, url)."""
    port = free_port()
    password = base64.b64encode(os.urandom(12)).decode().replace("/", "_").replace("+", "-")
    datadir = workdir / "node"
    datadir.mkdir()
    sock = str(workdir / "node.sock")
    top = max(args.concurrency_list)
    node = procs.start(
        "bitcoin-node",
        [
            args.node_bin,
            "-regtest",
            f"-datadir={datadir}",
            f"-ipcbind=unix:{sock}",
            "-listen=0",
            "-server=1",
            f"-rpcport={port}",
            "-rpcuser=bench",
            f"-rpcpassword={password}",
            # the same HTTP worker settings as our server gets (start_server)
            f"-rpcthreads={max(16, top)}",
            f"-rpcworkqueue={max(64, 16 * top)}",
            "-printtoconsole=0",
            "-fallbackfee=0.0001",
            "-maxmempool=300",
            f"-keypool={args.block_transactions + 100}",  # see prepare_chain
        ],
        workdir / "node.log",
    )
    url = f"http://bench:{urllib.parse.quote(password)}@127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if node.proc.poll() is not None:
            fail(f"bitcoin-node exited with {node.proc.returncode}", node)
        try:
            rpc(url, "getblockcount", [])
            break
        except (OSError, RuntimeError, ValueError):
            if time.monotonic() > deadline:
                fail("bitcoin-node did not answer on its RPC port within 120 s", node)
            time.sleep(0.2)
    wait_for_socket(sock, node)
    return node, sock, url


def prepare_chain(url: str, blocks: int, transactions: int, log: Any) -> dict[str, Any]:
    """A wallet, `blocks` blocks, then one block holding `transactions` wallet transactions (one `sendmany` to
    that many addresses, mined, then each output spent by a transaction of its own, mined)."""
    slow = 900.0  # seconds: a 2000-output wallet transaction on a busy 2-core machine
    started = time.monotonic()
    rpc(url, "createwallet", ["bench"], timeout_s=slow)
    wallet = url.rstrip("/") + "/wallet/bench"
    address = rpc(wallet, "getnewaddress", [])
    rpc(url, "generatetoaddress", [blocks, address], timeout_s=slow)
    # The wallet's own receive addresses without one getnewaddress each (2000 of those took 3.5 min): the node
    # runs with -keypool above `transactions`, so indexes 1..transactions of its bech32 descriptor are its own.
    descriptors = rpc(wallet, "listdescriptors", [])["descriptors"]
    receive = next(d["desc"] for d in descriptors if d["desc"].startswith("wpkh(") and not d.get("internal"))
    addresses = rpc(url, "deriveaddresses", [receive, [1, transactions]], timeout_s=slow)
    funding = rpc(wallet, "sendmany", ["", {a: 0.01 for a in addresses}], timeout_s=slow)
    funded_in = rpc(url, "generatetoaddress", [1, address], timeout_s=slow)[0]
    outputs = rpc(url, "getrawtransaction", [funding, 1, funded_in], timeout_s=slow)["vout"]
    spends = [
        (
            "createrawtransaction",
            [[{"txid": funding, "vout": o["n"]}], [{o["scriptPubKey"]["address"]: 0.0099}]],
        )
        for o in outputs
        if o["scriptPubKey"].get("address") in set(addresses)
    ]
    raws = rpc_batch(url, spends, timeout_s=slow)
    signed = rpc_batch(wallet, [("signrawtransactionwithwallet", [raw]) for raw in raws], timeout_s=slow)
    # Without the wallet loaded the node accepts the spends about 10 times faster (no AddToWallet per transaction)
    rpc(url, "unloadwallet", ["bench"], timeout_s=slow)
    txids = rpc_batch(url, [("sendrawtransaction", [s["hex"]]) for s in signed], timeout_s=slow)
    block_hash = rpc(url, "generatetoaddress", [1, address], timeout_s=slow)[0]
    block = rpc(url, "getblock", [block_hash, 1], timeout_s=slow)
    rpc(url, "generatetoaddress", [3, address], timeout_s=slow)
    tip_hash = rpc(url, "getbestblockhash", [])
    log(
        f"bench: block {block_hash} at height {block['height']} holds {len(block['tx'])} transactions, "
        f"{block['size']} bytes (made in {time.monotonic() - started:.0f} s)"
    )
    return {
        "block_hash": block_hash,
        "block_height": block["height"],
        "block_transactions": len(block["tx"]),
        "block_size": block["size"],
        "txid": txids[len(txids) // 2],
        "utxo_txid": txids[0],
        "utxo_vout": 0,
        "tip_hash": tip_hash,
    }


# ---------------------------------------------------------------------------------------------------------------
# workloads


def build_bodies(
    tip: int, genesis_hex: str, passthrough_method: str, batch_size: int
) -> dict[str, list[str]]:
    heights = list(range(tip + 1))
    single = [
        json.dumps({"jsonrpc": "1.0", "id": i, "method": "getblockhash", "params": [h]})
        for i, h in enumerate(heights)
    ]
    if passthrough_method == "getblockheader":
        pass_params: list[Any] = [genesis_hex]
    else:
        pass_params = []
    passthrough = [
        json.dumps({"jsonrpc": "1.0", "id": 1, "method": passthrough_method, "params": pass_params})
    ]
    batch_items = [
        {"jsonrpc": "2.0", "id": i, "method": "getblockhash", "params": [heights[i % len(heights)]]}
        for i in range(batch_size)
    ]
    bodies = {"getblockhash": single, "passthrough": passthrough, "batch": [json.dumps(batch_items)]}
    for method in ("getblockcount", "getbestblockhash"):
        bodies[method] = [json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": []})]
    return bodies


def heavy_bodies(heavy: dict[str, Any], tip: int) -> dict[str, list[str]]:
    """getblock of the ~2000-transaction block (verbosity 2 and 0), and the mixed workload: the calls a Lightning
    node and an Electrum server make, in turn."""
    block, txid = heavy["block_hash"], heavy["txid"]

    def body(method: str, params: list[Any], ident: int = 1) -> str:
        return json.dumps({"jsonrpc": "1.0", "id": ident, "method": method, "params": params})

    mixed = [
        body("getblockchaininfo", []),
        body("getblockhash", [tip - 3]),
        body("getblock", [block, 1]),
        body("getblockheader", [block]),
        body("estimatesmartfee", [6]),
        body("getrawtransaction", [txid, 1, block]),
        body("gettxout", [heavy["utxo_txid"], heavy["utxo_vout"]]),
        body("getblockhash", [tip]),
        body("getblockheader", [heavy["tip_hash"]]),
    ]
    return {
        "getblock2": [body("getblock", [block, 2])],
        "getblock0": [body("getblock", [block, 0])],
        "mixed": mixed,
    }


def check_workload(target: Target, workload: str, body: str) -> bytes:
    """One request before measuring: HTTP 200 and no error anywhere, so a cell never measures error replies."""
    status, reply_bytes = post(target.url, body, timeout_s=120.0)
    reply = json.loads(reply_bytes)
    replies = reply if isinstance(reply, list) else [reply]
    bad = [
        r
        for r in replies
        if not isinstance(r, dict)
        or r.get("error") is not None
        or (r.get("result") is None and workload != "mixed")
    ]
    if status != 200 or bad:
        raise SystemExit(
            f"bench: {target.name} answered {workload} with HTTP {status}: {reply_bytes[:300]!r}"
        )
    return reply_bytes


# ---------------------------------------------------------------------------------------------------------------
# load generators


WRK_SCRIPT = """\
-- generated by contrib/bench/run.py: POST the bodies below in turn on every connection
local bodies = {BODIES}
local headers = {{["Content-Type"] = "application/json"{AUTH}}}
local requests = {{}}
local n = 0
local i = 0

init = function(args)
  for k, body in ipairs(bodies) do
    requests[k] = wrk.format("POST", "{PATH}", headers, body)
  end
  n = #requests
end

request = function()
  i = i % n + 1
  return requests[i]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%.1f,"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50.0), latency:percentile(99.0), latency.mean, latency.max))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def wrk_script(url: str, bodies: list[str]) -> str:
    parts = urllib.parse.urlsplit(url)
    auth = ""
    if parts.username is not None:
        userpass = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        token = base64.b64encode(userpass.encode()).decode()
        auth = f', ["Authorization"] = "Basic {token}"'
    return WRK_SCRIPT.format(
        BODIES="{" + ", ".join(_lua_string(b) for b in bodies) + "}",
        AUTH=auth,
        PATH=parts.path or "/",
    )


def run_wrk(
    url: str, bodies: list[str], connections: int, duration_s: float, workdir: Path
) -> dict[str, Any]:
    script = workdir / "bench.lua"
    script.write_text(wrk_script(url, bodies))
    parts = urllib.parse.urlsplit(url)
    plain = f"http://{parts.hostname}:{parts.port}{parts.path or '/'}"
    seconds = max(1, round(duration_s))
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), plain]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"bench: wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line[len("BENCH-JSON ") :])
    window = raw["duration_us"] / 1e6
    return {
        "tool": "wrk",
        "connections": connections,
        "requests": raw["requests"],
        "duration_s": window,
        "req_per_s": raw["requests"] / window if window > 0 else 0.0,
        "p50_ms": raw["p50_us"] / 1e3 if raw["requests"] else None,
        "p99_ms": raw["p99_us"] / 1e3 if raw["requests"] else None,
        "mean_ms": raw["mean_us"] / 1e3 if raw["requests"] else None,
        "max_ms": raw["max_us"] / 1e3 if raw["requests"] else None,
        "errors": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
        "bytes_received": raw["bytes"],
    }


def run_loadgen(
    url: str, bodies: list[str], connections: int, duration_s: float, workdir: Path
) -> dict[str, Any]:
    bodies_file = workdir / "bodies.json"
    bodies_file.write_text(json.dumps(bodies))
    argv = [
        sys.executable,
        str(HERE / "loadgen.py"),
        "--url",
        url,
        "--connections",
        str(connections),
        "--duration",
        str(duration_s),
        "--bodies-file",
        str(bodies_file),
    ]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 120, check=False)
    if out.returncode != 0:
        raise SystemExit(f"bench: loadgen.py failed ({out.returncode}): {out.stderr[-1000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# ---------------------------------------------------------------------------------------------------------------
# the run


@dataclass
class Bench:
    args: argparse.Namespace
    workdir: Path
    cells: list[dict[str, Any]] = field(default_factory=list)
    server_pid: int | None = None
    node_pid: int | None = None
    floor_pid: int | None = None
    round: int = 0

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def use_wrk(self, workload: str) -> bool:
        # batches and the heavy workloads take longer than wrk's whole-second windows allow to drain (a cell of
        # getblock <hash> 2 at 16 connections counted 0 requests in 1 s): always the bundled client
        return self.args.loadgen_tool == "wrk" and workload not in ("batch", *HEAVY_WORKLOADS)

    def measure_http(
        self, target: Target, workload: str, bodies: list[str], concurrency: int, items: int
    ) -> dict[str, Any]:
        pid = target.pid if target.pid is not None else self.args.native_pid
        node_pid = self.node_pid
        cpu0 = proc_cpu_seconds(pid) if pid else None
        node0 = proc_cpu_seconds(node_pid) if node_pid else None
        child0 = children_cpu_seconds()
        if self.use_wrk(workload):
            result = run_wrk(target.url, bodies, concurrency, self.args.duration, self.workdir)
        else:
            result = run_loadgen(target.url, bodies, concurrency, self.args.duration, self.workdir)
        child_cpu = children_cpu_seconds() - child0
        cpu = proc_cpu_seconds(pid) - cpu0 if pid and cpu0 is not None else None
        node_cpu = proc_cpu_seconds(node_pid) - node0 if node_pid and node0 is not None else None
        requests = result["requests"]
        cell = {
            "target": target.name,
            "workload": workload,
            "concurrency": concurrency,
            "round": self.round,
            "tool": result["tool"],
            "requests": requests,
            **_rate_fields(result, items),
            "server_cpu_s": cpu,
            "server_cpu_s_per_req": cpu / requests if cpu is not None and requests else None,
            "server_rss_kib": proc_status_kib(pid, "VmRSS") if pid else None,
            "node_cpu_s": node_cpu,
            "node_cpu_s_per_req": node_cpu / requests if node_cpu is not None and requests else None,
            "loadgen_cpu_s": child_cpu,
            "load_average_1m": os.getloadavg()[0],
        }
        self.cells.append(cell)
        self.log(
            f"  {target.name:<7}{workload:<13}c={concurrency:<3} {cell['req_per_s']:9.0f} req/s  "
            f"p99 {cell['p99_ms'] if cell['p99_ms'] is not None else float('nan'):8.2f} ms  errors {cell['errors']}"
        )
        return cell

    def measure_ceiling(self, name: str, concurrency: int, request_text: str, items: int) -> dict[str, Any]:
        """One raw IPC ceiling cell; `name` is `find`, `execute` or `execute_batch` (executeRpc of a batch)."""
        node_pid = self.node_pid
        node0 = proc_cpu_seconds(node_pid) if node_pid else None
        request_file = self.workdir / "ceiling-request.json"
        request_file.write_text(request_text)
        argv = [
            sys.executable,
            str(HERE / "ipc_ceiling.py"),
            "--socket",
            self.args.node_socket,
            "--method",
            "find" if name == "find" else "execute",
            "--concurrency",
            str(concurrency),
            "--threads",
            str(self.args.ipc_threads),
            "--duration",
            str(self.args.duration),
            "--variant",
            self.args.variant,
            "--request-file",
            str(request_file),
            "--discipline",
            self.args.ceiling_discipline,
        ]
        out = subprocess.run(
            argv, capture_output=True, text=True, timeout=self.args.duration + 120, check=False
        )
        if out.returncode != 0:
            raise SystemExit(f"bench: ipc_ceiling.py failed ({out.returncode}): {out.stderr[-1500:]}")
        result = json.loads(out.stdout)
        node_cpu = proc_cpu_seconds(node_pid) - node0 if node_pid and node0 is not None else None
        calls = result["requests"]
        cell = {
            "target": "ipc_ceiling",
            "workload": name,
            "concurrency": concurrency,
            "round": self.round,
            "tool": f"ipc_ceiling.py ({result['discipline']}, {result['threads']} threads)",
            "requests": calls,
            **_rate_fields(result, items),
            # the ceiling process is client and "server" at once: its own CPU per call
            "server_cpu_s": result["client_cpu_s"],
            "server_cpu_s_per_req": result["client_cpu_s_per_call"],
            "server_rss_kib": None,
            "node_cpu_s": node_cpu,
            "node_cpu_s_per_req": node_cpu / calls if node_cpu is not None and calls else None,
            "loadgen_cpu_s": None,
        }
        self.cells.append(cell)
        self.log(
            f"  ceiling {name:<13}c={concurrency:<3} {cell['req_per_s']:9.0f} calls/s  p99 {cell['p99_ms']:8.2f} ms"
        )
        return cell


def start_server(
    procs: Processes, args: argparse.Namespace, workdir: Path, name: str, password: str, extra: list[str]
) -> tuple[Managed, Target]:
    """Start our server (`bitcoin-rpc-mp`) on a free port with its own datadir; its process and Target."""
    port = free_port()
    top = max(args.concurrency_list)
    datadir = workdir / f"datadir-{port}"
    datadir.mkdir()
    server = procs.start(
        name,
        [
            *server_command(),
            "-regtest",
            f"-ipcconnect=unix:{args.node_socket}",
            f"-rpcport={port}",
            "-rpcuser=bench",
            f"-rpcpassword={password}",
            f"-datadir={datadir}",
            f"-ipcthreads={args.ipc_threads}",
            f"-rpcthreads={max(16, top)}",
            f"-rpcworkqueue={max(64, 16 * top)}",
            *extra,
            *args.server_arg,
        ],
        workdir / f"server-{port}.log",
    )
    url = f"http://bench:{urllib.parse.quote(password)}@127.0.0.1:{port}/"
    return server, Target("ours", url, server.proc.pid)


def start_floor(bench: Bench, procs: Processes, args: argparse.Namespace) -> Target:
    """Start contrib/bench/floor_server.py on the same node and Thread count; its Target (no credentials)."""
    port = free_port()
    floor = procs.start(
        "floor front end",
        [
            sys.executable,
            str(HERE / "floor_server.py"),
            "--socket",
            args.node_socket,
            "--port",
            str(port),
            "--threads",
            str(args.ipc_threads),
            "--variant",
            args.variant,
        ],
        bench.workdir / "floor.log",
    )
    bench.floor_pid = floor.proc.pid
    target = Target("floor", f"http://127.0.0.1:{port}/", floor.proc.pid)
    deadline = time.monotonic() + 30
    while True:
        if floor.proc.poll() is not None:
            fail(f"the floor front end exited with {floor.proc.returncode}", floor)
        try:
            rpc(target.url, "getblockhash", [0])
            return target
        except (OSError, RuntimeError, ValueError):
            if time.monotonic() > deadline:
                fail("the floor front end did not answer within 30 s", floor)
            time.sleep(0.1)


def profile_server(
    bench: Bench, target: Target, bodies: dict[str, list[str]], spec: str, out: Path
) -> dict[str, Any]:
    """Sample our server with py-spy while one cell's load runs; top functions by own and total samples."""
    workload, _, rest = spec.partition(":")
    conc_text, _, _ = rest.partition(":")
    concurrency = int(conc_text or "16")
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(pyspy).exists():
        bench.log("  py-spy not found (pip install py-spy): no profile")
        return {"error": "py-spy not installed"}
    assert target.pid is not None
    seconds = max(1, round(bench.args.profile_duration))
    raw_path = out / "profile.collapsed"
    svg_path = out / "profile.svg"
    results = {}
    for fmt, path in (("raw", raw_path), ("flamegraph", svg_path)):
        spy = subprocess.Popen(
            [
                pyspy,
                "record",
                "--pid",
                str(target.pid),
                "--duration",
                str(seconds),
                "--rate",
                "250",
                "--format",
                fmt,
                "-o",
                str(path),
                *(["--native"] if bench.args.profile_native else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)
        saved = bench.args.duration
        bench.args.duration = seconds
        try:
            items = bench.args.batch_size if workload == "batch" else 1
            cell = bench.measure_http(target, workload, bodies[workload], concurrency, items)
            bench.cells.remove(cell)  # sampled cells are slowed by py-spy: not part of the results table
        finally:
            bench.args.duration = saved
        _, err = spy.communicate(timeout=seconds + 60)
        results[fmt] = {
            "req_per_s_while_sampled": cell["req_per_s"],
            "returncode": spy.returncode,
            "stderr": err.decode(errors="replace")[-300:],
        }
    summary = summarize_collapsed(raw_path) if raw_path.exists() else {}
    (out / "profile.txt").write_text(format_profile(summary))
    return {
        "workload": workload,
        "concurrency": concurrency,
        "seconds": seconds,
        "runs": results,
        "collapsed": str(raw_path),
        "svg": str(svg_path),
        **summary,
    }


def _function_of(frame: str) -> str:
    """`name (path/file.py:123)` -> `name (path/file.py)`: py-spy's raw frames carry line numbers."""
    if frame.endswith(")") and ":" in frame:
        head, _, line = frame[:-1].rpartition(":")
        if line.isdigit():
            return head + ")"
    return frame


def _file_of(function: str) -> str:
    return function[function.rfind("(") + 1 : -1] if function.endswith(")") else function


def summarize_collapsed(path: Path, top: int = 25) -> dict[str, Any]:
    """Own ("self") and inclusive ("total") sample shares per function, and own shares per file, from py-spy's
    collapsed stacks (`frame;frame;... count`, outermost first)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    files: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # the thread/process entries py-spy may put first carry no "(file)"
        frames = [_function_of(f) for f in stack.split(";") if "(" in f]
        if not frames:
            continue
        samples += count
        own[frames[-1]] += count
        files[_file_of(frames[-1])] += count
        for function in set(frames):
            total[function] += count

    def share(counter: Counter[str], key: str) -> list[dict[str, Any]]:
        if not samples:
            return []
        return [{key: f, "pct": 100.0 * n / samples} for f, n in counter.most_common(top)]

    return {
        "samples": samples,
        "top_self": share(own, "function"),
        "top_total": share(total, "function"),
        "self_by_file": share(files, "file"),
    }


def format_profile(summary: dict[str, Any]) -> str:
    lines = [f"samples: {summary.get('samples', 0)}", "", "own time (self):"]
    lines += [f"  {e['pct']:6.2f}%  {e['function']}" for e in summary.get("top_self", [])]
    lines += ["", "inclusive (total):"]
    lines += [f"  {e['pct']:6.2f}%  {e['function']}" for e in summary.get("top_total", [])]
    lines += ["", "own time by file:"]
    lines += [f"  {e['pct']:6.2f}%  {e['file']}" for e in summary.get("self_by_file", [])]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--node-socket", help="IPC socket of a running node; default: start the stand-in node"
    )
    parser.add_argument(
        "--native-url", help="bitcoind's own HTTP port on the same node, http://user:pw@host:port/"
    )
    parser.add_argument("--native-pid", type=int, help="pid of that node, to report its CPU per request")
    parser.add_argument(
        "--node-bin",
        help="bitcoin-node binary: start it on regtest with its IPC socket and its own HTTP port (the baseline), "
        "build a chain with a ~2000-transaction block, and measure every cell against bitcoind's port",
    )
    parser.add_argument(
        "--block-transactions", type=int, default=2000, help="transactions in the heavy block (--node-bin)"
    )
    parser.add_argument(
        "--cache-size", type=int, default=256, help="-rpccachesize (MiB) of the cached server (--node-bin)"
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell (default 5)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every cell this many times, interleaved; ratios are reported as median (min-max)",
    )
    parser.add_argument(
        "--out", default=str(HERE / "results"), help="output directory (default contrib/bench/results)"
    )
    parser.add_argument(
        "--concurrency",
        default=",".join(map(str, DEFAULT_CONCURRENCY)),
        help="comma-separated keep-alive connection counts (default 1,16,64)",
    )
    parser.add_argument(
        "--workloads",
        default=None,
        help="subset of " + ",".join(WORKLOADS) + f" (default {','.join(DEFAULT_WORKLOADS)}; with --node-bin "
        f"{','.join(NODE_BIN_WORKLOADS)})",
    )
    parser.add_argument(
        "--ipc-threads",
        type=int,
        default=default_ipc_threads(),
        help="-ipcthreads of our server and of the ceiling (default: the server's own default on this machine)",
    )
    parser.add_argument("--variant", default="pr29409", help="node schema variant for the raw IPC ceiling")
    parser.add_argument(
        "--blocks", type=int, default=210, help="blocks the stand-in node mines (default 210)"
    )
    parser.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk if installed, else contrib/bench/loadgen.py",
    )
    parser.add_argument(
        "--passthrough-method",
        default="getblockcount",
        help="method for the passthrough workload (default getblockcount; getblockheader gets the genesis hash)",
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--ceiling-discipline",
        choices=("auto", "queue", "exclusive"),
        default="auto",
        help="Thread discipline of the raw IPC loop (default auto: the same as our server's pool)",
    )
    parser.add_argument("--no-ceiling", action="store_true", help="skip the raw IPC ceiling")
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the floor front end (contrib/bench/floor_server.py)"
    )
    parser.add_argument(
        "--profile",
        metavar="WORKLOAD:CONC[:cached]",
        help="afterwards, sample our server with py-spy under this cell (e.g. getblockhash:16; getblock2:16:cached "
        "samples the -rpccachesize server)",
    )
    parser.add_argument(
        "--profile-duration", type=float, default=10.0, help="seconds of sampling (default 10)"
    )
    parser.add_argument(
        "--profile-native",
        action="store_true",
        help="py-spy --native: include C/Cython frames (capnp, uvloop)",
    )
    parser.add_argument("--server-arg", action="append", default=[], help="extra argument for bitcoin-rpc-mp")
    args = parser.parse_args(argv)
    args.concurrency_list = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if args.workloads is None:
        args.workloads = ",".join(NODE_BIN_WORKLOADS if args.node_bin else DEFAULT_WORKLOADS)
    args.workload_list = [w for w in args.workloads.split(",") if w.strip()]
    if not args.node_bin and set(args.workload_list) & set(HEAVY_WORKLOADS):
        parser.error(f"{', '.join(HEAVY_WORKLOADS)} need --node-bin (a real node with a wallet)")
    if args.node_bin:
        # the raw IPC loop and the floor are stand-in-era references: on a real node our server outruns the raw
        # loop (it is no ceiling there); the baseline that counts is bitcoind's own port
        args.no_ceiling = True
        args.no_floor = True
    unknown = set(args.workload_list) - set(WORKLOADS)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if unknown or not args.workload_list or not args.concurrency_list or min(args.concurrency_list) < 1:
        parser.error(f"bad --workloads/--concurrency ({', '.join(sorted(unknown))})")
    if args.loadgen == "auto":
        args.loadgen_tool = "wrk" if shutil.which("wrk") else "python"
    else:
        args.loadgen_tool = args.loadgen
    return args


@contextlib.contextmanager
def _processes() -> Iterator[Processes]:
    procs = Processes()
    try:
        yield procs
    finally:
        procs.stop_all()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(f"bench: stopped by signal {signum}")  # runs the finally blocks: the node is stopped too


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.UTC)
    load_start = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="rpcmp-bench-") as tmp, _processes() as procs:
        workdir = Path(tmp)
        bench = Bench(args, workdir)
        node_kind = "given socket"
        heavy: dict[str, Any] | None = None
        if args.node_bin:
            node, sock, url = start_real_node(procs, args, workdir)
            node_kind = f"bitcoin-node {args.node_bin}"
            args.node_socket, args.native_url, args.native_pid = sock, url, node.proc.pid
            bench.node_pid = node.proc.pid
            heavy = prepare_chain(url, 200, args.block_transactions, bench.log)
        elif args.node_socket is None:
            node_kind = "stand-in"
            args.node_socket = str(workdir / "node.sock")
            standin = procs.start(
                "stand-in node",
                [
                    sys.executable,
                    "-m",
                    "bitcoin_rpc_mp.standin",
                    "--socket",
                    args.node_socket,
                    "--blocks",
                    str(args.blocks),
                    "--variant",
                    args.variant,
                ],
                workdir / "standin.log",
            )
            bench.node_pid = standin.proc.pid
            wait_for_socket(args.node_socket, standin)
        elif args.node_socket.startswith("unix:"):
            args.node_socket = args.node_socket[len("unix:") :]
        password = base64.b64encode(os.urandom(12)).decode().replace("/", "_").replace("+", "-")
        server, ours = start_server(procs, args, workdir, "bitcoin-rpc-mp", password, [])
        bench.server_pid = server.proc.pid
        tip = wait_for_http(ours.url, server)
        genesis = str(rpc(ours.url, "getblockhash", [0]))
        bodies = build_bodies(tip, genesis, args.passthrough_method, args.batch_size)
        if heavy is not None:
            bodies.update(heavy_bodies(heavy, tip))
        cached: Target | None = None
        cached_server: Managed | None = None
        if args.node_bin and any(w in CACHED_WORKLOADS for w in args.workload_list):
            cached_server, plain = start_server(
                procs,
                args,
                workdir,
                "bitcoin-rpc-mp -rpccachesize",
                password,
                [f"-rpccachesize={args.cache_size}"],
            )
            cached = Target("ours_cached", plain.url, plain.pid)
            wait_for_http(cached.url, cached_server)
        # The passthrough workload goes to a second server started with -noipcnative: there every method the node
        # can run goes through Rpc.executeRpc, so even getblockcount (answered natively by the first) measures
        # the pass-through path.
        passthrough_target = ours
        passthrough_server: Managed | None = None
        if "passthrough" in args.workload_list:
            passthrough_server, passthrough_target = start_server(
                procs, args, workdir, "bitcoin-rpc-mp -noipcnative", password, ["-noipcnative"]
            )
            wait_for_http(passthrough_target.url, passthrough_server)
        targets = [ours]
        if args.native_url:
            targets.append(Target("native", args.native_url))

        def ours_for(workload: str) -> Target:
            return passthrough_target if workload == "passthrough" else ours

        def profile_target(spec: str) -> Target:
            if spec.endswith(":cached"):
                if cached is None:
                    fail("--profile ...:cached needs --node-bin and a cached workload (getblock2, getblock0, ...)")
                return cached
            return ours_for(spec.partition(":")[0])

        floor: Target | None = None
        floor_identical: bool | None = None
        if not args.no_floor and any(w in FLOOR_WORKLOADS for w in args.workload_list):
            floor = start_floor(bench, procs, args)
            # the floor must do the same job: the same JSON body for the same request
            floor_identical = all(
                check_workload(ours, w, bodies[w][k]) == check_workload(floor, w, bodies[w][k])
                for w in FLOOR_WORKLOADS
                for k in range(min(3, len(bodies[w])))
            )
            if not floor_identical:
                fail("the floor front end answers differently from our server", *procs.items)
        identical: dict[str, bool] = {}
        for workload in args.workload_list:
            for body in bodies[workload][:10]:
                first = check_workload(ours_for(workload), workload, body)
                # getblockchaininfo's verificationprogress follows the clock: not comparable byte for byte
                comparable = '"getblockchaininfo"' not in body
                if args.native_url:
                    same = first == check_workload(targets[1], workload, body)
                    identical[workload] = identical.get(workload, True) and (same or not comparable)
                if cached is not None and workload in CACHED_WORKLOADS:
                    for _ in range(2):  # the second reply comes from the cache
                        again = check_workload(cached, workload, body)
                        identical[workload] = identical.get(workload, True) and (
                            again == first or not comparable
                        )
        bench.log(
            f"bench: node {node_kind} ({args.node_socket}), tip {tip}, server pid {bench.server_pid}, "
            f"load generator {args.loadgen_tool}, {args.duration:g} s per cell"
        )
        warm_ups = [
            (target, "getblockhash")
            for target in [*targets, *([floor] if floor is not None else []), *([cached] if cached else [])]
        ]
        if passthrough_server is not None:
            warm_ups.append((passthrough_target, "passthrough"))
        for target, workload in warm_ups:
            if args.duration >= 1:  # warm-up, not recorded
                warm = bench.measure_http(target, workload, bodies[workload], 16, 1)
                bench.cells.remove(warm)
        # Each ceiling cell right after the HTTP cells it is compared with: background load on a shared machine
        # then weighs on both sides of a ratio alike.
        # --rounds repeats the whole sequence; every cell records its round, and ratios are taken within a round
        # and then summarised (median, min, max) over the rounds.
        for round_no in range(args.rounds):
            if args.rounds > 1:
                bench.log(f"round {round_no + 1} of {args.rounds}")
            bench.round = round_no
            for workload in args.workload_list:
                items = args.batch_size if workload == "batch" else 1
                for concurrency in args.concurrency_list:
                    round_targets = list(targets)
                    if cached is not None and workload in CACHED_WORKLOADS:
                        round_targets.insert(1, cached)
                    for target in round_targets:
                        if target is ours:
                            target = ours_for(workload)
                        bench.measure_http(target, workload, bodies[workload], concurrency, items)
                    if floor is not None and workload in FLOOR_WORKLOADS:
                        bench.measure_http(floor, workload, bodies[workload], concurrency, items)
                    if not args.no_ceiling:
                        name = CEILING_FOR[workload]
                        bench.measure_ceiling(name, concurrency, bodies[workload][0], items)
        profile = (
            profile_server(bench, profile_target(args.profile), bodies, args.profile, out)
            if args.profile
            else None
        )
        server_hwm = proc_status_kib(bench.server_pid, "VmHWM")
        cached_hwm = proc_status_kib(cached_server.proc.pid, "VmHWM") if cached_server is not None else None
        passthrough_hwm = (
            proc_status_kib(passthrough_server.proc.pid, "VmHWM") if passthrough_server is not None else None
        )
    ratios = compute_ratios(bench.cells)
    results: dict[str, Any] = {
        "meta": {
            "started_utc": started.isoformat(timespec="seconds"),
            "duration_s_per_cell": args.duration,
            "rounds": args.rounds,
            "concurrency": args.concurrency_list,
            "workloads": args.workload_list,
            "ipc_threads": args.ipc_threads,
            "ceiling_discipline": args.ceiling_discipline,
            "load_generator": args.loadgen_tool,
            "node": node_kind,
            # the schema variant of the stand-in, ceiling and floor; with --node-bin our server detects the node's
            "variant": None if args.node_bin else args.variant,
            "tip_height": tip,
            "passthrough_method": args.passthrough_method,
            "batch_size": args.batch_size,
            "native_url_given": bool(args.native_url),
            "native_replies_identical": identical or None,
            "floor_replies_identical": floor_identical,
            "server_peak_rss_kib": server_hwm,
            "cached_server_peak_rss_kib": cached_hwm,
            "cached_server": f"a second bitcoin-rpc-mp with -rpccachesize={args.cache_size}"
            if cached
            else None,
            "heavy_block": heavy,
            "node_bin": args.node_bin,
            "load_average_start": load_start,
            "load_average_end": list(os.getloadavg()),
            "passthrough_server": "a second bitcoin-rpc-mp with -noipcnative",
            "passthrough_server_peak_rss_kib": passthrough_hwm,
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        },
        "cells": bench.cells,
        "ratios": ratios,
        "profile": profile,
    }
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    charted = write_chart(
        bench.cells,
        out / "bench.png",
        f"bitcoin-rpc-mp bench {started:%Y-%m-%d %H:%M} UTC - {node_kind} node, {args.ipc_threads} IPC threads, "
        f"{args.duration:g} s per cell" + (f", median of {args.rounds} rounds" if args.rounds > 1 else ""),
    )
    print(format_table(bench.cells, ratios))
    if identical and not all(identical.values()):
        print(
            "warning: our replies differ from bitcoind's for "
            + ", ".join(w for w, same in identical.items() if not same)
        )
    print(
        f"\nwrote {out / 'bench.json'}"
        + (f" and {out / 'bench.png'}" if charted else " (no matplotlib: no chart)")
    )
    if profile:
        print(f"profile: {out / 'profile.txt'}, {out / 'profile.svg'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
