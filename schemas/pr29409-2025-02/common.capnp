# common.capnp: Structs shared by the other files.
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

@0xcd2c6232cb484a28;

# A message in English and in the user's language.
struct BilingualStr {
  original @0 :Text;
  translated @1 :Text;
}

# A block hash (internal byte order) and its height.
struct BlockRef {
  hash @0 :Data;
  height @1 :Int32;
}

# A key and a value; with Data/Text parameters it reads like a plain two-field struct.
struct Pair(Key, Value) {
  key @0 :Key;
  value @1 :Value;
}

struct PairInt64(Key) {
  key @0 :Key;
  value @1 :Int64;
}

# A value or, if error is set, what went wrong.
struct Result(Value) {
  value @0 :Value;
  error @1 :BilingualStr;
}

# Success, or what went wrong.
struct ResultVoid(Value) {
  error @0 :BilingualStr;
}
