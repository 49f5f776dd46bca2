"""bitcoin.conf text → raw settings per section, with bitcoind's reading rules.

Owns the syntax of Bitcoin Core's `GetConfigOptions`/`ReadConfigStream` (src/common/config.cpp):
- `#` starts a comment anywhere on a line; lines and keys/values are trimmed of space, tab, CR, LF;
- `[section]` lines prefix the following keys with `section.`; `section.key=value` works at top level too;
- `key=value`, `nokey=1` (a negation), `nokey=0` (a double negative, i.e. true);
- a leading `-` is an error, as is a line without `=`, and `#` on a line that sets `rpcpassword`;
- `conf=` inside the file is an error; `includeconf=` is not supported (warning); keys bitcoind has but we do
  not (the file is shared with the node: `txindex`, `server`, …) are ignored silently;
- unknown section names get bitcoind's warning.

The caller passes the text: this module does no file I/O. Values are stored as `argv.py` stores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .argv import OPTIONS, ConfigError, SettingValue, interpret_key, interpret_value
from .chainparams import CHAIN_NAMES

__all__ = ["ConfFile", "parse_conf"]

_TRIM = " \t\r\n"


@dataclass
class ConfFile:
    """Settings read from one file: `sections[""]` is the top level, `sections["regtest"]` the `[regtest]` part."""

    sections: dict[str, dict[str, list[SettingValue]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def values(self, section: str, name: str) -> list[SettingValue]:
        return self.sections.get(section, {}).get(name, [])


def parse_conf(text: str) -> ConfFile:
    """Parse bitcoin.conf text. Raises ConfigError with bitcoind's wording (without the file-name prefix)."""
    conf = ConfFile()
    seen_sections: list[str] = []
    prefix = ""
    for linenr, line in enumerate(text.split("\n"), start=1):
        used_hash = "#" in line
        if used_hash:
            line = line[: line.index("#")]
        line = line.strip(_TRIM)
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            seen_sections.append(section)
            prefix = section + "."
            continue
        if line.startswith("-"):
            raise ConfigError(
                f"parse error on line {linenr}: {line}, options in configuration file must be specified "
                "without leading -"
            )
        if "=" not in line:
            message = f"parse error on line {linenr}: {line}"
            if line.startswith("no"):
                message += f", if you intended to specify a negated option, use {line}=1 instead"
            raise ConfigError(message)
        raw_key, _, raw_value = line.partition("=")
        name = prefix + raw_key.strip(_TRIM)
        value = raw_value.strip(_TRIM)
        if used_hash and "rpcpassword" in name:
            raise ConfigError(
                f"parse error on line {linenr}, using # in rpcpassword can be ambiguous and should be avoided"
            )
        dot = name.rfind(".")
        if dot != -1 and len(prefix) <= dot:
            seen_sections.append(name[:dot])
        _store(conf, name, value)

    for section in seen_sections:
        if section not in CHAIN_NAMES:
            warning = f"Section [{section}] is not recognized."
            if warning not in conf.warnings:
                conf.warnings.append(warning)
    return conf


def _store(conf: ConfFile, full_name: str, value: str) -> None:
    info = interpret_key(full_name)
    if info.name == "conf":
        raise ConfigError(
            "conf cannot be set in the configuration file; use includeconf= if you want to include additional "
            "config files"
        )
    if info.name == "includeconf":
        conf.warnings.append(f"Ignoring includeconf={value}: bitcoin-rpc-mp does not read included files")
        return
    spec = OPTIONS.get(info.name)
    if spec is None or spec.command_line_only:
        return  # the node's options (and unknown ones): bitcoind only logs these
    setting = interpret_value(info, value, spec, conf.warnings)
    conf.sections.setdefault(info.section, {}).setdefault(info.name, []).append(setting)
