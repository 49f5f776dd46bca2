"""bitcoin_rpc_mp.ipc.schemas: every variant's schema set loads and has the shape the node expects.

pycapnp aborts the process on a schema error, so every load happens in a child process first; the few in-process
checks run only after the child has shown that all variants load.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bitcoin_rpc_mp.ipc import schemas

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = REPO_ROOT.parent / "shared"
FINGERPRINTS = SHARED / "ipc-wire"

# Interface ids from ipc-protocol.md §12 (they derive from Bitcoin Core's file ids and the names, so they are the
# same in every variant that has the interface).
SPEC_INTERFACE_IDS = {
    "Init": 0x8838C700BA5CBA65,
    "ThreadMap": 0xEE5E37179AD9DC9D,
    "Thread": 0x81C1E2600D0B56C5,
    "Echo": 0xD36B89640DC94399,
    "Mining": 0xF9C68436DF3AF39E,
    "BlockTemplate": 0xF9671AD841B2F622,
    "Rpc": 0xACB1D37F0A713129,
    "Chain": 0xDDFB1D54C24414B3,
    "ChainNotifications": 0x9AC9DB48BA219039,
    "Handler": 0xEA08728D34263F55,
}

# Init numbering of docs/ARCHITECTURE.md and ipc-protocol.md §8 (only the methods we call).
EXPECTED_INIT = {
    "v30": {"construct": 0, "makeEcho": 1, "makeMining": 2},
    "v31": {"construct": 0, "makeEcho": 1, "makeMining": 3},
    "v32": {"construct": 0, "makeEcho": 1, "makeMining": 3, "makeRpc": 4},
    "pr29409": {"construct": 0, "makeEcho": 1, "makeMining": 3, "makeRpc": 4, "makeChain": 5},
    "pr29409-2026-02": {"construct": 0, "makeEcho": 1, "makeMining": 3, "makeChain": 4},
    "pr29409-2025-02": {"construct": 0, "makeEcho": 1, "makeMining": 2, "makeChain": 3},
}
HAS_RPC = {"v32", "pr29409"}
HAS_CHAIN = {"pr29409", "pr29409-2026-02", "pr29409-2025-02"}
HAS_POOL = {"v32", "pr29409"}
# ipc-protocol.md §8: defaults changed in 31.0 (timeouts 0 -> max double, BlockCreateOptions all zero -> true/8000/400).
OLD_DEFAULTS = {"v30", "pr29409-2025-02"}

# Runs in a child process: loads one variant through the public API and describes it as JSON.
CHILD = r"""
import json, sys
from bitcoin_rpc_mp.ipc.schemas import load_variant, init_methods, method_ordinals

vs = load_variant(sys.argv[1])
assert load_variant(sys.argv[1]) is vs
modules = {"proxy": vs.proxy, "init": vs.init, "echo": vs.echo, "mining": vs.mining, "rpc": vs.rpc,
           "chain": vs.chain, "handler": vs.handler}
names = {"proxy": ["ThreadMap", "Thread"], "init": ["Init"], "echo": ["Echo"], "mining": ["Mining", "BlockTemplate"],
         "rpc": ["Rpc"], "chain": ["Chain", "ChainNotifications"], "handler": ["Handler"]}
ids, methods = {}, {}
for attr, module in modules.items():
    if module is None:
        continue
    for name in names[attr]:
        ids[name] = getattr(module, name).schema.node.id
        methods[name] = method_ordinals(getattr(module, name))
wait_params = vs.mining.Mining.schema.methods["waitTipChanged"].param_type.node.struct.fields
timeout = next(f for f in wait_params if f.name == "timeout")
create = vs.mining.BlockCreateOptions.new_message()
print(json.dumps({
    "name": vs.name,
    "present": {attr: module is not None for attr, module in modules.items()},
    "ids": ids,
    "methods": methods,
    "init": init_methods(sys.argv[1]),
    "context_fields": list(vs.proxy.Context.schema.fieldnames),
    "blockref_fields": list(vs.common.BlockRef.schema.fieldnames),
    "wait_timeout_default": repr(timeout.slot.defaultValue.float64),
    "create_defaults": [create.useMempool, create.blockReservedWeight, create.coinbaseOutputMaxAdditionalSigops],
}))
"""


def run_child(variant: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, variant], capture_output=True, text=True, timeout=60, cwd=REPO_ROOT
    )


@pytest.fixture(scope="module")
def described() -> dict[str, dict[str, Any]]:
    """Each variant loaded in its own child process; fails (never skips) if one aborts."""
    out = {}
    for variant in schemas.VARIANTS:
        r = run_child(variant)
        assert r.returncode == 0, f"loading {variant} failed (exit {r.returncode}): {r.stderr[-2000:]}"
        out[variant] = json.loads(r.stdout)
    return out


def load_fingerprint(variant: str) -> dict[str, Any]:
    path = FINGERPRINTS / f"{schemas.FINGERPRINT_NAMES[variant]}.json"
    if not path.is_file():
        pytest.skip(
            f"{path} is absent: the wire fingerprints live in the shared/ folder beside the repository, "
            "which is not shipped with a clone"
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_variant_names_match_fingerprints_and_directories() -> None:
    assert set(schemas.VARIANTS) == set(schemas.FINGERPRINT_NAMES)
    assert len(set(schemas.FINGERPRINT_NAMES.values())) == len(schemas.VARIANTS)
    root = schemas.schema_root()
    for variant in schemas.VARIANTS:
        assert (root / variant / "init.capnp").is_file()
        assert (root / variant / "mp" / "proxy.capnp").is_file()


@pytest.mark.parametrize("variant", schemas.VARIANTS)
def test_variant_loads_in_child_without_aborting(variant: str, described: dict[str, dict[str, Any]]) -> None:
    info = described[variant]
    assert info["name"] == variant
    assert info["present"]["rpc"] is (variant in HAS_RPC)
    assert info["present"]["chain"] is (variant in HAS_CHAIN)
    assert info["present"]["handler"] is (variant in HAS_CHAIN)
    assert info["context_fields"] == ["thread", "callbackThread"]
    assert info["blockref_fields"] == ["hash", "height"]


@pytest.mark.parametrize("variant", schemas.VARIANTS)
def test_interface_ids_are_bitcoin_cores(variant: str, described: dict[str, dict[str, Any]]) -> None:
    ids = described[variant]["ids"]
    assert ids == {name: SPEC_INTERFACE_IDS[name] for name in ids}
    expected = {"Init", "ThreadMap", "Thread", "Echo", "Mining", "BlockTemplate"}
    expected |= {"Rpc"} if variant in HAS_RPC else set()
    expected |= {"Chain", "ChainNotifications", "Handler"} if variant in HAS_CHAIN else set()
    assert set(ids) == expected


@pytest.mark.parametrize("variant", schemas.VARIANTS)
def test_interface_ids_and_ordinals_equal_the_fingerprint(
    variant: str, described: dict[str, dict[str, Any]]
) -> None:
    fingerprint = load_fingerprint(variant)
    upstream = {
        n["name"]: (int(k, 16), {m["name"]: m["ordinal"] for m in n["methods"]})
        for k, n in fingerprint["nodes"].items()
        if n["kind"] == "interface"
    }
    info = described[variant]
    for name, iid in info["ids"].items():
        assert upstream[name] == (iid, info["methods"][name]), name
    # Interfaces we call but left out would show up here.
    for name in ("Rpc", "Chain"):
        assert (name in upstream) is (name in info["ids"])


@pytest.mark.parametrize("variant", schemas.VARIANTS)
def test_init_numbering(variant: str, described: dict[str, dict[str, Any]]) -> None:
    init = described[variant]["init"]
    assert {name: init.get(name) for name in EXPECTED_INIT[variant]} == EXPECTED_INIT[variant]
    assert sorted(init.values()) == list(range(len(init)))
    assert ("makeRpc" in init) is (variant in HAS_RPC)
    assert ("makeChain" in init) is (variant in HAS_CHAIN)
    thread_map = described[variant]["methods"]["ThreadMap"]
    assert thread_map == ({"makeThread": 0, "makePool": 1} if variant in HAS_POOL else {"makeThread": 0})


@pytest.mark.parametrize("variant", schemas.VARIANTS)
def test_defaults_follow_the_variant(variant: str, described: dict[str, dict[str, Any]]) -> None:
    info = described[variant]
    timeout = float(info["wait_timeout_default"])
    if variant in OLD_DEFAULTS:
        assert timeout == 0.0
        assert info["create_defaults"] == [False, 0, 0]
    else:
        assert timeout == sys.float_info.max and not math.isinf(timeout)
        assert info["create_defaults"] == [True, 8000, 400]


def test_load_variant_in_process_is_cached_and_separate(described: dict[str, dict[str, Any]]) -> None:
    # Safe in-process: the `described` fixture has already loaded every variant in a child without aborting.
    a, b = schemas.load_variant("v31"), schemas.load_variant("pr29409")
    assert schemas.load_variant("v31") is a
    assert a.init is not b.init  # one parser per variant: the same file ids load twice
    assert schemas.init_methods("pr29409") == described["pr29409"]["init"]


def test_unknown_variant_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown node variant 'v29'"):
        schemas.load_variant("v29")


def test_missing_file_raises_before_pycapnp_sees_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "v30").mkdir()
    (tmp_path / "v30" / "init.capnp").write_text("@0xf2c5cfa319406aa6;\n")
    monkeypatch.setattr(schemas, "schema_root", lambda: tmp_path)
    monkeypatch.setattr(schemas, "_cache", {})
    with pytest.raises(FileNotFoundError, match=r"mp/proxy\.capnp"):
        schemas.load_variant("v30")
