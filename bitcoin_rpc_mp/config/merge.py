"""Reading one option back from the command line and bitcoin.conf, with bitcoind's merge rules.

Owns the rules of ArgsManager and common/settings.cpp: the command line over the `[<chain>]` section over the
top level of bitcoin.conf; the first value wins inside a config file, the last on the command line; `-noX` cuts
off what came before it; list options keep every value (with bitcoind's "zombie" config values after
`-noX -X=v`); network-only options (`-rpcport`, `-rpcbind`) ignore the top level of bitcoin.conf off main;
GetChainArg's choice of the chain. On top of these, the typed reads every area uses: bool, integer, path.

The raw values come from `argv.parse_argv` and `conffile.parse_conf`. No I/O.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from .argv import OPTIONS, ConfigError, SettingValue, after_last_negation, interpret_bool
from .chainparams import CHAIN_NAMES, CHAIN_SWITCHES

__all__ = ["ArgStore", "abs_path", "as_text", "select_chain"]

_INT = re.compile(r"[+-]?[0-9]+")


def as_text(value: SettingValue) -> str:
    """A raw value as text: a double negative (`-nofoo=0`) is "1", a negation "0"."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    return value


def abs_path(text: str, base: Path) -> Path:
    """GetPathArg + AbsPathForConfigVal: lexically normal, no trailing slash, relative to `base`."""
    path = Path(os.path.normpath(text))
    return path if path.is_absolute() else base / path


class ArgStore:
    """Raw values from the command line and the config file, read back with ArgsManager's rules."""

    def __init__(self, command_line: Mapping[str, list[SettingValue]]) -> None:
        self.command_line = command_line
        self.conf: Mapping[str, Mapping[str, list[SettingValue]]] = {}
        self.network = ""  # the chain's section, once chosen

    def _sources(self, name: str, section: str) -> list[tuple[str, list[SettingValue]]]:
        out: list[tuple[str, list[SettingValue]]] = []
        if name in self.command_line:
            out.append(("command_line", self.command_line[name]))
        if section and name in self.conf.get(section, {}):
            out.append(("network", list(self.conf[section][name])))
        if name in self.conf.get("", {}):
            out.append(("default", list(self.conf[""][name])))
        return out

    def _ignore_default_section(self, name: str) -> bool:
        return bool(self.network) and self.network != "main" and OPTIONS[name].network_only

    def get_setting(self, name: str, *, chain_type: bool = False) -> SettingValue | None:
        """GetSetting: the one value in force, None when unset, False when negated."""
        section = "" if chain_type else self.network
        ignore_default = self._ignore_default_section(name)
        for source, values in self._sources(name, section):
            last_negated = bool(values) and values[-1] is False
            if ignore_default and source == "default" and not last_negated:
                continue
            if chain_type and last_negated:
                continue  # bitcoind silently skips a negated -regtest/-testnet…
            span = after_last_negation(values)
            if span:
                first_wins = source != "command_line" and not chain_type
                return span[0] if first_wins else span[-1]
            if last_negated:
                return False
        return None

    def get_list(self, name: str) -> list[str]:
        """GetArgs, including bitcoind's revival of config values after `-noX -X=v` on the command line."""
        result: list[SettingValue] = []
        done = False
        prev_negated_empty = False
        ignore_default = self._ignore_default_section(name)
        for source, values in self._sources(name, self.network):
            zombies = source != "command_line" and not prev_negated_empty
            if ignore_default and source == "default":
                continue
            if not done or zombies:
                result.extend(after_last_negation(values))
            done = done or any(v is False for v in values)
            prev_negated_empty = prev_negated_empty or (bool(values) and values[-1] is False and not result)
        return [as_text(v) for v in result]

    def get_arg(self, name: str) -> str | None:
        value = self.get_setting(name)
        return None if value is None else as_text(value)

    def get_bool(self, name: str, default: bool) -> bool:
        value = self.get_setting(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return interpret_bool(value)

    def get_int(self, name: str, default: int, *, minimum: int | None, what: str) -> int:
        """An integer option; ConfigError `Invalid -<name>=<value>; must be <what>.` when it is not one (or is
        below `minimum`)."""
        raw = self.get_arg(name)
        if raw is None:
            return default
        stripped = raw.strip()
        if not _INT.fullmatch(stripped) or (minimum is not None and int(stripped) < minimum):
            raise ConfigError(f"Invalid -{name}={raw}; must be {what}.")
        return int(stripped)

    def is_negated(self, name: str) -> bool:
        return self.get_setting(name) is False

    def only_in_default_section(self, name: str) -> bool:
        """OnlyHasDefaultSectionSetting, for bitcoind's network-only warning."""
        has_default = has_other = False
        for source, values in self._sources(name, self.network):
            if not after_last_negation(values):
                continue
            if source == "default":
                has_default = True
            else:
                has_other = True
        return has_default and not has_other


def select_chain(store: ArgStore) -> str | None:
    """ArgsManager::GetChainArg: at most one of -regtest/-signet/-testnet/-testnet4/-chain; None when none."""

    def flag(name: str) -> bool:
        value = store.get_setting(name, chain_type=True)
        if value is None:
            return False
        return value if isinstance(value, bool) else interpret_bool(value)

    flags = {chain: flag(switch) for switch, chain in CHAIN_SWITCHES.items()}
    chain_arg = store.get_arg("chain")
    if (chain_arg is not None) + sum(flags.values()) > 1:
        raise ConfigError(
            "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."
        )
    if chain_arg is not None:
        if chain_arg not in CHAIN_NAMES:
            raise ConfigError(
                f"Unknown chain {chain_arg}. Valid values for -chain are: {', '.join(CHAIN_NAMES)}."
            )
        return chain_arg
    for chain, selected in flags.items():
        if selected:
            return chain
    return None
