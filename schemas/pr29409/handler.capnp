# handler.capnp: Handler: returned for a registered callback; disconnect it to stop the calls.
#
# Variant pr29409 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-on-master-2026-08
#   Bitcoin Core master 2026-08-20 (31.99) + PR #29409 Chain interface: the node built and measured here (its
#   chain.capnp adds waitForNotifications @51, uncommitted there)
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
