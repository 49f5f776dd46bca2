# echo.capnp: Echo, a test interface that returns the text it is given.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
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
