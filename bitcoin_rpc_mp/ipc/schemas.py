"""Cap'n Proto schemas of every bitcoin-node variant we can talk to, loaded with pycapnp.

Owns: which wire fingerprint each one matches (`FINGERPRINT_NAMES`), where
the `.capnp` files live (`schema_root()`, package data of `bitcoin_rpc_mp.schemas`, i.e. the top-level `schemas/`
directory) and loading one variant's set with a `capnp.SchemaParser` of its own (`load_variant()`).

Why one parser per variant: the variants reuse Bitcoin Core's file ids (that is what makes the interface ids match
the node's), so two variants cannot share a parser. Types of two parsers do not mix either, so a connection uses
exactly one `VariantSchemas` for every call it makes.

pycapnp aborts the whole process (it does not raise) when a schema fails to parse, so this module checks that the
files exist before handing them to the parser, and the tests load every variant in a child process.

Must not import anything of ours but `ipc.capabilities` (the variant names, `VARIANTS`, re-exported here): the
stand-in node imports this module and nothing else of `ipc`.
"""

from __future__ import annotations

import importlib.resources
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import capnp

from .capabilities import VARIANTS

__all__ = [
    "FINGERPRINT_NAMES",
    "VARIANTS",
    "VariantSchemas",
    "init_methods",
    "load_variant",
    "method_ordinals",
    "schema_root",
]

# variant -> file stem of its wire fingerprint in ../shared/ipc-wire/ (what tools/check_wire.py compares with)
FINGERPRINT_NAMES: dict[str, str] = {
    "v30": "bitcoin-core-30.0",
    "v31": "bitcoin-core-31.0",
    "v32": "bitcoin-core-32-master-2026-08",
    "pr29409": "pr29409-on-master-2026-08",
    "pr29409-2026-02": "pr29409-rebase-2026-02",
    "pr29409-2025-02": "pr29409-seed-era-2025-02",
}

_PACKAGE = "bitcoin_rpc_mp.schemas"
# Every variant has these; rpc.capnp, chain.capnp and handler.capnp only where the node has Rpc / Chain.
_REQUIRED_FILES = ("mp/proxy.capnp", "common.capnp", "echo.capnp", "mining.capnp", "init.capnp")


@dataclass(frozen=True)
class VariantSchemas:
    """The loaded modules of one variant; `rpc`, `chain` and `handler` are None where the node lacks them.

    Each attribute is a pycapnp module: `proxy.ThreadMap`, `proxy.Thread`, `proxy.Context`, `init.Init`,
    `echo.Echo`, `mining.Mining`, `mining.BlockTemplate`, `common.BlockRef`, `rpc.Rpc`, `chain.Chain`,
    `chain.ChainNotifications`, `chain.FoundBlockParam`, `handler.Handler`, ...
    """

    name: str
    proxy: Any
    init: Any
    echo: Any
    mining: Any
    common: Any
    rpc: Any | None
    chain: Any | None
    handler: Any | None


def _repo_schema_dir() -> Path:
    # bitcoin_rpc_mp/ipc/schemas.py -> <repo>/schemas
    return Path(__file__).resolve().parents[2] / "schemas"


def schema_root() -> Path:
    """The directory holding one sub-directory per variant.

    Installed packages carry the files as package data of `bitcoin_rpc_mp.schemas`; a source checkout (or an
    editable install made before that package existed) falls back to the repository's `schemas/`.
    """
    try:
        root = importlib.resources.files(_PACKAGE)
    except ModuleNotFoundError:
        root = None
    if isinstance(root, Path) and (root / VARIANTS[0] / "init.capnp").is_file():
        return root
    return _repo_schema_dir()


_cache: dict[str, VariantSchemas] = {}
_cache_lock = threading.Lock()


def load_variant(name: str) -> VariantSchemas:
    """Load (once per process) the schema set of variant `name`; raises ValueError for an unknown name.

    Raises FileNotFoundError if a required file is missing (checked first, because pycapnp would abort).
    """
    if name not in FINGERPRINT_NAMES:
        raise ValueError(f"unknown node variant {name!r}; known: {', '.join(VARIANTS)}")
    with _cache_lock:
        cached = _cache.get(name)
        if cached is None:
            cached = _cache[name] = _load(name, schema_root() / name)
        return cached


def _load(name: str, directory: Path) -> VariantSchemas:
    for rel in _REQUIRED_FILES:
        if not (directory / rel).is_file():
            raise FileNotFoundError(f"schema file {directory / rel} is missing (variant {name})")
    parser = capnp.SchemaParser()
    imports = [str(directory)]

    def load(rel: str) -> Any:
        return parser.load(str(directory / rel), imports=imports)

    def load_optional(rel: str) -> Any | None:
        return load(rel) if (directory / rel).is_file() else None

    return VariantSchemas(
        name=name,
        proxy=load("mp/proxy.capnp"),
        common=load("common.capnp"),
        echo=load("echo.capnp"),
        mining=load("mining.capnp"),
        rpc=load_optional("rpc.capnp"),
        handler=load_optional("handler.capnp"),
        chain=load_optional("chain.capnp"),
        init=load("init.capnp"),
    )


def method_ordinals(interface: Any) -> dict[str, int]:
    """Method name -> ordinal (@N) of a loaded interface, e.g. `method_ordinals(vs.proxy.ThreadMap)`."""
    methods = interface.schema.node.interface.methods
    # schema.capnp keeps Node.interface.methods in ordinal order: the index is the @N.
    return {str(method.name): ordinal for ordinal, method in enumerate(methods)}


def init_methods(name: str) -> dict[str, int]:
    """Init's method ordinals for variant `name`, e.g. {"construct": 0, "makeEcho": 1, "makeMining": 2} (v30).

    Every method the variant's Init has is listed, placeholders such as `makeMiningOld2` included.
    """
    return method_ordinals(load_variant(name).init.Init)
