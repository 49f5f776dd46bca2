"""Help texts of the native methods (used against nodes without Rpc) are bitcoind's.

getblockcount's text is checked against the reply captured from a node (compat spec §6 case 102); the
others against the stand-in's independently written texts, so two writers must agree byte for byte.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bitcoin_rpc_mp.handlers.helptext import HELP
from bitcoin_rpc_mp.handlers.native import NATIVE_METHODS
from bitcoin_rpc_mp.standin import replies

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
import compat_cases


def test_getblockcount_help_is_the_captured_one() -> None:
    case = next(c for c in compat_cases.load_spec_cases() if c.number == 102)
    assert HELP["getblockcount"] == json.loads(case.response_body)["result"]


@pytest.mark.parametrize("method", ["getblockcount", "getblockhash", "getbestblockhash"])
def test_help_agrees_with_the_stand_in(method: str) -> None:
    assert HELP[method] == replies.METHODS[method].help()


def test_every_native_method_has_help() -> None:
    for name, method in NATIVE_METHODS.items():
        assert method.help.split("\n", 1)[0].split(" ")[0] == name
