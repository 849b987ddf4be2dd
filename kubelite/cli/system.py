"""``kubelite system prune [-a] [-f]``: remove stopped containers, interrupted leftovers, dangling images.

As Docker's: containers first (so the images they held become unused), then dangling images and the
content only they referenced (``-a``: every image no container uses).
"""

from __future__ import annotations

import argparse

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("prune",), help="prune: remove stopped containers and dangling images")
    parser.add_argument("-f", "--force", action="store_true", help="do not ask (we never ask)")
    parser.add_argument("-a", "--all", action="store_true", help="remove every image no container uses")


def run(args: argparse.Namespace) -> int:
    if args.action != "prune":
        raise CLIError(f"unknown system action {args.action!r}")
    engine = open_engine(args)
    with engine_errors():
        removed = engine.prune()
    if removed:
        print("Deleted Containers:")
        for cid in removed:
            print(cid)
    from kubelite.runtime.images import ImageStore

    try:
        images = list(ImageStore(args.root).prune(all_unused=args.all))
    except (OSError, ValueError, LookupError) as err:
        raise CLIError(f"image prune: {err}") from None
    if images:
        print("\nDeleted Images:" if removed else "Deleted Images:")
        for line in images:
            print(line)
    print(f"\nTotal: {len(removed)} containers, {sum(1 for line in images if line.startswith('deleted'))} images")
    return 0
