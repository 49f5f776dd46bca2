# common.capnp: Structs shared by the other files.
#
# Variant v32 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-32-master-2026-08
#   Bitcoin Core master of 2026-08-20 (version 31.99, the future 32.0), without PR #29409
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xcd2c6232cb484a28;

# A block hash (internal byte order) and its height.
struct BlockRef {
  hash @0 :Data;
  height @1 :Int32;
}
