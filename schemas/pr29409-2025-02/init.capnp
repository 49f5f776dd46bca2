# init.capnp: Init, the bootstrap capability of the node's IPC socket: the factory of every other interface.
#
# Variant pr29409-2025-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-seed-era-2025-02
#   The numbering the seed's C++ prototype was built against (Init: construct @0, makeEcho @1, makeMining @2,
#   makeChain @3; Chain of the early-2025 rebase of PR #29409). Reconstructed from OdujokoD/multiprocess-rpc's
#   schema copies with Bitcoin Core's own file ids put back (that repo had changed them). Cross-check against
#   the seed's generated C++ (zaidmstrr/bitcoin-rpc-multiprocess src/ipc/*.capnp.h): all 9 Init schema ids and
#   151 of the 153 Chain schema ids it declares are in this fingerprint.
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Chain = import "chain.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";

# Bootstrap interface. construct first, then the make* factories (each returns a new object).
interface Init {
  # Our ThreadMap may stay null; the result is the node's ThreadMap for this connection.
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  # Blocks until the chainstate is loaded; null if shutdown comes first.
  makeMining @2 (context :Proxy.Context) -> (result :Mining.Mining);
  makeChain @3 (context :Proxy.Context) -> (result :Chain.Chain);
}
