# common.capnp: Structs shared by the other files.
#
# Variant v31 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-31.0
#   Bitcoin Core 31.x branch point (master at 'Pre-31.x branching updates', 2026-03-10); schemas of the 31.0
#   release line
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xcd2c6232cb484a28;

# A block hash (internal byte order) and its height.
struct BlockRef {
  hash @0 :Data;
  height @1 :Int32;
}
