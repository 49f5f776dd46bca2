#!/usr/bin/env python3
"""Create an `rpcauth=` line for bitcoin.conf (and for bitcoin-rpc-mp, which reads the same option).

Same command line and output as Bitcoin Core's share/rpcauth/rpcauth.py:

    rpcauth.py USERNAME [PASSWORD] [-j|--json]

No PASSWORD (or an empty one): a random one is made. PASSWORD `-`: it is read from the terminal without echo.
The salt is 16 random bytes as 32 hex characters; the hash is HMAC-SHA256 keyed with that salt text over the
password, in lowercase hex. Standard library only, so it runs from a checkout without installing anything.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import secrets
import sys


def make_salt(n_bytes: int = 16) -> str:
    return secrets.token_hex(n_bytes)


def make_password() -> str:
    return secrets.token_urlsafe(32)


def rpcauth_hmac(salt: str, password: str) -> str:
    return hmac.new(salt.encode("utf-8"), password.encode("utf-8"), hashlib.sha256).hexdigest()


def rpcauth_line_value(username: str, salt: str, password: str) -> str:
    """The value of `rpcauth=`: `<user>:<salt>$<hmac>`."""
    return f"{username}:{salt}${rpcauth_hmac(salt, password)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create login credentials for a JSON-RPC user")
    parser.add_argument("username", help="the username for authentication")
    parser.add_argument(
        "password",
        nargs="?",
        help='leave empty to generate a random password or specify "-" to prompt for password',
    )
    parser.add_argument("-j", "--json", action="store_true", help="output to json instead of plain-text")
    args = parser.parse_args(argv)

    password: str = args.password or ""
    if not password:
        password = make_password()
    elif password == "-":
        password = getpass.getpass()
    value = rpcauth_line_value(args.username, make_salt(), password)

    if args.json:
        print(json.dumps({"username": args.username, "password": password, "rpcauth": value}))
    else:
        print("String to be appended to bitcoin.conf:")
        print(f"rpcauth={value}")
        print("Your password:")
        print(password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
