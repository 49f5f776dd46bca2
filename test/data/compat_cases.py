"""The captured bitcoind cases, for any test: compat spec §6 (112 REQ/RESP pairs) and acceptance-cases.json.

Sources, first found wins:
  1. `<repo>/../shared/spec/bitcoind-rpc-compat.md` and `acceptance-cases.json` (the facts themselves);
  2. the JSON copies in this directory (`compat_spec_cases.json`, `acceptance_cases.json`), written by
     `contrib/tools/extract_cases.py`, so a clone without `../shared` still has the cases.
If neither exists the loaders call `pytest.skip` with the reason.

Import from a test with:
    sys.path.insert(0, str(Path(__file__).resolve().parents[N] / "data")); import compat_cases
(test/ has no packages, and `test` is also the name of a stdlib package).

Response heads keep bitcoind's date as the placeholder `Date: <RFC1123>`; `mask_date` puts the same placeholder
into bytes we produce so the two compare byte for byte.
"""

from __future__ import annotations

import ast
import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent
REPO_ROOT = DATA_DIR.parents[1]
SPEC_DIR = REPO_ROOT.parent / "shared" / "spec"
SPEC_MD = SPEC_DIR / "bitcoind-rpc-compat.md"
ACCEPTANCE_JSON = SPEC_DIR / "acceptance-cases.json"
SPEC_CASES_COPY = DATA_DIR / "compat_spec_cases.json"
ACCEPTANCE_COPY = DATA_DIR / "acceptance_cases.json"

DATE_PLACEHOLDER = b"<RFC1123>"
_DATE_RE = re.compile(rb"(\r\nDate: )[^\r\n]*(\r\n)")

_TITLE_RE = re.compile(r"^\*\*(\d+)\. (.*?)\*\*(?: \((.*)\))?\s*$")


@dataclass(frozen=True)
class SpecCase:
    """One §6 case. `response_head` ends with the blank line; `setup` is the node note (e.g. the whitelist
    node's options) or None for the default node; `note` is the trailing remark (e.g. `≈250 ms delay`)."""

    number: int
    name: str
    request: bytes
    response_head: bytes
    response_body: bytes
    setup: str | None = None
    note: str | None = None

    @property
    def response(self) -> bytes:
        return self.response_head + self.response_body

    @property
    def status(self) -> int:
        return int(self.response_head.split(b" ", 2)[1])

    @property
    def id(self) -> str:
        return f"{self.number}-{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "request": self.request.decode("latin-1"),
            "response_head": self.response_head.decode("latin-1"),
            "response_body": self.response_body.decode("latin-1"),
            "setup": self.setup,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> SpecCase:
        return cls(
            number=obj["number"],
            name=obj["name"],
            request=obj["request"].encode("latin-1"),
            response_head=obj["response_head"].encode("latin-1"),
            response_body=obj["response_body"].encode("latin-1"),
            setup=obj["setup"],
            note=obj["note"],
        )


@dataclass(frozen=True)
class AcceptanceCase:
    """One entry of acceptance-cases.json, with the request rendered the way §6 frames requests."""

    name: str
    verb: str
    path: str
    version: str
    auth: str | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status_line: bytes
    response_headers: tuple[bytes, ...]  # without Date
    has_date: bool
    response_body: bytes

    @property
    def status(self) -> int:
        return int(self.status_line.split(b" ", 2)[1])

    @property
    def id(self) -> str:
        return self.name

    def request_bytes(self) -> bytes:
        """`VERB PATH VERSION`, Host, Authorization (from `auth`), the extra headers, Content-Length (always for
        POST, else only with a body), blank line, body."""
        lines = [f"{self.verb} {self.path} {self.version}", "Host: 127.0.0.1"]
        if self.auth is not None:
            lines.append("Authorization: Basic " + base64.b64encode(self.auth.encode()).decode())
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.verb == "POST" or self.body:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AcceptanceCase:
        req, resp = obj["request"], obj["response"]
        return cls(
            name=obj["name"],
            verb=req["verb"],
            path=req["path"],
            version=req["version"],
            auth=req["auth"],
            headers=tuple(req["headers"].items()),
            body=req["body"].encode("utf-8"),
            status_line=resp["status_line"].encode("latin-1"),
            response_headers=tuple(h.encode("latin-1") for h in resp["headers"]),
            has_date=resp["has_date"],
            response_body=resp["body"].encode("utf-8"),
        )


def mask_date(data: bytes) -> bytes:
    """Replace the value of a `Date:` header line with `<RFC1123>`."""
    return _DATE_RE.sub(rb"\1<RFC1123>\2", data, count=1)


def parse_spec_markdown(text: str) -> list[SpecCase]:
    """Every `**N. name**` / `REQ` / `RESP ... + BODY ...` triple of compat spec §6, literals read with
    ast.literal_eval. Raises ValueError on a block it cannot read."""
    lines = text.splitlines()
    cases: list[SpecCase] = []
    i = 0
    while i < len(lines):
        title = _TITLE_RE.match(lines[i])
        if title is None or i + 2 >= len(lines) or not lines[i + 1].startswith("REQ `"):
            i += 1
            continue
        req_line, resp_line = lines[i + 1].rstrip(), lines[i + 2].rstrip()
        if not resp_line.startswith("RESP `") or "` + BODY `" not in resp_line:
            raise ValueError(f"case {title.group(1)}: unreadable RESP line")
        request = _literal(req_line[len("REQ ") :])
        head_text, body_text = resp_line[len("RESP ") :].split(" + BODY ", 1)
        end = body_text.rfind("`")
        note = body_text[end + 1 :].strip() or None
        if note is not None and note.startswith("(") and note.endswith(")"):
            note = note[1:-1]
        cases.append(
            SpecCase(
                number=int(title.group(1)),
                name=title.group(2),
                request=request,
                response_head=_literal(head_text),
                response_body=_literal(body_text[: end + 1]),
                setup=title.group(3),
                note=note,
            )
        )
        i += 3
    numbers = [c.number for c in cases]
    if numbers != list(range(1, len(cases) + 1)):
        raise ValueError(f"§6 case numbers are not 1..N in order: {numbers}")
    return cases


def _literal(quoted: str) -> bytes:
    quoted = quoted.strip()
    if not (quoted.startswith("`") and quoted.endswith("`")):
        raise ValueError(f"not a `b'...'` literal: {quoted[:40]!r}")
    value = ast.literal_eval(quoted[1:-1])
    if not isinstance(value, bytes):
        raise ValueError(f"not a bytes literal: {quoted[:40]!r}")
    return value


def _skip(reason: str) -> None:
    import pytest

    pytest.skip(reason, allow_module_level=True)


def spec_cases_from_markdown() -> list[SpecCase] | None:
    if not SPEC_MD.is_file():
        return None
    return parse_spec_markdown(SPEC_MD.read_text(encoding="utf-8"))


def acceptance_cases_from_shared() -> list[dict[str, Any]] | None:
    if not ACCEPTANCE_JSON.is_file():
        return None
    data: list[dict[str, Any]] = json.loads(ACCEPTANCE_JSON.read_text(encoding="utf-8"))
    return data


def load_spec_cases() -> list[SpecCase]:
    """The §6 cases from the spec, else from the JSON copy; skips the calling test if neither exists."""
    cases = spec_cases_from_markdown()
    if cases is not None:
        return cases
    if SPEC_CASES_COPY.is_file():
        return [SpecCase.from_json(o) for o in json.loads(SPEC_CASES_COPY.read_text(encoding="utf-8"))]
    _skip(f"compat spec cases not found: neither {SPEC_MD} nor {SPEC_CASES_COPY}")
    raise AssertionError("unreachable")


def load_acceptance_cases() -> list[AcceptanceCase]:
    """acceptance-cases.json from the spec, else from the copy; skips the calling test if neither exists."""
    raw = acceptance_cases_from_shared()
    if raw is None and ACCEPTANCE_COPY.is_file():
        raw = json.loads(ACCEPTANCE_COPY.read_text(encoding="utf-8"))
    if raw is None:
        _skip(f"acceptance cases not found: neither {ACCEPTANCE_JSON} nor {ACCEPTANCE_COPY}")
        raise AssertionError("unreachable")
    return [AcceptanceCase.from_json(o) for o in raw]
