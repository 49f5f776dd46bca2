"""The RPC auth cookie file: the one module that writes or removes it.

Owns compat spec §3 "Cookie" as bitcoind's GenerateAuthCookie/DeleteAuthCookie do it, made safer:
- secret: 32 random bytes as 64 lowercase hex chars; content exactly `__cookie__:<hex>`, no newline;
- written to `<path>.tmp`, created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) with the final mode from the start
  (owner 0600 by default, group 0640, all 0644: -rpccookieperms), fsync'd, then renamed over `<path>`;
- the secret can be drawn (`new_password()`) before the file is written, so the app binds its ports first and
  never writes a cookie it then has to take back;
- `remove()` deletes the file only if this object wrote it and it is still the same file (inode) holding what we
  wrote (so a cookie that bitcoind or another instance wrote since is left alone).

The modes of -rpccookieperms are the configuration's (`config.auth_options.COOKIE_PERMS`). Must not import `http`,
`jsonrpc`, `ipc`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from ..config.auth_options import DEFAULT_COOKIE_MODE
from .credentials import COOKIE_USER

__all__ = ["AuthCookie"]


class AuthCookie:
    """One cookie file. `write()` once at startup, `remove()` at shutdown (before the reply to `stop`)."""

    def __init__(self, path: str | os.PathLike[str], mode: int = DEFAULT_COOKIE_MODE) -> None:
        self.path = Path(path)
        self.mode = mode
        self.password: str | None = None  # the secret, once drawn
        self._written: tuple[int, int] | None = None  # (st_dev, st_ino) of the file we wrote

    @property
    def content(self) -> str | None:
        return None if self.password is None else f"{COOKIE_USER}:{self.password}"

    def new_password(self) -> str:
        """Draw the secret `write()` will store (once; later calls return the same)."""
        if self.password is None:
            self.password = secrets.token_bytes(32).hex()
        return self.password

    def write(self) -> str:
        """Create the cookie; returns the secret (the password of user `__cookie__`). Raises OSError."""
        password = self.new_password()
        data = f"{COOKIE_USER}:{password}".encode("ascii")
        tmp = self.path.with_name(self.path.name + ".tmp")
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = self._create_exclusive(tmp)
        try:
            os.fchmod(fd, self.mode)  # the umask may have taken bits away from the mode given to open()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        written = os.fstat(fd)
        os.close(fd)
        try:
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._written = (written.st_dev, written.st_ino)
        return password

    def _create_exclusive(self, tmp: Path) -> int:
        flags = (
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        )
        try:
            return os.open(tmp, flags, self.mode)
        except FileExistsError:
            # left behind by a process that died between open and rename: take the name over
            tmp.unlink()
            return os.open(tmp, flags, self.mode)

    def remove(self) -> bool:
        """Delete the cookie if we wrote it and it is unchanged; True when it was deleted."""
        expected = self.content
        if expected is None or self._written is None:
            return False
        try:
            with open(self.path, "rb") as handle:
                found = os.fstat(handle.fileno())
                current = handle.read(len(expected) + 1)
        except OSError:
            return False
        if (found.st_dev, found.st_ino) != self._written or current != expected.encode("ascii"):
            return False
        try:
            self.path.unlink()
        except OSError:
            return False
        self.password = None
        self._written = None
        return True
