"""Helpers shared by the IPC client tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bitcoin_rpc_mp.standin.node import StandinNode

REPO_ROOT = Path(__file__).resolve().parents[3]
NODE_BLOCKS = 12


def can_connect(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
        except OSError:
            return False
        return True


async def wait_for_socket(path: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not can_connect(path):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before listening on {path}")
        if loop.time() > deadline:
            raise TimeoutError(f"nothing listens on {path} after {timeout_s} s")
        await asyncio.sleep(0.02)


def spawn(
    args: list[str], env: dict[str, str] | None = None, stdout: Any = None, stderr: Any = None
) -> subprocess.Popen[bytes]:
    """Start a child process (sync on purpose: Popen returns at once)."""
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env)


def has_line(path: Path, prefix: str) -> bool:
    return path.exists() and any(line.startswith(prefix) for line in path.read_text().splitlines())


async def wait_for_line(path: Path, prefix: str, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        if has_line(path, prefix):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before printing {prefix!r}")
        if loop.time() > deadline:
            raise TimeoutError(f"no {prefix!r} line from {proc.args!r} after {timeout_s} s")
        await asyncio.sleep(0.02)


@dataclass
class NodeUnderTest:
    """What the `node` fixture gives: the socket, and the stand-in object when it is one (None: real node)."""

    socket_path: str
    standin: StandinNode | None
    blocks: int = NODE_BLOCKS  # blocks mined on top of genesis before the test

    @property
    def is_real(self) -> bool:
        return self.standin is None


class StandinProcess:
    """`python -m bitcoin_rpc_mp.standin` as a child process that can be killed and started again."""

    def __init__(self, path: str, *, variant: str = "pr29409", blocks: int = NODE_BLOCKS) -> None:
        self.path = path
        self.variant = variant
        self.blocks = blocks
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.stderr_path: Path | None = None

    def diagnostics(self) -> str:
        """Exit status and stderr of the last run, for assertion messages."""
        rc = None if self.proc is None else self.proc.poll()
        err = (
            self.stderr_path.read_text(errors="replace")
            if self.stderr_path and self.stderr_path.exists()
            else ""
        )
        return f"stand-in exit status {rc}; stderr:\n{err}"

    async def start(self) -> None:
        """Start it and wait for its `Listening for IPC requests` line.

        Not by probing the socket: a connection that closes without a word crashes a pycapnp server running on
        uvloop (SIGSEGV), and the stand-in is one.
        """
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self.starts += 1
        out = Path(self.path).with_name(f"standin-{self.starts}.out")
        self.stderr_path = out.with_suffix(".err")
        with out.open("wb") as sink, self.stderr_path.open("wb") as errors:
            self.proc = spawn(
                [
                    sys.executable,
                    "-X",
                    "faulthandler",
                    "-m",
                    "bitcoin_rpc_mp.standin",
                    "--socket",
                    self.path,
                    "--blocks",
                    str(self.blocks),
                    "--variant",
                    self.variant,
                ],
                env,
                stdout=sink,
                stderr=errors,
            )
        await wait_for_line(out, "Listening for IPC requests on address unix:", 20.0, self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
