"""One server per datadir: bitcoind's directory lock, and the claim this server makes on its net datadir.

bitcoind takes an exclusive POSIX record lock (`fcntl(F_SETLK, F_WRLCK)` over the whole file) on `<net datadir>/.lock`
before anything else and exits 1 with `Error: Cannot obtain a lock on directory <dir>. Bitcoin Core is probably
already running.` when another process holds it. We take the same lock on the same file, so a bitcoind (or
bitcoin-node) and this server exclude each other in both directions, and two of our servers exclude each other.

One deployment shares the datadir on purpose: `bitcoin-node -ipcbind=unix` and `bitcoin-rpc-mp -ipcconnect=unix`
with the same -datadir (the socket is `<net datadir>/node.sock`), and the spawn mode, where this server starts the
node as its child. The node holds `.lock` there. `claim_datadir` allows exactly that case, recognising the node by
the process at the other end of the IPC socket (SO_PEERCRED) or by the pid of the child we spawned, and then takes
`<net datadir>/.rpc.lock` instead, so two servers still exclude each other. A node that holds `.lock` and writes a
cookie itself (`-server=1`) is refused: both of us would write `.cookie`.

POSIX record locks belong to the process and are released when *any* descriptor of the file is closed by it, so the
lock files are opened here only, once, and kept open until `release()` (or exit; the kernel drops the lock of a
killed process, so a stale `.lock` file never blocks a restart). The locks this process holds are kept in a
registry (as bitcoind's `dir_locks`): `lock_holder`/`probe_directory` answer for them without opening the file.

Public API (used by `app` and by the spawn mode):

    lock_directory(directory, name=".lock") -> DirectoryLock     # raises DatadirLocked / DatadirNotWritable
    probe_directory(directory, name=".lock") -> None             # the same checks, lock released at once
    lock_holder(directory, name=".lock") -> int | None            # pid holding it (F_GETLK), None if free
    socket_peer_pid(path) -> int | None                           # pid of the process listening on a Unix socket
    claim_datadir(net_datadir, *, node_pid=None, node_socket=None, cookie_path=None) -> DatadirClaim

Must not import `http`, `jsonrpc`, `ipc`, `handlers`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CLIENT_NAME",
    "NODE_LOCK",
    "SERVER_LOCK",
    "DatadirClaim",
    "DatadirError",
    "DatadirLocked",
    "DatadirNotWritable",
    "DirectoryLock",
    "claim_datadir",
    "lock_directory",
    "lock_holder",
    "probe_directory",
    "socket_peer_pid",
]

CLIENT_NAME = "Bitcoin Core"  # bitcoind's message names the product whose lock this is; tests match it
NODE_LOCK = ".lock"  # bitcoind's and bitcoin-node's
SERVER_LOCK = ".rpc.lock"  # ours, taken when the node we serve holds NODE_LOCK
NODE_SOCKET_WAIT_S = 5.0  # a node takes .lock a moment before it listens on its IPC socket


class DatadirError(Exception):
    """The datadir cannot be claimed; str() is the `Error: ` line bitcoind would print (without `Error: `)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail  # what we found out and what to do, for a second log line

    def __str__(self) -> str:
        return self.message


class DatadirNotWritable(DatadirError):
    """bitcoind's LockResult::ErrorWrite."""


class DatadirLocked(DatadirError):
    """bitcoind's LockResult::ErrorLock; `holder` is the pid holding the lock when the kernel told us."""

    def __init__(self, message: str, detail: str = "", holder: int | None = None) -> None:
        super().__init__(message, detail)
        self.holder = holder


def _locked_message(directory: Path) -> str:
    return f"Cannot obtain a lock on directory {directory}. {CLIENT_NAME} is probably already running."


def _not_writable_message(directory: Path) -> str:
    return f"Cannot write to directory '{directory}'; check permissions."


def process_name(pid: int) -> str:
    """`bitcoin-node`, `python3.11`, … for messages; "" when unknown."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _describe(pid: int | None) -> str:
    if pid is None:
        return "another process"
    name = process_name(pid)
    return f"process {pid} ({name})" if name else f"process {pid}"


_HELD: dict[Path, DirectoryLock] = {}  # the locks this process holds, by absolute lock-file path


class DirectoryLock:
    """An exclusive fcntl lock on `<directory>/<name>`, held until `release()` or process exit."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd
        _HELD[path] = self

    @property
    def held(self) -> bool:
        return self._fd is not None

    def write_note(self, text: str) -> None:
        """Replace the lock file's content (through the locked descriptor: closing another one would drop the
        lock). Used to remember which cookie this server wrote."""
        if self._fd is None:
            raise ValueError("lock released")
        data = text.encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def read_note(self) -> str:
        if self._fd is None:
            raise ValueError("lock released")
        return os.pread(self._fd, 4096, 0).decode(errors="replace")

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _HELD.pop(self.path, None)
            os.close(fd)  # closing drops the record lock; the file stays, as bitcoind leaves it

    def __enter__(self) -> DirectoryLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_lock_file(directory: Path, name: str) -> int:
    try:
        return os.open(directory / name, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise DatadirNotWritable(_not_writable_message(directory), f"{directory / name}: {exc.strerror}") from None


def lock_directory(directory: str | os.PathLike[str], name: str = NODE_LOCK) -> DirectoryLock:
    """bitcoind's LockDirectory: create `<directory>/<name>` if needed and lock it without waiting.

    Raises ValueError if this process holds that lock already (a second descriptor would drop it on close)."""
    path = Path(directory).absolute()
    if path / name in _HELD:
        raise ValueError(f"{path / name} is locked by this process already")
    fd = _open_lock_file(path, name)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = _holder_of(fd)
        os.close(fd)
        detail = f"{_describe(holder)} holds {path / name} ({exc.strerror})"
        raise DatadirLocked(_locked_message(path), detail, holder) from None
    return DirectoryLock(path / name, fd)


def probe_directory(directory: str | os.PathLike[str], name: str = NODE_LOCK) -> None:
    """bitcoind's probe before it forks: raise what `lock_directory` would raise, hold nothing (a lock this
    process holds already passes)."""
    if Path(directory).absolute() / name in _HELD:
        return
    lock_directory(directory, name).release()


def _holder_of(fd: int) -> int | None:
    # struct flock on Linux/glibc x86-64 and aarch64: short l_type, short l_whence, off_t l_start, off_t l_len,
    # pid_t l_pid (padded)
    request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
    except OSError:
        return None
    l_type, _, _, _, l_pid = struct.unpack("hhqqi4x", answer)
    if l_type == fcntl.F_UNLCK or l_pid <= 0:
        return None
    return int(l_pid)


def lock_holder(directory: str | os.PathLike[str], name: str = NODE_LOCK) -> int | None:
    """The pid holding `<directory>/<name>` (ours included), or None when nobody does (or no such file)."""
    path = Path(directory).absolute() / name
    if path in _HELD:
        return os.getpid()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        return _holder_of(fd)
    finally:
        os.close(fd)


def socket_peer_pid(path: str) -> int | None:
    """The pid of the process accepting on Unix socket `path` (SO_PEERCRED), None if nobody accepts.

    The connection is closed at once, before any byte is sent; the node sees a client come and go, as it does
    when our IPC client reconnects."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(1.0)
        sock.connect(path)
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    finally:
        sock.close()
    pid, _, _ = struct.unpack("3i", creds)
    return pid if pid > 0 else None


@dataclass
class DatadirClaim:
    """What this server holds on its net datadir; `release()` at exit (after the cookie is removed)."""

    lock: DirectoryLock
    shared_with_node: int | None = None  # pid of the node that holds `.lock` in the shared layouts

    def release(self) -> None:
        self.lock.release()


def claim_datadir(
    net_datadir: str | os.PathLike[str],
    *,
    node_pid: int | None = None,
    node_socket: str | None = None,
    cookie_path: str | os.PathLike[str] | None = None,
    node_socket_wait_s: float = NODE_SOCKET_WAIT_S,
) -> DatadirClaim:
    """Take this server's lock on `net_datadir` (created if missing), or raise DatadirError.

    - `.lock` free: we hold it for the whole run, as bitcoind does.
    - `.lock` held by our node (`node_pid`, the child we spawned; or the process listening on `node_socket`):
      we hold `.rpc.lock` instead; refused if a cookie at `cookie_path` exists that no server of ours wrote
      (the node serves RPC itself).
    - `.lock` held by anybody else: refused with bitcoind's message.
    """
    directory = Path(net_datadir)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatadirNotWritable(_not_writable_message(directory), str(exc)) from None
    try:
        return DatadirClaim(lock_directory(directory, NODE_LOCK))
    except DatadirLocked as locked:
        holder = locked.holder
        if holder is None or not _is_our_node(holder, node_pid, node_socket, node_socket_wait_s):
            what_next = (
                "Stop that process, or give this server its own -datadir (with -ipcconnect=unix:<path of the "
                "node's socket>)."
            )
            raise DatadirLocked(locked.message, f"{locked.detail}. {what_next}", holder) from None
    try:
        ours = lock_directory(directory, SERVER_LOCK)
    except DatadirLocked as locked:
        raise DatadirLocked(
            locked.message,
            f"{locked.detail}: another bitcoin-rpc-mp serves this datadir's node already",
            locked.holder,
        ) from None
    if cookie_path is not None:
        try:
            _check_cookie_free(Path(cookie_path), ours, holder)
        except DatadirError:
            ours.release()
            raise
    return DatadirClaim(ours, shared_with_node=holder)


def _is_our_node(holder: int, node_pid: int | None, node_socket: str | None, wait_s: float) -> bool:
    if node_pid is not None:
        return holder == node_pid
    if node_socket is None:
        return False
    deadline = time.monotonic() + wait_s
    while True:
        peer = socket_peer_pid(node_socket)
        if peer is not None or time.monotonic() >= deadline or not _alive(holder):
            return peer == holder
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


COOKIE_NOTE_PREFIX = "cookie "


def _check_cookie_free(cookie: Path, ours: DirectoryLock, node: int) -> None:
    """In a shared datadir, a cookie we did not write belongs to the node (or to a server of its that crashed)."""
    try:
        current = cookie.read_bytes()[:200]
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatadirNotWritable(_not_writable_message(cookie.parent), f"{cookie}: {exc.strerror}") from None
    note = ours.read_note()
    if note.startswith(COOKIE_NOTE_PREFIX) and note[len(COOKIE_NOTE_PREFIX) :].encode() == current:
        return  # left behind by a server of ours that was killed: ours to replace
    raise DatadirLocked(
        _locked_message(cookie.parent),
        f"{_describe(node)} holds {cookie.parent / NODE_LOCK} and {cookie} exists: the node serves RPC itself "
        "(-server=1). Start it with -server=0, or give this server its own -datadir or -rpccookiefile; if no "
        "process serves RPC on this datadir, the cookie is stale: delete it",
        node,
    )


def remember_cookie(claim: DatadirClaim, content: str) -> None:
    """Record the cookie we wrote in our lock file, so a restart after a crash knows the stale cookie is ours."""
    if claim.shared_with_node is not None:
        with contextlib.suppress(OSError):
            claim.lock.write_note(COOKIE_NOTE_PREFIX + content)
