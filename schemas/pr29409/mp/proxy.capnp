# mp/proxy.capnp: libmultiprocess threads: a call that carries a Context runs on the node thread it names.
#
# Variant pr29409 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-on-master-2026-08
#   Bitcoin Core master 2026-08-20 (31.99) + PR #29409 Chain interface: the node built and measured here (its
#   chain.capnp adds waitForNotifications @51, uncommitted there)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0xcc316e3f71a040fb;

# Creates node threads bound to this connection.
interface ThreadMap {
  # A new node thread (one call at a time, FIFO); it ends when released.
  makeThread @0 (name :Text) -> (result :Thread);
  # count pool threads that run the calls whose context names no thread (one pool per connection).
  makePool @1 (count :UInt32) -> ();
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
