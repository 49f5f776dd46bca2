# handler.capnp: Handler: returned for a registered callback; disconnect it to stop the calls.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xebd8f46e2f369076;

using Proxy = import "/mp/proxy.capnp";

# Returned for a registered callback.
interface Handler {
  destroy @0 (context :Proxy.Context) -> ();
  disconnect @1 (context :Proxy.Context) -> ();
}
