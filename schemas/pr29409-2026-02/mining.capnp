# mining.capnp: Mining and BlockTemplate: tip queries and waits, block templates, block submission.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.
#
# Defaults are those of Bitcoin Core 31.0 and later (waitTipChanged and BlockWaitOptions timeout = max double,
# BlockCreateOptions useMempool/8000/400, BlockCheckOptions true). Primitive defaults are XOR-ed into the
# encoding: never mix this file with another variant's.

@0xc77d03df6a41b505;

using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";

# Mining interface, reached through Init.makeMining.
interface Mining {
  isTestChain @0 (context :Proxy.Context) -> (result :Bool);
  isInitialBlockDownload @1 (context :Proxy.Context) -> (result :Bool);
  # Hash (internal byte order) and height of the tip; read result only when hasResult.
  getTip @2 (context :Proxy.Context) -> (result :Common.BlockRef, hasResult :Bool);
  # Waits up to timeout ms for a tip other than currentTip; unset result on shutdown or interrupt.
  waitTipChanged @3 (context :Proxy.Context, currentTip :Data, timeout :Float64 = 1.7976931348623157e+308)
      -> (result :Common.BlockRef);
  createNewBlock @4 (context :Proxy.Context, options :BlockCreateOptions) -> (result :BlockTemplate);
  checkBlock @5 (context :Proxy.Context, block :Data, options :BlockCheckOptions)
      -> (reason :Text, debug :Text, result :Bool);
}

# A block template with its mempool snapshot: destroy it when done.
interface BlockTemplate {
  destroy @0 (context :Proxy.Context) -> ();
  getBlockHeader @1 (context :Proxy.Context) -> (result :Data);
  getBlock @2 (context :Proxy.Context) -> (result :Data);
  getTxFees @3 (context :Proxy.Context) -> (result :List(Int64));
  getTxSigops @4 (context :Proxy.Context) -> (result :List(Int64));
  getCoinbaseTx @5 (context :Proxy.Context) -> (result :CoinbaseTx);
  getCoinbaseMerklePath @6 (context :Proxy.Context) -> (result :List(Data));
  submitSolution @7 (context :Proxy.Context, version :UInt32, timestamp :UInt32, nonce :UInt32,
      coinbase :Data)
      -> (result :Bool);
  waitNext @8 (context :Proxy.Context, options :BlockWaitOptions) -> (result :BlockTemplate);
  interruptWait @9 () -> ();
}

struct BlockCreateOptions {
  useMempool @0 :Bool = true;
  blockReservedWeight @1 :UInt64 = 8000;
  coinbaseOutputMaxAdditionalSigops @2 :UInt64 = 400;
}

struct BlockCheckOptions {
  checkMerkleRoot @0 :Bool = true;
  checkPow @1 :Bool = true;
}

struct CoinbaseTx {
  version @0 :UInt32;
  sequence @1 :UInt32;
  scriptSigPrefix @2 :Data;
  witness @3 :Data;
  blockRewardRemaining @4 :Int64;
  requiredOutputs @5 :List(Data);
  lockTime @6 :UInt32;
}

struct BlockWaitOptions {
  timeout @0 :Float64 = 1.7976931348623157e+308;
  feeThreshold @1 :Int64 = 2100000000000000;
}
