"""The logging options: -debug/-debugexclude with bitcoind's category rules, the log file and its format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .argv import DEBUG_CATEGORIES
from .merge import ArgStore, abs_path

__all__ = ["LogSettings", "category_enabled", "log_settings"]

_ALL_CATEGORIES = ("", "1", "all")
_NO_CATEGORIES = ("0", "none")


@dataclass(frozen=True)
class LogSettings:
    """Where and how we log."""

    debug: tuple[str, ...]  # -debug values as given; ask `debug_enabled(category)`
    debugexclude: tuple[str, ...]
    printtoconsole: bool
    debuglogfile: Path | None  # absolute; None after -nodebuglogfile
    shrinkdebugfile: bool
    logtimestamps: bool
    logtimemicros: bool

    def debug_enabled(self, category: str) -> bool:
        """bitcoind's -debug rules (SetLoggingCategories): values before the last `0`/`none` are disregarded;
        an empty value, `1` or `all` enables every category; -debugexclude wins over -debug (`all` there
        excludes every category)."""
        return category_enabled(self.debug, self.debugexclude, category)


def category_enabled(debug: Sequence[str], debugexclude: Sequence[str], category: str) -> bool:
    """Whether debug logging of `category` is on for these -debug and -debugexclude values."""
    last_none = max((n for n, value in enumerate(debug) if value in _NO_CATEGORIES), default=-1)
    if any(value in _ALL_CATEGORIES or value == category for value in debugexclude):
        return False
    return any(value in _ALL_CATEGORIES or value == category for value in debug[last_none + 1 :])


def log_settings(store: ArgStore, netdir: Path, *, spawned: bool, warnings: list[str]) -> LogSettings:
    """The logging options; `spawned`: spawn mode, where the node shrinks its own debug.log."""
    debuglogfile: Path | None = None
    if not store.is_negated("debuglogfile"):
        debuglogfile = abs_path(store.get_arg("debuglogfile") or "debug.log", netdir)
    debug = tuple(store.get_list("debug"))
    debugexclude = tuple(store.get_list("debugexclude"))
    _unknown_categories("debug", debug, warnings)
    _unknown_categories("debugexclude", debugexclude, warnings)
    return LogSettings(
        debug=debug,
        debugexclude=debugexclude,
        printtoconsole=store.get_bool("printtoconsole", True),
        debuglogfile=debuglogfile,
        # bitcoind shrinks by default unless debug categories are on; in spawn mode the node does it
        shrinkdebugfile=not spawned and store.get_bool("shrinkdebugfile", not _any_debug(debug)),
        logtimestamps=store.get_bool("logtimestamps", True),
        logtimemicros=store.get_bool("logtimemicros", False),
    )


def _unknown_categories(option: str, values: Sequence[str], warnings: list[str]) -> None:
    """bitcoind refuses to start on a category it does not know; a bitcoin.conf shared with the node may name
    node categories (net, mempool, …) that mean nothing here, so those only get a warning."""
    known = (*_ALL_CATEGORIES, *_NO_CATEGORIES, *DEBUG_CATEGORIES) if option == "debug" else (
        *_ALL_CATEGORIES, *DEBUG_CATEGORIES
    )
    for value in values:
        if value not in known:
            warnings.append(
                f"Unsupported logging category -{option}={value} (bitcoin-rpc-mp logs {', '.join(DEBUG_CATEGORIES)}); "
                "ignored."
            )


def _any_debug(categories: Sequence[str]) -> bool:
    """Whether -debug turns any category on (then bitcoind keeps the whole debug.log by default)."""
    if any(cat in _NO_CATEGORIES for cat in categories):
        return False
    return bool(categories)
