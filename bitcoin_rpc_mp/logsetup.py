"""Logging as bitcoind does it: a log file in the net datadir and, with -printtoconsole, stdout.

Owns: `-debuglogfile` (default `<net datadir>/debug.log`, `-nodebuglogfile` for none), `-printtoconsole` (stdout,
bitcoind's default 1), `-logtimestamps`, `-shrinkdebugfile` (keep the last 10 MB of a file above 11 MB, as
bitcoind does at start-up), and reopening the file on SIGHUP (log rotation).

The file is shared: in spawn mode bitcoin-node writes the same `debug.log` (and the functional tests of Bitcoin
Core read RPC-server lines such as `ThreadRPCServer incorrect password attempt` there, where bitcoind writes
them). bitcoind opens it in append mode without a buffer, so each of its lines is one `write` at the end of the
file; we open it with `O_APPEND` and write every record, however many lines it has, with one `write` too, so
lines of the two processes never interleave inside a line. Our lines carry the tag `[rpc-mp]` so they can be
told from the node's. Spawn mode leaves shrinking to the node (it owns the file's start-up).

Must not import capnp, `http`, `ipc`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from .config.argv import DEBUG_CATEGORIES
from .config.log_options import LogSettings

__all__ = ["AppendFileHandler", "configure_logging", "shrink_log_file"]

RECENT_DEBUG_HISTORY_SIZE = 10 * 1_000_000  # bitcoind keeps this much of the file's end when shrinking
TAG = "rpc-mp"


class BitcoindFormatter(logging.Formatter):
    """`2026-12-04T14:00:00Z [rpc-mp] [warning] text`, bitcoind's layout (timestamps optional)."""

    def __init__(self, timestamps: bool, micros: bool = False) -> None:
        super().__init__()
        self._timestamps = timestamps
        self._micros = micros

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if self._timestamps:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            if self._micros:
                stamp += f".{int(record.created * 1_000_000) % 1_000_000:06d}"
            parts.append(stamp + "Z")
        parts.append(f"[{TAG}]")
        if record.levelno >= logging.ERROR:
            parts.append("[error]")
        elif record.levelno >= logging.WARNING:
            parts.append("[warning]")
        elif record.levelno <= logging.DEBUG:
            parts.append("[debug]")
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        parts.append(text)
        return " ".join(parts)


class AppendFileHandler(logging.Handler):
    """Appends each record to a file with one `write(2)` on an `O_APPEND` descriptor; `reopen()` for SIGHUP."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._fd = self._open()

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def reopen(self) -> None:
        """Open the file again by name (after a log rotation moved it)."""
        self.acquire()
        try:
            old = self._fd
            self._fd = self._open()
            os.close(old)
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self.acquire()
        try:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        finally:
            self.release()
        super().close()


class ConsoleHandler(logging.Handler):
    """-printtoconsole: whole records to stdout (file descriptor 1), one write each, as bitcoind prints there."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "backslashreplace")
            while data:
                data = data[os.write(sys.stdout.fileno(), data) :]
        except Exception:
            self.handleError(record)


def shrink_log_file(path: Path, keep: int = RECENT_DEBUG_HISTORY_SIZE) -> bool:
    """bitcoind's ShrinkDebugFile: a file more than 10% above `keep` bytes is cut to its last `keep` bytes."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size <= keep * 11 // 10:
        return False
    with open(path, "rb") as handle:
        handle.seek(-keep, os.SEEK_END)
        tail = handle.read()
    with open(path, "wb") as handle:
        handle.write(tail)
    return True


def configure_logging(options: LogSettings) -> AppendFileHandler | None:
    """Install the handlers the logging options ask for; returns the file handler (for SIGHUP), if any.

    Raises OSError when the log file cannot be opened (the caller reports it as bitcoind does)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    # INFO and above everywhere; DEBUG for the loggers of each -debug category that is enabled
    root.setLevel(logging.INFO)
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    for category, loggers in DEBUG_CATEGORIES.items():
        category_level = logging.DEBUG if options.debug_enabled(category) else logging.NOTSET
        for name in loggers:
            logging.getLogger(name).setLevel(category_level)
    formatter = BitcoindFormatter(options.logtimestamps, options.logtimemicros)
    file_handler = None
    if options.debuglogfile is not None:
        options.debuglogfile.parent.mkdir(parents=True, exist_ok=True)
        if options.shrinkdebugfile:
            shrink_log_file(options.debuglogfile)
        file_handler = AppendFileHandler(options.debuglogfile)
        file_handler.setFormatter(formatter)
        root.addHandler(file_handler)
    if options.printtoconsole:
        console = ConsoleHandler()
        console.setFormatter(formatter)
        root.addHandler(console)
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    return file_handler
