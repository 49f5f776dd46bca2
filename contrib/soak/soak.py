#!/usr/bin/env python3
"""Soak and fault harness: a real bitcoin-node and bitcoin-rpc-mp under mixed load for N minutes, while the node
is killed and restarted, hostile input is sent and the chain is reorganised.

    python contrib/soak/soak.py --node-bin /path/to/bitcoin-node --minutes 30 [--out DIR]
    python contrib/soak/soak.py --node-bin standin --seconds 20          # the stand-in node (no reorgs)

What runs (all on a fresh regtest datadir under a temp directory):
- `--clients` threads, each on its own keep-alive connection, send a mix of getblockcount, getbestblockhash,
  getblockhash, getblock <hash> 0, getblockchaininfo (pass-through), a 10-element batch and a short
  waitfornewblock, and check every reply is well formed JSON-RPC from bitcoind's rules;
- every `--kill-every` seconds the node gets SIGKILL and is restarted after a short pause;
- every `--reorg-every` seconds the chain is reorganised through our server: invalidateblock of a block a few
  below the tip, a longer competing branch mined on top of its parent, then reconsiderblock (the longer branch
  stays), and every other time only invalidate+reconsider;
- every `--hostile-every` seconds a burst of hostile input: malformed JSON, 100 000-deep nesting, invalid UTF-8,
  a header flood, an over-limit Content-Length, wrong passwords, parameters that would abort the node if they
  reached it (negative and huge heights, hashes of the wrong length), and 50 slowloris connections; each must
  get bitcoind's answer (status checked), and the load clients must keep being answered;
- once a second: requests answered, errors by kind, server and node RSS and open fds.

Outcome: `report.json`, `report.txt` and `soak.png` (RSS, fds and request rate over time, faults marked) in
`--out`; exit status 1 on any lost request (a request on a live server that got no HTTP reply), a server crash, a
node that died without being killed (an abort, or `Assertion` in its debug.log), a hostile input answered wrongly,
or unbounded growth (server RSS or fds still rising at the end, see `--max-rss-growth-mib`).

Only SIGKILL is used to stop the node unless `--graceful-stops` is given (a `stop` through the server, which
needs the node to survive its IPC clients during shutdown).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AUTH = "Basic " + base64.b64encode(b"u:p").decode()
REQUEST_TIMEOUT_S = 30.0
LOST_KINDS = ("lost: no reply", "lost: timeout", "lost: connection reset")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_figures(pid: int) -> tuple[int, int]:
    """(RSS KiB, open fds) of a live process, (0, 0) if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return 0, 0


class Node:
    """The node behind the server: a real bitcoin-node (SIGKILL-safe, keeps its chain) or the stand-in."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.socket_path = workdir / "node.sock"
        self.datadir = workdir / "node"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(workdir / "node.out", "ab")
        self.expected_exit = False

    @property
    def standin(self) -> bool:
        return self.binary == "standin"

    def start(self) -> None:
        if self.socket_path.exists():
            self.socket_path.unlink()
        if self.standin:
            cmd = [sys.executable, "-m", "bitcoin_rpc_mp.standin", "--socket", str(self.socket_path),
                   "--blocks", "120"]
        else:
            self.datadir.mkdir(parents=True, exist_ok=True)
            cmd = [self.binary, "-regtest", f"-datadir={self.datadir}", f"-ipcbind=unix:{self.socket_path}",
                   "-listen=0", "-server=0", "-printtoconsole=0"]
        self.expected_exit = False
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, cwd=REPO)
        deadline = time.monotonic() + 60
        while not self.socket_path.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"node exited with {self.proc.returncode} while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("node did not create its socket within 60 s")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.expected_exit = True
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.expected_exit = True
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def died_unexpectedly(self) -> int | None:
        """The exit code if the node ended without us stopping it."""
        if self.proc is None or self.expected_exit:
            return None
        return self.proc.poll()

    def assertions(self) -> list[str]:
        path = self.datadir / "regtest" / "debug.log"
        lines = []
        for source in (path, self.workdir / "node.out"):
            if source.exists():
                lines += [line for line in source.read_text(errors="replace").splitlines() if "Assertion" in line]
        return lines


class Server:
    def __init__(self, socket_path: Path, workdir: Path, extra: list[str]) -> None:
        self.port = free_port()
        self.datadir = workdir / "rpc"
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.cmd = [sys.executable, "-X", "faulthandler", "-m", "bitcoin_rpc_mp", "-regtest",
                    f"-datadir={self.datadir}", f"-ipcconnect=unix:{socket_path}", f"-rpcport={self.port}",
                    "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-rpcuser=u", "-rpcpassword=p", *extra]
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=log, cwd=REPO)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {self.log_path}") from None
                time.sleep(0.05)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Rpc:
    """One keep-alive connection to our server."""

    def __init__(self, port: int, timeout: float = REQUEST_TIMEOUT_S) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def raw(self, body: bytes, auth: str = AUTH) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request("POST", "/", body, {"Authorization": auth, "Content-Type": "application/json"})
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.will_close:
                self.close()
            return resp.status, data
        except BaseException:
            self.close()
            raise

    def call(self, method: str, *params: Any) -> Any:
        status, data = self.raw(json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).encode())
        reply = json.loads(data)
        if reply.get("error"):
            raise RpcFailure(reply["error"]["code"], reply["error"]["message"], status)
        return reply["result"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class RpcFailure(Exception):
    def __init__(self, code: int, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answered: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    lost_examples: list[str] = field(default_factory=list)
    hostile_failures: list[str] = field(default_factory=list)

    def add(self, kind: str, example: str = "") -> None:
        with self.lock:
            if not kind.startswith("lost"):
                self.answered += 1
            self.kinds[kind] += 1
            if kind.startswith("lost") and len(self.lost_examples) < 20:
                self.lost_examples.append(f"{time.strftime('%H:%M:%S')} {kind}: {example}")


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.node = Node(args.node_bin, workdir)
        extra = ["-ipcnative=1"] if args.ipcnative else []
        self.server = Server(self.node.socket_path, workdir, extra + args.server_arg)
        self.stats = Stats()
        self.stop_event = threading.Event()
        self.node_down = threading.Event()  # set while we deliberately keep the node down
        self.events: list[tuple[float, str]] = []
        self.samples: list[dict[str, float]] = []
        self.t0 = time.monotonic()
        self.crashes: list[str] = []
        self.server_restarts = 0
        self.reorgs = 0
        self.kills = 0
        self.hostile_rounds = 0
        self.rng = random.Random(args.seed)

    # -- set-up ------------------------------------------------------------------------------------------
    def wait_ready(self, rpc: Rpc, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                rpc.call("getblockcount")
                return
            except (RpcFailure, OSError, ValueError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server never answered getblockcount: {exc}") from None
                time.sleep(0.2)

    def mining_descriptor(self, rpc: Rpc) -> str | None:
        try:
            return str(rpc.call("getdescriptorinfo", "raw(51)")["descriptor"])
        except RpcFailure:
            return None  # the stand-in: no mining, no reorgs

    # -- load -----------------------------------------------------------------------------------------------
    def client(self, index: int) -> None:
        rng = random.Random(self.args.seed * 1000 + index)
        rpc = Rpc(self.server.port)
        while not self.stop_event.is_set():
            kind = self.one_request(rpc, rng)
            self.stats.add(kind, f"client {index}")
            if kind.startswith("lost") or kind == "server down":
                time.sleep(0.05)

    def one_request(self, rpc: Rpc, rng: random.Random) -> str:
        choice = rng.random()
        if choice < 0.25:
            body: Any = {"method": "getblockcount", "id": 1}
        elif choice < 0.4:
            body = {"method": "getbestblockhash", "id": 2}
        elif choice < 0.6:
            body = {"method": "getblockhash", "params": [rng.randint(0, 100)], "id": 3}
        elif choice < 0.7:
            body = {"jsonrpc": "2.0", "method": "getblockchaininfo", "id": 4}
        elif choice < 0.8:
            body = [{"jsonrpc": "2.0", "method": "getblockhash", "params": [h], "id": h} for h in range(10)]
        elif choice < 0.9:
            body = {"method": "getblock", "params": ["00" * 32, 0], "id": 5}  # -5 Block not found
        else:
            body = {"method": "waitfornewblock", "params": [50], "id": 6}
        data = json.dumps(body).encode()
        try:
            status, raw = rpc.raw(data)
        except TimeoutError:
            return "lost: timeout"
        except (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError, BrokenPipeError):
            return "lost: connection reset" if self.server.alive else "server down"
        except ConnectionRefusedError:
            return "lost: no reply" if self.server.alive else "server down"
        except OSError as exc:
            return f"lost: {type(exc).__name__}"
        return classify(status, raw, isinstance(body, list))

    # -- faults ---------------------------------------------------------------------------------------------
    def mark(self, what: str) -> None:
        self.events.append((time.monotonic() - self.t0, what))

    def kill_restart(self) -> None:
        self.kills += 1
        self.mark("kill")
        self.node_down.set()
        if self.args.graceful_stops and self.kills % 2 == 0:
            try:
                Rpc(self.server.port).call("stop")
            except (RpcFailure, OSError, ValueError):
                pass
            assert self.node.proc is not None
            self.node.expected_exit = True
            try:
                code = self.node.proc.wait(60)
            except subprocess.TimeoutExpired:
                code = None
            if code != 0:
                self.crashes.append(f"node exit code {code} after a stop sent through the server")
        else:
            self.node.kill()
        time.sleep(self.rng.uniform(0.2, 2.0))
        self.node.start()
        self.node_down.clear()

    def reorg(self, rpc: Rpc, descriptor: str) -> None:
        try:
            height = int(rpc.call("getblockcount"))
            depth = self.rng.randint(1, 3)
            if height <= depth + 1:
                return
            old = rpc.call("getblockhash", height - depth + 1)
            self.mark("reorg")
            rpc.call("invalidateblock", old)
            if self.reorgs % 2 == 0:
                # a competing, longer branch on the fork point; reconsidering the old one leaves ours the tip.
                # Its coinbase pays a script of its own, so its blocks never equal the invalidated ones.
                branch = rpc.call("getdescriptorinfo", f"raw(6a04{self.rng.getrandbits(32):08x})")["descriptor"]
                rpc.call("generatetodescriptor", depth + 1, branch)
                rpc.call("reconsiderblock", old)
                if int(rpc.call("getblockcount")) != height + 1:
                    self.stats.hostile_failures.append("reorg: the longer branch did not stay the tip")
            else:
                rpc.call("reconsiderblock", old)
            self.reorgs += 1
        except (RpcFailure, OSError, ValueError) as exc:
            self.stats.add(f"reorg step failed: {exc}"[:80])

    def mine(self, rpc: Rpc, descriptor: str) -> None:
        try:
            rpc.call("generatetodescriptor", 1, descriptor)
        except (RpcFailure, OSError, ValueError):
            pass

    def hostile(self) -> None:
        self.hostile_rounds += 1
        self.mark("hostile")
        port = self.server.port
        failures = hostile_round(port, self.rng, self.node_down.is_set())
        self.stats.hostile_failures.extend(f"{time.strftime('%H:%M:%S')} {f}" for f in failures)

    # -- sampling ---------------------------------------------------------------------------------------------
    def sample(self) -> None:
        assert self.server.proc is not None
        srss, sfd = proc_figures(self.server.proc.pid)
        nrss, nfd = proc_figures(self.node.proc.pid) if self.node.proc and self.node.proc.poll() is None else (0, 0)
        with self.stats.lock:
            answered = self.stats.answered
            lost = sum(v for k, v in self.stats.kinds.items() if k.startswith("lost"))
        self.samples.append({"t": time.monotonic() - self.t0, "server_rss_kib": srss, "server_fds": sfd,
                             "node_rss_kib": nrss, "node_fds": nfd, "answered": answered, "lost": lost})

    # -- the run ----------------------------------------------------------------------------------------------
    def run(self) -> int:
        self.node.start()
        self.server.start()
        control = Rpc(self.server.port, timeout=120)
        self.wait_ready(control)
        descriptor = self.mining_descriptor(control)
        if descriptor is not None and int(control.call("getblockcount")) < 110:
            control.call("generatetodescriptor", 110, descriptor)
        self.t0 = time.monotonic()
        clients = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.args.clients)]
        for thread in clients:
            thread.start()
        duration = self.args.seconds if self.args.seconds else self.args.minutes * 60
        end = self.t0 + duration
        next_kill = self.t0 + self.args.kill_every if self.args.kill_every > 0 else float("inf")
        next_reorg = self.t0 + self.args.reorg_every / 2
        next_hostile = self.t0 + self.args.hostile_every / 3
        next_mine = self.t0 + 5
        next_sample = self.t0
        while (now := time.monotonic()) < end and not self.stop_event.is_set():
            if now >= next_sample:
                self.sample()
                next_sample += 1.0
                if len(self.samples) % 60 == 0:
                    last = self.samples[-1]
                    print(f"{last['t'] / 60:5.1f} min: {int(last['answered'])} answered, {int(last['lost'])} lost, "
                          f"{self.kills} kills, {self.reorgs} reorgs, {len(self.crashes)} crashes, server RSS "
                          f"{last['server_rss_kib'] / 1024:.0f} MiB, {int(last['server_fds'])} fds", flush=True)
            if not self.server.alive:
                assert self.server.proc is not None
                self.crashes.append(f"{time.strftime('%H:%M:%S')} server exited with {self.server.proc.returncode}")
                self.mark("server crash")
                self.server.start()  # keep soaking: every further crash is counted too
                self.server_restarts += 1
            code = self.node.died_unexpectedly()
            if code is not None:
                self.crashes.append(f"node died on its own with exit code {code}")
                self.mark("node crash")
                self.node.start()
            if now >= next_kill:
                self.kill_restart()
                next_kill = time.monotonic() + self.args.kill_every
            elif descriptor is not None and now >= next_reorg:
                self.reorg(control, descriptor)
                next_reorg = time.monotonic() + self.args.reorg_every
            elif now >= next_hostile:
                self.hostile()
                next_hostile = time.monotonic() + self.args.hostile_every
            elif descriptor is not None and now >= next_mine:
                self.mine(control, descriptor)
                next_mine = time.monotonic() + 5
            time.sleep(0.05)
        self.stop_event.set()
        for thread in clients:
            thread.join(REQUEST_TIMEOUT_S + 5)
        self.sample()
        control.close()
        server_code = self.server.stop()
        if server_code not in (0, None) and not self.crashes:
            self.crashes.append(f"server exit code {server_code} after SIGTERM")
        self.node.stop()
        return self.report(server_code)

    def report(self, server_code: int | None) -> int:
        out = Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        assertions = self.node.assertions()
        growth = growth_verdict(self.samples, self.args.max_rss_growth_mib, self.args.max_fd_growth)
        lost = {k: v for k, v in self.stats.kinds.items() if k.startswith("lost")}
        first = self.samples[0] if self.samples else {}
        last = self.samples[-1] if self.samples else {}
        duration = last.get("t", 0.0)
        summary = {
            "node": self.args.node_bin,
            "duration_s": round(duration, 1),
            "clients": self.args.clients,
            "requests_answered": self.stats.answered,
            "answered_per_s": round(self.stats.answered / duration, 1) if duration else 0,
            "outcomes": dict(self.stats.kinds.most_common()),
            "lost": lost,
            "lost_examples": self.stats.lost_examples,
            "node_kills": self.kills,
            "reorgs": self.reorgs,
            "hostile_rounds": self.hostile_rounds,
            "hostile_failures": self.stats.hostile_failures[:50],
            "crashes": self.crashes,
            "node_assertions": assertions[:10],
            "server_exit_code": server_code,
            "server_rss_mib": [round(first.get("server_rss_kib", 0) / 1024, 1),
                               round(max((s["server_rss_kib"] for s in self.samples), default=0) / 1024, 1),
                               round(last.get("server_rss_kib", 0) / 1024, 1)],
            "server_fds": [first.get("server_fds", 0), max((s["server_fds"] for s in self.samples), default=0),
                           last.get("server_fds", 0)],
            "growth": growth,
        }
        failed = bool(lost or self.crashes or assertions or self.stats.hostile_failures or growth["unbounded"])
        summary["verdict"] = "FAIL" if failed else "PASS"
        (out / "report.json").write_text(json.dumps({"summary": summary, "samples": self.samples,
                                                      "events": self.events}, indent=1))
        text = render_text(summary)
        (out / "report.txt").write_text(text)
        print(text)
        try:
            chart(self.samples, self.events, out / "soak.png")
        except ImportError:
            print("matplotlib is not installed (pip install '.[bench]'): no chart")
        return 1 if failed else 0


def classify(status: int, raw: bytes, batch: bool) -> str:
    """Name the outcome of one load request; anything not well formed per bitcoind's rules is `bad reply`."""
    try:
        reply = json.loads(raw)
    except ValueError:
        return f"bad reply: HTTP {status} not JSON"
    if batch:
        if status != 200 or not isinstance(reply, list):
            return f"bad reply: batch HTTP {status}"
        codes = sorted({item["error"]["code"] for item in reply if item.get("error")})
        return "ok" if not codes else f"error {codes[0]} (batch)"
    if not isinstance(reply, dict) or ("error" not in reply and "result" not in reply):
        return f"bad reply: HTTP {status}"
    error = reply.get("error")
    if not error:
        return "ok" if status == 200 else f"bad reply: ok with HTTP {status}"
    return f"error {error.get('code')}"


def hostile_round(port: int, rng: random.Random, node_down: bool) -> list[str]:
    """One burst of hostile input; returns what was answered differently from bitcoind."""
    failures: list[str] = []

    def expect(name: str, request: bytes, statuses: tuple[int, ...], body_has: bytes = b"") -> None:
        try:
            raw = exchange(port, request)
        except OSError as exc:
            failures.append(f"{name}: {exc!r}")
            return
        status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.") else -1
        if status not in statuses or body_has not in raw:
            failures.append(f"{name}: got {raw[:120]!r}")

    def post(body: bytes, auth: str = AUTH, extra: bytes = b"") -> bytes:
        return (b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth.encode() + b"\r\n" + extra
                + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    expect("parse error", post(b'{"method":'), (500,), b'"Parse error"')
    expect("nested 100000", post(b"[" * 100_000 + b"]" * 100_000), (500,), b'"Parse error"')
    expect("invalid utf-8", post(b'{"method":"getblockcount","id":"\xff\xfe"}'), (500,), b'"Parse error"')
    expect("header flood", b"POST / HTTP/1.1\r\n" + b"X-A: b\r\n" * 2000 + b"\r\n", (400,))
    expect("too large", b"POST / HTTP/1.1\r\nContent-Length: 33554433\r\n\r\n", (413,))
    expect("wrong password", post(b"{}", "Basic " + base64.b64encode(b"u:wrong").decode()), (401,))
    expect("no auth, 1 MiB body", b"POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n" + b"x" * 1048576, (401,))
    # parameters that abort a node if they reach Chain/Mining calls unchecked; -28 while the node is down
    killers: list[tuple[str, list[Any]]] = [
        ("getblockhash", [-1]), ("getblockhash", [2**31]), ("getblockhash", [10**9]),
        ("getblockhash", [2**63]), ("getblock", ["00" * 31, 0]), ("getblock", ["zz" * 32, 0]),
        ("getblock", ["00" * 33, 0]), ("getblock", ["ab" * 500_000, 0]), ("waitforblockheight", [-1, 1]),
        ("waitforblockheight", [2**31 - 1, 1]), ("waitfornewblock", [-5]), ("waitforblock", ["00" * 20, 1]),
        ("echoipc", ["x" * 1_000_000]),
    ]
    for method, params in killers:
        body = json.dumps({"method": method, "params": params, "id": 1}).encode()
        expect(f"{method}{params!r:.40}", post(body), (200, 400, 404, 500))
    # slowloris: 50 connections that never finish their headers, then a normal request must still be answered
    held = []
    try:
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(sock)
        started = time.monotonic()
        expect("served during slowloris", post(b'{"method":"getblockcount","id":1}'), (200, 500))
        if time.monotonic() - started > 5 and not node_down:
            failures.append(f"slowloris: a normal request took {time.monotonic() - started:.1f} s")
    finally:
        for sock in held:
            sock.close()
    rng.random()
    return failures


def exchange(port: int, request: bytes, timeout: float = REQUEST_TIMEOUT_S) -> bytes:
    """Send one request on a new connection and read one reply (head and Content-Length body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all (413)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body


def growth_verdict(samples: list[dict[str, float]], max_rss_mib: float, max_fds: int) -> dict[str, Any]:
    """Compare the median of the last fifth of the run with the fifth after warm-up (the first tenth)."""
    n = len(samples)
    if n < 10:
        return {"unbounded": False, "note": "too few samples to judge growth"}
    early = samples[n // 10 : n // 10 + max(2, n // 5)]
    late = samples[n - max(2, n // 5) :]
    rss_growth = (statistics.median(s["server_rss_kib"] for s in late)
                  - statistics.median(s["server_rss_kib"] for s in early)) / 1024
    fd_growth = statistics.median(s["server_fds"] for s in late) - statistics.median(s["server_fds"] for s in early)
    return {"rss_growth_mib": round(rss_growth, 1), "fd_growth": fd_growth,
            "unbounded": rss_growth > max_rss_mib or fd_growth > max_fds,
            "limits": {"rss_mib": max_rss_mib, "fds": max_fds}}


def render_text(s: dict[str, Any]) -> str:
    lines = [
        f"soak {s['verdict']}: {s['duration_s']} s against {s['node']} with {s['clients']} clients",
        f"requests answered: {s['requests_answered']} ({s['answered_per_s']}/s)",
        f"node kills: {s['node_kills']}, reorgs: {s['reorgs']}, hostile rounds: {s['hostile_rounds']}",
        "outcomes: " + ", ".join(f"{k}: {v}" for k, v in s["outcomes"].items()),
        f"lost requests: {sum(s['lost'].values())} {s['lost'] or ''}",
        f"crashes: {s['crashes'] or 'none'}; node assertions: {s['node_assertions'] or 'none'}",
        f"hostile input answered wrongly: {len(s['hostile_failures'])}",
        f"server RSS MiB start/peak/end: {s['server_rss_mib']}; fds start/peak/end: {s['server_fds']}",
        f"growth after warm-up: {s['growth']}",
    ]
    lines += [f"  {example}" for example in s["lost_examples"][:5]]
    lines += [f"  {failure}" for failure in s["hostile_failures"][:10]]
    return "\n".join(lines) + "\n"


def chart(samples: list[dict[str, float]], events: list[tuple[float, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t"] / 60 for s in samples]
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    axes[0].plot(t, [s["server_rss_kib"] / 1024 for s in samples], label="bitcoin-rpc-mp")
    axes[0].plot(t, [s["node_rss_kib"] / 1024 for s in samples], label="bitcoin-node", alpha=0.6)
    axes[0].set_ylabel("RSS (MiB)")
    axes[0].legend(loc="upper left")
    axes[1].plot(t, [s["server_fds"] for s in samples], label="bitcoin-rpc-mp fds")
    axes[1].set_ylabel("open fds")
    rate = [0.0] + [max(0.0, (b["answered"] - a["answered"]) / max(1e-9, b["t"] - a["t"]))
                    for a, b in itertools.pairwise(samples)]
    axes[2].plot(t, rate, label="answered/s")
    axes[2].set_ylabel("requests answered/s")
    axes[2].set_xlabel("minutes")
    colours = {"kill": "red", "reorg": "green", "hostile": "orange", "node crash": "black", "server crash": "purple"}
    for when, what in events:
        for ax in axes:
            ax.axvline(when / 60, color=colours.get(what, "grey"), alpha=0.25, linewidth=0.8)
    axes[0].set_title("soak: red = node SIGKILL/restart, green = reorg, orange = hostile burst")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--node-bin", required=True, help="path of bitcoin-node, or 'standin'")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=0.0, help="overrides --minutes")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=45.0, help="seconds between node SIGKILLs (0: never)")
    parser.add_argument("--reorg-every", type=float, default=20.0)
    parser.add_argument("--hostile-every", type=float, default=15.0)
    parser.add_argument("--graceful-stops", action="store_true", help="every other kill is a `stop` through us")
    parser.add_argument("--ipcnative", action="store_true", help="start the server with -ipcnative=1")
    parser.add_argument("--server-arg", action="append", default=[], help="extra server option (repeatable)")
    parser.add_argument("--max-rss-growth-mib", type=float, default=40.0)
    parser.add_argument("--max-fd-growth", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="", help="report directory (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the node and server datadirs")
    parser.add_argument("--workdir", default="", help="where the datadirs and logs go (default: a new /tmp dir; "
                        "the Unix socket path must stay under 108 bytes)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="soak-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    args.out = args.out or str(workdir / "report")
    harness = Harness(args, workdir)
    signal.signal(signal.SIGTERM, lambda *_: harness.stop_event.set())
    try:
        code = harness.run()
    finally:
        harness.stop_event.set()
        harness.server.stop()
        harness.node.stop()
        if not args.keep:
            for name in ("node", "rpc"):
                shutil.rmtree(workdir / name, ignore_errors=True)
    print(f"report: {args.out}")
    return code


if __name__ == "__main__":
    sys.exit(main())
