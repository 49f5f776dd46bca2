#!/usr/bin/env python3
"""Copy the captured cases of ../shared/spec into test/data/ as JSON, so tests run from a clone without ../shared.

    contrib/tools/extract_cases.py           (re)write test/data/compat_spec_cases.json and acceptance_cases.json
    contrib/tools/extract_cases.py --check   exit 1 if a committed copy differs from what would be written

compat_spec_cases.json holds the 112 §6 cases of bitcoind-rpc-compat.md (request and response bytes as Latin-1
text, the case name, the node-setup remark and the trailing note); acceptance_cases.json is acceptance-cases.json
as it is. The markdown is read by test/data/compat_cases.py (the same code the tests use).

Depends on nothing but the standard library.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_compat_cases() -> ModuleType:
    path = REPO_ROOT / "test" / "data" / "compat_cases.py"
    spec = importlib.util.spec_from_file_location("compat_cases", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compat_cases"] = module
    spec.loader.exec_module(module)
    return module


def _render(obj: object) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)

    cc = _load_compat_cases()
    spec_cases = cc.spec_cases_from_markdown()
    acceptance = cc.acceptance_cases_from_shared()
    if spec_cases is None or acceptance is None:
        print(f"spec files not found under {cc.SPEC_DIR}", file=sys.stderr)
        return 2

    outputs = {
        cc.SPEC_CASES_COPY: _render([c.to_json() for c in spec_cases]),
        cc.ACCEPTANCE_COPY: _render(acceptance),
    }
    stale = []
    for path, text in outputs.items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)}")
    if stale:
        for path in stale:
            print(
                f"out of date: {path.relative_to(REPO_ROOT)} (run contrib/tools/extract_cases.py)",
                file=sys.stderr,
            )
        return 1
    print(f"{len(spec_cases)} spec cases, {len(acceptance)} acceptance cases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
