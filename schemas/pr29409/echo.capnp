# echo.capnp: Echo, a test interface that returns the text it is given.
#
# Variant pr29409 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-on-master-2026-08
#   Bitcoin Core master 2026-08-20 (31.99) + PR #29409 Chain interface: the node built and measured here (its
#   chain.capnp adds waitForNotifications @51, uncommitted there)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0x888b4f7f51e691f7;

using Proxy = import "/mp/proxy.capnp";

# Round-trip test interface.
interface Echo {
  destroy @0 (context :Proxy.Context) -> ();
  echo @1 (context :Proxy.Context, echo :Text) -> (result :Text);
}
