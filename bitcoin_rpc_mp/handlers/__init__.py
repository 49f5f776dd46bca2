"""handlers layer of bitcoin-rpc-mp (see README: layout)."""
