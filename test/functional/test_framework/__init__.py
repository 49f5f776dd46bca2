"""The functional-test framework of bitcoin-rpc-mp.

Adapts the habits of Bitcoin Core's ``test/functional/test_framework`` (our own code): a base class with
``set_test_params``/``run_test``, a JSON-RPC client that raises ``JSONRPCException(error, http_status)``,
``assert_*`` helpers, and process handles for the backend node (the stand-in or a real ``bitcoin-node``) and
our server in front of it.

Modules: ``util`` (assertions, waits, ports, credentials), ``authproxy`` (JSON-RPC client), ``rawhttp`` (byte-level
HTTP client for wire checks), ``node`` (processes), ``framework`` (the base class). Scenarios import these; the
framework never imports a scenario, and nothing here imports ``bitcoin_rpc_mp``: the server is a black box
driven through its command line.
"""
