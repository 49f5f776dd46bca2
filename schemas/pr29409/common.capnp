# common.capnp: Structs shared by the other files.
#
# Variant pr29409 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-on-master-2026-08
#   Bitcoin Core master 2026-08-20 (31.99) + PR #29409 Chain interface: the node built and measured here (its
#   chain.capnp adds waitForNotifications @51, uncommitted there)
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
