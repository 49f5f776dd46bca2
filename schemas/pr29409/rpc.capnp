# rpc.capnp: Rpc: runs a JSON-RPC request inside the node, as its HTTP server would.
#
# Variant pr29409 of bitcoin-rpc-mp's schemas: wire-compatible with pr29409-on-master-2026-08
#   Bitcoin Core master 2026-08-20 (31.99) + PR #29409 Chain interface: the node built and measured here (its
#   chain.capnp adds waitForNotifications @51, uncommitted there)
# Only what travels on the wire is reproduced (ids, ordinals, field types and defaults);
# the C++ annotations of Bitcoin Core's files are left out. Written by contrib/tools/gen_schemas.py;
# check with ../shared/tools/check_wire.py.

@0x9c3505dc45e146ac;

using Proxy = import "/mp/proxy.capnp";

# JSON-RPC through IPC (bitcoin-cli -ipcconnect). The reply is the body only: no HTTP status.
interface Rpc {
  # request is the JSON text, uri '/' or '/wallet/<name>', user the authenticated name.
  executeRpc @0 (context :Proxy.Context, request :Text, uri :Text, user :Text) -> (result :Text);
}
