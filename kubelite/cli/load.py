"""``kubelite load [-i FILE] [-q]``: images from a docker-archive or OCI-layout tarball (or STDIN)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", help="read from a tar archive file (or an OCI layout "
                        "directory), instead of STDIN")
    parser.add_argument("-q", "--quiet", action="store_true", help="suppress the load output")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.errors import CLIError
    from kubelite.cli.image import image_errors
    from kubelite.oci.reference import parse_reference
    from kubelite.runtime.archive import load_archive

    with image_errors():
        if args.input and args.input != "-":
            loaded = load_archive(args.root, args.input)
        else:
            if sys.stdin.isatty():
                raise CLIError("requested load from stdin, but stdin is empty")
            loaded = load_archive(args.root, sys.stdin.buffer)
    if not args.quiet:
        for item in loaded:
            if item.names:
                for name in item.names:
                    print(f"Loaded image: {parse_reference(name).familiar()}")
            else:
                print(f"Loaded image ID: {item.image.id}")
    return 0
