"""The command line of `bitcoin-rpc-mp`: parse, print help/version, turn ConfigError into `Error: …` and exit 1.

Owns the edge between the process and the configuration: the real file system for `build_settings`
(`settings_from_argv`), the `-help` text, and exit codes (0 after -help/-version, 1 on a configuration error,
otherwise whatever the `run` it is given returns). Nothing is bound or written before the settings are valid.
The console script is `bitcoin_rpc_mp.app:main`, which hands its `run` in: this module imports neither `app`
nor `http` nor `ipc` (the layering test sees every import, by name too).
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from bitcoin_rpc_mp import __version__

from .argv import OPTIONS, ConfigError, parse_argv
from .node_target import spawn_node
from .settings import Settings, build_settings

__all__ = ["help_text", "main", "settings_from_argv"]

PROGRAM = "bitcoin-rpc-mp"


class _RealFiles:
    """The file system as build_settings needs it."""

    def is_dir(self, path: Path) -> bool:
        return path.is_dir()

    def read_text(self, path: Path) -> str | None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        # bitcoind reads bytes; keep undecodable bytes round-trippable rather than failing
        return data.decode("utf-8", errors="surrogateescape")


def settings_from_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the words after the program name, reading bitcoin.conf from disk. Raises ConfigError."""
    return build_settings(
        argv, environ=os.environ if environ is None else environ, cwd=os.getcwd(), files=_RealFiles()
    )


def help_text() -> str:
    """The usage text: every option with what it does and its default."""
    lines = [
        f"{PROGRAM}: a bitcoind-compatible JSON-RPC server in front of bitcoin-node's IPC socket",
        "",
        "Usage:",
        f"  {PROGRAM} [options]",
        "",
        "Options are bitcoind's: -name=value, -name (same as -name=1), -noname (same as -name=0);",
        "--name is accepted as -name. Options also come from bitcoin.conf (see -conf).",
        "",
        "Options:",
        "",
    ]
    for spec in OPTIONS.values():
        if spec.hidden:
            continue
        if spec.name in ("socket", "address", "port"):
            head = f"  --{spec.name}, -{spec.name[0]} {spec.metavar}"
        elif spec.name == "?":
            head = "  -?, -h, -help"
        else:
            head = f"  -{spec.name}" + (f"={spec.metavar}" if spec.metavar else "")
        lines.append(head)
        lines.extend(
            textwrap.wrap(
                spec.help + ".",
                width=79,
                break_on_hyphens=False,
                break_long_words=False,
                initial_indent=" " * 7,
                subsequent_indent=" " * 7,
            )
        )
        lines.append("")
    return "\n".join(lines)


def main(
    run: Callable[[Settings], int | None],
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Parse `argv` (without the program name; default sys.argv[1:]) and hand valid settings to `run`.
    Returns the exit code (`run`'s result, 0 for None)."""
    words = list(sys.argv[1:] if argv is None else argv)
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        parsed = parse_argv(words, allow_unknown=spawn_node(words, os.environ) is not None)
        if parsed.help_requested:
            out.write(help_text() + "\n")
            return 0
        if parsed.version_requested:
            out.write(f"{PROGRAM} version v{__version__}\n")
            return 0
        settings = settings_from_argv(words)
    except ConfigError as exc:
        err.write(f"Error: {exc}\n")
        err.flush()
        return 1
    result = run(settings)
    return result if isinstance(result, int) else 0
