"""``kubelite scheduler``: binds pending pods to nodes."""

from __future__ import annotations

import argparse

from kubelite.cli import _component


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _component.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from kubelite.daemons.components import scheduler

    return _component.run(args, scheduler)
