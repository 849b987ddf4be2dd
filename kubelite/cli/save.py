"""``kubelite save [-o FILE] IMAGE...``: a docker-archive + OCI-layout tarball of images.

The file appears only complete: written as ``FILE.<pid>.part`` and renamed, so an interrupted save
never leaves a truncated archive under the name asked for.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("-o", "--output", help="write to a file, instead of STDOUT")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.errors import CLIError
    from kubelite.cli.image import image_errors
    from kubelite.runtime.archive import save_images
    from kubelite.runtime.images import ImageStore

    with image_errors():
        store = ImageStore(args.root)
        for ref in args.images:
            store.resolve(ref)  # every name must resolve before anything is written
        if not args.output:
            if sys.stdout.isatty():
                raise CLIError("cowardly refusing to save to a terminal. Use the -o flag or redirect")
            sys.stdout.flush()
            save_images(args.root, args.images, sys.stdout.buffer)
            return 0
        part = f"{args.output}.{os.getpid()}.part"
        try:
            with open(part, "wb") as fh:
                save_images(args.root, args.images, fh)
            os.replace(part, args.output)
        finally:
            if os.path.exists(part):
                os.unlink(part)
    return 0
