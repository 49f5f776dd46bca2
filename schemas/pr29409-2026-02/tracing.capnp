# tracing.capnp: Tracing (pr/trace branch only); we never call it.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xfcbbd3f49874128e;

using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";

interface Tracing {
  traceUtxoCache @0 (context :Proxy.Context, callback :UtxoCacheTrace) -> (result :Handler.Handler);
}

interface UtxoCacheTrace {
  destroy @0 (context :Proxy.Context) -> ();
  add @1 (utxoInfo :UtxoInfo) -> ();
  spend @2 (utxoInfo :UtxoInfo) -> ();
  uncache @3 (utxoInfo :UtxoInfo) -> ();
}

struct UtxoInfo {
  outpointHash @0 :Data;
  outpointN @1 :UInt32;
  height @2 :UInt32;
  value @3 :Int64;
  isCoinbase @4 :Bool;
}
