"""``kubelite push REF``: send a local image to the registry its name points at."""

from __future__ import annotations

import argparse
import asyncio
import sys

from kubelite.cli.errors import CLIError
from kubelite.cli.pull import add_client_arguments, client_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", metavar="REF", help="local image name, e.g. localhost:5000/app:v1")
    add_client_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from kubelite.distribution.client.messages import user_message
    from kubelite.distribution.client.progress import reporter_for
    from kubelite.distribution.client.push import push_image
    from kubelite.oci.reference import parse_reference

    config = client_config(args)
    try:
        parsed = parse_reference(args.reference)
    except ValueError as err:
        raise CLIError(str(err)) from None
    if not args.quiet:
        print(f"The push refers to repository [{parsed.name}]", flush=True)
    reporter = reporter_for(sys.stderr, quiet=args.quiet)
    try:
        result = asyncio.run(push_image(args.reference, root=args.root, config=config, reporter=reporter))
    except Exception as err:
        message = user_message(err, parsed.familiar())
        if message is None:
            raise
        raise CLIError(message) from None
    finally:
        reporter.close()
    print(f"{parsed.tag or parsed.digest}: digest: {result.digest} size: {result.size}")
    return 0
