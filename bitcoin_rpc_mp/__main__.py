"""`python -m bitcoin_rpc_mp`: the same as the `bitcoin-rpc-mp` console script."""

from .config.cli import main

raise SystemExit(main())
