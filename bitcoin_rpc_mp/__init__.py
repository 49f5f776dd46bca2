"""bitcoin-rpc-mp: a bitcoind-compatible HTTP JSON-RPC front end for bitcoin-node's IPC socket."""

__version__ = "0.1.0"
