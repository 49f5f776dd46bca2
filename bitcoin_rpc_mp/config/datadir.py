"""The data directory and the config file in it, found and read as bitcoind does at start-up.

Owns `ConfigFiles` (the file system as the configuration sees it; the real one is `cli.py`'s), -datadir's
checks (CheckDataDirOption, before and after the config file), -conf's (a directory, a file that cannot be
opened when named) and bitcoind's texts for them. The config file's values go into the `ArgStore`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from .argv import ConfigError
from .conffile import parse_conf
from .merge import ArgStore, abs_path

__all__ = ["ConfigFiles", "read_datadir_and_conf"]

_CONF_ERROR = "Error reading configuration file: "


class ConfigFiles(Protocol):
    """The file system as `build_settings` sees it."""

    def is_dir(self, path: Path) -> bool: ...

    def read_text(self, path: Path) -> str | None:
        """The file's text, or None when it does not exist or cannot be opened."""
        ...


def read_datadir_and_conf(
    store: ArgStore, environ: Mapping[str, str], cwd: Path, files: ConfigFiles, warnings: list[str]
) -> tuple[Path, Path | None]:
    """(the base data directory, the config file read or None); the config file's values go into `store`,
    its warnings onto `warnings`. The data directory is checked from the command line first, then again with
    the config file's value (which may name another)."""
    datadir = _datadir(store, environ, cwd, files, prefix="")
    conf_path = _read_conf(store, datadir, files, warnings)
    return _datadir(store, environ, cwd, files, prefix=_CONF_ERROR), conf_path


def _datadir(store: ArgStore, environ: Mapping[str, str], cwd: Path, files: ConfigFiles, *, prefix: str) -> Path:
    raw = store.get_arg("datadir")
    if raw:
        path = abs_path(raw, cwd)
        if not files.is_dir(path):
            if prefix:
                raise ConfigError(f'{prefix}specified data directory "{raw}" does not exist.')
            raise ConfigError(f'Specified data directory "{raw}" does not exist.')
        return path
    home = environ.get("HOME", "")
    return Path(home or "/") / ".bitcoin"


def _read_conf(store: ArgStore, datadir: Path, files: ConfigFiles, warnings: list[str]) -> Path | None:
    if store.is_negated("conf"):
        return None
    conf_arg = store.get_arg("conf")
    conf_path = abs_path(conf_arg or "bitcoin.conf", datadir)
    if files.is_dir(conf_path):
        raise ConfigError(f'{_CONF_ERROR}Config file "{conf_path}" is a directory.')
    text = files.read_text(conf_path)
    if text is None:
        if conf_arg:
            raise ConfigError(f'{_CONF_ERROR}specified config file "{conf_path}" could not be opened.')
        return None
    try:
        conf = parse_conf(text)
    except ConfigError as exc:
        raise ConfigError(f"{_CONF_ERROR}{exc}") from None
    warnings.extend(conf.warnings)
    store.conf = conf.sections
    return conf_path
