# echo.capnp: Echo, a test interface that returns the text it is given.
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

@0x888b4f7f51e691f7;

using Proxy = import "/mp/proxy.capnp";

# Round-trip test interface.
interface Echo {
  destroy @0 (context :Proxy.Context) -> ();
  echo @1 (context :Proxy.Context, echo :Text) -> (result :Text);
}
