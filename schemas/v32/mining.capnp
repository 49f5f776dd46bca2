# mining.capnp: Mining and BlockTemplate: tip queries and waits, block templates, block submission.
#
# Variant v32 of bitcoin-rpc-mp's schemas: wire-compatible with bitcoin-core-32-master-2026-08
#   Bitcoin Core master of 2026-08-20 (version 31.99, the future 32.0), without PR #29409
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
  createNewBlock @4 (context :Proxy.Context, options :BlockCreateOptions, cooldown :Bool = true)
      -> (result :BlockTemplate);
  checkBlock @5 (context :Proxy.Context, block :Data, options :BlockCheckOptions)
      -> (reason :Text, debug :Text, result :Bool);
  # Ends a waitTipChanged of this Mining object (or the next one, if none is waiting).
  interrupt @6 () -> ();
  submitBlock @7 (context :Proxy.Context, block :Data) -> (reason :Text, debug :Text, result :Bool);
  getTransactionsByTxID @8 (context :Proxy.Context, txids :List(Data)) -> (result :List(Data));
  getTransactionsByWitnessID @9 (context :Proxy.Context, wtxids :List(Data)) -> (result :List(Data));
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
  # Placeholder kept so ordinals stay put; newer nodes answer an error.
  submitSolutionOld7 @7 (context :Proxy.Context, version :UInt32, timestamp :UInt32, nonce :UInt32,
      coinbase :Data)
      -> (result :Bool);
  waitNext @8 (context :Proxy.Context, options :BlockWaitOptions) -> (result :BlockTemplate);
  interruptWait @9 () -> ();
  submitSolution @10 (context :Proxy.Context, version :UInt32, timestamp :UInt32, nonce :UInt32,
      coinbase :Data)
      -> (reason :Text, debug :Text, result :Bool);
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
