"""``kubelite version``: the client version, and the Kubernetes API version it serves."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", choices=["json", "text"], default="text")


def run(args: argparse.Namespace) -> int:
    import platform

    from kubelite import KUBERNETES_VERSION, __version__

    if args.output == "json":
        import json

        print(json.dumps({"version": __version__, "kubernetesVersion": KUBERNETES_VERSION,
                          "python": platform.python_version()}))
    else:
        print(f"kubelite version {__version__} (Kubernetes API {KUBERNETES_VERSION}, "
              f"Python {platform.python_version()})")
    return 0
