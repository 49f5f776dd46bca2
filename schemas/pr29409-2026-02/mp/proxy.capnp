# mp/proxy.capnp: libmultiprocess threads: a call that carries a Context runs on the node thread it names.
#
# Variant pr29409-2026-02 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-rebase-2026-02
#   branch pr/trace of 2026-02-24 (master 30.99 + a rebase of the multiprocess interfaces incl. PR #29409
#   Chain, Node, WalletLoader, Tracing)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xcc316e3f71a040fb;

# Creates node threads bound to this connection.
interface ThreadMap {
  # A new node thread (one call at a time, FIFO); it ends when released.
  makeThread @0 (name :Text) -> (result :Thread);
}

# Handle of a thread; put it in Context.thread to run a call there.
interface Thread {
  getName @0 () -> (result :Text);
}

# First parameter of every call that runs on a worker thread rather than the event-loop thread.
struct Context {
  # The Thread to run the call on; unset: the connection's pool, if any.
  thread @0 :Thread;
  # Thread of ours for calls back to us during this call; may stay unset.
  callbackThread @1 :Thread;
}
