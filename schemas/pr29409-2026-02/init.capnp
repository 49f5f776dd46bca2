# init.capnp: Init, the bootstrap capability of the node's IPC socket: the factory of every other interface.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xf2c5cfa319406aa6;

using Proxy = import "/mp/proxy.capnp";
using Chain = import "chain.capnp";
using Common = import "common.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Node = import "node.capnp";
using Tracing = import "tracing.capnp";
using Wallet = import "wallet.capnp";

# Bootstrap interface. construct first, then the make* factories (each returns a new object).
interface Init {
  # Our ThreadMap may stay null; the result is the node's ThreadMap for this connection.
  construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
  makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
  # Placeholder: the 29.x/30.x makeMining ordinal, answers 'Old mining interface'.
  makeMiningOld2 @2 () -> ();
  # Blocks until the chainstate is loaded; null if shutdown comes first.
  makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
  makeChain @4 (context :Proxy.Context) -> (result :Chain.Chain);
  makeNode @5 (context :Proxy.Context) -> (result :Node.Node);
  makeWalletLoader @6 (context :Proxy.Context, globalArgs :Common.GlobalArgs, chain :Chain.Chain)
      -> (result :Wallet.WalletLoader);
  makeTracing @7 (context :Proxy.Context) -> (result :Tracing.Tracing);
}
