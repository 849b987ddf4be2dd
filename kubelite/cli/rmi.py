"""``kubelite rmi [-f] IMAGE...``: untag and remove images, as ``docker rmi``."""

from __future__ import annotations

import argparse

from kubelite.cli.image import add_rm_arguments, run_rm


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_rm_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return run_rm(args)
