# echo.capnp: Echo, a test interface that returns the text it is given.
#
# Variant v30 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-30.0
#   Bitcoin Core 30.x branch point (master at the bump of CLIENT_VERSION_MAJOR to 30, 2025-09-09); schemas of
#   the 30.0 release line
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
