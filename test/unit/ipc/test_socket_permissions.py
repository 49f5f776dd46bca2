"""ipc/socket_permissions.py: a node socket that other users can open is reported."""

from __future__ import annotations

import os
from pathlib import Path

from bitcoin_rpc_mp.ipc.socket_permissions import socket_permission_warnings


def test_world_writable_socket_directory_is_reported(tmp_path: Path) -> None:
    directory = tmp_path / "ipc"
    directory.mkdir()
    os.chmod(directory, 0o777)
    warnings = socket_permission_warnings(f"unix:{directory / 'node.sock'}")
    assert len(warnings) == 1 and "writable by every user" in warnings[0] and str(directory) in warnings[0]


def test_private_or_sticky_directories_are_fine(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    assert socket_permission_warnings(str(private / "node.sock")) == []
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    os.chmod(sticky, 0o1777)  # like /tmp: others can create files but not replace ours
    assert socket_permission_warnings(str(sticky / "node.sock")) == []
