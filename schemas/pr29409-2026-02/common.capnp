# common.capnp: Structs shared by the other files.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
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

struct GlobalArgs {
  settings @0 :Settings;
  configPath @1 :Text;
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

struct PairUInt64(Key) {
  key @0 :Key;
  value @1 :UInt64;
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

struct Settings {
  forcedSettings @0 :List(Pair(Text, Text));
  commandLineOptions @1 :List(Pair(Text, List(Text)));
  rwSettings @2 :List(Pair(Text, Text));
  roConfig @3 :List(Pair(Text, List(Pair(Text, List(Text)))));
}
