# init.capnp: Init, the bootstrap capability of the node's IPC socket: the factory of every other interface.
#
# Variant v31 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-31.0
#   Bitcoin Core 31.x branch point (master at 'Pre-31.x branching updates', 2026-03-10); schemas of the 31.0
#   release line
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";

# Bootstrap interface. construct first, then the make* factories (each returns a new object).
interface Init {
  # Our ThreadMap may stay null; the result is the node's ThreadMap for this connection.
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  # Placeholder: the 29.x/30.x makeMining ordinal, answers 'Old mining interface'.
  makeMiningOld2 @2 () -> ();
  # Blocks until the chainstate is loaded; null if shutdown comes first.
  makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
}
