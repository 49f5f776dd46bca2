# echo.capnp: Echo, a test interface that returns the text it is given.
#
# Variant v32 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-32-master-2026-08
#   Bitcoin Core master of 2026-08-20 (version 31.99, the future 32.0), without PR #29409
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
