"""Process handles: the backend node (the stand-in, or a real ``bitcoin-node`` when ``BITCOIN_NODE`` is set)
and our server (``bitcoin-rpc-mp``) in front of it.

Owns the one way every test (this framework, ``test/e2e/harness.py``, ``test/unit/ipc/conftest.py``) starts,
waits for, stops and reads the output of each process: ``ManagedProcess`` (spawn with the output kept in files,
``wait_for``/``wait_while_alive``, ``stop``/``stop_process``/``kill``, ``output``/``tails``), the commands ``real_node_command``
(a real node with its own HTTP port, user u / password p), ``standin_command``, ``server_command`` with
``server_args``, and ``wait_rpc_ready`` (-28 and refused connections waited out). On top of it:
``BackendNode`` (start/stop/kill/restart on one Unix socket, readiness by the ``Listening for IPC requests`` line
or the socket file) and ``RpcServer`` (bitcoind-style command line, readiness when the port answers and the node
is connected, ``-28`` waited out; cookie helpers; ``/proc`` figures); the e2e harness's ``Standin``, ``Server``
and ``RealNode`` are thin subclasses of ``ManagedProcess``. For a real node ``BackendNode.start`` also waits for
the chainstate and mines ``blocks`` through the node's own port; ``ensure_wallet`` creates a wallet there. Never
imports ``bitcoin_rpc_mp``: the server is driven through its command line only."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from signal import SIGTERM

from test_framework.authproxy import AuthServiceProxy, JSONRPCException
from test_framework.rawhttp import RawHttpConnection, RawResponse, build_request
from test_framework.util import ROOT, get_free_port, port_answers

LISTENING_LINE = "Listening for IPC requests on address unix:"
# Output script OP_TRUE (anyone can spend): blocks mined to it need no wallet, and mining into a wallet costs a
# wallet write per block.
OP_TRUE_DESCRIPTOR = "raw(51)"


def real_node_binary() -> str | None:
    """The real ``bitcoin-node`` the tests run against (``$BITCOIN_NODE``), or None for the stand-in."""
    return os.environ.get("BITCOIN_NODE") or None


def real_node_command(binary: str, datadir: Path, socket_path: Path, rpcport: int) -> list[str]:
    """How every test starts a real node: regtest, IPC on ``socket_path``, no P2P, its own HTTP port with
    user u / password p (the baseline our answers are compared with, and the way state is created).

    ``-unsafesqlitesync`` keeps wallet writes from syncing to disk (210 blocks mined into a wallet take 20 s
    with syncing on this machine, 0.3 s without); ``-fallbackfee`` lets the wallet send on an empty mempool.
    """
    return [binary, "-regtest", f"-datadir={datadir}", f"-ipcbind=unix:{socket_path}", "-listen=0",
            "-server=1", f"-rpcport={rpcport}", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1", "-rpcuser=u",
            "-rpcpassword=p", "-printtoconsole=0", "-unsafesqlitesync", "-fallbackfee=0.0001"]


def standin_command(socket_path: Path, blocks: int, variant: str | None = None) -> list[str]:
    """How every test starts the stand-in as a process (its options follow; see ``python -m
    bitcoin_rpc_mp.standin -h``)."""
    argv = [sys.executable, "-m", "bitcoin_rpc_mp.standin", "--socket", str(socket_path), "--blocks", str(blocks)]
    return argv + (["--variant", variant] if variant else [])


def wait_while_alive(ready: Callable[[], object], timeout: float, alive: Callable[[], bool], *,
                     exited: Callable[[], Exception], timed_out: Callable[[], Exception], interval: float) -> None:
    """The one polling loop every start in the tests waits in: return once ``ready()`` is true; raise ``exited()``
    as soon as ``alive()`` is false and ``timed_out()`` once ``timeout`` seconds have passed; poll every
    ``interval`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise exited()
        if ready():
            return
        if time.monotonic() > deadline:
            raise timed_out()
        time.sleep(interval)


def wait_rpc_ready(make_proxy: Callable[[], AuthServiceProxy], timeout: float, alive: Callable[[], bool],
                   what: str) -> None:
    """Poll ``getblockcount`` until it answers: -28 (warming up) and refused connections mean "not yet"."""
    last_error = ""

    def answers() -> bool:
        nonlocal last_error
        try:
            proxy = make_proxy()
            try:
                proxy.getblockcount()
            finally:
                proxy.close()
            return True
        except JSONRPCException as exc:
            if exc.error.get("code") != -28:
                raise
            last_error = str(exc)
        except (OSError, FileNotFoundError) as exc:
            last_error = repr(exc)
        return False

    wait_while_alive(answers, timeout, alive, interval=0.05,
                     exited=lambda: AssertionError(f"{what} exited while waiting for its RPC ({last_error})"),
                     timed_out=lambda: AssertionError(f"{what} never ready ({last_error}) after {timeout:.0f} s"))


def extra_server_args() -> list[str]:
    """`RPCMP_E2E_SERVER_ARGS="-rpccachesize=16 ..."` gives every server a test starts these options too (e.g. the
    differential tests with the answer cache on)."""
    return shlex.split(os.environ.get("RPCMP_E2E_SERVER_ARGS", ""))


def server_command() -> list[str]:
    """The server's command: ``$BITCOIN_RPC_MP``, else the venv's console script, else ``python -m``."""
    override = os.environ.get("BITCOIN_RPC_MP")
    if override:
        return [override]
    script = Path(sys.executable).parent / "bitcoin-rpc-mp"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bitcoin_rpc_mp"]


def read_text(path: Path) -> str:
    """A log file's text ("" while it does not exist)."""
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def debug_log(datadir: Path) -> Path:
    """A real regtest node's ``debug.log`` in ``datadir``."""
    return datadir / "regtest" / "debug.log"


def stop_process(process: subprocess.Popen[bytes], sig: int = SIGTERM, timeout: float = 15.0, *,
                 on_kill: Callable[[], None] | None = None) -> int:
    """Send ``sig`` unless the process has exited, wait ``timeout`` seconds, then SIGKILL (``on_kill()`` first)
    and reap; returns the exit code. How every process a test started is stopped."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            if on_kill is not None:
                on_kill()
            process.kill()
            process.wait()
    return process.returncode


def server_args(datadir: Path, socket_path: Path, port: int) -> list[str]:
    """The options every test starts our server with: regtest, its datadir, the node's socket, its port."""
    return ["-regtest", f"-datadir={datadir}", f"-ipcconnect=unix:{socket_path}", f"-rpcport={port}"]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class ManagedProcess:
    """A child process, the one way the tests start, wait for, stop and read the output of each process.

    Output, by default: ``<logdir>/<name>.stdout`` and ``.stderr``, appended across restarts, each run after a
    start marker naming its command line. With ``combined_log``: both streams in that one file, rewritten at each
    start, no marker (``test/e2e/harness.py``, whose tests read and sometimes write that file themselves). With
    ``discard_output``: nothing kept (the e2e harness's real node, which logs to its ``debug.log``).
    ``inherit_env``: the child gets this process's environment and stdin unchanged (the e2e harness's children);
    by default ``PYTHONPATH`` names the checkout, ``PYTHONUNBUFFERED`` is set and stdin is ``/dev/null``.
    ``cwd``: the child's working directory (None: this process's).
    """

    stop_timeout = 15.0  # seconds from the stop signal to SIGKILL

    def __init__(self, name: str, logdir: Path, log: logging.Logger | None = None, *,
                 combined_log: Path | None = None, discard_output: bool = False, inherit_env: bool = False,
                 cwd: Path | None = ROOT) -> None:
        self.name = name
        self.logdir = logdir
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.combined_log = combined_log
        self.discard_output = discard_output
        self.inherit_env = inherit_env
        self.cwd = cwd
        self.stdout_path = combined_log or logdir / f"{name}.stdout"
        self.stderr_path = combined_log or logdir / f"{name}.stderr"
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} not started"
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _spawn(self, argv: list[str]) -> None:
        assert not self.running, f"{self.name} already running"
        self.starts += 1
        env = None if self.inherit_env else _child_env()
        stdin = None if self.inherit_env else subprocess.DEVNULL
        cwd = None if self.cwd is None else str(self.cwd)
        if self.discard_output:
            self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            stdin=stdin, env=env, cwd=cwd)
        elif self.combined_log is not None:
            with open(self.combined_log, "wb") as out:
                self.process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=stdin, env=env,
                                                cwd=cwd)
        else:
            marker = f"\n=== {self.name} start #{self.starts}: {' '.join(argv)} ===\n".encode()
            with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
                out.write(marker)
                err.write(marker)
                out.flush()
                err.flush()
                self.process = subprocess.Popen(argv, stdout=out, stderr=err, stdin=stdin, env=env, cwd=cwd)
        if self.log is not None:
            self.log.debug("started %s pid %d: %s", self.name, self.process.pid, " ".join(argv))

    def wait_for(self, ready: Callable[[], object], timeout: float, *, exited: Callable[[], Exception],
                 timed_out: Callable[[], Exception], interval: float) -> None:
        """``wait_while_alive`` on this process: ``exited()`` is raised as soon as it has exited."""
        wait_while_alive(ready, timeout, lambda: self.running, exited=exited, timed_out=timed_out,
                         interval=interval)

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL and reap."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, sig: int = SIGTERM, *, timeout: float | None = None) -> int | None:
        """Send ``sig`` and wait (SIGKILL after ``timeout``, default ``stop_timeout``); returns the exit code."""
        if self.process is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        log = self.log

        def killing() -> None:
            if log is not None:
                log.warning("%s did not exit within %.0f s of %s: killing it", self.name, timeout,
                            signal.Signals(sig).name)

        return stop_process(self.process, sig, timeout, on_kill=killing)

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def _output_paths(self) -> list[Path]:
        if self.discard_output:
            return []
        return [self.stdout_path] if self.stdout_path == self.stderr_path else [self.stdout_path, self.stderr_path]

    def output(self) -> str:
        """Everything this process (all its runs, or its latest with ``combined_log``) wrote to stdout and
        stderr."""
        return "".join(read_text(path) for path in self._output_paths())

    def last_run_output(self) -> str:
        """stdout + stderr of the latest run only."""
        marker = f"=== {self.name} start #{self.starts}:"
        parts = []
        for path in self._output_paths():
            text = read_text(path)
            index = text.rfind(marker)
            parts.append(text[index:] if index >= 0 else text)
        return "\n".join(parts)

    def tails(self, lines: int = 40) -> str:
        chunks = []
        for path in (*self._output_paths(), *self.extra_logs()):
            text = read_text(path)
            if text.strip():
                # Start markers of earlier runs only crowd out the output: keep the latest one.
                all_lines = [line for line in text.split("\n") if line.strip()]
                last_marker = max((i for i, line in enumerate(all_lines) if line.startswith("=== ")), default=-1)
                kept = [line for i, line in enumerate(all_lines) if i == last_marker or not line.startswith("=== ")]
                tail = "\n".join(kept[-lines:])
                chunks.append(f"----- {path} (last {lines} lines) -----\n{tail}")
        return "\n".join(chunks) if chunks else f"----- {self.name}: no output -----"

    def extra_logs(self) -> list[Path]:
        return []

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def thread_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/task"))

    def rss_kib(self) -> int:
        """Resident memory of the process (VmRSS), in KiB."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError(f"no VmRSS for pid {self.pid}")


class BackendNode(ManagedProcess):
    """The node behind our server: the stand-in by default, a real ``bitcoin-node`` if ``BITCOIN_NODE`` is set."""

    def __init__(self, workdir: Path, log: logging.Logger, *, blocks: int = 0, variant: str | None = None,
                 extra_args: list[str] | None = None) -> None:
        super().__init__("node", workdir, log)
        self.workdir = workdir
        self.socket_path = workdir / "node.sock"
        self.datadir = workdir / "node"
        self.blocks = blocks
        self.variant = variant
        self.extra_args = list(extra_args or [])
        self.binary = real_node_binary()
        self.ready_at: float | None = None
        # A real node also serves its own HTTP port (user u, password p): the framework creates state through
        # it (blocks, wallets) before our server connects, and tests compare our answers with it.
        self.rpcport = get_free_port()

    @property
    def is_standin(self) -> bool:
        return self.binary is None

    def command(self, extra_args: list[str]) -> list[str]:
        if self.binary is None:
            return standin_command(self.socket_path, self.blocks, self.variant) + extra_args
        self.datadir.mkdir(parents=True, exist_ok=True)
        return real_node_command(self.binary, self.datadir, self.socket_path, self.rpcport) + extra_args

    def start(self, extra_args: list[str] | None = None, *, wait: bool = True, timeout: float = 60.0) -> None:
        """Start the node; a stale socket file left by a killed node is removed first (as a supervisor would)."""
        if extra_args is not None:
            self.extra_args = list(extra_args)
        args = self.extra_args if self.is_standin else _without_standin_options(self.extra_args)
        try:
            self.socket_path.unlink()
        except FileNotFoundError:
            pass
        self.ready_at = None
        self._spawn(self.command(args))
        if wait:
            self.wait_ready(timeout)
            self.wait_loaded(timeout)
            self.mine_to(self.blocks)

    def wait_loaded(self, timeout: float = 60.0) -> None:
        """A real node opens its IPC socket before its chainstate is loaded: wait until its own port stops
        answering -28 (the stand-in has loaded when its socket appears)."""
        if self.binary is None:
            return
        wait_rpc_ready(self.direct_proxy, timeout, lambda: self.running, "bitcoin-node")

    def direct_proxy(self, wallet: str | None = None, timeout: float = 60.0) -> AuthServiceProxy:
        """A client of the real node's own HTTP port (``/wallet/<name>`` with ``wallet``)."""
        assert self.binary is not None, "the stand-in has no HTTP port of its own"
        path = "/" if wallet is None else f"/wallet/{wallet}"
        return AuthServiceProxy(f"http://u:p@127.0.0.1:{self.rpcport}{path}", timeout=timeout)

    def mine_to(self, height: int) -> None:
        """Mine up to ``height`` (a real node starts at genesis; the stand-in was started with its blocks)."""
        if self.binary is None:
            return
        proxy = self.direct_proxy()
        current = proxy.getblockcount()
        if current < height:
            proxy.generatetodescriptor(height - current, OP_TRUE_DESCRIPTOR)
        proxy.close()

    def ensure_wallet(self, name: str = "w") -> None:
        """Wallet ``name`` exists and is loaded: the stand-in has one built-in wallet ``w``; a real node gets
        it created (or loaded) through its own port."""
        if self.binary is None:
            assert name == "w", "the stand-in has only wallet w"
            return
        proxy = self.direct_proxy()
        if name in proxy.listwallets():
            return
        try:
            proxy.createwallet(name)
        except JSONRPCException as exc:
            if exc.error.get("code") != -4:  # it exists on disk: load it
                raise
            proxy.loadwallet(name)

    def is_ready(self) -> bool:
        if self.socket_path.exists() or LISTENING_LINE in self.last_run_output():
            if self.ready_at is None:
                self.ready_at = time.monotonic()
            return True
        return False

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Wait for the listening line or the socket file; returns the monotonic time it was seen."""
        self.wait_for(self.is_ready, timeout, interval=0.005,
                      exited=lambda: AssertionError(f"node exited with code {self.returncode()} before listening"),
                      timed_out=lambda: AssertionError(f"node not listening on {self.socket_path} after "
                                                       f"{timeout:.0f} s"))
        assert self.ready_at is not None
        return self.ready_at

    def extra_logs(self) -> list[Path]:
        return [debug_log(self.datadir)] if self.binary else []


def _without_standin_options(args: list[str]) -> list[str]:
    """Drop the stand-in's ``--name [value]`` options (e.g. ``--delay-ms 150``); keep bitcoind-style ``-name``."""
    kept: list[str] = []
    skip_value = False
    for arg in args:
        if skip_value:
            skip_value = False
            if not arg.startswith("-"):
                continue
        if arg.startswith("--"):
            skip_value = "=" not in arg
            continue
        kept.append(arg)
    return kept


class RpcServer(ManagedProcess):
    """Our server, started with bitcoind-style options against ``socket_path``."""

    def __init__(self, workdir: Path, log: logging.Logger, *, socket_path: Path, name: str = "server") -> None:
        super().__init__(name, workdir, log)
        self.socket_path = socket_path
        self.datadir = workdir / "rpc"
        self.datadir.mkdir(parents=True, exist_ok=True)
        self.port = get_free_port()
        self.host = "127.0.0.1"
        self.args: list[str] = []
        self.credentials: tuple[str, str] | None = ("u", "p")

    @property
    def chain_dir(self) -> Path:
        return self.datadir / "regtest"

    @property
    def cookie_path(self) -> Path:
        return self.chain_dir / ".cookie"

    def base_args(self) -> list[str]:
        return [*server_args(self.datadir, self.socket_path, self.port), "-rpcbind=127.0.0.1",
                "-rpcallowip=127.0.0.1"]

    def start(self, extra_args: list[str] | None = None, *, userpass: tuple[str, str] | None = ("u", "p"),
              credentials: tuple[str, str] | None = None, wait: bool = True, wait_for_node: bool = True,
              timeout: float = 60.0) -> None:
        """Start the server.

        ``userpass`` adds ``-rpcuser/-rpcpassword`` (None: the scenario supplies its own auth options).
        ``credentials`` are what the framework's own proxy uses (default: ``userpass``; if both are None, the
        cookie file).
        ``wait``: until the port answers; ``wait_for_node``: also until a call no longer gets -28.
        """
        self.args = list(extra_args or [])
        argv = [*server_command(), *self.base_args(), *extra_server_args()]
        if userpass is not None:
            argv += [f"-rpcuser={userpass[0]}", f"-rpcpassword={userpass[1]}"]
        argv += self.args
        self.credentials = credentials if credentials is not None else userpass
        self._spawn(argv)
        if wait:
            self.wait_for_port(timeout)
            if wait_for_node:
                self.wait_for_rpc(timeout)

    def wait_for_port(self, timeout: float = 60.0) -> None:
        self.wait_for(lambda: port_answers(self.host, self.port), timeout, interval=0.02,
                      exited=lambda: AssertionError(f"server exited with code {self.returncode()} before serving"),
                      timed_out=lambda: AssertionError(f"server port {self.port} not answering after "
                                                       f"{timeout:.0f} s"))

    def auth(self) -> tuple[str, str]:
        if self.credentials is not None:
            return self.credentials
        return self.read_cookie()

    def read_cookie(self) -> tuple[str, str]:
        user, _, password = self.cookie_path.read_text().partition(":")
        return user, password

    def wait_for_rpc(self, timeout: float = 60.0) -> None:
        """Wait until ``getblockcount`` answers (not -28, not a refused connection), as bitcoind tests do."""

        def proxy() -> AuthServiceProxy:
            if self.credentials is None and not self.cookie_path.exists():
                raise FileNotFoundError(self.cookie_path)
            return self.proxy(timeout=5)

        wait_rpc_ready(proxy, timeout, lambda: self.running, "server")

    def url(self, user: str | None = None, password: str | None = None, path: str = "/") -> str:
        from urllib.parse import quote

        if user is None or password is None:
            user, password = self.auth()
        return f"http://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{self.port}{path}"

    def proxy(self, user: str | None = None, password: str | None = None, *, path: str = "/",
              timeout: float = 30.0, jsonrpc_version: str = "2.0") -> AuthServiceProxy:
        return AuthServiceProxy(self.url(user, password, path), timeout=timeout, jsonrpc_version=jsonrpc_version)

    def raw(self, timeout: float = 10.0) -> RawHttpConnection:
        return RawHttpConnection(self.host, self.port, timeout)

    def post(self, body: bytes | str, *, auth: tuple[str, str] | str | bool | None = True, path: str = "/",
             version: str = "HTTP/1.1", headers: list[tuple[str, str]] | None = None,
             method: str = "POST", timeout: float = 30.0) -> RawResponse:
        """One request on a fresh connection (``auth=True``: the framework's credentials); returns the reply."""
        credentials = self.auth() if auth is True else (None if auth is False else auth)
        with self.raw(timeout) as conn:
            conn.send(build_request(method, path, body, version=version, auth=credentials, headers=headers))
            return conn.read_response()

    def assert_start_raises_init_error(self, extra_args: list[str], expected_msg: str, *,
                                       userpass: tuple[str, str] | None = ("u", "p"), timeout: float = 30.0) -> None:
        """Start with ``extra_args`` and check the server exits non-zero with ``expected_msg`` in its output."""
        self.start(extra_args, userpass=userpass, wait=False)
        assert self.process is not None
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"server did not fail to start with {extra_args}") from None
        output = self.last_run_output()
        if code == 0:
            raise AssertionError(f"server exited 0 with {extra_args}, expected an init error\n{output}")
        if expected_msg not in output:
            raise AssertionError(f"expected {expected_msg!r} in the server's output, got:\n{output}")

    def extra_logs(self) -> list[Path]:
        return [self.chain_dir / "debug.log"]

