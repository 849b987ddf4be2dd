"""``kubelite login [SERVER]``: check credentials against a registry and save them.

Saved in ``<root>/auth.json`` in Docker's ``config.json`` shape (``skopeo --authfile`` reads it);
push and pull send them when a registry challenges. ``--password-stdin`` keeps the password out of
the process list and shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("server", nargs="?", default="docker.io", help="registry host[:port]")
    parser.add_argument("-u", "--username")
    parser.add_argument("-p", "--password")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--insecure", action="store_true", help="allow plain HTTP to this registry")
    parser.add_argument("--logout", action="store_true", help="forget the saved credentials instead")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.pull import client_config
    from kubelite.distribution.client.config import Credentials
    from kubelite.distribution.client.login import login, logout
    from kubelite.distribution.client.messages import user_message

    config = client_config(args)
    server = args.server.removeprefix("https://").removeprefix("http://").rstrip("/")
    if args.logout:
        print("Removing login credentials for " + server if logout(server, config)
              else f"Not logged in to {server}")
        return 0
    if args.password and args.password_stdin:
        raise CLIError("--password and --password-stdin are mutually exclusive")
    username = args.username or (input("Username: ") if sys.stdin.isatty() else "")
    if not username:
        raise CLIError("a username is required (-u USER)")
    if args.password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    else:
        password = args.password or getpass.getpass("Password: ")
    if not password:
        raise CLIError("a password is required")
    try:
        asyncio.run(login(server, Credentials(username, password), config))
    except Exception as err:
        message = user_message(err, server)
        if message is None:
            raise
        raise CLIError(f"login failed: {message}") from None
    print("Login Succeeded")
    return 0
