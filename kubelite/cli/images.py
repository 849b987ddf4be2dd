"""``kubelite images [REPOSITORY[:TAG]] [-a] [-q] [--no-trunc] [--digests]``: ``docker images``."""

from __future__ import annotations

import argparse

from kubelite.cli.image import add_ls_arguments, run_ls


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_ls_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return run_ls(args)
