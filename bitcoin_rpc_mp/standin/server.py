"""pycapnp servers of the stand-in node, composed per schema variant: Init, ThreadMap, Thread, Echo, Mining,
Rpc, Chain and the Handler of ``Chain.handleNotifications``.

The behaviour lives in plain module-level classes, one module per interface group (`serve_threads`,
`serve_init`, `serve_mining`, `serve_chain` with `serve_notifications`, with the shared plumbing in `serve_base`); `make_server_classes`
mixes each with the ``Server`` base of one variant's loaded schemas (types of two schema parsers never mix).
Together they own the libmultiprocess semantics a client can observe:

- every connection gets its own Init (bootstrap) and ThreadMap; Threads and pools as in `serve_threads`;
- a method with a ``context`` runs on the Thread named there: one call at a time per Thread, FIFO; calls on
  different Threads run concurrently. The v30 variant instead fails a call sent to a busy Thread;
- no valid Thread and no pool: ``FAILED remote exception: std::exception: no thread specified and no pool
  configured``; ordinals a variant lacks answer UNIMPLEMENTED (pycapnp's dispatcher does this);
- ``Chain.getBlockHash`` with a height outside the active chain, and any call on an Echo/Chain after its
  ``destroy``, kill the process (``os.abort()``) as bitcoin-node dies.

A call's Thread is found by asking the received capability for its name (``Thread.getName``, a local call
since the client hands back our own object) and mapping the unique name back; pycapnp offers no way to
unwrap a capability to its server object.

No module here imports ``node.py``: servers see the node through `serve_base.NodeState`. Imports of ours: the
``serve_*`` modules only.
"""

from __future__ import annotations

from typing import Any

from bitcoin_rpc_mp.standin.serve_chain import ChainService
from bitcoin_rpc_mp.standin.serve_init import EchoService, InitService, RpcService
from bitcoin_rpc_mp.standin.serve_mining import MiningService
from bitcoin_rpc_mp.standin.serve_notifications import HandlerService
from bitcoin_rpc_mp.standin.serve_threads import ThreadMapService, ThreadService


def make_server_classes(vs: Any, variant: str) -> dict[str, type]:
    """The server classes for one variant's schemas ``vs`` (`ipc.schemas.load_variant`): Thread, ThreadMap,
    Init (which hands out that variant's Echo, Mining, Rpc and Chain)."""

    def mix(name: str, service: type, server_base: Any, **attrs: Any) -> type:
        return type(name, (service, server_base), attrs)

    rpc = mix("Rpc", RpcService, vs.rpc.Rpc.Server) if vs.rpc is not None else None
    chain = None
    if vs.chain is not None:
        notifications = vs.chain.ChainNotifications.schema.methods["blockConnected"]
        chain = mix(
            "Chain",
            ChainService,
            vs.chain.Chain.Server,
            handler_class=mix("Handler", HandlerService, vs.handler.Handler.Server),
            role_is_struct=notifications.param_type.fields["role"].proto.slot.type.which() == "struct",
        )
    init = mix(
        "Init",
        InitService,
        vs.init.Init.Server,
        echo_class=mix("Echo", EchoService, vs.echo.Echo.Server),
        mining_class=mix("Mining", MiningService, vs.mining.Mining.Server),
        rpc_class=rpc,
        chain_class=chain,
    )
    return {
        "Thread": mix("Thread", ThreadService, vs.proxy.Thread.Server, queueing=variant != "v30"),
        "ThreadMap": mix("ThreadMap", ThreadMapService, vs.proxy.ThreadMap.Server),
        "Init": init,
    }
