"""``kubelite attach CONTAINER``: connect our terminal to a running container's stdio via conmon.

Output (stdout/stderr) streams until the container exits; stdin is forwarded when the container was
started with ``-i``; Ctrl-P Ctrl-Q detaches. The exit code is the container's when it ends while
attached, 0 after a detach.
"""

from __future__ import annotations

import argparse
import os
import sys

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-stdin", action="store_true", help="do not forward our stdin")
    parser.add_argument("container")


def run(args: argparse.Namespace) -> int:
    from kubelite.runtime import attach

    engine = open_engine(args)
    with engine_errors():
        ctr = engine.get(args.container)
    if ctr.state.status != "running":
        raise CLIError(f"You cannot attach to a stopped container, start it first ({ctr.name} is {ctr.state.status})")
    try:
        sock = attach.connect(engine.paths(ctr.id).attach_socket)
    except OSError as err:
        raise CLIError(f"cannot attach to {ctr.name}: {err.strerror}") from None
    stdin_fd = None if args.no_stdin or not ctr.config.stdin else sys.stdin.fileno()
    if ctr.config.tty and os.isatty(sys.stdout.fileno()):
        size = os.get_terminal_size(sys.stdout.fileno())
        attach.send_resize(os.path.join(engine.paths(ctr.id).bundle, "ctl"), size.lines, size.columns)
    with sock, attach.raw_terminal(sys.stdin.fileno() if ctr.config.tty and stdin_fd is not None else -1):
        outcome = attach.relay(sock, stdin_fd=stdin_fd)
    if outcome == "detached":
        print(f"\r\nDetached from {ctr.id[:12]}", file=sys.stderr)
        return 0
    engine.wait(ctr, 10)
    with engine_errors():
        return engine.get(ctr.id).state.exit_code
