"""Real, unchanged client libraries against our server (stand-in node behind it, or BITCOIN_NODE).

- python-bitcoinrpc (``bitcoinrpc.authproxy.AuthServiceProxy``): calls, ``batch_``, an RPC error;
- python-bitcoinlib (``bitcoin.rpc.Proxy`` with ``SelectParams("regtest")`` and ``btc_conf_file=`` a
  bitcoin.conf in the server's datadir, so it authenticates with the server's cookie): calls, ``_batch``, an
  RPC error (its ``IndexError`` for -8);
- the npm package ``bitcoin-core`` (installed once with ``npm install --prefix <cache>`` into
  ``$RPCMP_NPM_CACHE`` or ``~/.cache/bitcoin-rpc-mp/npm``), run by a small node script: calls, a batch, an
  RPC error. Skipped, with the reason, only when node/npm are absent or the registry is unreachable.

Each does getblockcount, getblockhash 0 (the regtest genesis hash), getbestblockhash, a batch and
getblockhash -1 → -8 "Block height out of range".
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_framework.node import BackendNode, RpcServer
from test_framework.util import GENESIS_HASH_REGTEST, rpcauth_line

BLOCKS = 6
NPM_PACKAGE = "bitcoin-core"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[RpcServer]:
    """The stand-in (or BITCOIN_NODE) and our server with user u:p by -rpcauth, so a cookie exists too."""
    log = logging.getLogger("real_clients")
    workdir = Path(tempfile.mkdtemp(prefix="rpcmp_real_clients_"))
    node = BackendNode(workdir, log, blocks=BLOCKS)
    srv = RpcServer(workdir, log, socket_path=node.socket_path)
    ok = False
    try:
        node.start()
        srv.start([f"-rpcauth={rpcauth_line('u', 'p')}"], userpass=None, credentials=("u", "p"))
        if not node.is_standin:
            proxy = srv.proxy()
            height = proxy.getblockcount()
            if height < BLOCKS:
                proxy.generatetodescriptor(BLOCKS - height, "raw(51)")
        yield srv
        ok = True
    finally:
        srv.stop()
        node.stop()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(srv.tails(), node.tails(), f"(temp dir kept: {workdir})", sep="\n")


def test_python_bitcoinrpc(server: RpcServer) -> None:
    from bitcoinrpc.authproxy import AuthServiceProxy, JSONRPCException

    proxy = AuthServiceProxy(server.url("u", "p"), timeout=30)
    assert proxy.getblockcount() == BLOCKS
    assert proxy.getblockhash(0) == GENESIS_HASH_REGTEST
    assert proxy.getbestblockhash() == proxy.getblockhash(BLOCKS)

    # batch_ sends JSON-RPC 2.0 elements and reads response["error"] from each reply. bitcoind (28+) leaves
    # "error" out of a successful 2.0 reply, so an all-success batch_ ends in KeyError there, and here alike;
    # an error element first is raised as JSONRPCException.
    with pytest.raises(KeyError, match="error"):
        proxy.batch_([["getblockcount"], ["getblockhash", 0]])
    with pytest.raises(JSONRPCException) as batch_error:
        proxy.batch_([["getblockhash", -1], ["getblockcount"]])
    assert batch_error.value.error == {"code": -8, "message": "Block height out of range"}

    with pytest.raises(JSONRPCException) as excinfo:
        proxy.getblockhash(-1)
    assert excinfo.value.error == {"code": -8, "message": "Block height out of range"}
    with pytest.raises(JSONRPCException) as excinfo:
        proxy.nosuchmethod()
    assert excinfo.value.error == {"code": -32601, "message": "Method not found"}
    assert proxy.getblockcount() == BLOCKS  # the keep-alive connection survived the error replies


def test_python_bitcoinlib(server: RpcServer) -> None:
    import bitcoin
    import bitcoin.rpc
    from bitcoin.core import b2lx

    bitcoin.SelectParams("regtest")
    conf = server.datadir / "bitcoin.conf"
    conf.write_text(f"rpcconnect=127.0.0.1\nrpcport={server.port}\n")
    try:
        proxy = bitcoin.rpc.Proxy(btc_conf_file=str(conf), timeout=30)  # cookie from <datadir>/regtest/.cookie
        assert proxy.getblockcount() == BLOCKS
        assert b2lx(proxy.getblockhash(0)) == GENESIS_HASH_REGTEST
        assert proxy.getbestblockhash() == proxy.getblockhash(BLOCKS)
        replies = proxy._batch([{"method": "getblockcount", "id": 1},
                                {"method": "getblockhash", "params": [0], "id": 2},
                                {"method": "getblockhash", "params": [-1], "id": 3}])
        assert replies == [
            {"result": BLOCKS, "error": None, "id": 1},
            {"result": GENESIS_HASH_REGTEST, "error": None, "id": 2},
            {"result": None, "error": {"code": -8, "message": "Block height out of range"}, "id": 3},
        ]
        with pytest.raises(IndexError, match=r"Block height out of range \(-8\)"):
            proxy.getblockhash(-1)
        with pytest.raises(bitcoin.rpc.JSONRPCError) as excinfo:
            proxy.call("nosuchmethod")
        assert excinfo.value.error == {"code": -32601, "message": "Method not found"}
        proxy.close()
    finally:
        conf.unlink()
        bitcoin.SelectParams("mainnet")


NODE_SCRIPT = r"""
const Client = require('bitcoin-core');
const asPlain = (x) => (x instanceof Error ? { code: x.code, message: x.message } : x);
(async () => {
  const [port, username, password] = process.argv.slice(2);
  const client = new Client({ host: `http://127.0.0.1:${port}`, username, password, timeout: 30000 });
  const out = {};
  out.count = await client.getBlockCount();
  out.genesis = await client.getBlockHash(0);
  out.best = await client.getBestBlockHash();
  out.tip = await client.command('getblockhash', out.count);
  const batch = await client.command([
    { method: 'getblockcount' },
    { method: 'getblockhash', parameters: [0] },
    { method: 'getblockhash', parameters: [-1] },
  ]);
  out.batch = batch.map(asPlain);
  try { await client.getBlockHash(-1); out.error = null; } catch (e) { out.error = asPlain(e); }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e && e.stack ? e.stack : e); process.exit(1); });
"""


def npm_cache() -> Path:
    return Path(os.environ.get("RPCMP_NPM_CACHE", Path.home() / ".cache" / "bitcoin-rpc-mp" / "npm"))


def ensure_bitcoin_core_package() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: cannot run the npm package bitcoin-core")
    cache = npm_cache()
    modules = cache / "node_modules"
    if not (modules / NPM_PACKAGE / "package.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", NPM_PACKAGE],
                                  capture_output=True, text=True, timeout=240, check=False)
        except subprocess.TimeoutExpired:
            pytest.skip("npm install bitcoin-core timed out (registry unreachable?)")
        if proc.returncode != 0:
            pytest.skip(f"npm install bitcoin-core failed (registry unreachable?): {proc.stderr.strip()[-300:]}")
    return modules


def test_npm_bitcoin_core(server: RpcServer, tmp_path: Path) -> None:
    modules = ensure_bitcoin_core_package()
    script = tmp_path / "client.js"
    script.write_text(NODE_SCRIPT)
    env = dict(os.environ, NODE_PATH=str(modules))
    proc = subprocess.run(["node", str(script), str(server.port), "u", "p"], capture_output=True, text=True,
                          timeout=60, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["count"] == BLOCKS
    assert out["genesis"] == GENESIS_HASH_REGTEST
    assert out["best"] == out["tip"]
    assert out["batch"] == [BLOCKS, GENESIS_HASH_REGTEST, {"code": -8, "message": "Block height out of range"}]
    assert out["error"] == {"code": -8, "message": "Block height out of range"}
