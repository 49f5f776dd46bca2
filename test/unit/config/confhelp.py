"""Helpers for the config tests: an in-memory file system for `build_settings`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from bitcoin_rpc_mp.config.settings import Settings, build_settings

HOME = "/home/satoshi"
CWD = "/work/cwd"


class FakeFiles:
    """Files and directories by absolute path; everything else does not exist."""

    def __init__(self, files: Mapping[str, str] | None = None, dirs: Sequence[str] = ()) -> None:
        self.files = {Path(k): v for k, v in (files or {}).items()}
        self.dirs = {Path(d) for d in dirs}
        self.read: list[Path] = []

    def is_dir(self, path: Path) -> bool:
        return path in self.dirs

    def read_text(self, path: Path) -> str | None:
        self.read.append(path)
        return self.files.get(path)


NODE_SOCKET = "/run/bitcoin/node.sock"


def build(
    *argv: str,
    conf: str | None = None,
    files: FakeFiles | None = None,
    home: str = HOME,
    node: str | None = NODE_SOCKET,
) -> Settings:
    """Settings for `argv`, with `conf` as the text of ~/.bitcoin/bitcoin.conf, serving the node at `node`
    (given first on the command line, so a later -ipcconnect wins); `node=None` for the demo (stand-in)."""
    if files is None:
        files = FakeFiles({f"{home}/.bitcoin/bitcoin.conf": conf} if conf is not None else {})
    words = [f"-ipcconnect={node}", *argv] if node is not None else list(argv)
    return build_settings(words, environ={"HOME": home}, cwd=CWD, files=files)
