#!/usr/bin/env python3
"""Write schemas/<variant>/*.capnp from the wire fingerprints in ../shared/ipc-wire/.

    contrib/tools/gen_schemas.py                 (re)write every variant directory
    contrib/tools/gen_schemas.py --check         exit 1 if a committed file differs from what would be written
    contrib/tools/gen_schemas.py --variant v31   only that variant

A fingerprint (format capnp-wire-fingerprint/2, see ../shared/tools/check_wire.py) records, for every interface and
struct a node's schema files define, exactly what travels on the wire: file ids (interface ids derive from them and
the interface name), method ordinals, field order, types and defaults. That is all a compatible schema needs, so
each variant's set is written from its fingerprint, with our own comments. Every interface of the fingerprint is
written out in full, so `check_wire.py` finds nothing missing, even without `--allow-missing`.

Struct ids, annotations ($Proxy.wrap, $Cxx.namespace, ...) and C++ names never travel and are left out, so the
files need no import besides each other (not even /capnp/c++.capnp).

Depends on nothing but the standard library (and bitcoin_rpc_mp.ipc.schemas for the variant list).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bitcoin_rpc_mp.ipc.schemas import FINGERPRINT_NAMES, VARIANTS  # noqa: E402

FORMAT = "capnp-wire-fingerprint/2"
INDENT = "  "
WIDTH = 110

Node = dict[str, Any]

# Where each schema file goes inside a variant directory, and the name other files import it under.
FILE_PATHS = {"proxy.capnp": "mp/proxy.capnp"}
IMPORT_PATHS = {"proxy.capnp": "/mp/proxy.capnp"}
ALIASES = {"proxy.capnp": "Proxy"}

PRIMITIVE_NAMES = {
    "void": "Void",
    "bool": "Bool",
    "int8": "Int8",
    "int16": "Int16",
    "int32": "Int32",
    "int64": "Int64",
    "uint8": "UInt8",
    "uint16": "UInt16",
    "uint32": "UInt32",
    "uint64": "UInt64",
    "float32": "Float32",
    "float64": "Float64",
    "text": "Text",
    "data": "Data",
}

# What each file is for (first lines of its header comment).
FILE_NOTES = {
    "proxy.capnp": "libmultiprocess threads: a call that carries a Context runs on the node thread it names.",
    "init.capnp": "Init, the bootstrap capability of the node's IPC socket: the factory of every other interface.",
    "echo.capnp": "Echo, a test interface that returns the text it is given.",
    "common.capnp": "Structs shared by the other files.",
    "mining.capnp": "Mining and BlockTemplate: tip queries and waits, block templates, block submission.",
    "rpc.capnp": "Rpc: runs a JSON-RPC request inside the node, as its HTTP server would.",
    "chain.capnp": "Chain (PR #29409): the node's chain state, mempool and settings, plus notification callbacks.",
    "handler.capnp": "Handler: returned for a registered callback; disconnect it to stop the calls.",
    "node.capnp": "Node: the interface the GUI uses (pr/trace branch only); we never call it.",
    "wallet.capnp": "WalletLoader and Wallet (pr/trace branch only); we never call them.",
    "tracing.capnp": "Tracing (pr/trace branch only); we never call it.",
}

# Comments above declarations and methods, keyed by "Interface" / "Interface.method" / "Struct" / "Struct.field".
NOTES = {
    "Init": "Bootstrap interface. construct first, then the make* factories (each returns a new object).",
    "Init.construct": "Our ThreadMap may stay null; the result is the node's ThreadMap for this connection.",
    "Init.makeMiningOld2": "Placeholder: the 29.x/30.x makeMining ordinal, answers 'Old mining interface'.",
    "Init.makeMining": "Blocks until the chainstate is loaded; null if shutdown comes first.",
    "ThreadMap": "Creates node threads bound to this connection.",
    "ThreadMap.makeThread": "A new node thread (one call at a time, FIFO); it ends when released.",
    "ThreadMap.makePool": "count pool threads that run the calls whose context names no thread (one pool per connection).",
    "Thread": "Handle of a thread; put it in Context.thread to run a call there.",
    "Context": "First parameter of every call that runs on a worker thread rather than the event-loop thread.",
    "Context.thread": "The Thread to run the call on; unset: the connection's pool, if any.",
    "Context.callbackThread": "Thread of ours for calls back to us during this call; may stay unset.",
    "Echo": "Round-trip test interface.",
    "Mining": "Mining interface, reached through Init.makeMining.",
    "Mining.getTip": "Hash (internal byte order) and height of the tip; read result only when hasResult.",
    "Mining.waitTipChanged": "Waits up to timeout ms for a tip other than currentTip; unset result on shutdown or interrupt.",
    "Mining.interrupt": "Ends a waitTipChanged of this Mining object (or the next one, if none is waiting).",
    "BlockTemplate": "A block template with its mempool snapshot: destroy it when done.",
    "BlockTemplate.submitSolutionOld7": "Placeholder kept so ordinals stay put; newer nodes answer an error.",
    "Rpc": "JSON-RPC through IPC (bitcoin-cli -ipcconnect). The reply is the body only: no HTTP status.",
    "Rpc.executeRpc": "request is the JSON text, uri '/' or '/wallet/<name>', user the authenticated name.",
    "Chain": "Chain interface of PR #29409, reached through Init.makeChain.",
    "Chain.getBlockHash": "Aborts the node for a height outside the active chain: never call it.",
    "Chain.findBlock": "Facts about the block with this hash; found only if result is true.",
    "Chain.findFirstBlockWithTimeAndHeight": "First active-chain block with time >= minTime and height >= minHeight.",
    "Chain.initMessage": "Shows a start-up message (the node logs 'init message: ...').",
    "Chain.handleNotifications": "Registers our ChainNotifications; release or disconnect the Handler to stop it.",
    "Chain.waitForNotificationsIfTipChanged": "Returns once notifications up to the current tip were delivered.",
    "ChainNotifications": "Implemented by us: the node calls it from its scheduler thread, in order.",
    "Handler": "Returned for a registered callback.",
    "FoundBlockParam": "Which facts findBlock & co. should return (nextBlock: also the active-chain successor).",
    "FoundBlockResult": "The requested facts; hash in internal byte order, data serialised with witness.",
    "BlockRef": "A block hash (internal byte order) and its height.",
    "Pair": "A key and a value; with Data/Text parameters it reads like a plain two-field struct.",
    "Result": "A value or, if error is set, what went wrong.",
    "ResultVoid": "Success, or what went wrong.",
    "BilingualStr": "A message in English and in the user's language.",
}

# Declaration order of the interfaces in a file (others follow in the fingerprint's order).
INTERFACE_ORDER = [
    "Init",
    "ThreadMap",
    "Thread",
    "Echo",
    "Mining",
    "BlockTemplate",
    "Rpc",
    "Chain",
    "ChainNotifications",
    "ChainClient",
    "Handler",
    "Node",
    "WalletLoader",
    "Wallet",
    "Tracing",
]


def load_fingerprint(path: Path) -> dict[str, Any]:
    with path.open() as f:
        data: dict[str, Any] = json.load(f)
    if data.get("format") != FORMAT:
        raise SystemExit(f"{path}: not a {FORMAT} file")
    return data


def is_method_struct(node: Node) -> bool:
    name = str(node["name"])
    return node["kind"] == "struct" and name.endswith(("$Params", "$Results"))


class FileWriter:
    """Renders one .capnp file of a fingerprint."""

    def __init__(self, fp: dict[str, Any], file_name: str, variant: str, fp_name: str) -> None:
        self.nodes: dict[str, Node] = fp["nodes"]
        self.fp = fp
        self.file = file_name
        self.variant = variant
        self.fp_name = fp_name
        self.imports: set[str] = set()
        self.local_names = {n["name"] for n in self.nodes.values() if n["file"] == file_name}

    # --- names and types -------------------------------------------------------------------------------------
    def alias(self, file_name: str) -> str:
        alias = ALIASES.get(file_name, file_name.removesuffix(".capnp").capitalize())
        if alias in self.local_names:
            raise ValueError(f"{self.file} defines {alias}, the name it would import {file_name} under")
        return alias

    def qualified(self, node_id: str) -> str:
        node = self.nodes[node_id]
        if node["file"] == self.file:
            return str(node["name"])
        self.imports.add(node["file"])
        return f"{self.alias(node['file'])}.{node['name']}"

    def type_name(self, t: Any) -> str:
        if isinstance(t, str):
            return PRIMITIVE_NAMES[t]
        if "list" in t:
            return f"List({self.type_name(t['list'])})"
        if "param" in t:
            scope = self.nodes[t["param"]["scope"]]
            return str(scope["parameters"][t["param"]["index"]])
        for kind in ("struct", "interface", "enum"):
            if kind in t:
                name = self.qualified(t[kind])
                brand = t.get("brand") or []
                if brand:
                    if len(brand) != 1 or brand[0]["scope"] != t[kind] or "bind" not in brand[0]:
                        raise ValueError(f"unsupported brand {brand}")
                    name += "(" + ", ".join(self.type_name(b) for b in brand[0]["bind"]) + ")"
                return name
        raise ValueError(f"unsupported type {t}")

    @staticmethod
    def default_text(field: Node) -> str:
        value = field["default"]
        if value is None or value is False or isinstance(value, dict) or value == 0:
            if isinstance(value, dict) and any(v not in (None, "") for v in value.values()):
                raise ValueError(f"pointer default {value} cannot be written from a fingerprint")
            return ""
        if value is True:
            return " = true"
        if isinstance(value, str):  # non-finite floats are stored as repr()
            return {"inf": " = inf", "-inf": " = -inf", "nan": " = nan"}[value]
        return f" = {value!r}"

    def field_decl(self, field: Node) -> str:
        if "group" in field or field["discriminant"] is not None:
            raise ValueError(f"unions and groups are not supported ({field['name']})")
        return (
            f"{field['name']} @{field['ordinal']} :{self.type_name(field['type'])}{self.default_text(field)}"
        )

    def params(self, struct_id: str) -> list[str]:
        """The items of a parameter or result list; a named struct type is one item without parentheses."""
        node = self.nodes[struct_id]
        if not is_method_struct(node):
            return [self.qualified(struct_id)]
        fields = sorted(node["fields"], key=lambda f: f["ordinal"])
        if [f["ordinal"] for f in fields] != list(range(len(fields))):
            raise ValueError(f"{node['name']}: parameter ordinals are not 0..n-1")
        return [self.param_decl(f) for f in fields]

    def param_list(self, struct_id: str) -> tuple[str, list[str], str]:
        if is_method_struct(self.nodes[struct_id]):
            return "(", self.params(struct_id), ")"
        return "", self.params(struct_id), ""

    def param_decl(self, field: Node) -> str:
        # Inside a method's parameter list fields take no @N: their position is their ordinal.
        if "group" in field or field["discriminant"] is not None:
            raise ValueError(f"unions and groups are not supported ({field['name']})")
        return f"{field['name']} :{self.type_name(field['type'])}{self.default_text(field)}"

    # --- declarations ----------------------------------------------------------------------------------------
    def comment(self, key: str, indent: str) -> list[str]:
        note = NOTES.get(key)
        return [f"{indent}# {note}"] if note else []

    def interface(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        name = node["name"]
        if node["parameters"]:
            raise ValueError(f"generic interface {name} is not supported")
        supers = ""
        if node["superclasses"]:
            supers = " extends(" + ", ".join(self.qualified(s["id"]) for s in node["superclasses"]) + ")"
        lines = [*self.comment(name, ""), f"interface {name}{supers} {{"]
        for method in node["methods"]:
            if "paramBrand" in method or "resultBrand" in method:
                raise ValueError(f"branded method {name}.{method['name']} is not supported")
            lines += self.comment(f"{name}.{method['name']}", INDENT)
            lines += self.method_lines(method)
        lines.append("}")
        return lines

    def method_lines(self, method: Node) -> list[str]:
        """`name @N (params) -> (results);`, wrapped at WIDTH with continuation lines indented twice."""
        open_p, params, close_p = self.param_list(method["params"])
        open_r, results, close_r = self.param_list(method["results"])
        head = f"{INDENT}{method['name']} @{method['ordinal']} {open_p}"
        one_line = f"{head}{', '.join(params)}{close_p} -> {open_r}{', '.join(results)}{close_r};"
        if len(one_line) <= WIDTH:
            return [one_line]
        cont = INDENT * 3
        return [
            *wrap_items(head, params, close_p, cont),
            *wrap_items(f"{cont}-> {open_r}", results, f"{close_r};", cont),
        ]

    def struct(self, node_id: str) -> list[str]:
        node = self.nodes[node_id]
        name = node["name"]
        if node["discriminantCount"] or node["isGroup"]:
            raise ValueError(f"unions and groups are not supported ({name})")
        params = "(" + ", ".join(node["parameters"]) + ")" if node["parameters"] else ""
        lines = [*self.comment(name, ""), f"struct {name}{params} {{"]
        for field in sorted(node["fields"], key=lambda f: f["ordinal"]):
            lines += self.comment(f"{name}.{field['name']}", INDENT)
            lines.append(f"{INDENT}{self.field_decl(field)};")
        lines.append("}")
        return lines

    def declaration_order(self) -> tuple[list[str], list[str]]:
        mine = {k: n for k, n in self.nodes.items() if n["file"] == self.file and not is_method_struct(n)}
        for n in mine.values():
            if "." in n["name"]:
                raise ValueError(f"nested declaration {n['name']} is not supported")
        rank = {name: i for i, name in enumerate(INTERFACE_ORDER)}
        interfaces = sorted(
            (k for k, n in mine.items() if n["kind"] == "interface"),
            key=lambda k: (rank.get(mine[k]["name"], len(rank)), mine[k]["name"]),
        )
        # Structs in the order the interfaces above first use them, then the rest by name.
        structs: list[str] = []

        def use(t: Any) -> None:
            if isinstance(t, dict):
                for key, value in t.items():
                    if key == "struct" and value in mine and value not in structs:
                        structs.append(value)
                        for f in mine[value]["fields"]:
                            use(f.get("type"))
                    elif key in ("list", "brand", "bind") or isinstance(value, (list, dict)):
                        use(value)
            elif isinstance(t, list):
                for item in t:
                    use(item)

        for k in interfaces:
            for method in mine[k]["methods"]:
                for sid in (method["params"], method["results"]):
                    for f in self.nodes[sid]["fields"]:
                        use(f["type"])
        structs += sorted(
            (k for k, n in mine.items() if n["kind"] == "struct" and k not in structs),
            key=lambda k: mine[k]["name"],
        )
        for n in mine.values():
            if n["kind"] not in ("struct", "interface"):
                raise ValueError(f"{n['kind']} {n['name']} is not supported")
        return interfaces, structs

    def render(self) -> str:
        interfaces, structs = self.declaration_order()
        body: list[str] = []
        for k in interfaces:
            body += ["", *self.interface(k)]
        for k in structs:
            body += ["", *self.struct(k)]
        source = self.fp.get("source", {})
        label = source.get("label", self.fp_name)
        header = [
            f"# {FILE_PATHS.get(self.file, self.file)}: {FILE_NOTES.get(self.file, 'Schema file of bitcoin-node.')}",
            "#",
            f"# Variant {self.variant} of bitcoin-rpc-mp's schemas: wire-compatible with {self.fp_name}",
            *wrap_comment(label, "#   "),
            "# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);",
            "# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;",
            "# check with ../shared/tools/check_wire.py.",
        ]
        if self.file == "mining.capnp":
            header += ["#", *wrap_comment(mining_defaults_note(self.nodes), "# ")]
        lines = [*header, "", f"@{self.fp['files'][self.file]};"]
        if self.imports:
            lines.append("")
            for imported in sorted(self.imports, key=lambda f: (f != "proxy.capnp", f)):
                path = IMPORT_PATHS.get(imported, imported)
                lines.append(f'using {self.alias(imported)} = import "{path}";')
        return "\n".join([*lines, *body]) + "\n"


def wrap_items(first: str, items: list[str], last: str, cont: str) -> list[str]:
    """first + items joined by ', ' + last, broken after a comma wherever a line would pass WIDTH."""
    lines: list[str] = []
    line = first
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else last)
        if line.strip() and not line.endswith(("(", "-> ")) and len(line) + 1 + len(piece) > WIDTH:
            lines.append(line)
            line = cont + piece
        else:
            line = f"{line}{piece}" if line.endswith(("(", "-> ")) or not line.strip() else f"{line} {piece}"
    if not items:
        line += last
    lines.append(line)
    return lines


def wrap_comment(text: str, prefix: str) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(prefix) + len(line) + 1 + len(word) > WIDTH:
            out.append(prefix + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(prefix + line)
    return out


def mining_defaults_note(nodes: dict[str, Node]) -> str:
    for n in nodes.values():
        if n["name"] == "Mining.waitTipChanged$Params":
            timeout = next(f for f in n["fields"] if f["name"] == "timeout")
            if timeout["default"]:
                return (
                    "Defaults are those of Bitcoin Core 31.0 and later (waitTipChanged and BlockWaitOptions "
                    "timeout = max double, BlockCreateOptions useMempool/8000/400, BlockCheckOptions true). "
                    "Primitive defaults are XOR-ed into the encoding: never mix this file with another variant's."
                )
            return (
                "Defaults are those of nodes before 31.0: every option is zero or false (an unset waitTipChanged "
                "timeout is 0 ms, so always send it). Primitive defaults are XOR-ed into the "
                "encoding: never mix this file with another variant's."
            )
    return "Primitive defaults are XOR-ed into the encoding: never mix this file with another variant's."


def render_variant(variant: str, fp_dir: Path) -> dict[str, str]:
    """Relative path -> file text for one variant."""
    fp_name = FINGERPRINT_NAMES[variant]
    fp = load_fingerprint(fp_dir / f"{fp_name}.json")
    return {
        FILE_PATHS.get(name, name): FileWriter(fp, name, variant, fp_name).render() for name in fp["files"]
    }


def existing_files(directory: Path) -> Iterable[str]:
    return (str(p.relative_to(directory)) for p in directory.rglob("*.capnp"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--fingerprints",
        type=Path,
        default=REPO.parent / "shared" / "ipc-wire",
        help="directory of the fingerprint JSON files (default: ../shared/ipc-wire)",
    )
    ap.add_argument("--out", type=Path, default=REPO / "schemas", help="schema root (default: schemas/)")
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="only this variant (repeatable)")
    ap.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    args = ap.parse_args(argv)
    stale = 0
    for variant in args.variant or VARIANTS:
        files = render_variant(variant, args.fingerprints)
        directory = args.out / variant
        if args.check:
            for rel, text in files.items():
                path = directory / rel
                if not path.is_file() or path.read_text() != text:
                    print(f"differs: {path}")
                    stale += 1
            for rel in existing_files(directory) if directory.is_dir() else ():
                if rel not in files:
                    print(f"not generated: {directory / rel}")
                    stale += 1
            continue
        for rel, text in files.items():
            path = directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for rel in existing_files(directory):
            if rel not in files:
                (directory / rel).unlink()
        print(f"{directory}: {len(files)} files")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
