"""schemas/<variant>/ against the node's wire fingerprints, with ../shared/tools/check_wire.py.

check_wire.py compares interface ids, method ordinals, field offsets, types and defaults of every struct a method
sends or receives. It and the fingerprints live in the shared/ folder beside the repository, which a user's clone
does not have: there these tests skip and say so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bitcoin_rpc_mp.ipc.schemas import FINGERPRINT_NAMES, VARIANTS, schema_root

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = REPO_ROOT.parent / "shared"
CHECK_WIRE = SHARED / "tools" / "check_wire.py"
FINGERPRINTS = SHARED / "ipc-wire"
GENERATOR = REPO_ROOT / "contrib" / "tools" / "gen_schemas.py"


def fingerprint_of(variant: str) -> Path:
    path = FINGERPRINTS / f"{FINGERPRINT_NAMES[variant]}.json"
    if not CHECK_WIRE.is_file() or not path.is_file():
        pytest.skip(
            f"{CHECK_WIRE} or {path} is absent: the wire fingerprints and their checker live in "
            f"{SHARED}, which is not shipped with a clone of the repository"
        )
    return path


def check_wire(schema_dir: Path, fingerprint: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    # check_wire.py loads the schemas in a child of its own: a schema error cannot abort pytest.
    return subprocess.run(
        [
            sys.executable,
            str(CHECK_WIRE),
            "--schemas",
            str(schema_dir),
            "--fingerprint",
            str(fingerprint),
            "-q",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_compatible_with_the_fingerprint(variant: str) -> None:
    fingerprint = fingerprint_of(variant)
    r = check_wire(schema_root() / variant, fingerprint, "--allow-missing")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "compatible: 0 incompatible" in r.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_interface_defined_is_complete(variant: str) -> None:
    # Stricter than the contract: whatever interface we define has every method and field the node has.
    fingerprint = fingerprint_of(variant)
    r = check_wire(schema_root() / variant, fingerprint, "--allow-missing-interfaces")
    assert r.returncode == 0, r.stdout + r.stderr
    assert ", 0 missing" in r.stdout


def test_a_wrong_default_is_caught(tmp_path: Path) -> None:
    # 31.0 changed defaults; 31's mining.capnp in the 30.x set would make a 30.x node read different values.
    fingerprint = fingerprint_of("v30")
    broken = tmp_path / "v30"
    shutil.copytree(schema_root() / "v30", broken)
    text = (broken / "mining.capnp").read_text()
    (broken / "mining.capnp").write_text(text.replace("useMempool @0 :Bool;", "useMempool @0 :Bool = true;"))
    r = check_wire(broken, fingerprint, "--allow-missing")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "useMempool: default true, upstream false" in r.stdout


def test_committed_schemas_are_what_the_generator_writes() -> None:
    fingerprint_of(VARIANTS[0])
    r = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--check",
            "--fingerprints",
            str(FINGERPRINTS),
            "--out",
            str(schema_root()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
