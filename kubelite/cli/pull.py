"""``kubelite pull REF``: fetch an image from a registry into the engine, one progress bar per layer."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from kubelite.cli.errors import CLIError

if TYPE_CHECKING:
    from kubelite.distribution.client.config import ClientConfig


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure", action="store_true",
                        help="allow plain HTTP and unverified TLS to this registry")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", metavar="REF", help="image reference, e.g. localhost:5000/app:v1")
    parser.add_argument("--platform", default=None, help="os/arch to pick from an index (default: this host)")
    add_client_arguments(parser)


def client_config(args: argparse.Namespace) -> ClientConfig:
    from kubelite.distribution.client.config import load_config

    try:
        return load_config(args.root, insecure=args.insecure)
    except ValueError as err:
        raise CLIError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    from kubelite.distribution.client.messages import user_message
    from kubelite.distribution.client.progress import reporter_for
    from kubelite.distribution.client.pull import pull_image
    from kubelite.oci.descriptor import Platform
    from kubelite.oci.reference import parse_reference

    config = client_config(args)
    platform = None
    if args.platform:
        os_, _, arch = args.platform.partition("/")
        arch, _, variant = arch.partition("/")
        if not os_ or not arch:
            raise CLIError(f"--platform must be os/arch[/variant], got {args.platform!r}")
        platform = Platform(os_, arch, variant)
    try:
        parsed = parse_reference(args.reference)
    except ValueError as err:
        raise CLIError(str(err)) from None
    if not args.quiet:
        print(f"{parsed.tag or parsed.digest}: Pulling from {parsed.familiar_name}", flush=True)
    reporter = reporter_for(sys.stderr, quiet=args.quiet)
    try:
        result = asyncio.run(pull_image(args.reference, root=args.root, config=config, reporter=reporter,
                                        platform=platform))
    except Exception as err:
        message = user_message(err, parsed.familiar())
        if message is None:
            raise
        raise CLIError(message) from None
    finally:
        reporter.close()
    if not args.quiet:
        print(f"Digest: {result.index_digest or result.digest}")
        status = "Image is up to date" if result.downloaded == 0 else "Downloaded newer image"
        print(f"Status: {status} for {parsed.familiar()}")
    print(str(parsed))
    return 0
