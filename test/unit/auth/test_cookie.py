"""auth/cookie.py: the cookie file's content, modes, atomic replacement and guarded removal (compat §3)."""

from __future__ import annotations

import base64
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bitcoin_rpc_mp.auth.cookie import AuthCookie
from bitcoin_rpc_mp.auth.credentials import COOKIE_USER, Authenticator
from bitcoin_rpc_mp.config.auth_options import COOKIE_PERMS


@pytest.fixture(params=[0o022, 0o000, 0o077], ids=["umask022", "umask000", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_content_is_75_bytes_without_newline(tmp_path: Path) -> None:
    cookie = AuthCookie(tmp_path / ".cookie")
    password = cookie.write()
    data = (tmp_path / ".cookie").read_bytes()
    assert len(data) == 75
    assert re.fullmatch(rb"__cookie__:[0-9a-f]{64}", data)
    assert data == f"{COOKIE_USER}:{password}".encode()
    assert cookie.password == password
    assert not (tmp_path / ".cookie.tmp").exists()


def test_each_write_is_a_new_secret(tmp_path: Path) -> None:
    assert AuthCookie(tmp_path / "a").write() != AuthCookie(tmp_path / "b").write()


@pytest.mark.parametrize(("perms", "mode"), [("owner", 0o600), ("group", 0o640), ("all", 0o644)])
def test_modes_whatever_the_umask(tmp_path: Path, umask: int, perms: str, mode: int) -> None:
    path = tmp_path / ".cookie"
    AuthCookie(path, COOKIE_PERMS[perms]).write()
    assert mode_of(path) == mode


def test_default_mode_is_owner_only(tmp_path: Path, umask: int) -> None:
    path = tmp_path / ".cookie"
    AuthCookie(path).write()
    assert mode_of(path) == 0o600


def test_replaces_an_existing_cookie(tmp_path: Path) -> None:
    path = tmp_path / ".cookie"
    path.write_text("__cookie__:old")
    os.chmod(path, 0o666)
    AuthCookie(path).write()
    assert path.read_text() != "__cookie__:old"
    assert mode_of(path) == 0o600


def test_stale_tmp_is_taken_over_without_following_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / ".cookie.tmp").symlink_to(victim)
    AuthCookie(tmp_path / ".cookie").write()
    assert victim.read_text() == "keep"
    assert not (tmp_path / ".cookie.tmp").exists()
    assert (tmp_path / ".cookie").read_text().startswith("__cookie__:")


def test_creates_the_net_datadir(tmp_path: Path) -> None:
    path = tmp_path / "datadir" / "regtest" / ".cookie"
    AuthCookie(path).write()
    assert path.is_file()
    assert mode_of(path.parent) == 0o700 & ~os.umask(os.umask(0))


def test_unwritable_directory_raises(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        (tmp_path / "file").write_text("")
        with pytest.raises(OSError):  # a parent that is a file fails even for root
            AuthCookie(tmp_path / "file" / ".cookie").write()
        return
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OSError):
            AuthCookie(tmp_path / ".cookie").write()
    finally:
        tmp_path.chmod(0o700)


def test_remove_deletes_our_cookie(tmp_path: Path) -> None:
    cookie = AuthCookie(tmp_path / ".cookie")
    cookie.write()
    assert cookie.remove() is True
    assert not (tmp_path / ".cookie").exists()
    assert cookie.remove() is False


def test_remove_without_write_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".cookie"
    path.write_text("__cookie__:" + "0" * 64)
    assert AuthCookie(path).remove() is False
    assert path.exists()


def test_remove_leaves_a_cookie_someone_else_wrote_since(tmp_path: Path) -> None:
    path = tmp_path / ".cookie"
    ours = AuthCookie(path)
    ours.write()
    theirs = AuthCookie(path)
    theirs.write()  # e.g. the node started with -server=1 on the same datadir
    assert ours.remove() is False
    assert path.read_text() == theirs.content
    assert theirs.remove() is True


def test_remove_when_already_gone(tmp_path: Path) -> None:
    cookie = AuthCookie(tmp_path / ".cookie")
    cookie.write()
    (tmp_path / ".cookie").unlink()
    assert cookie.remove() is False


def test_the_written_cookie_authenticates(tmp_path: Path) -> None:
    cookie = AuthCookie(tmp_path / ".cookie")
    auth = Authenticator.from_options(cookie_password=cookie.write())
    line = (tmp_path / ".cookie").read_bytes()  # what bitcoin-cli sends, verbatim
    assert auth.check("Basic " + base64.b64encode(line).decode()) == COOKIE_USER


def test_remove_leaves_a_copy_with_our_content_but_another_inode(tmp_path: Path) -> None:
    """Another instance that wrote the same bytes (or a restore from backup) is not our file."""
    path = tmp_path / ".cookie"
    cookie = AuthCookie(path)
    cookie.write()
    content = path.read_bytes()
    path.rename(tmp_path / "kept")  # kept alive, so the new file cannot reuse its inode number
    path.write_bytes(content)
    assert cookie.remove() is False
    assert path.read_bytes() == content


def test_password_is_drawn_before_the_file_is_written(tmp_path: Path) -> None:
    cookie = AuthCookie(tmp_path / ".cookie")
    password = cookie.new_password()
    assert not (tmp_path / ".cookie").exists()
    assert cookie.remove() is False  # nothing written: nothing of ours to remove
    assert cookie.write() == password
    assert (tmp_path / ".cookie").read_bytes() == f"{COOKIE_USER}:{password}".encode()
    assert cookie.remove() is True
