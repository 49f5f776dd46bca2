# init.capnp: Init, the bootstrap capability of the node's IPC socket: the factory of every other interface.
#
# Variant v32 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-32-master-2026-08
#   Bitcoin Core master of 2026-08-20 (version 31.99, the future 32.0), without PR #29409
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";

# Bootstrap interface. construct first, then the make* factories (each returns a new object).
interface Init {
  # Our ThreadMap may stay null; the result is the node's ThreadMap for this connection.
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  # Placeholder: the 29.x/30.x makeMining ordinal, answers 'Old mining interface'.
  makeMiningOld2 @2 () -> ();
  # Blocks until the chainstate is loaded; null if shutdown comes first.
  makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
  makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
}
