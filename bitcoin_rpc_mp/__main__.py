"""`python -m bitcoin_rpc_mp`: the same as the `bitcoin-rpc-mp` console script."""

from .app import main

raise SystemExit(main())
