# mining.capnp: Mining and BlockTemplate: tip queries and waits, block templates, block submission.
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
#
# Defaults are those of nodes before 31.0: every option is zero or false (an unset waitTipChanged timeout is 0
# ms, so always send it). Primitive defaults are XOR-ed into the encoding: never mix this file with another
# variant's.

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
  waitTipChanged @3 (context :Proxy.Context, currentTip :Data, timeout :Float64) -> (result :Common.BlockRef);
  createNewBlock @4 (options :BlockCreateOptions) -> (result :BlockTemplate);
}

# A block template with its mempool snapshot: destroy it when done.
interface BlockTemplate {
  destroy @0 (context :Proxy.Context) -> ();
  getBlockHeader @1 (context :Proxy.Context) -> (result :Data);
  getBlock @2 (context :Proxy.Context) -> (result :Data);
  getTxFees @3 (context :Proxy.Context) -> (result :List(Int64));
  getTxSigops @4 (context :Proxy.Context) -> (result :List(Int64));
  getCoinbaseTx @5 (context :Proxy.Context) -> (result :Data);
  getCoinbaseCommitment @6 (context :Proxy.Context) -> (result :Data);
  getWitnessCommitmentIndex @7 (context :Proxy.Context) -> (result :Int32);
  getCoinbaseMerklePath @8 (context :Proxy.Context) -> (result :List(Data));
  submitSolution @9 (context :Proxy.Context, version :UInt32, timestamp :UInt32, nonce :UInt32,
      coinbase :Data)
      -> (result :Bool);
}

struct BlockCreateOptions {
  useMempool @0 :Bool;
  blockReservedWeight @1 :UInt64;
  coinbaseOutputMaxAdditionalSigops @2 :UInt64;
}

struct BlockValidationState {
  mode @0 :Int32;
  result @1 :Int32;
  rejectReason @2 :Text;
  debugMessage @3 :Text;
}
