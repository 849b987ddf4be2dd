"""``kubelite inspect NAME|ID...``: Docker-shaped JSON for containers, and for images via the ImageStore."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kubelite.cli.engine_common import engine_errors, open_engine
from kubelite.cli.errors import CLIError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", choices=("container", "image"), default=None, help="only look for this kind")
    parser.add_argument("-f", "--format", default="", help="a {{.Field.Sub}} path to print instead of JSON")
    parser.add_argument("names", nargs="+", metavar="NAME|ID")


def _image_json(root: str, ref: str) -> dict[str, Any] | None:
    from kubelite.runtime.container_errors import ContainerError
    from kubelite.runtime.image_source import StoreImageSource

    try:
        img = StoreImageSource(root).resolve(ref)
    except (ContainerError, ImportError):
        return None
    full = getattr(img.raw, "inspect", None)  # the image side's Docker-shaped document, when it has one
    if callable(full):
        doc: dict[str, Any] = full()
        return doc
    return {"Id": img.id, "RepoTags": img.repo_tags, "Config": img.config, "Os": "linux", "Architecture": "amd64"}


def _format(obj: Any, template: str) -> str:
    """The subset of Go templates people use with inspect: ``{{.State.Status}}``, ``{{json .Config}}``."""
    body = template.strip()
    if not (body.startswith("{{") and body.endswith("}}")):
        raise CLIError(f"unsupported --format {template!r} (use {{{{.Field.Sub}}}})")
    expr = body[2:-2].strip()
    as_json = expr.startswith("json ")
    path = expr[5:].strip() if as_json else expr
    value = obj
    for key in [k for k in path.split(".") if k]:
        if not isinstance(value, dict) or key not in value:
            raise CLIError(f"template: no field {key!r} in {path!r}")
        value = value[key]
    if as_json:
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<no value>"
    return value if isinstance(value, str) else json.dumps(value)


def run(args: argparse.Namespace) -> int:
    from kubelite.runtime.container_errors import NotFound
    from kubelite.runtime.inspect_json import container_json

    engine = open_engine(args)
    out: list[dict[str, Any]] = []
    missing = []
    for name in args.names:
        found: dict[str, Any] | None = None
        if args.type != "image":
            with engine_errors():
                try:
                    ctr = engine.get(name)
                    found = container_json(ctr, log_path=engine.paths(ctr.id).log)
                except NotFound:
                    found = None
        if found is None and args.type != "container":
            found = _image_json(args.root, name)
        if found is None:
            missing.append(name)
        else:
            out.append(found)
    try:
        if args.format:
            for obj in out:
                print(_format(obj, args.format))
        else:
            print(json.dumps(out, indent=4))
        sys.stdout.flush()
    except BrokenPipeError:
        return 0
    if missing:
        raise CLIError(f"No such object: {missing[0]}")
    return 0
