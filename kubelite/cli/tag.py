"""``kubelite tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]``: another name for an image."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE_IMAGE[:TAG]")
    parser.add_argument("target", metavar="TARGET_IMAGE[:TAG]")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.image import image_errors
    from kubelite.runtime.images import ImageStore

    with image_errors():
        ImageStore(args.root).tag(args.source, args.target)
    return 0
