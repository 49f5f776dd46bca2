"""The one check we make of the node's IPC socket before connecting: who else can open it.

Whoever can open bitcoin-node's IPC socket controls the node without authentication (ipc-protocol.md §1), so a
socket, or a directory of it, that every user may write is worth a warning at start-up. A sticky directory
(such as /tmp) is fine: others can create files there but not replace ours.
"""

from __future__ import annotations

import os
import stat

__all__ = ["socket_permission_warnings"]


def socket_permission_warnings(socket_path: str) -> list[str]:
    """The warnings for `socket_path` (`unix:` prefix allowed): the socket or its directory writable by others."""
    path = socket_path.removeprefix("unix:")
    warnings = []
    for target, what in ((path, "IPC socket"), (os.path.dirname(path) or ".", "directory of the IPC socket")):
        try:
            mode = os.stat(target).st_mode
        except OSError:
            continue  # not there yet: checked again by nobody, the node creates it 0700
        if mode & stat.S_IWOTH and not (what.startswith("directory") and mode & stat.S_ISVTX):
            warnings.append(
                f"the {what} {target} is writable by every user: anyone who can open the socket controls "
                "bitcoin-node without authentication; restrict its permissions (bitcoin-node creates it 0700)"
            )
    return warnings
