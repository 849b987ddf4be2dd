"""``kubelite import [-c CHANGE]... [-m MSG] FILE|- [REPOSITORY[:TAG]]``: an image from a rootfs tarball.

``--change`` takes Dockerfile instructions that set config only: CMD, ENTRYPOINT, ENV, EXPOSE,
LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (JSON or shell form for CMD/ENTRYPOINT, as ``docker import``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="file|-")
    parser.add_argument("reference", nargs="?", metavar="REPOSITORY[:TAG]")
    parser.add_argument("-c", "--change", action="append", default=[],
                        help="apply a Dockerfile instruction to the image config")
    parser.add_argument("-m", "--message", default="", help="set a commit message for the image")


def apply_change(config: dict[str, Any], change: str) -> None:
    """Apply one ``--change`` instruction to ``config`` (Docker's keys); raise ValueError if bad."""
    keyword, _, rest = change.strip().partition(" ")
    keyword, rest = keyword.upper(), rest.strip()
    if not rest:
        raise ValueError(f"--change {change!r}: {keyword} needs an argument")

    def words() -> list[str]:
        if rest.startswith("["):
            try:
                value = json.loads(rest)
            except ValueError:
                raise ValueError(f"--change {change!r}: invalid JSON array") from None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"--change {change!r}: want a JSON array of strings")
            return value
        return ["/bin/sh", "-c", rest]

    def pairs() -> list[tuple[str, str]]:
        out = []
        for item in shlex.split(rest):
            key, eq, value = item.partition("=")
            if not eq or not key:
                raise ValueError(f"--change {change!r}: want KEY=VALUE")
            out.append((key, value))
        return out

    if keyword in ("CMD", "ENTRYPOINT"):
        config["Cmd" if keyword == "CMD" else "Entrypoint"] = words()
    elif keyword == "ENV":
        env = [e for e in config.get("Env", []) if e.split("=", 1)[0] not in dict(pairs())]
        config["Env"] = env + [f"{k}={v}" for k, v in pairs()]
    elif keyword == "LABEL":
        config.setdefault("Labels", {}).update(dict(pairs()))
    elif keyword == "EXPOSE":
        for port in rest.split():
            config.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
    elif keyword == "VOLUME":
        for vol in json.loads(rest) if rest.startswith("[") else rest.split():
            config.setdefault("Volumes", {})[vol] = {}
    elif keyword in ("WORKDIR", "USER", "STOPSIGNAL"):
        config[{"WORKDIR": "WorkingDir", "USER": "User", "STOPSIGNAL": "StopSignal"}[keyword]] = rest
    else:
        raise ValueError(f"--change {change!r}: {keyword} is not a config instruction")


def run(args: argparse.Namespace) -> int:
    from kubelite.cli.errors import CLIError
    from kubelite.cli.image import image_errors
    from kubelite.oci.reference import parse_reference
    from kubelite.runtime.archive import import_tarball

    config: dict[str, Any] = {}
    with image_errors():
        if args.reference:
            parse_reference(args.reference)
        for change in args.change:
            apply_change(config, change)
        history = [{"created_by": "kubelite import", "comment": args.message or "Imported from tarball"}]
        if args.file == "-":
            if sys.stdin.isatty():
                raise CLIError("import from stdin needs a tarball piped in")
            image = import_tarball(args.root, sys.stdin.buffer, args.reference, container_config=config,
                                   history=history)
        else:
            with open(args.file, "rb") as fh:
                image = import_tarball(args.root, fh, args.reference, container_config=config,
                                       history=history)
    print(image.id)
    return 0
