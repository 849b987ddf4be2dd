"""``kubelite server``: the control plane in the foreground. For now only the API server runs;
controllers and the scheduler join here later, each behind a flag to disable it."""

from __future__ import annotations

import argparse

from kubelite.cli import apiserver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    apiserver.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return apiserver.run(args)
