"""``kubelite exec [-i] [-t] [-e K=V] [-u U] [-w D] CONTAINER CMD...``: run a process in a running container.

``runc exec`` runs in the foreground with our own stdio; with ``-t`` runc allocates a real pty and relays
it. The exit code is the process's.
"""

from __future__ import annotations

import argparse
import subprocess

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--interactive", action="store_true", help="keep stdin open")
    parser.add_argument("-t", "--tty", action="store_true", help="allocate a pseudo-terminal")
    parser.add_argument("-e", "--env", action="append", default=[], metavar="K=V")
    parser.add_argument("-u", "--user", default="", help="USER[:GROUP]")
    parser.add_argument("-w", "--workdir", default="", help="working directory")
    parser.add_argument("-d", "--detach", action="store_true", help="run in the background")
    parser.add_argument("container")
    parser.add_argument("command", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    from kubelite.runtime.execs import prepare_exec

    if not args.command:
        raise CLIError("exec needs a command: kubelite exec CONTAINER CMD...")
    engine = open_engine(args)
    with engine_errors():
        argv, cleanup = prepare_exec(
            engine,
            args.container,
            list(args.command),
            env=list(args.env),
            user=args.user,
            cwd=args.workdir,
            tty=args.tty,
            detach=args.detach,
        )
    try:
        proc = subprocess.run(argv, check=False, stdin=None if (args.interactive or args.tty) else subprocess.DEVNULL)
    finally:
        cleanup()
    if proc.returncode in (126, 127) or proc.returncode < 0:
        return 126 if proc.returncode < 0 else proc.returncode
    return proc.returncode
